"""Identity tracking across video frames.

Each track predicts where its person is now (its box moved by the smoothed velocity of its
centre, its size kept: sizes jump when a person is partly hidden or leaves the frame); a
detection and a track are scored by the IoU of the detection's box with the predicted box, the
distance of their centres and, when given, the similarity of their 2D keypoints (OKS-style,
the track's keypoints moved by its velocity); one optimal assignment per frame (Hungarian)
pairs them. A track nobody matches waits ``max_age`` frames (occlusions, missed detections, broken frames) before
it ends, so a person who reappears keeps their id. Two people who cross keep theirs because
each track's prediction lies ahead of it, along its own motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OKS_SIGMA = 0.1  # keypoint spread as a fraction of the box's size (sqrt of its area)
CENTRE_SIGMA = 0.5  # spread of a box centre's position error, as a fraction of the box's size


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


def keypoint_similarity(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    """Mean OKS-style similarity in [0, 1] of two (K, 2) keypoint sets of a person whose box
    has size ``scale`` pixels (sqrt of its area)."""
    d2 = ((a - b) ** 2).sum(-1)  # (K,)
    return float(np.exp(-d2 / (2.0 * (OKS_SIGMA * max(scale, 1.0)) ** 2)).mean())


def linear_assignment(cost: np.ndarray) -> list[tuple[int, int]]:
    """Row-column pairs of least total ``cost`` (N, M), min(N, M) of them (the Hungarian
    method, O(n^2 m); people per frame are few)."""
    cost = np.asarray(cost, dtype=np.float64)
    flip = cost.shape[0] > cost.shape[1]
    c = cost.T if flip else cost
    n, m = c.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    match, way = np.zeros(m + 1, int), np.zeros(m + 1, int)  # column -> row (1-based, 0: none)
    for i in range(1, n + 1):
        match[0], j0 = i, 0
        minv, used = np.full(m + 1, np.inf), np.zeros(m + 1, bool)
        while True:  # grow an alternating path from row i to a free column
            used[j0] = True
            i0, delta, j1 = match[j0], np.inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = c[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            u[match[used]] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:  # flip the path
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    pairs = [(int(match[j]) - 1, j - 1) for j in range(1, m + 1) if match[j]]
    return sorted((b, a) for a, b in pairs) if flip else sorted(pairs)


@dataclass
class _Track:
    box: np.ndarray  # (4,) xywh at frame ``last``
    velocity: np.ndarray  # (2,) the box centre's motion per frame
    keypoints: np.ndarray | None  # (K, 2) at frame ``last``
    last: int
    hits: int = 1

    def predicted(self, frame: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Box (4,) and keypoints (K, 2) expected at ``frame``."""
        shift = self.velocity * (frame - self.last)
        box = np.concatenate([self.box[:2] + shift, self.box[2:]])
        return box, None if self.keypoints is None else self.keypoints + shift


class Tracker:
    """Assigns a stable integer id to each person of each frame.

    min_score: the least association score (:meth:`scores`) for a detection to continue a
    track; max_age: frames a track may go unseen; momentum: how much of the previous velocity
    a track keeps at each match.
    """

    def __init__(
        self,
        min_score: float = 0.1,
        max_age: int = 30,
        momentum: float = 0.5,
    ):
        self.min_score, self.max_age, self.momentum = min_score, max_age, momentum
        self.tracks: dict[int, _Track] = {}
        self.next_id = 0

    def scores(self, boxes: np.ndarray, keypoints, frame: int, ids: list[int]) -> np.ndarray:
        """(N, T) association score in [0, 1] of each detection with each track in ``ids``:
        the mean of the IoU with the track's predicted box, the closeness of the box centres
        (Gaussian, sigma half the predicted box's size) and, where both have keypoints, their
        similarity."""
        pred = [self.tracks[i].predicted(frame) for i in ids]
        pboxes = np.array([b for b, _ in pred]).reshape(-1, 4)
        iou = iou_matrix(boxes, pboxes)
        centre = (
            boxes[:, None, :2]
            + boxes[:, None, 2:] / 2
            - (pboxes[None, :, :2] + pboxes[None, :, 2:] / 2)
        )
        sigma = CENTRE_SIGMA * np.sqrt(pboxes[:, 2] * pboxes[:, 3])[None]  # (1, T)
        near = np.exp(-(centre**2).sum(-1) / (2 * sigma**2))
        terms = [iou, near]
        if keypoints is not None:
            oks = np.full_like(iou, np.nan)
            for r, kp in enumerate(keypoints):
                scale = float(np.sqrt(boxes[r, 2] * boxes[r, 3]))
                for c, (_, tkp) in enumerate(pred):
                    if kp is not None and tkp is not None and tkp.shape == kp.shape:
                        oks[r, c] = keypoint_similarity(kp, tkp, scale)
            terms.append(oks)
        if len(terms) == 2:
            return (iou + near) / 2
        both = ~np.isnan(terms[2])
        return np.where(both, (iou + near + np.nan_to_num(terms[2])) / 3, (iou + near) / 2)

    def update(self, boxes: np.ndarray, frame: int, keypoints=None) -> list[int]:
        """boxes (N, 4) xywh of this frame (and optionally N keypoint arrays (K, 2) in the same
        pixels) -> track id per box."""
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if keypoints is not None:
            keypoints = [None if k is None else np.asarray(k, np.float64) for k in keypoints]
        self.tracks = {k: t for k, t in self.tracks.items() if frame - t.last <= self.max_age}
        ids = list(self.tracks)
        out = [-1] * len(boxes)
        if ids and len(boxes):
            s = self.scores(boxes, keypoints, frame, ids)
            for r, c in linear_assignment(-s):
                if s[r, c] >= self.min_score:
                    out[r] = ids[c]
        for r, box in enumerate(boxes):
            kp = None if keypoints is None else keypoints[r]
            if out[r] < 0:
                out[r] = self.next_id
                self.next_id += 1
                self.tracks[out[r]] = _Track(box.copy(), np.zeros(2), kp, frame)
                continue
            t = self.tracks[out[r]]
            centre = box[:2] + box[2:] / 2 - (t.box[:2] + t.box[2:] / 2)
            step = centre / max(frame - t.last, 1)
            keep = self.momentum if t.hits > 1 else 0.0  # the first step sets the velocity
            t.velocity = keep * t.velocity + (1 - keep) * step
            t.box, t.keypoints, t.last, t.hits = box.copy(), kp, frame, t.hits + 1
        return out
