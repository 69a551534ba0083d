"""``robosmplx data check FILE --stage STAGE``: which loss terms a HumanData file supervises.

Prints, per loss term of the stage, its weight and the fraction of samples that give it ground
truth, and warns for each term with a positive weight that no sample supervises. Weights are
the stage's defaults, or a training config's (``--config``).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="per loss term, the fraction of samples that supervise it")
    c.add_argument("file", help="HumanData .npz file")
    c.add_argument("--stage", required=True, choices=("body", "hand", "face", "wholebody"))
    c.add_argument("--body-model", default=None, help="body model (default: the config's, anny)")
    c.add_argument("--config", help="training config whose loss weights and options to use")
    c.add_argument("--image-dir", help="folder the file's image paths are relative to")
    c.add_argument(
        "--trust-pickle", action="store_true", help="load pickled dict keys (mmhuman3d's layout)"
    )
    c.add_argument("--max-samples", type=int, default=200, help="samples checked (spread evenly)")
    c.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    from robosmplx.body import load_body_model
    from robosmplx.data.check import supervision, supervision_warnings
    from robosmplx.data.datasets import HumanDataset
    from robosmplx.errors import InputError
    from robosmplx.losses.weights import stage_losses

    if args.max_samples < 1:
        raise InputError(f"--max-samples must be at least 1, got {args.max_samples}")
    body = args.body_model or "anny"
    weights, options = stage_losses(args.stage)
    if args.config:
        from robosmplx.train.config import load_train_config

        cfg = load_train_config(args.config)
        if cfg.stage != args.stage:
            raise InputError(
                f"{args.config} trains the {cfg.stage} stage, not {args.stage}; pass "
                f"--stage {cfg.stage}"
            )
        weights, options = cfg.loss.weights, cfg.loss.options
        body = args.body_model or cfg.body_model
    model = load_body_model(body)
    ds = HumanDataset(
        args.file, model, args.stage, train=False, trusted=args.trust_pickle,
        image_dir=args.image_dir, on_bad="skip",
    )  # fmt: skip
    report = supervision(ds, weights, options, args.max_samples)
    warnings = supervision_warnings(report, args.file)
    report = {"file": args.file, "stage": args.stage, "body_model": body, **report}
    report["warnings"] = warnings
    if args.json:
        from robosmplx.cli import print_json

        print_json(report)
    else:
        print(f"{args.file}: {report['samples']} samples, stage {args.stage}, body model {body}")
        for name, t in report["terms"].items():
            print(f"  {name:18s} weight {t['weight']:<8g} supervised {100 * t['fraction']:5.1f}%")
    for w in warnings:
        print(f"robosmplx data: warning: {w}", file=sys.stderr)
    return 0
