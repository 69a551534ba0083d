"""Affine crops: box -> square crop with scale, in-plane rotation and mirror; their inverses.

Pixels have (0, 0) at the centre of the top-left pixel (docs/contracts.md), as ``cv2.warpAffine``
assumes. A crop affine ``A`` (2, 3) maps original-image pixels to crop pixels. Rotation angles
are degrees, positive = the content turns counter-clockwise on screen.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def square_box(box_xywh: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, float]:
    """(4,) xywh -> centre (2,) and side of the aspect-fixed (square) box enlarged by ``scale``."""
    b = np.asarray(box_xywh, np.float64)[:4]
    center = b[:2] + b[2:4] / 2.0
    return center, float(max(b[2], b[3]) * scale)


def rotation_2d(angle_deg: float) -> np.ndarray:
    """(2, 2) pixel rotation turning content counter-clockwise on screen (y points down)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, s], [-s, c]])


def rotation_z(angle_deg: float) -> np.ndarray:
    """(3, 3) camera-frame rotation about the optical axis matching :func:`rotation_2d`."""
    r = np.eye(3)
    r[:2, :2] = rotation_2d(angle_deg)
    return r


def to3x3(a: np.ndarray) -> np.ndarray:
    return np.vstack((a, [0.0, 0.0, 1.0]))


def scale_shift_affine(center: np.ndarray, side: float, out_size: int) -> np.ndarray:
    """(2, 3) axis-aligned crop: the square (centre, side) box onto an ``out_size`` crop."""
    k = out_size / side
    x0 = center - side / 2.0
    # continuous coordinate = pixel + 0.5 on both sides
    t = (0.5 - x0) * k - 0.5
    return np.array([[k, 0.0, t[0]], [0.0, k, t[1]]])


def rotate_about(angle_deg: float, pivot: np.ndarray) -> np.ndarray:
    """(2, 3) rotation of pixel coordinates about ``pivot`` (2,)."""
    r = rotation_2d(angle_deg)
    return np.hstack((r, (pivot - r @ pivot)[:, None]))


def mirror_x(width: int) -> np.ndarray:
    """(2, 3) horizontal mirror of an image ``width`` pixels wide."""
    return np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0]])


def compose(*affines: np.ndarray) -> np.ndarray:
    """compose(A, B, C) applies C first, then B, then A."""
    m = np.eye(3)
    for a in affines:
        m = m @ to3x3(a)
    return m[:2]


def crop_affine(
    center: np.ndarray, side: float, out_size: int, rotation: float = 0.0, flip: bool = False
) -> np.ndarray:
    """(2, 3): scale/shift the box onto the crop, rotate about the crop centre, then mirror."""
    a = scale_shift_affine(np.asarray(center, np.float64), side, out_size)
    c = np.full(2, (out_size - 1) / 2.0)
    if rotation:
        a = compose(rotate_about(rotation, c), a)
    if flip:
        a = compose(mirror_x(out_size), a)
    return a


def invert_affine(a: np.ndarray) -> np.ndarray:
    """(2, 3) inverse of an invertible (2, 3) affine."""
    return np.linalg.inv(to3x3(np.asarray(a, np.float64)))[:2]


def apply_affine(points: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(..., 2) points through a (2, 3) affine, in float64."""
    p = np.asarray(points, np.float64)
    return p @ a[:, :2].T + a[:, 2]


def transform_box(box_xywh: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(4,) xywh -> the axis-aligned (4,) xywh box around its four transformed corners."""
    x, y, w, h = (float(v) for v in box_xywh[:4])
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]]) - 0.5
    # box edges sit half a pixel outside the pixel centres
    p = apply_affine(corners, a) + 0.5
    lo, hi = p.min(0), p.max(0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])


def warp_image(image: np.ndarray, a: np.ndarray, out_size: int | tuple[int, int]) -> np.ndarray:
    """Bilinear crop of an (H, W, C) image; outside the image is black."""
    size = (out_size, out_size) if isinstance(out_size, int) else out_size
    return cv2.warpAffine(
        image, a, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def warp_labels(labels: np.ndarray, a: np.ndarray, out_size: int | tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour crop of an (H, W) label map; outside the image is 0 (background)."""
    size = (out_size, out_size) if isinstance(out_size, int) else out_size
    return cv2.warpAffine(
        labels, a, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
