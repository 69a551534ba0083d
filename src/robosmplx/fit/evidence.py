"""People's landmark evidence as batched tensors, with the sizes residuals are divided by.

Missing evidence (no world landmarks, no hand, no face, no mask) becomes zero confidence, so
every term is computed for every person and simply weighs nothing where there is nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.landmarks.types import BODY33, HAND21, PersonEvidence

FACE_POINTS = 468
HANDS = ("left", "right")  # the person's sides, as in PersonEvidence.hands
WRISTS = tuple(BODY33.index(f"{side}_wrist") for side in HANDS)
MASK_MARGIN = 1.2  # the silhouette crop: the person box enlarged by this, made square


@dataclass
class EvidenceBatch:
    """body2d (B, 33, 3) x, y px, confidence; body3d (B, 33, 3) metres (root-relative, camera
    axes) with has3d (B,); hands (B, 2, 21, 3) left then right; face (B, 468, 3); scale (B,)
    the person box's longer side, hand_scale (B, 2) and face_scale (B,) the extents of those
    landmarks (px, at least 1); mask (B, S, S) the silhouette crop (when asked), K_mask (B, 3, 3)
    the camera of that crop, has_mask (B,)."""

    body2d: Tensor
    body3d: Tensor
    has3d: Tensor
    hands: Tensor
    face: Tensor
    scale: Tensor
    hand_scale: Tensor
    face_scale: Tensor
    mask: Tensor | None = None
    K_mask: Tensor | None = None
    has_mask: Tensor | None = None


def _array(value, shape: tuple[int, int], what: str, i: int) -> np.ndarray | None:
    if value is None:
        return None
    a = np.asarray(value, dtype=np.float64)
    if a.shape != shape:
        raise ShapeError(f"evidence[{i}].{what}: got shape {a.shape}, expected {shape}")
    return np.where(np.isfinite(a), a, 0.0)


def _extent(points: np.ndarray, conf_min: float) -> float:
    ok = points[:, 2] >= conf_min
    if ok.sum() < 2:
        return 1.0
    span = points[ok, :2].max(0) - points[ok, :2].min(0)
    return float(max(np.hypot(*span), 1.0))


def pack_evidence(
    evidence: list[PersonEvidence],
    min_confidence: float,
    device=None,
    min_body_confidence: float | None = None,
) -> EvidenceBatch:
    """Stack the people's evidence; confidences below ``min_confidence`` become 0 (body
    landmarks: below ``min_body_confidence`` where given)."""
    b = len(evidence)
    body2d = np.zeros((b, len(BODY33), 3))
    body3d = np.zeros((b, len(BODY33), 3))
    has3d = np.zeros(b)
    hands = np.zeros((b, 2, len(HAND21), 3))
    face = np.zeros((b, FACE_POINTS, 3))
    scale = np.ones(b)
    hand_scale = np.ones((b, 2))
    face_scale = np.ones(b)
    for i, ev in enumerate(evidence):
        body2d[i] = _array(ev.body2d, (len(BODY33), 3), "body2d", i)
        w3 = _array(ev.body3d, (len(BODY33), 3), "body3d", i)
        if w3 is not None:
            body3d[i], has3d[i] = w3, 1.0
        for k, side in enumerate(HANDS):
            h = _array((ev.hands or {}).get(side), (len(HAND21), 3), f"hands[{side!r}]", i)
            if h is not None:
                hands[i, k] = h
                hand_scale[i, k] = _extent(h, min_confidence)
                if h[0, 2] >= min_confidence:  # the hand model's wrist, seen up close
                    body2d[i, WRISTS[k], :2] = h[0, :2]
        f = _array(ev.face2d, (FACE_POINTS, 3), "face2d", i)
        if f is not None:
            face[i] = f
            face_scale[i] = _extent(f, min_confidence)
        box = np.asarray(ev.box, np.float64).reshape(-1)
        scale[i] = max(float(box[2]), float(box[3]), 1.0) if box.size == 4 else 1.0
    body_min = min_confidence if min_body_confidence is None else min_body_confidence
    for arr, lo in ((body2d, body_min), (hands, min_confidence), (face, min_confidence)):
        arr[..., 2] = np.where(arr[..., 2] >= lo, np.clip(arr[..., 2], 0, 1), 0.0)

    def t(a: np.ndarray) -> Tensor:
        return torch.as_tensor(a, dtype=torch.float32, device=device)

    return EvidenceBatch(
        t(body2d), t(body3d), t(has3d), t(hands), t(face), t(scale), t(hand_scale), t(face_scale)
    )


def add_masks(
    batch: EvidenceBatch, evidence: list[PersonEvidence], K: Tensor, size: int
) -> EvidenceBatch:
    """Crop each person's mask to a ``size`` x ``size`` square around the person box (area
    resampling) and make the matching camera. People without a mask get ``has_mask`` 0."""
    b = len(evidence)
    masks = torch.zeros(b, size, size)
    ks = K.detach().float().cpu().expand(b, 3, 3).clone()
    has = torch.zeros(b)
    for i, ev in enumerate(evidence):
        box = np.asarray(ev.box, np.float64).reshape(-1)
        side = max(float(box[2]), float(box[3]), 1.0) * MASK_MARGIN
        x0 = int(np.floor(box[0] + box[2] / 2 - side / 2))
        y0 = int(np.floor(box[1] + box[3] / 2 - side / 2))
        n = int(np.ceil(side))
        r = size / n  # crop px per image px
        k = ks[i].clone()
        k[0, 0], k[1, 1] = k[0, 0] * r, k[1, 1] * r
        k[0, 2] = (k[0, 2] - x0 + 0.5) * r - 0.5
        k[1, 2] = (k[1, 2] - y0 + 0.5) * r - 0.5
        ks[i] = k
        if ev.mask is None:
            continue
        m = np.asarray(ev.mask, np.float32)
        if m.ndim != 2:
            raise ShapeError(f"evidence[{i}].mask: got shape {m.shape}, expected (H, W)")
        crop = np.zeros((n, n), np.float32)
        ys, xs = max(y0, 0), max(x0, 0)
        ye, xe = min(y0 + n, m.shape[0]), min(x0 + n, m.shape[1])
        if ye > ys and xe > xs:
            crop[ys - y0 : ye - y0, xs - x0 : xe - x0] = m[ys:ye, xs:xe]
        t = torch.from_numpy(np.nan_to_num(crop).clip(0, 1))[None, None]
        masks[i] = F.interpolate(t, size=(size, size), mode="area")[0, 0]
        has[i] = 1.0
    dev = batch.body2d.device
    batch.mask, batch.K_mask, batch.has_mask = masks.to(dev), ks.to(dev), has.to(dev)
    return batch
