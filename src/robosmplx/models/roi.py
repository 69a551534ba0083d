"""Differentiable region crops through an affine map: hand and face crops from a full image.

Boxes are xywh with centre ``(x + w/2, y + h/2)`` (as in ``robosmplx.geometry.boxes``); a
crop of side s samples the box with pixel p's centre at ``c + (p - (s-1)/2) * w / s``, so the
crop spans the box edge to edge. ``affine`` (B, 2, 3) maps source-image pixels to the frame
the boxes live in (e.g. the body crop); the crop is read from the source through its inverse,
with bilinear ``grid_sample`` (zeros outside: the mean colour of a normalised image).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def _invert_affine(a: Tensor) -> Tensor:
    """(B, 2, 3) invertible affine -> (B, 3, 3) its inverse, in closed form (no
    ``torch.linalg.inv``: cheaper, and exportable to ONNX)."""
    m00, m01, m02 = a[:, 0, 0], a[:, 0, 1], a[:, 0, 2]
    m10, m11, m12 = a[:, 1, 0], a[:, 1, 1], a[:, 1, 2]
    det = m00 * m11 - m01 * m10
    i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
    z, o = torch.zeros_like(det), torch.ones_like(det)
    rows = (
        torch.stack((i00, i01, -(i00 * m02 + i01 * m12)), -1),
        torch.stack((i10, i11, -(i10 * m02 + i11 * m12)), -1),
        torch.stack((z, z, o), -1),
    )
    return torch.stack(rows, 1)


def _diag_affine(sx: Tensor, sy: Tensor, tx: Tensor, ty: Tensor) -> Tensor:
    """(B,) scales and offsets -> (B, 3, 3) axis-aligned affine."""
    z, o = torch.zeros_like(sx), torch.ones_like(sx)
    return torch.stack(
        (torch.stack((sx, z, tx), -1), torch.stack((z, sy, ty), -1), torch.stack((z, z, o), -1)),
        1,
    )


def box_to_source_affine(box: Tensor, crop_size: int, affine: Tensor | None = None) -> Tensor:
    """(B, 3, 3) map from crop pixels to source pixels for xywh ``box`` (B, 4) given in the
    frame that ``affine`` (source -> box frame, (B, 2, 3)) maps to; None means the source."""
    s = float(crop_size)
    half = (s - 1.0) / 2.0
    cx, cy = box[:, 0] + box[:, 2] / 2, box[:, 1] + box[:, 3] / 2
    kx, ky = box[:, 2] / s, box[:, 3] / s
    crop_to_frame = _diag_affine(kx, ky, cx - half * kx, cy - half * ky)  # (B, 3, 3)
    if affine is None:
        return crop_to_frame
    return _invert_affine(affine) @ crop_to_frame


def roi_crop(image: Tensor, box: Tensor, crop_size: int, affine: Tensor | None = None) -> Tensor:
    """Crop square ``box`` (B, 4) xywh from ``image`` (B, C, H, W) to (B, C, s, s).

    ``affine`` (B, 2, 3) maps image pixels to the boxes' frame. Differentiable in image and box.
    """
    b, _, h, w = image.shape
    s = int(crop_size)
    crop_to_src = box_to_source_affine(box.to(image.dtype), s, affine)  # (B, 3, 3)
    ones, zeros = image.new_ones(b), image.new_zeros(b)
    # normalised output coords u in [-1, 1] -> crop pixels p = (u + 1) s / 2 - 0.5
    u_to_crop = _diag_affine(ones * s / 2, ones * s / 2, zeros + (s - 1) / 2, zeros + (s - 1) / 2)
    # source pixels -> grid_sample coords g = (f + 0.5) * 2 / W - 1
    src_to_g = _diag_affine(ones * 2 / w, ones * 2 / h, ones * (1 / w - 1), ones * (1 / h - 1))
    theta = (src_to_g @ crop_to_src @ u_to_crop)[:, :2]  # (B, 2, 3)
    grid = F.affine_grid(theta, [b, image.shape[1], s, s], align_corners=False)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
