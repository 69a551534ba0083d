"""Simple identity tracking across video frames: greedy matching on box IoU."""

from __future__ import annotations

import numpy as np


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) xywh -> (N, M) IoU."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a1, b1 = a[:, None], b[None]
    lo = np.maximum(a1[..., :2], b1[..., :2])
    hi = np.minimum(a1[..., :2] + a1[..., 2:4], b1[..., :2] + b1[..., 2:4])
    inter = np.clip(hi - lo, 0, None).prod(-1)
    union = a1[..., 2:4].prod(-1) + b1[..., 2:4].prod(-1) - inter
    return inter / np.maximum(union, 1e-9)


class IoUTracker:
    """Assigns a stable integer id to each box; a track unseen for ``max_age`` frames ends."""

    def __init__(self, min_iou: float = 0.2, max_age: int = 15):
        self.min_iou, self.max_age = min_iou, max_age
        self.tracks: dict[int, tuple[np.ndarray, int]] = {}  # id -> (box, last frame)
        self.next_id = 0

    def update(self, boxes: np.ndarray, frame: int) -> list[int]:
        """boxes (N, 4) xywh of this frame -> track id per box."""
        self.tracks = {k: v for k, v in self.tracks.items() if frame - v[1] <= self.max_age}
        ids = list(self.tracks)
        prev = np.array([self.tracks[i][0] for i in ids]).reshape(-1, 4)
        m = iou_matrix(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), prev)
        out = [-1] * len(boxes)
        while m.size and m.max() >= self.min_iou:
            r, c = np.unravel_index(int(m.argmax()), m.shape)
            out[r] = ids[c]
            m[r, :] = -1
            m[:, c] = -1
        for r, box in enumerate(boxes):
            if out[r] < 0:
                out[r] = self.next_id
                self.next_id += 1
            self.tracks[out[r]] = (np.asarray(box, dtype=np.float64), frame)
        return out
