"""Landmark evidence in the project's whole-body keypoint layout (names of the 137-point set:
``Pelvis``, ``L_Hip`` ... ``Nose``, ``L_Thumb_1`` ... ``R_Pinky_4``; face points not filled).

The correspondence is by meaning: BlazePose's joints where they have the same name, the
pelvis and neck as midpoints of hips and shoulders, the big toe as BlazePose's foot index, and
the hand model's 21 points onto the finger names (1 = CMC for the thumb, MCP for the fingers,
4 = tip). The small toe has no BlazePose counterpart and stays empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from robosmplx.landmarks.types import BODY_INDEX, HAND_INDEX, PersonEvidence

# The first 65 names of the project's 137-point whole-body set (the same for Anny and SMPL-X):
# 25 body points, then 4 points per finger (L then R; thumb, index, middle, ring, pinky).
BODY25 = (
    "Pelvis", "L_Hip", "R_Hip", "L_Knee", "R_Knee", "L_Ankle", "R_Ankle", "Neck", "L_Shoulder",
    "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist", "L_Big_toe", "L_Small_toe",
    "L_Heel", "R_Big_toe", "R_Small_toe", "R_Heel", "L_Ear", "R_Ear", "L_Eye", "R_Eye", "Nose",
)  # fmt: skip
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")
WHOLEBODY65 = BODY25 + tuple(f"{s}_{f}_{k}" for s in "LR" for f in FINGERS for k in range(1, 5))

_SIDE = {"L": "left", "R": "right"}
_BODY_SAME = {"Hip": "hip", "Knee": "knee", "Ankle": "ankle", "Shoulder": "shoulder",
              "Elbow": "elbow", "Wrist": "wrist", "Big_toe": "foot_index", "Heel": "heel",
              "Ear": "ear", "Eye": "eye"}  # fmt: skip
_FINGERS = {"Thumb": ("thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip")} | {
    f.capitalize(): tuple(f"{f}_{k}" for k in ("mcp", "pip", "dip", "tip"))
    for f in ("index", "middle", "ring", "pinky")
}
_MIDPOINTS = {"Pelvis": ("left_hip", "right_hip"), "Neck": ("left_shoulder", "right_shoulder")}


def wholebody_keypoints(person: PersonEvidence, names: Sequence[str]) -> np.ndarray:
    """(len(names), 3): x, y pixels and confidence (0 where the evidence has no such point)."""
    out = np.zeros((len(names), 3))
    body = person.body2d
    for i, name in enumerate(names):
        if name == "Nose":
            out[i] = body[BODY_INDEX["nose"]]
        elif name in _MIDPOINTS:
            a, b = (body[BODY_INDEX[n]] for n in _MIDPOINTS[name])
            out[i] = [*(a[:2] + b[:2]) / 2, min(a[2], b[2])]
        elif name[:2] in ("L_", "R_"):
            side, rest = _SIDE[name[0]], name[2:]
            if rest in _BODY_SAME:
                out[i] = body[BODY_INDEX[f"{side}_{_BODY_SAME[rest]}"]]
                continue
            finger, _, k = rest.rpartition("_")
            hand = person.hands.get(side)
            if hand is not None and finger in _FINGERS and k.isdigit() and 1 <= int(k) <= 4:
                out[i] = hand[HAND_INDEX[_FINGERS[finger][int(k) - 1]]]
    return out
