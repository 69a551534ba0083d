"""``robosmplx bench synth``: synthetic samples per second for each task.

One process pool (``--workers``, default 2, one torch thread each) renders ``--count`` samples
per task into a temporary folder: whole-body scenes at 512 px and body, hand and face crops at
256 px, with the files written as ``robosmplx synth`` writes them. The workers are started and
warmed up (one chunk each) before the clock starts, so the rates are steady-state throughput;
start-up (importing torch, building the body model) is reported apart. The machine's load
average is reported beside the rates, since other work on the CPU slows every run.
"""

from __future__ import annotations

import argparse

TASKS = ("body", "hand", "face", "wholebody")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body", default="anny", help="body model (default anny, full mesh)")
    parser.add_argument("--count", type=int, default=32, help="timed samples per task")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated tasks")


def run(args: argparse.Namespace) -> dict:
    import os
    import tempfile
    import time

    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import SynthRunner

    tasks = [t for t in args.tasks.split(",") if t]
    out: dict = {"body_model": args.body, "workers": args.workers, "count": args.count}
    with tempfile.TemporaryDirectory(prefix="robosmplx_bench_synth_") as tmp:
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        first = SynthConfig(task=tasks[0], body_model=args.body)
        with SynthRunner(first, tmp, workers=args.workers) as runner:
            for task in tasks:
                cfg = SynthConfig(task=task, body_model=args.body)
                folder = os.path.join(tmp, task)
                from robosmplx.synth.writer import prepare_output

                prepare_output(folder, cfg)
                runner.use(cfg, folder)
                warm = 2 * args.workers
                runner.run(list(range(warm)))
                if task == tasks[0]:
                    out["startup_s"] = round(time.perf_counter() - start, 2)
                t0 = time.perf_counter()
                runner.run(list(range(warm, warm + args.count)))
                dt = time.perf_counter() - t0
                out[f"{task}_per_s"] = round(args.count / dt, 2)
                out[f"{task}_size"] = cfg.size
        out["load_average_before"] = round(load_before, 2)
        out["load_average_after"] = round(os.getloadavg()[0], 2)
    return out
