"""Inference crops and cameras: person box -> square crop -> network inputs, network camera ->
the original image's camera. Pure functions plus a small image pyramid.

Pixels follow docs/contracts.md ((0, 0) is the centre of the top-left pixel). A *region* is the
square xywh box the network sees (``BOX_SCALE`` times the person box's long side, as in
training). The whole-body network reads a high-resolution *source* crop of the region (its
config's ``source_size``) through its one entry, ``forward_source``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
from torch import Tensor

from robosmplx.data.crop import compose, scale_shift_affine, square_box, warp_image
from robosmplx.geometry.camera import (
    DEFAULT_FOCAL,
    crop_intrinsics,
    crop_to_full_intrinsics,
    project,
    unproject,
    weak_to_translation,
)
from robosmplx.geometry.pixels import resize_affine

BOX_SCALE = 1.25  # crop side / person box long side (training's AugmentConfig.box_scale)
MIN_PERSON_PX = 8.0  # a person whose keypoint box is smaller than this is "nobody"
MIN_INSIDE = 0.25  # ... or whose keypoint box lies less than this fraction inside the image
AGREEMENT_SIGMA = 0.1  # keypoint agreement scale, in normalised crop units ([-1, 1] = crop)


def virtual_focal(crop_size: int) -> float:
    """Focal length (crop pixels) of the network's virtual camera: 5000 px for a 256 crop."""
    return DEFAULT_FOCAL * crop_size / 256.0


def crop_region(box_xywh, scale: float = BOX_SCALE) -> np.ndarray:
    """(4,) person box -> (4,) square region xywh, ``scale`` times its long side."""
    center, side = square_box(np.asarray(box_xywh, np.float64), scale)
    return np.array([center[0] - side / 2, center[1] - side / 2, side, side])


def prior_focal(width: float, height: float) -> float:
    """Focal length (pixels) assumed when a photo records none: the image diagonal (CLIFF's
    prior), a diagonal field of view of 2 atan(1/2) = 53.1 degrees, a normal lens."""
    return float(math.hypot(width, height))


def image_intrinsics(width: int, height: int, focal: float | None = None) -> np.ndarray:
    """(3, 3) float64 intrinsics of a whole ``width`` x ``height`` image: ``focal`` pixels
    (default :func:`prior_focal`), principal point at the image centre."""
    f = prior_focal(width, height) if focal is None else float(focal)
    return np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def field_of_view(k: np.ndarray, width: int, height: int) -> float:
    """Diagonal field of view (degrees) of intrinsics ``k`` (3, 3) on a ``width`` x ``height``
    image."""
    return float(np.degrees(2.0 * math.atan(math.hypot(width, height) / (2.0 * k[0, 0]))))


def whole_image_region(width: int, height: int) -> np.ndarray:
    """(4,) the square region centred on the image that just holds all of it."""
    return crop_region(np.array([0.0, 0.0, width, height]), 1.0)


class ImagePyramid:
    """An RGB uint8 image (H, W, 3) and its 2x area downscales, built on demand, so a crop
    never samples more than 2 source pixels per output pixel (no aliasing)."""

    def __init__(self, image: np.ndarray):
        self.levels = [np.ascontiguousarray(image)]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the full-resolution image."""
        return self.levels[0].shape[1], self.levels[0].shape[0]

    def level(self, i: int) -> np.ndarray:
        while len(self.levels) <= i:
            prev = self.levels[-1]
            h, w = prev.shape[:2]
            if min(h, w) < 4:
                break
            size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
            self.levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
        return self.levels[min(i, len(self.levels) - 1)]

    def crop(self, region: np.ndarray, out_size: int) -> np.ndarray:
        """(out, out, 3) uint8 crop of the square ``region`` (xywh, full-image pixels);
        outside the image is black."""
        center = region[:2] + region[2:4] / 2.0
        side = float(region[2])
        lvl = max(0, int(math.floor(math.log2(max(side / out_size, 1.0)))))
        img = self.level(lvl)
        w, h = self.size
        rx, ry = img.shape[1] / w, img.shape[0] / h
        level_to_full = resize_affine((1 / rx, 1 / ry))
        a = compose(scale_shift_affine(center, side, out_size), level_to_full)
        return warp_image(img, a, out_size)


def crop_camera(pred_cam: Tensor, regions: Tensor, crop_size: int) -> tuple[Tensor, Tensor]:
    """Weak-perspective (B, 3) on crops of ``regions`` (B, 4) -> camera translation (B, 3)
    and intrinsics K (B, 3, 3) of the image the regions live in. Exact: the mesh placed with
    ``transl`` projects through K where the network's crop camera puts it."""
    f = virtual_focal(crop_size)
    transl = weak_to_translation(pred_cam, f, crop_size)  # (B, 3)
    k_crop = crop_intrinsics(f, crop_size, pred_cam.shape[0], pred_cam.device, pred_cam.dtype)
    return transl, crop_to_full_intrinsics(k_crop, regions.to(pred_cam.dtype), crop_size)


def crop_boxes_to_image(boxes: Tensor, regions: Tensor, crop_size: int) -> Tensor:
    """(B, 4) xywh boxes in crop pixels -> (B, 4) xywh in the pixels of the regions' image."""
    k = regions[:, 2:3] / crop_size  # (B, 1) image px per crop px
    xy = regions[:, :2] + (boxes[:, :2] + 0.5) * k - 0.5 * k
    return torch.cat((xy, boxes[:, 2:4] * k), -1)


def keypoint_agreement(joints_hm: Tensor, uv_crop: Tensor, crop_size: int) -> Tensor:
    """(B,) mean over joints of exp(-d^2 / 2 sigma^2), d between the heatmap joints (B, J, 2+)
    in [-1, 1] and the mesh keypoints projected into the crop (B, J, 2) pixels: how much the
    network's two readings of the person agree (a heuristic score in [0, 1])."""
    ndc = (uv_crop + 0.5) * (2.0 / crop_size) - 1.0
    d2 = (joints_hm[..., :2] - ndc).square().sum(-1)  # (B, J)
    return torch.exp(-d2 / (2 * AGREEMENT_SIGMA**2)).mean(-1)


def box_inside_fraction(box_xywh, width: int, height: int) -> float:
    """Fraction of the (4,) box's area inside a ``width`` x ``height`` image."""
    b = np.asarray(box_xywh, np.float64)
    ix = max(0.0, min(b[0] + b[2], width) - max(b[0], 0.0))
    iy = max(0.0, min(b[1] + b[3], height) - max(b[1], 0.0))
    return float(ix * iy / (max(b[2], 1e-9) * max(b[3], 1e-9)))


def person_box_problem(box_xywh, width: int, height: int) -> str | None:
    """Why a predicted person box (4,) is no person in a ``width`` x ``height`` image (not
    finite, too small, mostly outside), or None when it is usable."""
    b = np.asarray(box_xywh, np.float64)
    if not np.isfinite(b).all():
        return "predicted box is not finite"
    if max(b[2], b[3]) < MIN_PERSON_PX:
        return f"predicted person is smaller than {MIN_PERSON_PX:g} px"
    if box_inside_fraction(b, width, height) < MIN_INSIDE:
        return f"predicted person lies less than {MIN_INSIDE:.0%} inside the image"
    return None


def reexpress_translation(transl: Tensor, root: Tensor, k_from: Tensor, k_to: Tensor) -> Tensor:
    """Translation (B, 3) for camera ``k_to`` that puts the root point (B, 3) (model frame,
    no translation) on the same pixel as ``k_from`` with ``transl``, at the depth scaled by
    the focal ratio. Exact for the root; other points move by about (depth extent / distance)
    x (1 - focal ratio) of their distance to the root on screen (well under a pixel for the
    network's far virtual camera)."""
    p = root + transl
    uv = project(p[:, None], k_from)  # (B, 1, 2)
    z = p[:, 2] * k_to[:, 0, 0] / k_from[:, 0, 0]  # (B,)
    return unproject(uv, z[:, None], k_to)[:, 0] - root
