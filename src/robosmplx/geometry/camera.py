"""Cameras: perspective projection, weak perspective, and crop <-> full-image conversion.

Convention: OpenCV camera (x right, y down, z forward), pixels with (0, 0) at the centre of the
top-left pixel. The body models' canonical frame is Y up, facing +Z; a person seen from the
front therefore needs a 180-degree rotation about X (see :data:`CANONICAL_TO_CAMERA`).

The networks predict a weak-perspective camera ``(s, tx, ty)`` on a crop of side ``crop_size``
(the field's HMR camera: x_ndc = s * (x + tx), with x_ndc in [-1, 1] over the crop). With a
virtual focal length ``focal`` (pixels of the crop), it converts to a translation
``(tx, ty, 2 focal / (crop_size s))``, and with the crop's box to a full-image camera: the same
3D translation seen by intrinsics scaled by box_size / crop_size and shifted to the box.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Rotation taking the canonical body frame (Y up, facing +Z) to the OpenCV camera frame,
# so that a person with identity global orientation faces the camera upright.
CANONICAL_TO_CAMERA = torch.tensor([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])

DEFAULT_FOCAL = 5000.0


def intrinsics(focal: Tensor, center: Tensor) -> Tensor:
    """focal (B,) or (B, 2), center (B, 2) -> K (B, 3, 3)."""
    if focal.dim() == 1:
        focal = torch.stack((focal, focal), -1)
    b = focal.shape[0]
    k = torch.zeros(b, 3, 3, dtype=focal.dtype, device=focal.device)
    k[:, 0, 0] = focal[:, 0]
    k[:, 1, 1] = focal[:, 1]
    k[:, :2, 2] = center
    k[:, 2, 2] = 1.0
    return k


def project(points: Tensor, k: Tensor, eps: float = 1e-6) -> Tensor:
    """Perspective projection. points (B, N, 3) in camera space, K (B, 3, 3) -> (B, N, 2) px."""
    z = points[..., 2:3].clamp_min(eps)
    xy = points[..., :2] / z
    return xy * k[:, None, [0, 1], [0, 1]] + k[:, None, :2, 2]


def unproject(uv: Tensor, depth: Tensor, k: Tensor) -> Tensor:
    """(B, N, 2) pixels and (B, N) depth -> (B, N, 3) camera-space points."""
    xy = (uv - k[:, None, :2, 2]) / k[:, None, [0, 1], [0, 1]]
    return torch.cat((xy * depth[..., None], depth[..., None]), -1)


def pixels_to_ndc(uv: Tensor, crop_size: float) -> Tensor:
    """(..., 2) crop pixels -> normalised crop coordinates in [-1, 1] (crop edges at +-1);
    the frame of the weak-perspective camera and of the heatmap joints."""
    return (2.0 * uv + 1.0) / crop_size - 1.0


def ndc_to_pixels(xy: Tensor, crop_size: float) -> Tensor:
    """Inverse of :func:`pixels_to_ndc`."""
    return ((xy + 1.0) * crop_size - 1.0) / 2.0


def weak_perspective_project(points: Tensor, cam: Tensor) -> Tensor:
    """(B, N, 3) points, cam (B, 3) = (s, tx, ty) -> (B, N, 2) normalised coords in [-1, 1]."""
    return cam[:, None, :1] * (points[..., :2] + cam[:, None, 1:3])


def weak_to_translation(cam: Tensor, focal: float, crop_size: float) -> Tensor:
    """Weak-perspective (s, tx, ty) -> camera translation (B, 3) for the crop camera with
    focal ``focal`` px and principal point at the crop centre. Points are in camera axes."""
    s = cam[:, 0].clamp_min(1e-4)
    tz = 2.0 * focal / (crop_size * s)
    return torch.stack((cam[:, 1], cam[:, 2], tz), -1)


def translation_to_weak(transl: Tensor, focal: float, crop_size: float) -> Tensor:
    """Inverse of :func:`weak_to_translation`."""
    s = 2.0 * focal / (crop_size * transl[:, 2].clamp_min(1e-6))
    return torch.stack((s, transl[:, 0], transl[:, 1]), -1)


def crop_intrinsics(focal: float, crop_size: float, batch: int, device=None, dtype=None) -> Tensor:
    """(B, 3, 3) intrinsics of the virtual crop camera."""
    f = torch.full((batch,), float(focal), device=device, dtype=dtype or torch.float32)
    c = torch.full((batch, 2), (crop_size - 1) / 2.0, device=device, dtype=f.dtype)
    return intrinsics(f, c)


def crop_to_full_intrinsics(k_crop: Tensor, box_xywh: Tensor, crop_size: float) -> Tensor:
    """Intrinsics seeing in the full image what ``k_crop`` sees in the crop of square box
    ``box_xywh`` (B, 4) (x, y, w, h, pixels; w == h after aspect fix) resized to ``crop_size``.
    The 3D translation stays the same, so a mesh placed for the crop reprojects onto the image.
    """
    scale = box_xywh[:, 2] / crop_size  # full px per crop px
    k = k_crop.clone()
    k[:, 0, 0] = k_crop[:, 0, 0] * scale
    k[:, 1, 1] = k_crop[:, 1, 1] * scale
    # pixel centres: crop px c maps to full px x0 + (c + 0.5) * scale - 0.5
    k[:, 0, 2] = box_xywh[:, 0] + (k_crop[:, 0, 2] + 0.5) * scale - 0.5
    k[:, 1, 2] = box_xywh[:, 1] + (k_crop[:, 1, 2] + 0.5) * scale - 0.5
    return k
