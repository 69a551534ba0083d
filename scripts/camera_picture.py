#!/usr/bin/env python
"""Draw docs/images/inference_camera.png: one camera per photo on a synthetic group photo.

    python scripts/camera_picture.py [OUT.png]

Left: the photo (three people of the synthetic engine at known depths, the inference prior's
field of view) with the bundled model's meshes drawn through the photo's one K. Right: the same
people seen from above (farther is higher), predicted meshes in colour, the true ones in grey.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from robosmplx.infer.predictor import Predictor
from robosmplx.infer.writer import person_color
from robosmplx.render import render_overlay, render_side_view
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import build_tables
from robosmplx.synth.group import group_photo


def from_above(meshes):
    """The meshes turned 90 degrees about the camera's x axis through their centre: seen from
    above, farther people higher in the picture."""
    allv = np.concatenate([v for v, _ in meshes])
    c = (allv.min(0) + allv.max(0)) / 2.0
    turn = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    return [((v - c) @ turn.T + c, f) for v, f in meshes]


def main(out: Path) -> None:
    tables = build_tables(SynthConfig(task="wholebody", body_model="anny"))
    photo = group_photo(tables, seed=5, count=3, size=512)
    pred = Predictor(None, rounds=1, refine="none", focal=float(photo.K[0, 0]))
    people = pred.predict(photo.image, np.stack([p.box for p in photo.people])).people
    faces = pred.faces
    colors = [person_color(i) for i in range(len(people))]
    overlay = render_overlay(photo.image, [(p.vertices, faces) for p in people], photo.K, colors)
    truth = []
    for p in photo.people:
        params = {k: torch.as_tensor(v, dtype=torch.float32)[None] for k, v in p.params.items()}
        go = params.pop("global_orient")
        with torch.no_grad():
            v = tables.model(global_orient_rotmat=go, **params).vertices[0].numpy() + p.transl
        truth.append((v, faces))
    meshes = [(np.asarray(p.vertices), faces) for p in people] + truth
    grey = [(0.8, 0.8, 0.8)] * len(truth)
    side = render_side_view((512, 512), from_above(meshes), photo.K, colors + grey, 0.0)
    for p, t in zip(people, photo.people):
        print(f"depth predicted {p.keypoints3d[pred.root][2]:.2f} m, true {t.root[2]:.2f} m")
    canvas = np.concatenate((overlay, np.full((512, 8, 3), 255, np.uint8), side), 1)
    cv2.putText(canvas, "one K per photo", (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2)
    cv2.putText(canvas, "from above (far is up): predicted (colour), true (grey)", (530, 24),
                cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(out, out.stat().st_size)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/images/inference_camera.png"))
