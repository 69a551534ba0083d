"""Landmark evidence as plain JSON (lists, rounded), for files and for the command line."""

from __future__ import annotations

import numpy as np

from robosmplx.landmarks.types import PersonEvidence


def _r(a: np.ndarray | None, nd: int = 2):
    return None if a is None else np.round(np.asarray(a, np.float64), nd).tolist()


def evidence_to_json(p: PersonEvidence) -> dict:
    """Everything but the mask (which is an image), in the record's own units."""
    return {
        "box_xywh": _r(p.box),
        "score": round(float(p.score), 4),
        "body2d": _r(p.body2d, 3),
        "body3d": _r(p.body3d, 4),
        "hands": {k: _r(v, 3) for k, v in p.hands.items()},
        "face2d": _r(p.face2d, 2),
        "part_boxes": {k: _r(v) for k, v in p.part_boxes.items()},
    }


def rescale(p: PersonEvidence, scale: float) -> PersonEvidence:
    """The same evidence for the image before it was resized by ``scale`` (new = old * scale):
    pixel-centre coordinates map as (x + 0.5) / scale - 0.5; masks are left as they are."""
    if scale == 1.0:
        return p

    def px(a):
        if a is None:
            return None
        a = np.array(a, np.float64)
        a[..., :2] = (a[..., :2] + 0.5) / scale - 0.5
        return a

    def box(b):
        b = np.array(b, np.float64)
        return np.array(
            [(b[0] + 0.5) / scale - 0.5, (b[1] + 0.5) / scale - 0.5, b[2] / scale, b[3] / scale]
        )

    return PersonEvidence(
        box(p.box),
        p.score,
        px(p.body2d),
        p.body3d,
        {k: px(v) for k, v in p.hands.items()},
        px(p.face2d),
        p.mask,
        {k: box(v) for k, v in p.part_boxes.items()},
    )
