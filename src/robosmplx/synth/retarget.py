"""Carry reference-rig poses (Anny's bones) to the body model being rendered.

For Anny the pose is used as drawn. For the SMPL-X family every joint gets a rest correction
``C`` (the rotation taking the model's rest segment onto Anny's, propagated down the chain so
twists agree), and a joint rotation becomes ``R_model = C_parent^T R_anny C_joint``: with it
each segment's world direction matches Anny's for the same pose, whatever the two rest poses
(Anny's A-pose, SMPL-X's T-pose). Segment directions come from the keypoints both layouts name
alike (``L_Elbow``, ``L_Index_2``, ...). Several Anny bones map onto one SMPL-X joint where
Anny's chain is finer (five spine bones onto three). SMPL-X's jaw opens with Anny's
``jawOpen``; its PCA expression is drawn apart.
"""

from __future__ import annotations

import numpy as np
import torch

from robosmplx.errors import ConfigError
from robosmplx.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from robosmplx.synth.expression import sample_pca_expression
from robosmplx.synth.pose import RefPose

JAW_OPEN_RAD = 0.35  # SMPL-X jaw rotation at Anny's jawOpen = 1

_FINGER_ORDER = ("Thumb", "Index", "Middle", "Ring", "Pinky")  # Anny: finger1..5


def _body_table(side_names: bool = True) -> dict[str, tuple]:
    """SMPL joint -> (Anny bones, rest direction (from, to) or a frame, parent joint)."""
    t: dict[str, tuple] = {
        "Spine1": (("spine05", "spine04"), None, None),
        "Spine2": (("spine03",), None, "Spine1"),
        "Spine3": (("spine02", "spine01"), None, "Spine2"),
        "Neck": (("neck01", "neck02", "neck03"), None, "Spine3"),
        "Head": (("head",), None, "Neck"),
    }
    for s in "LR":
        t.update({
            f"{s}_Hip": ((f"upperleg01.{s}",), (f"{s}_Hip", f"{s}_Knee"), None),
            f"{s}_Knee": ((f"lowerleg01.{s}",), (f"{s}_Knee", f"{s}_Ankle"), f"{s}_Hip"),
            f"{s}_Ankle": ((f"foot.{s}",), (f"{s}_Ankle", f"{s}_Toes"), f"{s}_Knee"),
            f"{s}_Foot": ((), None, f"{s}_Ankle"),
            f"{s}_Collar": ((f"clavicle.{s}", f"shoulder01.{s}"), ("Neck", f"{s}_Shoulder"), "Spine3"),
            f"{s}_Shoulder": ((f"upperarm01.{s}",), (f"{s}_Shoulder", f"{s}_Elbow"), f"{s}_Collar"),
            f"{s}_Elbow": ((f"lowerarm01.{s}",), (f"{s}_Elbow", f"{s}_Wrist"), f"{s}_Shoulder"),
            f"{s}_Wrist": ((f"wrist.{s}",), "hand_frame", f"{s}_Elbow"),
            f"{s}_Hand": ((), None, f"{s}_Wrist"),
        })  # fmt: skip
        for f, name in enumerate(_FINGER_ORDER, start=1):
            for k in (1, 2, 3):
                parent = f"{s}_Wrist" if k == 1 else f"{s}_{name}_{k - 1}"
                seg = (f"{s}_{name}_{k}", f"{s}_{name}_{k + 1}")
                t[f"{s}_{name}_{k}"] = ((f"finger{f}-{k}.{s}",), seg, parent)
    return t


TABLE = _body_table()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) the smallest rotation taking direction ``a`` onto direction ``b``."""
    a, b = _unit(a), _unit(b)
    v, c = np.cross(a, b), float(a @ b)
    if c < -1.0 + 1e-9:  # opposite: half turn about any axis normal to a
        axis = _unit(np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0]))
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def _hand_frame(kp: dict[str, np.ndarray], s: str) -> np.ndarray:
    fwd = _unit(kp[f"{s}_Middle_1"] - kp[f"{s}_Wrist"])
    across = kp[f"{s}_Pinky_1"] - kp[f"{s}_Index_1"]
    across = _unit(across - (across @ fwd) * fwd)
    return np.stack((fwd, across, np.cross(fwd, across)), axis=1)


def rest_keypoints(model) -> dict[str, np.ndarray]:
    """Keypoints by name of ``model`` at rest with every absolute rotation the identity."""
    params = model.neutral_params(1)
    for group, mean in getattr(model, "hand_means", {}).items():
        params[f"{group}_rotmat"] = axis_angle_to_matrix(-mean.float())[None]
    with torch.no_grad():
        kp = model(**params).keypoints[0].double().cpu().numpy()
    names = model.keypoint_layout.names
    out = {n: kp[i] for i, n in enumerate(names)}
    for s in "LR":
        if f"{s}_Big_toe" in out:
            out[f"{s}_Toes"] = (out[f"{s}_Big_toe"] + out[f"{s}_Small_toe"]) / 2.0
    return out


def rest_corrections(
    ref: dict[str, np.ndarray], mod: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Joint -> (3, 3) correction C for every joint of :data:`TABLE` both layouts can place."""
    out: dict[str, np.ndarray] = {}
    for joint, (_, seg, parent) in TABLE.items():  # parents come first in TABLE
        cp = out.get(parent, np.eye(3)) if parent else np.eye(3)
        if seg == "hand_frame":
            s = joint[0]
            ok = all(
                f"{s}_{n}" in d
                for d in (ref, mod)
                for n in ("Wrist", "Middle_1", "Index_1", "Pinky_1")
            )
            out[joint] = _hand_frame(ref, s) @ _hand_frame(mod, s).T if ok else cp
        elif seg is not None and all(n in ref and n in mod for n in seg):
            d_mod, d_ref = mod[seg[1]] - mod[seg[0]], ref[seg[1]] - ref[seg[0]]
            out[joint] = min_rotation(cp @ d_mod, d_ref) @ cp
        else:
            out[joint] = cp
    return out


class Retarget:
    """Reference-rig poses -> ``model``'s parameter groups (canonical axis-angle, numpy)."""

    def __init__(self, model):
        self.model = model
        self.family = model.family
        spec = model.spec
        if self.family == "anny":
            return
        needed = ("global_orient", "body_pose", "betas")
        if any(g not in spec for g in needed) or model.spec["body_pose"].size not in (21, 23):
            raise ConfigError(
                f"synthetic data needs a whole-body model (anny, anny-small, smplx or smpl); "
                f"{model.name!r} has parameter groups {list(spec.names)}"
            )
        from robosmplx.body import load_body_model
        from robosmplx.body.anny_model import BODY_BONES, hand_bones
        from robosmplx.body.smplx_family import SMPL_JOINTS

        ref_model = load_body_model("anny-small")
        self.corr = rest_corrections(rest_keypoints(ref_model), rest_keypoints(model))
        n = model.spec["body_pose"].size
        self.body_joints = SMPL_JOINTS[1 : n + 1]
        self.hand_joints = {
            side: tuple(f"{side}_{f}_{k}" for f in ("Index", "Middle", "Pinky", "Ring", "Thumb")
                        for k in (1, 2, 3))
            for side in "LR"
        }  # fmt: skip
        self.ref_index = {b: i for i, b in enumerate(BODY_BONES)}
        for side in "LR":
            self.ref_index.update({b: ("hand", side, i) for i, b in enumerate(hand_bones(side))})
        self.hand_means = {
            g: m.double().numpy() for g, m in getattr(model, "hand_means", {}).items()
        }

    def _ref_rotation(self, bones: tuple[str, ...], mats: dict) -> np.ndarray:
        r = np.eye(3)
        for b in bones:
            i = self.ref_index[b]
            r = r @ (mats["hand", i[1]][i[2]] if isinstance(i, tuple) else mats["body"][i])
        return r

    def params(
        self, pose: RefPose, betas: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Groups other than ``global_orient``/``transl``: rotations (N, 3) axis-angle, vectors (n,)."""
        spec = self.model.spec
        if self.family == "anny":
            return {
                "body_pose": pose.body, "left_hand_pose": pose.left_hand,
                "right_hand_pose": pose.right_hand, "expression": pose.expression, "betas": betas,
            }  # fmt: skip
        to_mat = lambda aa: axis_angle_to_matrix(torch.from_numpy(aa)).numpy()  # noqa: E731
        mats = {"body": to_mat(pose.body), ("hand", "L"): to_mat(pose.left_hand),
                ("hand", "R"): to_mat(pose.right_hand)}  # fmt: skip

        def joint_rotation(joint: str) -> np.ndarray:
            bones, _, parent = TABLE[joint]
            cp = self.corr.get(parent, np.eye(3)) if parent else np.eye(3)
            return cp.T @ self._ref_rotation(bones, mats) @ self.corr[joint]

        def to_aa(rots: list[np.ndarray]) -> np.ndarray:
            return matrix_to_axis_angle(torch.from_numpy(np.stack(rots))).numpy()

        out = {"body_pose": to_aa([joint_rotation(j) for j in self.body_joints]), "betas": betas}
        for group, side in (("left_hand_pose", "L"), ("right_hand_pose", "R")):
            if group in spec:
                aa = to_aa([joint_rotation(j) for j in self.hand_joints[side]])
                out[group] = aa - self.hand_means.get(group, 0.0)
        if "jaw_pose" in spec:
            out["jaw_pose"] = np.array([[JAW_OPEN_RAD * pose.jaw_open, 0.0, 0.0]])
        if "expression" in spec:
            out["expression"] = sample_pca_expression(rng, spec["expression"].size)
        return out
