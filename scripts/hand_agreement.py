#!/usr/bin/env python
"""How closely the fitted meshes' hands follow the hand landmark model, on any photos.

    python scripts/hand_agreement.py IMAGES... [--json]

Runs the default predictor (landmarks + network + fit) and, for every hand the landmark
model found, compares the mesh's 21 hand keypoints (wrist, then 4 per finger, thumb first)
projected into the photo with the hand's 21 landmarks: PCK@0.1 / 0.2 of the hand landmarks'
extent (the longer side of their box, like a hand box) and the per-point median error in
that unit. Without hand annotations this measures the fit, not the truth: how much of the
hand evidence the meshes keep.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from robosmplx.infer import Predictor
from robosmplx.infer.images import expand_inputs
from robosmplx.names import FINGERS, WHOLEBODY65


def hand_index(side: str) -> list[int]:
    s = side[0].upper()
    return [WHOLEBODY65.index(f"{s}_Wrist")] + [
        WHOLEBODY65.index(f"{s}_{f}_{k}") for f in FINGERS for k in range(1, 5)
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--json", action="store_true", help="print only the JSON object")
    a = ap.parse_args(argv)
    predictor = Predictor(refine="landmarks")
    paths, _ = expand_inputs(a.inputs)
    errors = []
    for path in paths:
        for person in predictor.predict_image(path):
            if person.evidence is None:
                continue
            k2 = np.asarray(person.keypoints2d)
            for side, hand in person.evidence.hands.items():
                target = np.asarray(hand[:, :2])
                extent = max(float(np.ptp(target[:, 0])), float(np.ptp(target[:, 1])), 1.0)
                errors.append(np.linalg.norm(k2[hand_index(side)] - target, axis=1) / extent)
    e = np.array(errors).reshape(-1, 21)
    out = {
        "images": len(paths),
        "hands": len(e),
        "pck@0.1": round(float((e <= 0.1).mean()), 3) if len(e) else None,
        "pck@0.2": round(float((e <= 0.2).mean()), 3) if len(e) else None,
        "median_per_point": np.round(np.median(e, 0), 3).tolist() if len(e) else None,
    }
    print(json.dumps(out) if a.json else json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
