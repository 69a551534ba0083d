"""``robosmplx bench refine``: seconds per photo of ``predict --refine landmarks`` (landmark
evidence + network + test-time fit), split by stage, and how it grows with people.

The photo is ``--image`` (default: matplotlib's sample portrait ``grace_hopper.jpg``, one
person, a real photo the project may use), scaled to ``--size`` px on its long side; the
growth is measured on the photo placed 1, 2, ... ``--people`` times side by side. Each count
is run once untimed, then ``--repeats`` times; the figures are medians of the predictor's own
stage timings (``evidence``: the landmark models; ``network``: crops, network, body model,
decoding; ``fit``: the test-time fit), of the wall time of ``Predictor.predict`` and of its
process CPU time (all threads: on a shared machine, wall time also counts others' work).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=None, help="a photo of one person (default: sample)")
    parser.add_argument("--size", type=int, default=512, help="long side of the photo, pixels")
    parser.add_argument("--people", type=int, default=3, help="largest number of people")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per count")
    parser.add_argument("--checkpoint", default=None, help="model (default: the bundled one)")


def sample_photo():
    """Path of matplotlib's bundled sample portrait."""
    from pathlib import Path

    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"


def _photo(path, size: int):
    import cv2
    import numpy as np

    from robosmplx.infer.images import load_image

    pixels = load_image(path).pixels
    h, w = pixels.shape[:2]
    r = size / max(h, w)
    return np.ascontiguousarray(
        cv2.resize(pixels, (round(w * r), round(h * r)), interpolation=cv2.INTER_AREA)
    )


def run(args: argparse.Namespace) -> dict:
    import statistics
    import time

    import numpy as np

    from robosmplx.errors import ConfigError
    from robosmplx.infer.predictor import Predictor

    predictor = Predictor(args.checkpoint, rounds=1, refine="landmarks")
    photo = _photo(args.image or sample_photo(), args.size)
    stages = ("evidence", "network", "fit")
    network_parts = ("crops", "network", "body_model", "decode")
    per_count = {}
    for n in range(1, args.people + 1):
        image = np.concatenate([photo] * n, axis=1)
        predictor.predict(image)  # warm-up: model loading, allocations
        runs = []
        for _ in range(args.repeats):
            predictor.timings.clear()
            t0, c0 = time.perf_counter(), time.process_time()
            pred = predictor.predict(image)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            t = predictor.timings
            runs.append({
                "s": wall, "cpu": cpu, "people": len(pred.people),
                "fitted": sum(bool(p.fit and p.fit["ok"]) for p in pred.people),
                "evidence": t["evidence"], "network": sum(t[k] for k in network_parts),
                "fit": t["fit"],
            })  # fmt: skip
        if n == 1 and runs[0]["people"] == 0:
            raise ConfigError("bench refine: the landmark models find nobody in the photo")
        per_count[str(n)] = {
            "image_size": [image.shape[1], image.shape[0]],
            "people_found": runs[0]["people"],
            "people_fitted": runs[0]["fitted"],
            "s_per_photo": round(statistics.median(r["s"] for r in runs), 3),
            "cpu_s_per_photo": round(statistics.median(r["cpu"] for r in runs), 3),
            **{f"{k}_s": round(statistics.median(r[k] for r in runs), 3) for k in stages},
        }
    one = per_count["1"]
    return {
        "photo": str(args.image or sample_photo().name),
        "size": args.size,
        "repeats": args.repeats,
        "checkpoint": str(predictor.info.weights),
        "one_person_s": one["s_per_photo"],
        "one_person_split_s": {k: one[f"{k}_s"] for k in stages},
        "target_s": 1.5,
        "by_people": per_count,
    }
