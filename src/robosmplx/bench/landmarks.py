"""``robosmplx bench landmarks``: seconds per image of the landmark evidence, and per model.

Default image: matplotlib's sample photo ``grace_hopper.jpg`` (512 x 600, one person), or
``--image``. Reported: the whole pipeline per image (median of ``--runs`` after ``--warmup``),
with and without the tiled detector pass, the milliseconds per call of each model (median over
the calls of the timed runs), how many people were found, and the load average (other work on
the CPU slows every run).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=None, help="photo to time (default grace_hopper.jpg)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")


def run(args: argparse.Namespace) -> dict:
    import os
    import statistics
    import time

    import numpy as np

    from robosmplx.infer.images import load_image
    from robosmplx.landmarks import LandmarkDetector
    from robosmplx.landmarks.runners import _Model

    if args.image is None:
        from matplotlib import cbook

        args.image = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = load_image(args.image).pixels
    calls: dict[str, list[float]] = {}
    call = _Model.__call__

    def timed(self, tensor):
        t0 = time.perf_counter()
        out = call(self, tensor)
        calls.setdefault(self.name, []).append(time.perf_counter() - t0)
        return out

    result: dict = {"image": str(args.image), "size": [image.shape[1], image.shape[0]]}
    _Model.__call__ = timed
    try:
        for label, tiles in (("seconds_per_image", (0.6, 0.35)), ("seconds_untiled", ())):
            det = LandmarkDetector(tiles=tiles)
            for _ in range(args.warmup):
                det(image)
            calls.clear()
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                people = det(image)
                times.append(time.perf_counter() - t0)
            result[label] = round(statistics.median(times), 4)
            if tiles:
                result["people"] = len(people)
                result["calls_per_image"] = {k: len(v) // args.runs for k, v in calls.items()}
                result["ms_per_call"] = {
                    k: round(1000 * float(np.median(v)), 2) for k, v in calls.items()
                }
                if det.person_detector is not None:  # a TF.js graph, not a LiteRT model
                    result["calls_per_image"]["person_detector"] = 1
                    result["ms_per_call"]["person_detector"] = round(
                        1000 * det.timings.get("person_detector", 0.0) / (args.warmup + args.runs),
                        2,
                    )
    finally:
        _Model.__call__ = call
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    return result
