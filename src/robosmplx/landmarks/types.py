"""Landmark names and the per-person evidence record (numpy only, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# BlazePose GHUM's 33 body landmarks, in the model's output order.
BODY33 = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

# The hand landmark model's 21 points, in its output order.
HAND21 = (
    "wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip", "index_mcp", "index_pip",
    "index_dip", "index_tip", "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip", "pinky_mcp", "pinky_pip", "pinky_dip",
    "pinky_tip",
)  # fmt: skip

BODY_INDEX = {name: i for i, name in enumerate(BODY33)}
HAND_INDEX = {name: i for i, name in enumerate(HAND21)}
NUM_FACE = 468


@dataclass
class PersonEvidence:
    """Everything the landmark models say about one person of an image.

    Pixel coordinates use the pixel-centre convention (pixel (0, 0) covers [-0.5, 0.5]);
    the third column of every 2D array is a visibility/confidence in [0, 1].
    """

    box: np.ndarray  # (4,) xywh, tight box of the person's landmarks, image pixels
    score: float  # detection confidence in [0, 1]
    body2d: np.ndarray  # (33, 3) x, y px, visibility
    body3d: np.ndarray | None = None  # (33, 3) metres, MediaPipe world landmarks (hip origin)
    hands: dict[str, np.ndarray] = field(default_factory=dict)  # person's side -> (21, 3)
    face2d: np.ndarray | None = None  # (468, 3) x, y px, confidence (face-mesh order)
    mask: np.ndarray | None = None  # (H, W) float32 in [0, 1], this person's silhouette
    part_boxes: dict[str, np.ndarray] = field(default_factory=dict)  # lhand/rhand/face -> xywh
