"""``robosmplx bench NAME``: dispatch to ``robosmplx.bench.NAME`` (``add_arguments``/``run``)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util

BENCHES = {
    "render": "soft part masks and overlays",
    "synth": "synthetic samples per second per task",
    "data": "augmented training samples per second",
    "model": "network inference latency (CPU, batch 1)",
    "train": "training images per second",
    "predict": "end-to-end seconds per image",
    "fit": "test-time fitting seconds per photo by people count",
    "landmarks": "landmark evidence seconds per image and per model",
    "startup": "seconds to start: robosmplx --help and every subcommand's --help",
    "track": "identity switches on synthetic clips of two people crossing",
    "depth": "people's depth error with one camera per photo (synthetic groups)",
    "refine": "seconds per photo with landmarks + network + fit, by stage and people",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="bench", metavar="NAME", required=True)
    for name, helptext in BENCHES.items():
        mod = f"robosmplx.bench.{name}"
        if importlib.util.find_spec(mod) is None:
            continue
        bp = sub.add_parser(name, help=helptext, description=helptext, conflict_handler="resolve")
        bp.add_argument("--json", action="store_true", help="print only the JSON object")
        bp.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
        importlib.import_module(mod).add_arguments(bp)


def run(args) -> int:
    import json

    bench = importlib.import_module(f"robosmplx.bench.{args.bench}")
    if getattr(bench, "USES_TORCH", True):
        import torch

        torch.set_num_threads(args.threads)
        result = bench.run(args)
        result.setdefault("torch_threads", torch.get_num_threads())
    else:
        result = bench.run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")
    return 0
