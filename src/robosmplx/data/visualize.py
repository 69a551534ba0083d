"""Draw a sample (keypoints, boxes, part map) over its crop, for checking data by eye."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from robosmplx.data.pipeline import SEGM_STRIDE, denormalize_image


def part_colors(n: int) -> np.ndarray:
    """(n + 1, 3) uint8 colours, 0 = black background, then evenly spaced hues."""
    hsv = np.zeros((n + 1, 1, 3), np.uint8)
    hsv[1:, 0, 0] = (np.arange(n) * 180 // max(n, 1)).astype(np.uint8)
    hsv[1:, 0, 1:] = 255
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[:, 0]


def visualize(sample: dict[str, torch.Tensor], segm_alpha: float = 0.4) -> np.ndarray:
    """(S, S, 3) uint8 RGB: the crop with its part map blended in, the keypoints that have a
    confidence (green dots) and the hand/face boxes of whole-body samples."""
    img = denormalize_image(sample["img"]).copy()
    s = img.shape[0]
    if float(sample.get("has_segm", torch.tensor(0.0))) > 0:
        lab = sample["gt_part_segm"].cpu().numpy().astype(np.int64)
        colors = part_colors(int(lab.max()) if lab.size else 0)
        big = lab.repeat(SEGM_STRIDE, 0).repeat(SEGM_STRIDE, 1)[:s, :s]  # nearest upsampling
        overlay = colors[big]
        mask = big > 0
        img[mask] = (img[mask] * (1 - segm_alpha) + overlay[mask] * segm_alpha).astype(np.uint8)
    for name, color in (
        ("lhand", (255, 128, 0)),
        ("rhand", (0, 128, 255)),
        ("face", (255, 0, 255)),
    ):
        key = f"gt_{name}_bbox"
        if key in sample and float(sample.get(f"has_{name}_bbox", 0)) > 0:
            x, y, w, h = (float(v) for v in sample[key])
            cv2.rectangle(img, (round(x), round(y)), (round(x + w), round(y + h)), color, 1)
    kp = sample["gt_keypoints2d"].cpu().numpy()
    radius = max(1, s // 128)
    for x, y, c in kp:
        if c > 0 and np.isfinite(x) and np.isfinite(y):
            cv2.circle(img, (round(float(x)), round(float(y))), radius, (0, 255, 0), -1)
    return img
