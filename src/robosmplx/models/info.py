"""``robosmplx info --model PRESET [--body NAME] [--json]``: parameters and GFLOPs per
subnetwork and in total (the paper's Table 17 columns); without ``--model``, the presets."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="PRESET",
        help="network preset to count, e.g. paper, small, hmr (omit to list the presets)",
    )
    parser.add_argument(
        "--body",
        metavar="NAME",
        help="body model that sizes the heads (default: the preset's; smplx needs no files)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def model_info(preset: str, body=None) -> dict:
    """JSON-able counts of ``preset`` (see :func:`robosmplx.models.flops.preset_report`)."""
    from robosmplx.models.flops import preset_report

    return preset_report(preset, body)


def format_model_info(report: dict, width: int = 100) -> str:
    """The :func:`model_info` report as a text table; notes wrapped to ``width`` columns."""
    import textwrap

    lines = [
        f"model preset {report['preset']} ({report['kind']}, body model {report['body_model']})",
        f"{'part':<14}{'crops':>6}{'params (M)':>13}{'GFLOPs':>11}{'GMACs':>10}",
    ]
    for name, row in report["components"].items():
        lines.append(
            f"{name:<14}{row['crops_per_image']:>6}{row['params'] / 1e6:>13.2f}"
            f"{row['gflops']:>11.2f}{row['gmacs']:>10.2f}"
        )
    lines.append(
        f"{'total':<14}{'':>6}{report['params_total'] / 1e6:>13.2f}"
        f"{report['gflops_total']:>11.2f}{report['gmacs_total']:>10.2f}"
    )
    ref = report.get("paper_table17")
    if ref:
        lines += textwrap.wrap(
            f"paper Table 17: {ref['params_M']:.2f} M params ({ref['params_diff_pct']:+.1f}%), "
            f"{ref['gflops']:.2f} GFLOPs (ours {ref['gflops_diff_pct']:+.0f}% in FLOPs, "
            f"{ref['gmacs_diff_pct']:+.0f}% in MACs; see docs/models.md)",
            width,
            subsequent_indent="  ",
        )
    lines += textwrap.wrap(f"counted with {report['flop_counter']}", width, subsequent_indent="  ")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from robosmplx.models.presets import available_presets

    if not args.model:
        presets = available_presets()
        if args.json:
            print(json.dumps({"presets": presets}, indent=2))
        else:
            for name, doc in presets.items():
                print(f"{name:<12} {doc}")
        return 0
    report = model_info(args.model, args.body)
    print(json.dumps(report, indent=2) if args.json else format_model_info(report))
    return 0
