"""``robosmplx bench depth``: how far from the truth people stand with one camera per photo.

Synthetic group photos (:func:`robosmplx.synth.group.group_photo`: ``--people`` people at 2.5
to 7 m, a camera with the inference prior's field of view) go through the predictor with the
true person boxes; every person's body root depth is compared with the truth. Reported: the
median and 90th percentile absolute depth error (metres), the median relative error, and
whether all people of a photo got the same ``K``. ``--focal-error`` scales the focal length
the predictor is told (1.0: the prior is right; 1.2: a lens 20 % longer than assumed).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--photos", type=int, default=8, help="group photos")
    parser.add_argument("--people", type=int, default=3, help="people per photo")
    parser.add_argument("--size", type=int, default=512, help="image side in pixels")
    parser.add_argument("--checkpoint", default=None, help="model (default: the bundled one)")
    parser.add_argument(
        "--focal-error", type=float, default=1.0, help="true focal / focal the predictor assumes"
    )
    parser.add_argument("--seed", type=int, default=0)


def measure(predictor, photos: int, people: int, size: int, seed: int = 0, focal_error=1.0):
    """Depth errors (metres) of every person, and whether each photo had one shared K."""
    import numpy as np

    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import build_tables
    from robosmplx.synth.group import group_photo

    tables = build_tables(SynthConfig(task="wholebody", body_model="anny"))
    errors, rel, shared = [], [], []
    root = predictor.body.keypoint_layout.roots["body"]
    for i in range(photos):
        photo = group_photo(tables, seed + i, people, size)
        predictor.focal = float(photo.K[0, 0]) / focal_error
        pred = predictor.predict(photo.image, np.stack([p.box for p in photo.people]))
        ks = [p.K for p in pred.people]
        shared.append(all(np.allclose(k, ks[0]) for k in ks))
        for truth, p in zip(photo.people, pred.people):
            z, z_true = float(p.keypoints3d[root][2]), float(truth.root[2])
            errors.append(abs(z - z_true))
            rel.append(abs(z - z_true) / z_true)
    return np.array(errors), np.array(rel), shared


def run(args) -> dict:
    import numpy as np

    from robosmplx.infer.predictor import Predictor

    predictor = Predictor(args.checkpoint, rounds=1)
    err, rel, shared = measure(
        predictor, args.photos, args.people, args.size, args.seed, args.focal_error
    )
    return {
        "photos": args.photos,
        "people_per_photo": args.people,
        "people_scored": int(len(err)),
        "image_size": args.size,
        "focal_error": args.focal_error,
        "checkpoint": str(predictor.info.weights),
        "median_depth_error_m": round(float(np.median(err)), 3),
        "p90_depth_error_m": round(float(np.percentile(err, 90)), 3),
        "median_relative_depth_error": round(float(np.median(rel)), 3),
        "one_K_per_photo": bool(all(shared)),
    }
