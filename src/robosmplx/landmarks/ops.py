"""Pre- and post-processing of the landmark models, as pure numpy functions.

Conventions follow the models' own graphs (MediaPipe 0.10.21), so their outputs mean what they
were trained to mean: image coordinates here are continuous "corner" pixels (the image spans
[0, W] x [0, H]); callers subtract 0.5 for the pixel-centre convention. A region of interest
(``Roi``) is a rotated rectangle in those pixels; ``rotation`` (radians) turns the ROI's own axes
into the image's: ``image = centre + R(rotation) @ local``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Roi:
    cx: float
    cy: float
    w: float
    h: float
    rotation: float = 0.0

    def corners(self) -> np.ndarray:
        """(4, 2) image points of the ROI's top-left, top-right, bottom-right, bottom-left."""
        local = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * [self.w, self.h]
        return local @ rotation_matrix(self.rotation).T + [self.cx, self.cy]


def rotation_matrix(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def rotation_from(p0, p1, target_degrees: float) -> float:
    """The ROI rotation that turns the vector p0 -> p1 (image pixels) to ``target_degrees``."""
    angle = math.atan2(-(p1[1] - p0[1]), p1[0] - p0[0])
    return normalize_radians(math.radians(target_degrees) - angle)


def alignment_roi(center, scale_point, target_degrees: float) -> Roi:
    """A square ROI centred on ``center`` whose side is twice the distance to ``scale_point``."""
    size = 2.0 * math.hypot(scale_point[0] - center[0], scale_point[1] - center[1])
    rot = rotation_from(center, scale_point, target_degrees)
    return Roi(float(center[0]), float(center[1]), size, size, rot)


def transform_roi(
    roi: Roi,
    scale_x: float = 1.0,
    scale_y: float = 1.0,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
    square_long: bool = True,
) -> Roi:
    """Shift (in ROI units, along the ROI's axes), make square on the long side, then scale."""
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    cx = roi.cx + roi.w * shift_x * c - roi.h * shift_y * s
    cy = roi.cy + roi.w * shift_x * s + roi.h * shift_y * c
    w, h = roi.w, roi.h
    if square_long:
        w = h = max(w, h)
    return Roi(cx, cy, w * scale_x, h * scale_y, roi.rotation)


def box_roi(box_xyxy, start, end, target_degrees: float) -> Roi:
    """An axis-aligned box turned into a ROI whose rotation comes from two keypoints."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy)
    rot = rotation_from(start, end, target_degrees)
    return Roi((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, rot)


def points_roi(points: np.ndarray, rotation: float) -> Roi:
    """The tightest ROI with the given rotation around ``points`` (N, 2)."""
    pts = np.asarray(points, np.float64)[:, :2]
    centre = (pts.min(0) + pts.max(0)) / 2
    local = (pts - centre) @ rotation_matrix(-rotation).T
    lo, hi = local.min(0), local.max(0)
    mid = centre + rotation_matrix(rotation) @ ((lo + hi) / 2)
    return Roi(float(mid[0]), float(mid[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]), rotation)


def pad_roi(roi: Roi, out_w: int, out_h: int) -> Roi:
    """Grow the ROI symmetrically to the tensor's aspect ratio (letterboxing)."""
    tensor_aspect = out_h / out_w
    if tensor_aspect > roi.h / roi.w:
        return Roi(roi.cx, roi.cy, roi.w, roi.w * tensor_aspect, roi.rotation)
    return Roi(roi.cx, roi.cy, roi.h / tensor_aspect, roi.h, roi.rotation)


def roi_to_tensor_matrix(roi: Roi, out_w: int, out_h: int) -> np.ndarray:
    """(2, 3) affine from image pixels to tensor pixels: the ROI's corners go to the tensor's."""
    a = rotation_matrix(-roi.rotation) * np.array([[out_w / roi.w], [out_h / roi.h]])
    t = np.array([out_w / 2, out_h / 2]) - a @ np.array([roi.cx, roi.cy])
    return np.concatenate([a, t[:, None]], axis=1)


def invert_affine(m: np.ndarray) -> np.ndarray:
    a_inv = np.linalg.inv(m[:, :2])
    return np.concatenate([a_inv, (-a_inv @ m[:, 2])[:, None]], axis=1)


def apply_affine(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64)[..., :2] @ m[:, :2].T + m[:, 2]


def crop_tensor(
    image: np.ndarray,
    roi: Roi,
    out_w: int,
    out_h: int,
    value_range=(0.0, 1.0),
    keep_aspect: bool = True,
    border_zero: bool = False,
):
    """The model input for ``roi``: (1, out_h, out_w, 3) float32 and the image->tensor affine.

    Sampling is bilinear at integer tensor positions through the corner-based affine, the
    same as the models' own CPU graphs do it."""
    import cv2

    if keep_aspect:
        roi = pad_roi(roi, out_w, out_h)
    m = roi_to_tensor_matrix(roi, out_w, out_h)
    border = cv2.BORDER_CONSTANT if border_zero else cv2.BORDER_REPLICATE
    crop = cv2.warpAffine(
        image, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=(0, 0, 0)
    )  # (out_h, out_w, 3) uint8
    lo, hi = value_range
    tensor = crop.astype(np.float32) * np.float32((hi - lo) / 255.0) + np.float32(lo)
    return tensor[None], m


def ssd_anchors(input_size: int, strides: tuple[int, ...], interpolated: bool = True) -> np.ndarray:
    """(N, 2) anchor centres (normalised) of a fixed-size SSD head, in the head's output order.

    Consecutive layers with the same stride share one feature map; each layer puts one anchor
    per cell, plus an interpolated-scale one when ``interpolated``."""
    per_layer = 2 if interpolated else 1
    out: list[np.ndarray] = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        n = per_layer * (j - i)
        fm = math.ceil(input_size / strides[i])
        ys, xs = np.meshgrid((np.arange(fm) + 0.5) / fm, (np.arange(fm) + 0.5) / fm, indexing="ij")
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)  # (fm*fm, 2)
        out.append(np.repeat(centres, n, axis=0))
        i = j
    return np.concatenate(out, axis=0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -80.0, 80.0)))


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    input_size: int,
    num_keypoints: int,
    min_score: float,
):
    """SSD head -> (boxes (M, 4) xyxy, keypoints (M, K, 2), scores (M,)), in tensor pixels,
    for anchors scoring at least ``min_score``."""
    scores = sigmoid(np.clip(raw_scores.reshape(-1), -100.0, 100.0))
    keep = scores >= min_score
    raw = raw_boxes.reshape(len(anchors), -1)[keep].astype(np.float64)
    anc = anchors[keep] * input_size  # (M, 2) tensor pixels
    centre = raw[:, 0:2] + anc
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kps = raw[:, 4 : 4 + 2 * num_keypoints].reshape(-1, num_keypoints, 2) + anc[:, None]
    return boxes, kps, scores[keep]


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box against (N, 4) boxes."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda b: np.prod(np.clip(b[..., 2:] - b[..., :2], 0, None), axis=-1)  # noqa: E731
    union = area(box) + area(boxes) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(
    boxes: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float = 0.3,
    max_out: int | None = None,
):
    """Weighted non-maximum suppression: each kept detection is the score-weighted mean of the
    boxes and keypoints it suppresses (IoU above the threshold); its score is the best one."""
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    alive = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        idx = np.flatnonzero(alive)
        group = idx[box_iou(boxes[i], boxes[idx]) > iou_threshold]
        group = group if len(group) else np.array([i])
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(0) / w.sum()
        kps = (keypoints[group] * w[:, :, None]).sum(0) / w.sum()
        alive[group] = False
        alive[i] = False
        out.append((box, kps, float(scores[i])))
        if max_out is not None and len(out) >= max_out:
            break
    return out
