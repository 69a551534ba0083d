"""Keypoint names shared by the body models and the landmark evidence (imports nothing heavy).

The first 65 names of the project's 137-point whole-body set, the same for Anny and the SMPL-X
family: 25 body points, then 4 points per finger (left then right; thumb, index, middle, ring,
pinky).
"""

from __future__ import annotations

BODY25 = (
    "Pelvis", "L_Hip", "R_Hip", "L_Knee", "R_Knee", "L_Ankle", "R_Ankle", "Neck", "L_Shoulder",
    "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist", "L_Big_toe", "L_Small_toe",
    "L_Heel", "R_Big_toe", "R_Small_toe", "R_Heel", "L_Ear", "R_Ear", "L_Eye", "R_Eye", "Nose",
)  # fmt: skip
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")


def hand20(side: str) -> tuple[str, ...]:
    """The 20 finger points of one hand (``side`` "L" or "R"), 4 per finger from the base."""
    return tuple(f"{side}_{f}_{k}" for f in FINGERS for k in range(1, 5))


WHOLEBODY65 = BODY25 + hand20("L") + hand20("R")
