"""``robosmplx bench model``: CPU inference latency of whole-body presets (batch 1).

Builds each preset with random weights (latency does not depend on their values), puts it in
eval mode and times ``model(image, affine)`` under ``torch.inference_mode`` with a fixed
thread count: warm-up runs, then the median (and min/max) of ``--runs`` timed runs.
"""

from __future__ import annotations

import argparse

DEFAULT_PRESETS = ("paper", "small")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--presets", nargs="+", default=list(DEFAULT_PRESETS), help="whole-body presets to time"
    )
    parser.add_argument("--body", default="smplx", help="body model sizing the heads")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per preset")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> dict:
    import platform
    import statistics
    import time

    import torch

    from robosmplx.errors import ConfigError
    from robosmplx.models.flops import example_input
    from robosmplx.models.presets import build_model, get_preset

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {}
    for name in args.presets:
        preset = get_preset(name)
        if preset.kind != "wholebody":
            raise ConfigError(f"bench model times whole-body presets; {name!r} is a {preset.kind}")
        model = build_model(name, body=args.body).eval()
        source = torch.randn_like(example_input(model))  # (1, 3, R, R)
        times = []
        with torch.inference_mode():
            for i in range(args.warmup + args.runs):
                t0 = time.perf_counter()
                model.forward_source(source)
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
        results[name] = {
            "median_s": statistics.median(times),
            "min_s": min(times),
            "max_s": max(times),
            "runs": len(times),
            "input": [list(source.shape)],
            "body_input": model.config.body.input_size,
            "part_inputs": {
                "hand": model.config.hand.input_size,
                "face": model.config.face.input_size,
            },
        }
    return {
        "benchmark": "model",
        "device": "cpu",
        "threads": args.threads,
        "batch": 1,
        "body_model": args.body,
        "torch": torch.__version__,
        "machine": platform.machine(),
        "presets": results,
    }
