"""``robosmplx bench startup``: seconds from launch to exit of ``robosmplx --help`` and of every
subcommand's ``--help``, each a fresh Python process (median of ``--runs``), beside a bare
``python -c pass`` for the interpreter's own share. Also lists the heavy libraries (torch,
Lightning, OpenCV, ...) that building the full parser imports: there should be none.
"""

from __future__ import annotations

import argparse

HEAVY = (
    "torch",
    "lightning",
    "pytorch_lightning",
    "cv2",
    "matplotlib",
    "scipy",
    "PIL",
    "trimesh",
    "onnx",
    "onnxruntime",
    "ai_edge_litert",
)
USES_TORCH = False  # the dispatcher need not import torch for this bench

_PROBE = (
    "import sys, json, robosmplx.cli as c; c.build_parser(); "
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))))"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=5, help="launches per command (default 5)")


def heavy_imports_of_parser() -> list[str]:
    """The heavy top-level packages a fresh process has imported after building every parser."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _median_launch(argv: list[str], runs: int) -> float:
    import statistics
    import subprocess
    import time

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


def run(args: argparse.Namespace) -> dict:
    import os
    import shutil
    import sys
    from pathlib import Path

    from robosmplx.cli import COMMANDS

    script = Path(sys.executable).with_name("robosmplx")
    entry = [str(script)] if script.exists() else [shutil.which("robosmplx") or ""]
    if not entry[0]:
        entry = [sys.executable, "-m", "robosmplx.cli"]
    load_before = os.getloadavg()[0]
    help_s = {"robosmplx": _median_launch([*entry, "--help"], args.runs)}
    for name in COMMANDS:
        help_s[name] = _median_launch([*entry, name, "--help"], args.runs)
    slowest = max(help_s, key=help_s.get)
    return {
        "entry": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(entry)),
        "runs": args.runs,
        "python_bare_s": _median_launch([sys.executable, "-c", "pass"], args.runs),
        "help_s": help_s,
        "max_help_s": help_s[slowest],
        "slowest": slowest,
        "target_s": 0.5,
        "heavy_imports_after_parser": heavy_imports_of_parser(),
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }
