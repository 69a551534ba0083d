"""The pixel grid and pixel values: the resize affine every crop path shares, and the ImageNet
normalisation the pretrained backbones expect.

Pixels have (0, 0) at the centre of the top-left pixel (docs/contracts.md), so resizing an image
by ``r`` keeps pixel centres with u' = (u + 0.5) r - 0.5, not u' = r u.
"""

from __future__ import annotations

import numpy as np

# Per-channel RGB mean and standard deviation of ImageNet, pixel values in [0, 1]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def resize_affine(r: float | tuple[float, float]) -> np.ndarray:
    """(2, 3) float64 affine taking pixels of an image to the same view resized by ``r``
    (a number, or (rx, ry)); pixel centres kept: u' = (u + 0.5) r - 0.5."""
    rx, ry = (r, r) if np.isscalar(r) else r
    return np.array([[rx, 0.0, 0.5 * rx - 0.5], [0.0, ry, 0.5 * ry - 0.5]])


def scale_pixels(uv, r: float):
    """Pixel coordinates (..., 2) (numpy or torch) on the image resized by ``r``."""
    return (uv + 0.5) * r - 0.5


def scale_intrinsics(k, r: float):
    """Intrinsics (..., 3, 3) (numpy or torch) for the same camera on the image resized by
    ``r``: focal lengths times ``r``, principal point through :func:`scale_pixels`."""
    out = k.clone() if hasattr(k, "clone") else np.array(k, dtype=np.float64)
    out[..., 0, 0] = k[..., 0, 0] * r
    out[..., 1, 1] = k[..., 1, 1] * r
    out[..., 0, 2] = scale_pixels(k[..., 0, 2], r)
    out[..., 1, 2] = scale_pixels(k[..., 1, 2], r)
    return out
