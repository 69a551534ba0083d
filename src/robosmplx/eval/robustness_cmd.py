"""``robosmplx robustness``: sweep the ten perturbations for one or more checkpoints and write
the paper-style tables (JSON, CSV, markdown) and plots (PNG)."""

from __future__ import annotations

import argparse

from robosmplx import argtypes


def _magnitudes(items: list[str] | None) -> dict[str, list[float]]:
    """``["translate_x=-0.2,0.2", "scale=0.3"]`` -> ``{"translate_x": [-0.2, 0.2], ...}``."""
    from robosmplx.errors import ConfigError

    out: dict[str, list[float]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        try:
            if not sep or not values:
                raise ValueError
            out[name.strip()] = [float(v) for v in values.split(",")]
        except ValueError:
            raise ConfigError(
                f"--magnitudes {item!r}: expected NAME=M1,M2,... (e.g. translate_x=-0.2,0.2)"
            ) from None
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from robosmplx.eval.eval_cmd import add_common_arguments

    parser.add_argument(
        "--checkpoint", action="append", default=[],
        help="network: NAME.safetensors (+ NAME.yaml), a training checkpoint or run folder; "
        "repeat to compare several in one table and plot (default: the bundled default model)",
    )  # fmt: skip
    parser.add_argument("--label", action="append", default=None, help="name per --checkpoint")
    add_common_arguments(parser)
    parser.add_argument(
        "--out", required=True, type=argtypes.out_folder, help="folder for the tables and plots"
    )
    parser.add_argument(
        "--perturbations", nargs="+", default=None, metavar="NAME",
        help="perturbations to sweep (default: the paper's ten; hard_erasing on request)",
    )  # fmt: skip
    parser.add_argument(
        "--convention", choices=["paper", "authors"], default="paper",
        help="perturbations as the paper's appendix A text says (default) or as the authors' "
        "benchmark code does (see docs/evaluation.md)",
    )  # fmt: skip
    parser.add_argument(
        "--magnitudes", nargs="+", default=None, metavar="NAME=M1,M2",
        help="magnitudes of a perturbation (default: its registered sweep over the paper's range)",
    )  # fmt: skip
    parser.add_argument(
        "--no-positional", action="store_true",
        help="do not add the magnitudes of the paper's positional columns (+-0.2 shifts, scale 1.3x/0.7x)",
    )  # fmt: skip
    parser.add_argument(
        "--metric", default=None, metavar="PART.METRIC",
        help="what the plots and sweep table show, e.g. wholebody.pa_pve (default: the protocol's)",
    )  # fmt: skip
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")


def run(args: argparse.Namespace) -> int:
    import sys

    from robosmplx.errors import ConfigError
    from robosmplx.eval.eval_cmd import options_from_args
    from robosmplx.eval.robustness import Checkpoint, run_robustness, sweep_plan, unique_labels
    from robosmplx.eval.tables import (
        positional_table,
        print_rich,
        sweep_table,
        to_json,
        write_robustness_tables,
    )

    if args.oracle:
        if args.checkpoint:
            raise ConfigError("--oracle scores the ground truth; leave out --checkpoint")
        checkpoints = [Checkpoint("oracle", None)]
    elif not args.checkpoint:
        from robosmplx.infer.loading import default_checkpoint

        checkpoints = unique_labels([str(default_checkpoint())], args.label or ["default"])
    else:
        checkpoints = unique_labels(args.checkpoint, args.label)
    headline = None
    if args.metric:
        part, sep, metric = args.metric.partition(".")
        if not sep:
            raise ConfigError(
                f"--metric {args.metric!r}: expected PART.METRIC, e.g. wholebody.pa_pve"
            )
        headline = (part, metric)
    plan = sweep_plan(args.perturbations, _magnitudes(args.magnitudes), not args.no_positional)
    result = run_robustness(
        args.protocol, args.data, checkpoints, plan, body_model=args.body_model,
        oracle=args.oracle, options=options_from_args(args), headline=headline,
    )  # fmt: skip
    files = write_robustness_tables(result, args.out)
    if not args.no_plots:
        from robosmplx.eval.plots import write_robustness_plots

        files.update(write_robustness_plots(result, args.out))
    h = result["headline"]
    print_rich(
        [
            ("Positional perturbations (paper Tables 4, 5, 7)", positional_table(result)),
            (
                f"All perturbations: {h['part']} {h['metric']}",
                sweep_table(result, h["part"], h["metric"]),
            ),
        ]
    )
    if args.json:
        sys.stdout.write(to_json({**result, "files": {k: str(v) for k, v in files.items()}}))
    else:
        for k, v in files.items():
            print(f"{k}: {v}", file=sys.stderr)
    if result["num_samples"] == 0:
        print(f"robosmplx robustness: no sample of {args.data} could be scored", file=sys.stderr)
        return 1
    return 0
