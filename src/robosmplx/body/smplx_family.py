"""SMPL-X, SMPL, MANO and FLAME behind the common body-model interface.

The files are the user's own licensed copies (see :mod:`robosmplx.body.smplx_files`); the
geometry is the official ``smplx`` package's (``lbs``, landmark look-ups) applied to rotation
matrices. Settings follow the whole-body release (UPSTREAM.md): no hand PCA, face contour on,
``flat_hand_mean=False`` (hand poses are offsets from the file's mean hand, added in
axis-angle as smplx does, so a rotation-matrix input R means the axis-angle log(R), |angle| <= pi).

Keypoints (SMPL-X): the 137 whole-body points of Hand4Whole, in its order:
- body (25): Pelvis, hips, knees, ankles, Neck, shoulders, elbows, wrists (model joints), then
  big toe, small toe, heel (left, right), ears, eyes, nose (smplx's extra vertices);
- hands (2 x 20): thumb, index, middle, ring, pinky, 4 each: three finger joints and the tip
  vertex; ``lhand``/``rhand`` subsets are the wrist plus these 20;
- face (72): Jaw and Head joints, the left and right eye vertices again (``L_Eyeball``,
  ``R_Eyeball``), the 51 static landmarks (300-W points 18-68: brows, nose, eyes, mouth) and the
  17 pose-dependent contour landmarks (300-W points 1-17). Landmarks are named for the person's
  left (``L_``) and right (``R_``), so the flip permutation is a name swap.
SMPL: its 24 joints plus the 11 extra body vertices (``body`` subset = the 25 above). MANO:
wrist plus 4 per finger (21, ``rhand``). FLAME: ``Neck`` (its root joint), then the 72 face
points, with ``Head`` = FLAME's neck joint (the one that turns the head, like SMPL-X's head
joint) and FLAME's eye joints (eye centres, not surface vertices) as the eyeballs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from smplx.lbs import find_dynamic_lmk_idx_and_bcoords, lbs, vertices2landmarks
from torch import Tensor

from robosmplx.body import parts as P
from robosmplx.body.base import (
    BodyModel,
    BodyOutput,
    KeypointLayout,
    ParamGroup,
    ParamSpec,
    PartLayout,
    PartView,
)
from robosmplx.body.smplx_files import ModelArrays, check_model_files, read_family_arrays
from robosmplx.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from robosmplx.names import BODY25, FINGERS, hand20

__all__ = ["SMPLXFamilyModel", "check_model_files", "load_smplx_family"]

# The 68 face landmarks in 300-W order (point 1 first), named for the person's sides.
IBUG68 = (
    *(f"R_Contour_{i}" for i in range(1, 9)), "Chin", *(f"L_Contour_{i}" for i in range(8, 0, -1)),
    *(f"R_Brow_{i}" for i in range(1, 6)), *(f"L_Brow_{i}" for i in range(5, 0, -1)),
    *(f"Nose_Bridge_{i}" for i in range(1, 5)),
    "R_Nostril_2", "R_Nostril_1", "Nose_Bottom", "L_Nostril_1", "L_Nostril_2",
    "R_Eye_Outer", "R_Eye_Upper_Outer", "R_Eye_Upper_Inner", "R_Eye_Inner", "R_Eye_Lower_Inner",
    "R_Eye_Lower_Outer", "L_Eye_Inner", "L_Eye_Upper_Inner", "L_Eye_Upper_Outer", "L_Eye_Outer",
    "L_Eye_Lower_Outer", "L_Eye_Lower_Inner",
    "R_Mouth_Corner", "R_Upper_Lip_2", "R_Upper_Lip_1", "Upper_Lip_Mid", "L_Upper_Lip_1",
    "L_Upper_Lip_2", "L_Mouth_Corner", "L_Lower_Lip_2", "L_Lower_Lip_1", "Lower_Lip_Mid",
    "R_Lower_Lip_1", "R_Lower_Lip_2",
    "R_Inner_Lip_Corner", "R_Inner_Upper_Lip", "Inner_Upper_Lip_Mid", "L_Inner_Upper_Lip",
    "L_Inner_Lip_Corner", "L_Inner_Lower_Lip", "Inner_Lower_Lip_Mid", "R_Inner_Lower_Lip",
)  # fmt: skip
LANDMARKS = IBUG68[17:] + IBUG68[:17]  # smplx's order: 51 static, then the 17 contour points
FACE72 = ("Jaw", "Head", "L_Eyeball", "R_Eyeball") + LANDMARKS

SMPL_JOINTS = (
    "Pelvis", "L_Hip", "R_Hip", "Spine1", "L_Knee", "R_Knee", "Spine2", "L_Ankle", "R_Ankle",
    "Spine3", "L_Foot", "R_Foot", "Neck", "L_Collar", "R_Collar", "Head", "L_Shoulder",
    "R_Shoulder", "L_Elbow", "R_Elbow", "L_Wrist", "R_Wrist", "L_Hand", "R_Hand",
)  # fmt: skip
# smplx's vertex-id keys -> keypoint names, in the order smplx appends them to its joints.
EXTRA_NAMES = {
    "nose": "Nose", "reye": "R_Eye", "leye": "L_Eye", "rear": "R_Ear", "lear": "L_Ear",
    "LBigToe": "L_Big_toe", "LSmallToe": "L_Small_toe", "LHeel": "L_Heel",
    "RBigToe": "R_Big_toe", "RSmallToe": "R_Small_toe", "RHeel": "R_Heel",
    **{f"{s.lower()}{f.lower()}": f"{s}_{f}_4" for s in ("L", "R") for f in FINGERS},
}  # fmt: skip
MANO_TIPS = {f.lower(): f"R_{f}_4" for f in FINGERS}


def _model_hand(side: str) -> tuple[str, ...]:
    """The 15 finger joints of a hand in smplx/MANO order (index, middle, pinky, ring, thumb)."""
    fingers = ("Index", "Middle", "Pinky", "Ring", "Thumb")
    return tuple(f"{side}_{f}_{k}" for f in fingers for k in range(1, 4))


SMPLX_JOINTS = SMPL_JOINTS[:22] + ("Jaw", "L_Eye_Joint", "R_Eye_Joint")
SMPLX_JOINTS += _model_hand("L") + _model_hand("R")
MANO_JOINTS = ("R_Wrist",) + _model_hand("R")
FLAME_JOINTS = ("Neck", "Head", "Jaw", "L_Eye_Joint", "R_Eye_Joint")


@dataclass(frozen=True)
class FamilyLayout:
    """Everything that differs between the four models, by name."""

    joints: tuple[str, ...]
    pose_slots: tuple[tuple[str | None, int], ...]  # joint order of the pose; None = rest
    extras: tuple[str, ...]  # keypoint names of the extra vertices, smplx's order
    smplx_outputs: int  # how many leading sources smplx's own forward returns as joints
    keypoints: tuple[str, ...]
    subsets: dict[str, tuple[str, ...]]
    roots: dict[str, str]
    aliases: dict[str, str]  # keypoint -> source joint where the names differ
    neck_joint: int | None  # first joint of the chain that picks the contour landmarks


def _layout(name: str) -> FamilyLayout:
    rest = None
    face = {"face": FACE72}
    if name == "smplx":
        hands = {"lhand": ("L_Wrist",) + hand20("L"), "rhand": ("R_Wrist",) + hand20("R")}
        pose = (("global_orient", 1), ("body_pose", 21), ("jaw_pose", 1), (rest, 2))
        pose += (("left_hand_pose", 15), ("right_hand_pose", 15))
        extras = tuple(EXTRA_NAMES.values())
        return FamilyLayout(
            SMPLX_JOINTS, pose, extras, 55 + 21 + 68, BODY25 + hand20("L") + hand20("R") + FACE72,
            {"body": BODY25, **hands, **face},
            {"body": "Pelvis", "lhand": "L_Wrist", "rhand": "R_Wrist", "face": "Neck"},
            {"L_Eyeball": "L_Eye", "R_Eyeball": "R_Eye"}, 12,
        )  # fmt: skip
    if name == "smpl":
        extras = tuple(EXTRA_NAMES.values())
        pose = (("global_orient", 1), ("body_pose", 23))
        return FamilyLayout(
            SMPL_JOINTS, pose, extras, 24 + 21, SMPL_JOINTS + extras[:11],
            {"body": BODY25}, {"body": "Pelvis"}, {}, None,
        )  # fmt: skip
    if name == "mano":
        kps = ("R_Wrist",) + hand20("R")
        pose = (("global_orient", 1), ("right_hand_pose", 15))
        return FamilyLayout(
            MANO_JOINTS, pose, tuple(MANO_TIPS.values()), 16, kps, {"rhand": kps},
            {"rhand": "R_Wrist"}, {}, None,
        )  # fmt: skip
    pose = (("global_orient", 1), (rest, 1), ("jaw_pose", 1), (rest, 2))
    return FamilyLayout(
        FLAME_JOINTS, pose, (), 5 + 68, ("Neck",) + FACE72, face, {"face": "Neck"},
        {"L_Eyeball": "L_Eye_Joint", "R_Eyeball": "R_Eye_Joint"}, 0,
    )  # fmt: skip


def _spec(name: str, n_betas: int, n_expr: int) -> ParamSpec:
    g = ParamGroup
    if name == "smplx":
        groups = (
            g("global_orient", "rotation", 1), g("body_pose", "rotation", 21),
            g("left_hand_pose", "rotation", 15, "hand"), g("right_hand_pose", "rotation", 15, "hand"),
            g("jaw_pose", "rotation", 1, "face"), g("betas", "vector", n_betas),
            g("expression", "vector", n_expr, "face"),
        )  # fmt: skip
    elif name == "smpl":
        groups = (
            g("global_orient", "rotation", 1), g("body_pose", "rotation", 23),
            g("betas", "vector", n_betas),
        )  # fmt: skip
    elif name == "mano":
        groups = (
            g("global_orient", "rotation", 1, "hand"), g("right_hand_pose", "rotation", 15, "hand"),
            g("betas", "vector", n_betas, "hand"),
        )  # fmt: skip
    else:
        groups = (
            g("global_orient", "rotation", 1, "face"), g("jaw_pose", "rotation", 1, "face"),
            g("expression", "vector", n_expr, "face"), g("betas", "vector", n_betas, "face"),
        )  # fmt: skip
    return ParamSpec(groups)


def _flip(names: tuple[str, ...]) -> tuple[int, ...]:
    """Left/right swap by name; a point whose mirror is not in the set maps to itself (MANO)."""
    other = {"L_": "R_", "R_": "L_"}
    swapped = [other[n[:2]] + n[2:] if n[:2] in other else n for n in names]
    return tuple(names.index(m) if m in names else i for i, m in enumerate(swapped))


def _body_part(joint: str) -> int:
    """SMPL body part (parts.BODY_PARTS index) of the region a model joint moves."""
    if joint in SMPL_JOINTS:
        return SMPL_JOINTS.index(joint)
    if joint in ("Jaw", "L_Eye_Joint", "R_Eye_Joint"):
        return SMPL_JOINTS.index("Head")
    return SMPL_JOINTS.index("L_Hand" if joint.startswith("L_") else "R_Hand")


def _hand_part(joint: str) -> int:
    """Hand part (parts.HAND_PARTS index): 0 palm for wrists, 1..15 finger segments, else -1."""
    if joint[2:] in ("Wrist", "Hand"):
        return 0
    bits = joint.split("_")
    if len(bits) == 3 and bits[1] in FINGERS:
        return P.HAND_PARTS.index(f"{bits[1].lower()}_{bits[2]}")
    return -1


class SMPLXFamilyModel(BodyModel):
    """One of SMPL-X, SMPL, MANO, FLAME built from checked :class:`ModelArrays`.

    The model data are non-persistent buffers: they never end up in a checkpoint (the files
    are licensed). ``extras["smplx_joints"]`` is the joint set smplx's own forward returns.
    """

    family = "smplx"

    def __init__(self, name: str, arrays: ModelArrays, flat_hand_mean: bool = False):
        super().__init__()
        self.name = name
        self.source_path = arrays.path
        lay = _layout(name)
        self._lay = lay
        self.spec = _spec(name, arrays.shapedirs.shape[2], arrays.exprdirs.shape[2])

        def buf(key: str, value, dtype=torch.float32) -> None:
            self.register_buffer(key, torch.as_tensor(np.asarray(value), dtype=dtype), False)

        num_v = arrays.v_template.shape[0]
        buf("v_template", arrays.v_template)  # (V, 3)
        buf("shapedirs", np.concatenate([arrays.shapedirs, arrays.exprdirs], 2))  # (V, 3, S)
        buf("posedirs", arrays.posedirs.reshape(-1, arrays.posedirs.shape[2]).T)  # (P, V*3)
        buf("J_regressor", arrays.j_regressor)  # (J, V)
        buf("parents", arrays.parents, torch.long)  # (J,)
        buf("lbs_weights", arrays.weights)  # (V, J)
        buf("faces", arrays.faces, torch.long)  # (F, 3)
        ids = [arrays.vertex_ids[k] for k in self._extra_keys(name)]
        buf("extra_vertex_ids", np.asarray(ids, dtype=np.int64), torch.long)  # (E,)
        self.flat_hand_mean = flat_hand_mean
        self.hand_mean_groups = () if flat_hand_mean else tuple(sorted(arrays.hand_means))
        for g, mean in arrays.hand_means.items():
            buf(f"{g}_mean", mean.reshape(15, 3))
        for k, v in arrays.landmarks.items():
            buf(k, v, torch.long if "faces" in k else torch.float32)
        if lay.neck_joint is not None:
            chain, j = [], lay.neck_joint
            while j != -1:
                chain.append(j)
                j = int(arrays.parents[j])
            buf("neck_kin_chain", chain, torch.long)
        sources = lay.joints + lay.extras + (LANDMARKS if arrays.landmarks else ())
        kp_src = [sources.index(lay.aliases.get(n, n)) for n in lay.keypoints]
        buf("keypoint_sources", kp_src, torch.long)  # (K,)
        self.keypoint_layout = KeypointLayout(
            names=lay.keypoints,
            subsets={k: tuple(lay.keypoints.index(n) for n in v) for k, v in lay.subsets.items()},
            flip=_flip(lay.keypoints),
            roots={k: lay.keypoints.index(v) for k, v in lay.roots.items()},
        )
        self._init_parts(num_v)

    @staticmethod
    def _extra_keys(name: str) -> tuple[str, ...]:
        if name == "mano":
            return tuple(MANO_TIPS)
        return tuple(EXTRA_NAMES) if name in ("smplx", "smpl") else ()

    def _init_parts(self, num_v: int) -> None:
        joints = self._lay.joints
        rest_v = self.v_template  # (V, 3)
        rest_j = self.J_regressor @ rest_v  # (J, 3)
        dom = self.lbs_weights.argmax(1)  # (V,) dominant joint
        body = torch.tensor([_body_part(n) for n in joints])[dom]
        hand = torch.tensor([_hand_part(n) for n in joints])[dom]
        head_ids = [i for i, n in enumerate(joints) if n in ("Neck", "Head", "Jaw") or "Eye" in n]
        head_mask = torch.isin(dom, torch.tensor(head_ids, dtype=torch.long))
        if "Head" in joints:
            h = joints.index("Head")
            skull = dom == h
            center = rest_v[skull].mean(0) if bool(skull.any()) else rest_j[h]
            face = P.face_parts_from_geometry(rest_v, head_mask, float(rest_j[h, 1]), center)
        else:
            face = torch.full((num_v,), -1, dtype=torch.long)
        self.register_buffer("body_part_labels", body.long(), False)
        self.register_buffer("hand_part_labels", hand.long(), False)
        self.register_buffer("face_part_labels", face.long(), False)
        self.part_layout = PartLayout(P.BODY_PARTS, P.HAND_PARTS, P.FACE_PARTS)
        side = torch.tensor([n.startswith("L_") for n in joints])[dom]
        lay = self.keypoint_layout
        groups = {"rhand": ("right_hand_pose",), "lhand": ("left_hand_pose",)}
        groups["face"] = tuple(g for g in ("jaw_pose", "expression") if g in self.spec)
        masks = {"rhand": (hand >= 0) & ~side, "lhand": (hand >= 0) & side, "face": face >= 0}
        self.part_views = {
            k: PartView(
                k, groups[k], lay.subsets[k], tuple(torch.nonzero(masks[k])[:, 0].tolist()),
                lay.roots[k], mirrored=k == "lhand",
            )
            for k in ("rhand", "lhand", "face")
            if k in lay.subsets and all(g in self.spec for g in groups[k])
        }  # fmt: skip

    def _with_hand_mean(self, group: str, rotmat: Tensor) -> Tensor:
        """(B, 15, 3, 3) offsets -> rotations: exp(log(R) + mean), smplx's axis-angle sum."""
        mean = getattr(self, f"{group}_mean").to(rotmat.dtype)  # (15, 3)
        return axis_angle_to_matrix(matrix_to_axis_angle(rotmat) + mean)

    def _forward_rotmat(self, params: dict[str, Tensor]) -> BodyOutput:
        go = params["global_orient_rotmat"]  # (B, 1, 3, 3)
        b = go.shape[0]
        eye = torch.eye(3, dtype=go.dtype, device=go.device)
        mats = []
        for group, n in self._lay.pose_slots:
            if group is None:
                mats.append(eye.expand(b, n, 3, 3))
                continue
            r = params[f"{group}_rotmat"]
            mats.append(self._with_hand_mean(group, r) if group in self.hand_mean_groups else r)
        full_pose = torch.cat(mats, 1)  # (B, J, 3, 3)
        shape = params["betas"]
        if "expression" in self.spec:
            shape = torch.cat([shape, params["expression"]], 1)  # (B, S)
        verts, joints = lbs(
            shape, full_pose, self.v_template, self.shapedirs, self.posedirs,
            self.J_regressor, self.parents, self.lbs_weights, pose2rot=False,
        )  # fmt: skip
        pieces = [joints, verts.index_select(1, self.extra_vertex_ids)]
        if hasattr(self, "lmk_faces_idx"):
            dyn_faces, dyn_bary = find_dynamic_lmk_idx_and_bcoords(
                verts, full_pose, self.dynamic_lmk_faces_idx,
                self.dynamic_lmk_bary_coords.to(verts.dtype), self.neck_kin_chain,
                pose2rot=False,
            )  # fmt: skip
            faces_idx = torch.cat([self.lmk_faces_idx.expand(b, -1), dyn_faces], 1)  # (B, 68)
            bary = self.lmk_bary_coords.to(verts.dtype).expand(b, -1, -1)
            bary = torch.cat([bary, dyn_bary], 1)  # (B, 68, 3)
            pieces.append(vertices2landmarks(verts, self.faces, faces_idx, bary))
        transl = params["transl"][:, None]  # (B, 1, 3)
        sources = torch.cat(pieces, 1) + transl  # (B, J + E + L, 3)
        return BodyOutput(
            vertices=verts + transl,
            joints=sources[:, : len(self._lay.joints)],
            keypoints=sources.index_select(1, self.keypoint_sources),
            extras={"smplx_joints": sources[:, : self._lay.smplx_outputs]},
        )

    @property
    def hand_means(self) -> dict[str, Tensor]:
        """(15, 3) axis-angle mean hand per hand group (what an identity hand pose means)."""
        return {g: getattr(self, f"{g}_mean") for g in self.hand_mean_groups}

    def describe(self) -> dict:
        d = super().describe()
        d["model_file"] = str(self.source_path)
        d["flat_hand_mean"] = self.flat_hand_mean
        return d


def load_smplx_family(
    name: str,
    model_dir: str | os.PathLike | None,
    gender: str = "neutral",
    *,
    flat_hand_mean: bool = False,
) -> SMPLXFamilyModel:
    """Build ``smplx``, ``smpl``, ``mano`` or ``flame`` from the files in ``model_dir``.

    Raises :class:`~robosmplx.errors.ModelFileError` naming the file and where to get it when a
    file is missing, and saying what is wrong when one is malformed.
    """
    md = Path(model_dir) if model_dir is not None else None
    arrays = read_family_arrays(name, md, gender)
    return SMPLXFamilyModel(name, arrays, flat_hand_mean=flat_hand_mean)
