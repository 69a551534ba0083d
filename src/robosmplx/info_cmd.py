"""``robosmplx info``: body models (available or why not), their sizes; network counts."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--model-dir", default=None, help="SMPL-X family folder (default: $ROBOSMPLX_MODEL_DIR)"
    )
    p.add_argument(
        "--body", action="append", default=None,
        help="also build these body models and report their sizes (default: anny)",
    )  # fmt: skip
    p.add_argument(
        "--model", default=None, metavar="PRESET",
        help="report parameters and GFLOPs per subnetwork of a network preset (e.g. paper, small)",
    )  # fmt: skip


def gather(model_dir=None, bodies=("anny",)) -> dict:
    from robosmplx.body import available_body_models, load_body_model

    avail = available_body_models(model_dir)
    out: dict = {"body_models": {}}
    for name, status in avail.items():
        entry = dict(status)
        if status["available"] and name in bodies:
            entry.update(load_body_model(name, model_dir=model_dir).describe())
        out["body_models"][name] = entry
    return out


def run(args) -> int:
    from robosmplx.cli import print_json

    if args.model:
        from robosmplx.models.info import model_info

        info = model_info(args.model)
    else:
        info = gather(args.model_dir, tuple(args.body or ("anny",)))
    if args.json:
        print_json(info)
        return 0
    if args.model:
        from robosmplx.models.info import format_model_info

        print(format_model_info(info))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table(title="body models")
    for col in ("name", "available", "vertices", "params", "keypoints", "parts / reason"):
        t.add_column(col)
    for name, e in info["body_models"].items():
        if not e["available"]:
            t.add_row(name, "no", "", "", "", e["reason"])
            continue
        if "num_vertices" not in e:
            t.add_row(name, "yes", "", "", "", "(use --body NAME to build and describe)")
            continue
        params = ", ".join(f"{k}:{v['size']}" for k, v in e["params"].items())
        parts = ", ".join(f"{k} {v}" for k, v in e["parts"].items())
        t.add_row(
            name, "yes", str(e["num_vertices"]), params, str(e["keypoints"]["num_keypoints"]), parts
        )
    Console().print(t)
    return 0
