"""One small runner per pretrained model: its input crop, its output decoding.

Each runner takes an RGB uint8 image and a region (or the whole image) and returns results in
continuous corner pixels of the image (see ``ops``). Constants are those of the models' own
graph configs in the mediapipe 0.10.21 wheel.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from robosmplx.landmarks import ops
from robosmplx.landmarks.models import open_model
from robosmplx.landmarks.ops import Roi


class _Model:
    """A LiteRT interpreter with outputs read in the model's declared order."""

    def __init__(self, name: str, model_dir, timings: dict[str, float], threads: int | None):
        self.name = name
        self.interp = open_model(name, model_dir, threads)
        self.input = self.interp.get_input_details()[0]["index"]
        self.outputs = [d["index"] for d in self.interp.get_output_details()]
        self.timings = timings

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        t0 = time.perf_counter()
        self.interp.set_tensor(self.input, np.ascontiguousarray(tensor, np.float32))
        self.interp.invoke()
        out = [self.interp.get_tensor(i).copy() for i in self.outputs]
        self.timings[self.name] = self.timings.get(self.name, 0.0) + time.perf_counter() - t0
        return out


@dataclass
class Detection:
    """A detector hit in image pixels: box (4,) xyxy, keypoints (K, 2), score."""

    box: np.ndarray
    keypoints: np.ndarray
    score: float


class SsdDetector:
    """An SSD-style detector (pose, palm, face) on a letterboxed region of the image."""

    def __init__(
        self,
        model: _Model,
        size: int,
        strides,
        num_keypoints: int,
        value_range,
        min_score: float,
        interpolated: bool = True,
    ):
        self.model, self.size, self.num_keypoints = model, size, num_keypoints
        self.value_range, self.min_score = value_range, min_score
        self.anchors = ops.ssd_anchors(size, tuple(strides), interpolated)

    def detect(
        self,
        image: np.ndarray,
        roi: Roi | None = None,
        iou: float = 0.3,
        min_score: float | None = None,
    ) -> list[Detection]:
        h, w = image.shape[:2]
        roi = roi or Roi(w / 2, h / 2, float(w), float(h))
        tensor, m = ops.crop_tensor(
            image, roi, self.size, self.size, self.value_range, keep_aspect=True, border_zero=True
        )
        raw_boxes, raw_scores = self.model(tensor)[:2]
        thr = self.min_score if min_score is None else min_score
        boxes, kps, scores = ops.decode_detections(
            raw_boxes[0], raw_scores[0], self.anchors, self.size, self.num_keypoints, thr
        )
        if not len(scores):
            return []
        inv = ops.invert_affine(m)
        out = []
        for box, kp, score in ops.weighted_nms(boxes, kps, scores, iou):
            corners = ops.apply_affine(inv, box.reshape(2, 2))  # roi may be rotated: refit
            out.append(
                Detection(
                    np.concatenate([corners.min(0), corners.max(0)]),
                    ops.apply_affine(inv, kp),
                    score,
                )
            )
        return out


@dataclass
class PoseLandmarks:
    landmarks: np.ndarray  # (39, 5) x, y px, z px-scaled, visibility, presence
    world: np.ndarray  # (39, 3) metres, rotated into the image's orientation
    flag: float  # pose presence score
    roi: Roi
    mask_tensor: np.ndarray  # (256, 256) float32 in [0, 1], the ROI's segmentation
    to_tensor: np.ndarray  # (2, 3) image -> tensor affine of the ROI crop

    def mask(self, height: int, width: int) -> np.ndarray:
        """The segmentation pasted back into the image (zero outside the ROI)."""
        import cv2

        return cv2.warpAffine(
            self.mask_tensor,
            self.to_tensor,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )


def refine_from_heatmap(
    xy: np.ndarray, heatmap: np.ndarray, kernel: int = 7, min_confidence: float = 0.5
) -> np.ndarray:
    """Landmarks (N, 2) normalised to the tensor, moved to the sigmoid-weighted mean of their
    heatmap (H, W, N) window where the window's peak is confident enough (the model graph's
    refinement, including its cell-index weighting)."""
    hm_h, hm_w, _ = heatmap.shape
    out = xy.copy()
    off = (kernel - 1) // 2
    for k, (x, y) in enumerate(xy):
        col, row = int(x * hm_w), int(y * hm_h)  # C++ float->int truncation
        if not (0 <= col < hm_w and 0 <= row < hm_h):
            continue
        r0, r1 = max(0, row - off), min(hm_h, row + off + 1)
        c0, c1 = max(0, col - off), min(hm_w, col + off + 1)
        conf = ops.sigmoid(heatmap[r0:r1, c0:c1, k])
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[k] = [(cols * conf).sum() / hm_w / total, (rows * conf).sum() / hm_h / total]
    return out


class PoseLandmarker:
    SIZE = 256

    def __init__(self, model: _Model):
        self.model = model

    def __call__(self, image: np.ndarray, roi: Roi) -> PoseLandmarks:
        tensor, m = ops.crop_tensor(image, roi, self.SIZE, self.SIZE, (0.0, 1.0))
        lms, flag, seg, heatmap, world = self.model(tensor)
        lms = lms.reshape(39, 5).astype(np.float64)
        xy = refine_from_heatmap(lms[:, :2] / self.SIZE, heatmap[0])
        inv = ops.invert_affine(m)
        out = np.zeros((39, 5))
        out[:, :2] = ops.apply_affine(inv, xy * self.SIZE)
        roi_w = ops.pad_roi(roi, self.SIZE, self.SIZE).w
        out[:, 2] = lms[:, 2] / self.SIZE * roi_w
        out[:, 3:5] = ops.sigmoid(lms[:, 3:5])
        world = world.reshape(39, 3).astype(np.float64)
        world[:, :2] = world[:, :2] @ ops.rotation_matrix(roi.rotation).T
        return PoseLandmarks(
            out,
            world,
            float(flag.reshape(-1)[0]),
            roi,
            ops.sigmoid(seg[0, :, :, 0]).astype(np.float32),
            m,
        )


@dataclass
class PointSet:
    points: np.ndarray  # (N, 3) x, y px, z px-scaled
    flag: float  # presence score in [0, 1]
    roi: Roi
    extra: float = float("nan")  # hand: handedness; > 0.5 = a right hand (unmirrored photo)


class PointLandmarker:
    """A regression landmark model on a square ROI (hand landmarks, face mesh, hand recrop)."""

    def __init__(
        self,
        model: _Model,
        size: int,
        count: int,
        dims: int,
        flag_sigmoid: bool = False,
        z_scale: float = 1.0,
    ):
        self.model, self.size, self.count, self.dims = model, size, count, dims
        self.flag_sigmoid, self.z_scale = flag_sigmoid, z_scale

    def __call__(self, image: np.ndarray, roi: Roi) -> PointSet:
        tensor, m = ops.crop_tensor(image, roi, self.size, self.size, (0.0, 1.0))
        outs = self.model(tensor)
        raw = outs[0].reshape(self.count, self.dims).astype(np.float64)
        pts = np.zeros((self.count, 3))
        pts[:, :2] = ops.apply_affine(ops.invert_affine(m), raw[:, :2])
        if self.dims > 2:
            roi_w = ops.pad_roi(roi, self.size, self.size).w
            pts[:, 2] = raw[:, 2] / self.size / self.z_scale * roi_w
        flag, extra = 1.0, float("nan")
        if len(outs) > 1:
            flag = float(outs[1].reshape(-1)[0])
            flag = float(ops.sigmoid(flag)) if self.flag_sigmoid else flag
        if len(outs) > 2:
            extra = float(outs[2].reshape(-1)[0])
        return PointSet(pts, flag, roi, extra)
