"""Boxes: from keypoints, aspect fixing, scaling, conversions, IoU. All batched, pure.

Boxes are ``xywh`` (top-left corner, width, height) in pixels or ``cs`` (centre (B, 2), size
(B, 2)). The networks work on square, aspect-fixed boxes.
"""

from __future__ import annotations

import torch
from torch import Tensor


def xywh_to_cs(box: Tensor) -> tuple[Tensor, Tensor]:
    """(..., 4) -> centre (..., 2), size (..., 2)."""
    return box[..., :2] + box[..., 2:4] / 2.0, box[..., 2:4]


def cs_to_xywh(center: Tensor, size: Tensor) -> Tensor:
    return torch.cat((center - size / 2.0, size), -1)


def xyxy_to_xywh(box: Tensor) -> Tensor:
    return torch.cat((box[..., :2], box[..., 2:4] - box[..., :2]), -1)


def xywh_to_xyxy(box: Tensor) -> Tensor:
    return torch.cat((box[..., :2], box[..., :2] + box[..., 2:4]), -1)


def fix_aspect(box: Tensor, aspect: float = 1.0, scale: float = 1.0) -> Tensor:
    """Grow the short side so width / height == aspect, then scale about the centre."""
    c, s = xywh_to_cs(box)
    w, h = s[..., 0], s[..., 1]
    w2 = torch.maximum(w, h * aspect)
    h2 = torch.maximum(h, w / aspect)
    return cs_to_xywh(c, torch.stack((w2, h2), -1) * scale)


def box_from_keypoints(
    kp: Tensor,
    valid: Tensor | None = None,
    scale: float = 1.0,
    aspect: float | None = 1.0,
    min_size: float = 1e-3,
) -> Tensor:
    """(B, N, 2) keypoints (and (B, N) validity) -> (B, 4) xywh box.

    Centre = mean of the valid keypoints (the paper's appendix B), size = their x-y extent
    enlarged by ``scale`` about that centre (hands x2.0, face x1.5, as Hand4Whole does), then
    made square when ``aspect`` is given. Differentiable in ``kp``.
    """
    if valid is None:
        valid = torch.ones(kp.shape[:2], dtype=torch.bool, device=kp.device)
    v = valid.to(kp.dtype)[..., None]  # (B, N, 1)
    n = v.sum(1).clamp_min(1.0)
    center = (kp * v).sum(1) / n  # (B, 2)
    big = torch.finfo(kp.dtype).max / 4
    lo = torch.where(v > 0, kp, torch.full_like(kp, big)).amin(1)
    hi = torch.where(v > 0, kp, torch.full_like(kp, -big)).amax(1)
    half = torch.maximum(hi - center, center - lo)  # (B, 2), extent around the mean centre
    size = (2.0 * half * scale).clamp_min(min_size)
    none = valid.sum(1) == 0
    size = torch.where(none[:, None], torch.full_like(size, min_size), size)
    box = cs_to_xywh(center, size)
    return fix_aspect(box, aspect) if aspect is not None else box


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise IoU of (..., 4) xywh boxes."""
    a1, b1 = xywh_to_xyxy(a), xywh_to_xyxy(b)
    lo = torch.maximum(a1[..., :2], b1[..., :2])
    hi = torch.minimum(a1[..., 2:], b1[..., 2:])
    inter = (hi - lo).clamp_min(0).prod(-1)
    union = a[..., 2:4].prod(-1) + b[..., 2:4].prod(-1) - inter
    return inter / union.clamp_min(1e-12)


def keypoints_in_box(kp: Tensor, box: Tensor) -> Tensor:
    """(B, N, 2) keypoints, (B, 4) xywh -> (B, N) bool inside."""
    x0, y0 = box[:, None, 0], box[:, None, 1]
    return (
        (kp[..., 0] >= x0)
        & (kp[..., 1] >= y0)
        & (kp[..., 0] <= x0 + box[:, None, 2])
        & (kp[..., 1] <= y0 + box[:, None, 3])
    )
