#!/usr/bin/env python
"""Write the landmark evidence alone in the `robosmplx predict` output layout, to score it.

    python scripts/landmark_evidence.py IMAGES... --out PRED_DIR [--timings]
    robosmplx eval-real SET_DIR PRED_DIR

Per image, PRED_DIR/<stem>/person_<i>.json holds keypoints2d in the project's 137-point layout
(BlazePose joints on the first 25 body names, hand landmarks on the finger names, no face),
keypoint_box_xywh / bbox_xywh = the landmarks' box, box_source "landmarks", body_model "anny".
It measures what the evidence is worth before any network or fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from robosmplx.infer.images import expand_inputs, load_image
from robosmplx.io import atomic_write_text
from robosmplx.landmarks import LandmarkDetector
from robosmplx.landmarks.layout import WHOLEBODY65, wholebody_keypoints
from robosmplx.landmarks.serialize import rescale

N_KEYPOINTS = 137


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--timings", action="store_true", help="print per-model seconds per image")
    a = ap.parse_args(argv)
    det = LandmarkDetector(segmentation=False)
    paths, notes = expand_inputs(a.inputs)
    for n in notes:
        print(n, file=sys.stderr)
    t0 = time.perf_counter()
    for path in paths:
        img = load_image(path)
        people = [rescale(p, img.scale) for p in det(img.pixels)]
        folder = a.out / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("person_*.json"):
            old.unlink()
        for i, p in enumerate(people):
            k = np.zeros((N_KEYPOINTS, 3))
            k[: len(WHOLEBODY65)] = wholebody_keypoints(p, WHOLEBODY65)
            k2 = np.where(k[:, 2:3] > 0, k[:, :2], np.nan)
            box = np.round(p.box, 2).tolist()
            doc = {
                "keypoints2d": [
                    [None if np.isnan(v) else round(float(v), 2) for v in row] for row in k2
                ],  # fmt: skip
                "keypoint_confidence": np.round(k[:, 2], 3).tolist(),
                "keypoint_box_xywh": box,
                "bbox_xywh": box,
                "box_source": "landmarks",
                "body_model": "anny",
                "score": round(float(p.score), 4),
            }
            atomic_write_text(folder / f"person_{i}.json", json.dumps(doc))
        print(f"{path.name}: {len(people)} people", file=sys.stderr)
    total = time.perf_counter() - t0
    if a.timings:
        per = {k: round(v / max(len(paths), 1), 4) for k, v in det.timings.items()}
        print(json.dumps({"images": len(paths), "seconds_per_image": round(total / len(paths), 3),
                          "model_seconds_per_image": per}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
