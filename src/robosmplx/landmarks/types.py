"""Typed per-person landmark evidence (numpy only, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BODY33 = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
          "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
          "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
          "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
          "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
          "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")  # fmt: skip
HAND21 = ("wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip", "index_mcp", "index_pip",
          "index_dip", "index_tip", "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
          "ring_mcp", "ring_pip", "ring_dip", "ring_tip", "pinky_mcp", "pinky_pip", "pinky_dip",
          "pinky_tip")  # fmt: skip


@dataclass
class PersonEvidence:
    """One person's landmarks in one image (pixel-centre convention, image pixels)."""

    box: np.ndarray  # (4,) xywh
    score: float
    body2d: np.ndarray  # (33, 3) x, y px, visibility
    body3d: np.ndarray | None  # (33, 3) metres, origin between the hips, camera axes
    hands: dict[str, np.ndarray] = field(default_factory=dict)  # "left"/"right" -> (21, 3)
    face2d: np.ndarray | None = None  # (468, 3)
    mask: np.ndarray | None = None  # (H, W) float32 in [0, 1]
    part_boxes: dict[str, np.ndarray] = field(default_factory=dict)
