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


def terminal_width(limit: int = 100) -> int:
    """Columns to wrap text at: the terminal's (``$COLUMNS`` when set), at most ``limit``."""
    import shutil

    return max(40, min(limit, shutil.get_terminal_size((limit, 24)).columns))


def wrap(text: str, width: int, indent: int = 0, first: str = "") -> list[str]:
    """``text`` wrapped to ``width`` columns, every line after ``first``'s prefix indented."""
    import textwrap

    return textwrap.wrap(
        text, width, initial_indent=first.ljust(indent), subsequent_indent=" " * indent,
        break_on_hyphens=False, break_long_words=True,
    )  # fmt: skip


def format_body_models(info: dict, width: int) -> str:
    """The body-model report as plain text that fits ``width`` columns."""
    name_w = max(len(n) for n in info["body_models"]) + 2
    lines = ["body models"]
    for name, e in info["body_models"].items():
        head = f"  {name}".ljust(name_w + 2)
        if not e["available"]:
            lines += wrap(f"not available: {e['reason']}", width, name_w + 2, head)
            continue
        if "num_vertices" not in e:
            lines += wrap(
                f"available (robosmplx info --body {name} to describe it)", width, name_w + 2, head
            )
            continue
        kp = e["keypoints"]["num_keypoints"]
        lines += wrap(f"available: {e['num_vertices']} vertices, {kp} keypoints", width,
                      name_w + 2, head)  # fmt: skip
        parts = ", ".join(f"{k} {v}" for k, v in e["parts"].items())
        lines += wrap(f"parts: {parts}", width, name_w + 2, " ")
        params = ", ".join(f"{k} {v['size']}" for k, v in e["params"].items())
        lines += wrap(f"params: {params}", width, name_w + 2, " ")
    return "\n".join(lines)


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
    width = terminal_width()
    if args.model:
        from robosmplx.models.info import format_model_info

        print(format_model_info(info, width))
        return 0
    print(format_body_models(info, width))
    return 0
