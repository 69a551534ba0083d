"""mmhuman3d's ``human_data`` keypoint convention (190 points) in this project's keypoint names.

mmhuman3d converts every dataset into one 190-point convention before writing a HumanData file
(``keypoints2d`` / ``keypoints3d`` of shape (N, 190, C) with a (190,) ``*_mask``), and names no
convention in the file. The points, in mmhuman3d's order:

- 0-21: SMPL's first 22 joints (pelvis ... right wrist); 22-24: jaw and the two eyeballs;
- 25-54: the 15 SMPL-X finger joints of the left, then the right hand (index, middle, pinky,
  ring, thumb; 3 each);
- 55-59: nose, right eye, left eye, right ear, left ear; 60-65: big toe, small toe, heel (left,
  then right); 66-75: the finger tips (thumb, index, middle, ring, pinky; left, then right);
- 76-143: the 68 300-W face landmarks (brows, nose, eyes, mouth, inner lips, then the contour:
  the SMPL-X landmark order);
- 144-189: points other regressors and datasets give (LSP/MPII/H36M ``*_extra`` joints, the
  OpenPose body-25 points as ``*_openpose``, MPI-INF-3DHP points, H36M head points, the PoseTrack
  head bottom, the SMPL hand joints). They keep mmhuman3d's names; those that have a
  counterpart in the body models (the OpenPose copies, the SMPL hand joints) stand in for the
  main point when it is missing (mmhuman3d's approximate matches).

mmhuman3d's ``smplx``, ``smpl``, ``smpl_45`` and ``smpl_54`` conventions are slices of these
points (:func:`mmhuman3d_conventions`).
"""

from __future__ import annotations

from functools import cache

_EXTRA = (
    "right_hip_extra", "left_hip_extra", "neck_extra", "headtop", "pelvis_extra", "thorax_extra",
    "spine_extra", "jaw_extra", "head_extra",
)  # fmt: skip
_OPENPOSE = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
    "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear", "left_bigtoe",
    "left_smalltoe", "left_heel", "right_bigtoe", "right_smalltoe", "right_heel",
)  # fmt: skip
_TAIL = (
    "spine_4_3dhp", "left_clavicle_3dhp", "right_clavicle_3dhp", "left_hand_3dhp",
    "right_hand_3dhp", "left_toe_3dhp", "right_toe_3dhp", "head_h36m", "headtop_h36m",
    "head_bottom_pt",
)  # fmt: skip
# OpenPose body-25 names (mmhuman3d's) -> the body models' names, where they mean the same point.
_OPENPOSE_AS = {
    "nose": "Nose", "neck": "Neck", "pelvis": "Pelvis", "right_eye": "R_Eye", "left_eye": "L_Eye",
    "right_ear": "R_Ear", "left_ear": "L_Ear", "left_bigtoe": "L_Big_toe",
    "left_smalltoe": "L_Small_toe", "left_heel": "L_Heel", "right_bigtoe": "R_Big_toe",
    "right_smalltoe": "R_Small_toe", "right_heel": "R_Heel",
    **{f"{s}_{j}": f"{s[0].upper()}_{j.capitalize()}" for s in ("left", "right")
       for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")},
}  # fmt: skip


@cache
def human_data_names() -> tuple[str, ...]:
    """The 190 point names, in mmhuman3d's order, spelt as the body models spell them."""
    from robosmplx.body.smplx_family import IBUG68, SMPL_JOINTS, _model_hand

    sides = ("L", "R")
    names = list(SMPL_JOINTS[:22]) + ["Jaw", "L_Eyeball", "R_Eyeball"]
    names += [*_model_hand("L"), *_model_hand("R")]
    names += ["Nose", "R_Eye", "L_Eye", "R_Ear", "L_Ear"]
    names += [f"{s}_{p}" for s in sides for p in ("Big_toe", "Small_toe", "Heel")]
    names += [f"{s}_{f}_4" for s in sides for f in ("Thumb", "Index", "Middle", "Ring", "Pinky")]
    names += [*IBUG68[17:], *IBUG68[:17]]
    names += [*_EXTRA, *(f"{n}_openpose" for n in _OPENPOSE), *_TAIL, "L_Hand", "R_Hand"]
    assert len(names) == 190 and len(set(names)) == 190
    return tuple(names)


def mmhuman3d_conventions() -> dict[str, tuple[str, ...]]:
    """mmhuman3d's conventions that are slices of ``human_data`` (its ``smplx``: the first 144
    points; ``smpl``: SMPL's 24 joints; ``smpl_45``: plus nose, eyes, ears, feet and finger tips;
    ``smpl_54``: plus the nine LSP/MPII/H36M ``*_extra`` joints), by name."""
    h = human_data_names()
    smpl = (*h[:22], "L_Hand", "R_Hand")
    smpl45 = (*smpl, *h[55:76])
    return {
        "human_data": h, "smplx": h[:144], "smpl": smpl, "smpl_45": smpl45,
        "smpl_54": (*smpl45, *h[144:153]),
    }  # fmt: skip


def human_data_fallbacks() -> dict[str, tuple[str, ...]]:
    """Body-model point -> human_data points that stand in for it when it is missing."""
    return {v: (f"{k}_openpose",) for k, v in _OPENPOSE_AS.items()}
