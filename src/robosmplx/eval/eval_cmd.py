"""``robosmplx eval``: score a checkpoint on a benchmark file under a protocol."""

from __future__ import annotations

import argparse
import os

from robosmplx import argtypes


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``eval`` and ``robustness``."""
    from robosmplx.eval.protocols import PROTOCOLS

    parser.add_argument("--data", required=True, help="benchmark HumanData file (.npz)")
    parser.add_argument(
        "--protocol", default="synthetic", choices=sorted(PROTOCOLS),
        help="benchmark protocol (default: synthetic); see docs/evaluation.md",
    )  # fmt: skip
    parser.add_argument(
        "--oracle", action="store_true",
        help="feed the ground truth as the prediction (checks the pipeline: errors are zero)",
    )  # fmt: skip
    parser.add_argument(
        "--body-model", default=None,
        help="body model (default: the protocol's, else the file's body_model, else anny); "
        "smplx on 3dpw scores an SMPL-X network against the SMPL ground truth",
    )  # fmt: skip
    parser.add_argument("--model-dir", default=None, help="SMPL-X family model folder")
    parser.add_argument("--batch-size", type=argtypes.positive_int, default=16)
    parser.add_argument(
        "--workers",
        type=argtypes.non_negative_int,
        default=min(4, os.cpu_count() or 1),
        help="data loader workers",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    parser.add_argument(
        "--limit", type=argtypes.positive_int, default=None, help="score only the first N samples"
    )
    parser.add_argument("--image-dir", default=None, help="root of relative image paths")
    parser.add_argument("--trust-pickle", action="store_true", help="allow pickled HumanData keys")
    parser.add_argument(
        "--skip-bad", action="store_true", help="leave out samples whose image is missing"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", default=None,
        help="network: NAME.safetensors (+ NAME.yaml), a training checkpoint or run folder "
        "(default: the bundled default model)",
    )  # fmt: skip
    add_common_arguments(parser)
    parser.add_argument(
        "--baseline", choices=["rest"], default=None,
        help="score a constant prediction instead: 'rest' = rest pose, neutral shape and face "
        "under the true global orientation (a reference for what a network has learnt)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default=None, type=argtypes.out_folder,
        help="folder for eval.json, eval.csv and eval.md",
    )  # fmt: skip
    parser.add_argument(
        "--per-sample", action="store_true", help="include per-sample values in the --json output"
    )


def options_from_args(args: argparse.Namespace):
    from robosmplx.errors import ConfigError
    from robosmplx.eval.evaluator import EvalOptions

    if args.batch_size < 1 or args.workers < 0 or (args.limit is not None and args.limit < 1):
        raise ConfigError("--batch-size and --limit must be positive, --workers non-negative")
    return EvalOptions(
        batch_size=args.batch_size,
        num_workers=args.workers,
        device=args.device,
        limit=args.limit,
        progress=not args.no_progress,
        image_dir=args.image_dir,
        model_dir=args.model_dir,
        trusted=args.trust_pickle,
        on_bad="skip" if args.skip_bad else "error",
        convention=getattr(args, "convention", "paper"),
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from robosmplx.eval.evaluator import Evaluator
    from robosmplx.eval.tables import eval_table, print_rich, to_json, write_eval_tables

    checkpoint, label = args.checkpoint, None
    if checkpoint is None and not args.oracle and args.baseline is None:
        from robosmplx.infer.loading import default_checkpoint

        checkpoint, label = default_checkpoint(), "default"
    ev = Evaluator(
        args.protocol, args.data, checkpoint, body_model=args.body_model, oracle=args.oracle,
        baseline=args.baseline, options=options_from_args(args), label=label,
    )  # fmt: skip
    result = ev.run()
    files = write_eval_tables(result, args.out) if args.out else {}
    title = f"{result['protocol']}: {result['label']} on {result['data']} ({result['num_samples']} samples)"
    print_rich([(title, eval_table(result))])
    if args.json:
        shown = dict(result)
        if not args.per_sample:
            shown.pop("per_sample")
        shown["files"] = {k: str(v) for k, v in files.items()}
        sys.stdout.write(to_json(shown))
    if result["num_samples"] == 0:
        print(f"robosmplx eval: no sample of {args.data} could be scored", file=sys.stderr)
        return 1
    return 0
