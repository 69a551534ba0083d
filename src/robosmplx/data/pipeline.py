"""From (image, ground truth, box, augmentation draw) to one training sample (docs/contracts.md).

The crop affine and the annotation operations are built from the same draw, so pixels, 2D and
3D keypoints, parameters, translation, intrinsics and part maps always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from robosmplx.data import annotation as annops
from robosmplx.data.annotation import Annotation
from robosmplx.data.augment import AugmentConfig, AugParams, apply_color
from robosmplx.data.crop import (
    compose,
    crop_affine,
    scale_shift_affine,
    square_box,
    warp_image,
    warp_labels,
)
from robosmplx.data.flip import FlipSpec
from robosmplx.errors import ConfigError
from robosmplx.geometry.camera import DEFAULT_FOCAL
from robosmplx.geometry.pixels import IMAGENET_MEAN as _MEAN
from robosmplx.geometry.pixels import IMAGENET_STD as _STD
from robosmplx.geometry.pixels import resize_affine

IMAGENET_MEAN = np.array(_MEAN, np.float32) * 255.0  # (3,) in pixel values 0..255
IMAGENET_STD = np.array(_STD, np.float32) * 255.0
SEGM_STRIDE = 4


@dataclass
class Crop:
    """A cropped sample before tensor conversion: image (S, S, 3) uint8 RGB, ground
    truth in crop pixels, affine (2, 3) original -> crop, part labels (S/4, S/4) or None."""

    image: np.ndarray
    ann: Annotation
    affine: np.ndarray
    segm: np.ndarray | None


def crop_box(box_xywh: np.ndarray, cfg: AugmentConfig, aug: AugParams) -> tuple[np.ndarray, float]:
    """Centre (2,) and side of the square crop region for this draw."""
    center, side = square_box(box_xywh, cfg.box_scale)
    center = center + np.asarray(aug.shift) * side
    return center, side * aug.scale


def crop_sample(
    image: np.ndarray,
    ann: Annotation,
    box_xywh: np.ndarray,
    aug: AugParams,
    cfg: AugmentConfig,
    spec: FlipSpec | None,
    part_set: str = "body",
) -> Crop:
    """Cut the crop of ``box_xywh`` under ``aug`` and move the ground truth with it."""
    s = cfg.crop_size
    center, side = crop_box(box_xywh, cfg, aug)
    ann = annops.affine(ann, scale_shift_affine(center, side, s))
    ann = annops.rotate(ann, aug.rotation, np.full(2, (s - 1) / 2.0))
    if aug.flip:
        if spec is None:
            raise ConfigError("a flip needs the body model's FlipSpec")
        ann = annops.mirror(ann, s, spec)
    a = crop_affine(center, side, s, aug.rotation, aug.flip)
    img = apply_color(warp_image(image, a, s), aug)
    segm = None
    if ann.segm is not None:
        segm = warp_labels(ann.segm, compose(resize_affine(1 / SEGM_STRIDE), a), s // SEGM_STRIDE)
        if aug.flip and spec is not None and part_set in spec.parts:
            perm = np.asarray(spec.parts[part_set], segm.dtype)
            segm = perm[np.minimum(segm, len(perm) - 1)]
    return Crop(img, ann.replace(segm=None), a, segm)


def virtual_intrinsics(crop_size: int) -> np.ndarray:
    """(3, 3) the virtual crop camera used when a file has no intrinsics (focal 5000 @ 256)."""
    k = np.eye(3, dtype=np.float32)
    k[0, 0] = k[1, 1] = DEFAULT_FOCAL * crop_size / 256.0
    k[:2, 2] = (crop_size - 1) / 2.0
    return k


_NORMALIZE = np.hstack((np.diag(1.0 / IMAGENET_STD), (-IMAGENET_MEAN / IMAGENET_STD)[:, None]))


def normalize_image(img: np.ndarray) -> torch.Tensor:
    """(S, S, 3) RGB in 0..255 (uint8 or float) -> (3, S, S) ImageNet-normalised float tensor."""
    x = cv2.transform(img.astype(np.float32), _NORMALIZE.astype(np.float32))  # (S, S, 3)
    return torch.from_numpy(np.stack(cv2.split(x)))


def denormalize_image(img: torch.Tensor) -> np.ndarray:
    """(3, S, S) normalised tensor -> (S, S, 3) uint8 RGB."""
    x = img.detach().cpu().numpy().transpose(1, 2, 0) * IMAGENET_STD + IMAGENET_MEAN
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def to_sample(
    crop: Crop,
    box_xywh: np.ndarray,
    index: int,
    rotation_groups: Sequence[tuple[str, int]],
    vector_groups: Sequence[tuple[str, int]],
    keypoint_subset: Sequence[int] | None = None,
    part_boxes: bool = False,
) -> dict[str, torch.Tensor]:
    """Flat tensor dict with the contract's keys; missing ground truth is zero with has_* = 0."""
    ann = crop.ann
    s = crop.image.shape[0]
    f32 = torch.float32
    kp2, kp3 = ann.keypoints2d, ann.keypoints3d
    if keypoint_subset is not None:
        kp2, kp3 = kp2[list(keypoint_subset)], kp3[list(keypoint_subset)]
    kp2 = np.where(kp2[:, -1:] > 0, kp2, 0.0)  # missing keypoints are all zeros
    kp3 = np.where(kp3[:, -1:] > 0, kp3, 0.0)
    out: dict[str, torch.Tensor] = {
        "img": normalize_image(crop.image),
        "gt_keypoints2d": torch.as_tensor(kp2, dtype=f32),
        "gt_keypoints3d": torch.as_tensor(kp3, dtype=f32),
    }
    for name, size in rotation_groups:
        r = ann.rotations.get(name)
        has = ann.has.get(name, 0.0) if r is not None else 0.0
        t = torch.as_tensor(r, dtype=f32) if r is not None else torch.eye(3).expand(size, 3, 3)
        out[f"gt_{name}_rotmat"] = t.reshape(size, 3, 3).clone()
        out[f"has_{name}"] = torch.tensor(float(has))
    for name, size in vector_groups:
        v = ann.vectors.get(name)
        out[f"gt_{name}"] = torch.as_tensor(v, dtype=f32) if v is not None else torch.zeros(size)
        out[f"has_{name}"] = torch.tensor(float(ann.has.get(name, 0.0) if v is not None else 0.0))
    out["gt_transl"] = torch.as_tensor(ann.transl, dtype=f32)
    k = ann.K if ann.K is not None else virtual_intrinsics(s)
    out["gt_K"] = torch.as_tensor(k, dtype=f32)
    g = s // SEGM_STRIDE
    segm = crop.segm if crop.segm is not None else np.zeros((g, g), np.int64)
    out["gt_part_segm"] = torch.as_tensor(segm.astype(np.int64))
    out["has_keypoints3d"] = torch.tensor(float(ann.has.get("keypoints3d", 0.0)))
    out["has_segm"] = torch.tensor(float(crop.segm is not None))
    out["has_transl"] = torch.tensor(float(ann.has.get("transl", 0.0)))
    if part_boxes:
        for name in annops.PART_BOXES:
            b = ann.part_boxes.get(name)
            ok = b is not None and b[4] > 0
            out[f"gt_{name}_bbox"] = torch.as_tensor(b[:4] if ok else np.zeros(4), dtype=f32)
            out[f"has_{name}_bbox"] = torch.tensor(float(ok))
    out["bbox_xywh"] = torch.as_tensor(np.asarray(box_xywh[:4], np.float32))
    out["crop_affine"] = torch.as_tensor(crop.affine, dtype=f32)
    out["sample_index"] = torch.tensor(int(index), dtype=torch.long)
    return out
