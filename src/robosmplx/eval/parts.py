"""A protocol's parts as index tables of one body model: joints, roots, vertex subsets.

:func:`resolve_parts` gives, per part, the points scored, the root they are aligned at and the
part's vertices. Points come from the model's keypoints, from the joint set smplx's own
forward returns (AGORA's indices), or from regressors on the mesh (3DPW's H36M regressor; EHF's J14 regressor and the
SMPL-X joint regressor rows Hand4Whole uses). SMPL-X part vertices come from the user's SMPL-X
download (``MANO_SMPLX_vertex_ids.pkl``, ``SMPL-X__FLAME_vertex_ids.npy`` in the model folder);
MANO is all right hand, FLAME all face; every other model uses its ``part_views``. Files users
bring for the official protocols (``J_regressor_h36m.npy``, ``SMPLX_to_J14.pkl``,
``body_verts_smplx.npy``) are read from the model folder; a missing one is an error naming it.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robosmplx.errors import ConfigError, ModelFileError
from robosmplx.eval.protocols import PartRule, Protocol

if TYPE_CHECKING:
    from torch import Tensor

# The fourteen LSP joints of 3DPW's protocol, in their usual order; "head_top" falls back to
# the mean of the ears when the keypoint layout has no head-top point.
J14_NAMES = (
    "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
    "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
    "neck", "head_top",
)  # fmt: skip
# H36M-regressor joints -> J14, used when the model folder holds J_regressor_h36m.npy.
H36M_TO_J14 = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10)
SMPLX_HAND_MAP = "MANO_SMPLX_vertex_ids.pkl"
SMPLX_FACE_MAP = "SMPL-X__FLAME_vertex_ids.npy"
H36M_REGRESSOR = "J_regressor_h36m.npy"
H36M_SMPLX_REGRESSOR = "J_regressor_h36m_smplx.npy"
SMPLX_J14_REGRESSOR = "SMPLX_to_J14.pkl"
AGORA_BODY_VERTS = "body_verts_smplx.npy"
H36M_PELVIS = 0
MANO_VERTICES = 778
# SMPL-X joint-regressor rows Hand4Whole aligns at (human_models.py J_regressor_idx) and its
# 21 hand joints: wrist, then per finger (thumb, index, middle, ring, pinky) three joints and
# the fingertip vertex (make_hand_regressor).
EHF_ROOTS = {"wholebody": 0, "body": 0, "lhand": 20, "rhand": 21, "face": 12}
EHF_HAND = {
    "lhand": (20, (37, 38, 39), (25, 26, 27), (28, 29, 30), (34, 35, 36), (31, 32, 33)),
    "rhand": (21, (52, 53, 54), (40, 41, 42), (43, 44, 45), (49, 50, 51), (46, 47, 48)),
}  # thumb, index, middle, ring, pinky; tips: smplx's lthumb ... rpinky (5361 ... 8022)


@dataclass(frozen=True)
class PartSelection:
    """Index tables of one part on one body model.

    joints: per scored joint, the source indices averaged to make it (one index for most).
    source: ``keypoints`` (B, K, 3); ``regressor``: ``regressor`` (R, V) times the mesh;
    ``smplx_joints``: the joint set smplx's own forward returns (B, 144, 3), which AGORA's
    indices address (``BodyOutput.extras["smplx_joints"]``). root: indices
    averaged into the root, in the same space. tips: (joint position, vertex id) pairs taking
    a joint from one mesh vertex (FreiHAND's fingertips). vertices: the part's vertex ids,
    None = all. metrics: the part's own (None = the protocol's). pve_root: whether PVE
    subtracts each mesh's root.
    """

    part: str
    joints: tuple[tuple[int, ...], ...]
    root: tuple[int, ...]
    vertices: tuple[int, ...] | None
    regressor: Tensor | None = None
    source: str = "keypoints"
    tips: tuple[tuple[int, int], ...] = ()
    metrics: tuple[str, ...] | None = None
    pve_root: bool = True

    def _source(self, vertices: Tensor, keypoints: Tensor | None, joints: Tensor | None):
        import torch

        if self.source == "regressor":
            return torch.einsum("rv,bvc->brc", self.regressor.to(vertices), vertices)  # (B, R, 3)
        if self.source == "smplx_joints":
            if joints is None:
                raise ValueError(f"part {self.part!r} needs smplx's joint set")
            return joints
        if keypoints is None:
            raise ValueError(f"part {self.part!r} needs keypoints")
        return keypoints

    def joint_points(
        self, vertices: Tensor, keypoints: Tensor | None, joints: Tensor | None = None
    ) -> Tensor:
        """(B, J, 3) scored joints from a posed mesh (B, V, 3), its keypoints (B, K, 3) and,
        for ``smplx_joints``, smplx's joint set."""
        import torch

        src = self._source(vertices, keypoints, joints)
        pts = torch.stack([src[:, list(ids)].mean(1) for ids in self.joints], 1)
        if self.tips:
            pos, vid = zip(*self.tips)
            pts = pts.clone()
            pts[:, list(pos)] = vertices[:, list(vid)].to(pts)
        return pts

    def root_point(
        self, vertices: Tensor, keypoints: Tensor | None, joints: Tensor | None = None
    ) -> Tensor:
        """(B, 3) alignment root."""
        return self._source(vertices, keypoints, joints)[:, list(self.root)].mean(1)

    def part_vertices(self, vertices: Tensor) -> Tensor:
        """(B, V_part, 3)."""
        if self.vertices is None:
            return vertices
        return vertices[:, list(self.vertices)]


def smplx_folder(model_dir: str | os.PathLike | None) -> Path:
    """The user's SMPL-X folder: ``<model_dir>/smplx`` if it exists, else ``model_dir``."""
    from robosmplx.body.registry import model_dir_from_env

    root = model_dir_from_env(model_dir)
    if root is None:
        raise ModelFileError(
            "the SMPL-X model folder is not set: pass --model-dir (or set $ROBOSMPLX_MODEL_DIR) "
            "to the folder holding smplx/ from https://smpl-x.is.tue.mpg.de"
        )
    sub = root / "smplx"
    return sub if sub.is_dir() else root


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and nothing else (no code runs from the file)."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a numpy array type")


def smplx_part_vertex_ids(model_dir: str | os.PathLike | None) -> dict[str, np.ndarray]:
    """``lhand``, ``rhand``, ``face`` vertex ids of SMPL-X from the files of its download."""
    folder = smplx_folder(model_dir)
    hand_file, face_file = folder / SMPLX_HAND_MAP, folder / SMPLX_FACE_MAP
    for f, what in ((hand_file, "MANO-to-SMPL-X hand"), (face_file, "FLAME-to-SMPL-X face")):
        if not f.is_file():
            raise ModelFileError(
                f"{f}: the {what} vertex map is missing; it ships with the SMPL-X download "
                "(https://smpl-x.is.tue.mpg.de, 'MANO and FLAME vertex indices'); put it in "
                f"{folder}"
            )
    try:
        with open(hand_file, "rb") as fh:
            hands = _ArrayUnpickler(fh, encoding="latin1").load()
        face = np.load(face_file)
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as e:
        raise ModelFileError(
            f"{hand_file} / {face_file}: cannot read the vertex maps ({e})"
        ) from None
    if not isinstance(hands, dict) or not {"left_hand", "right_hand"} <= set(hands):
        raise ModelFileError(f"{hand_file}: expected a dict with 'left_hand' and 'right_hand'")
    return {
        "lhand": np.asarray(hands["left_hand"], np.int64).reshape(-1),
        "rhand": np.asarray(hands["right_hand"], np.int64).reshape(-1),
        "face": np.asarray(face, np.int64).reshape(-1),
    }


def part_vertex_ids(body_model, model_dir=None) -> dict[str, np.ndarray | None]:
    """Vertex ids of ``lhand``, ``rhand``, ``face`` and ``body`` (None = every vertex, empty =
    the model has no such part).

    SMPL-X reads the maps of its download; MANO is all right hand, FLAME all face; every other
    model (Anny, SMPL) uses its ``part_views``. ``body`` is what no hand or face claims.
    """
    name = body_model.name
    n = body_model.num_vertices
    if name == "smplx":
        ids: dict[str, np.ndarray | None] = dict(smplx_part_vertex_ids(model_dir))
    elif name == "mano":  # MANO is a right hand
        ids = {"lhand": np.zeros(0, np.int64), "rhand": None, "face": np.zeros(0, np.int64)}
    elif name == "flame":
        ids = {"lhand": np.zeros(0, np.int64), "rhand": np.zeros(0, np.int64), "face": None}
    else:
        views = getattr(body_model, "part_views", {}) or {}
        ids = {
            p: np.asarray(views[p].vertices if p in views else (), np.int64)
            for p in ("lhand", "rhand", "face")
        }
    for p, v in ids.items():
        if v is not None and v.size and (v.min() < 0 or v.max() >= n):
            raise ModelFileError(
                f"{p} vertex ids reach {int(v.max())} but body model {name!r} has {n} vertices; "
                "the vertex map belongs to another model version"
            )
    claimed = np.zeros(n, bool)
    for v in ids.values():
        if v is not None:
            claimed[v] = True
        else:
            claimed[:] = True
    ids["body"] = np.flatnonzero(~claimed) if claimed.any() else None
    return ids


def _name_index(names: tuple[str, ...]) -> dict[str, int]:
    from robosmplx.data.conventions import normalize_name

    return {normalize_name(n): i for i, n in enumerate(names)}


def _model_file(body_model, model_dir, name: str, what: str, source: str) -> Path:
    """A file users bring for an official protocol: ``<model_dir>/<name>`` or
    ``<model_dir>/<model>/<name>``; ModelFileError naming it and where it comes from."""
    from robosmplx.body.registry import model_dir_from_env

    root = model_dir_from_env(model_dir)
    cands = [] if root is None else [root / name, root / body_model.name / name]
    found = next((f for f in cands if f.is_file()), None)
    if found is None:
        where = cands[0].parent if cands else "the model folder (--model-dir)"
        raise ModelFileError(
            f"{name}: {what} is missing; it comes from {source}; put it in {where}"
        )
    return found


def _read_array(path: Path) -> np.ndarray:
    """A numpy array from ``.npy`` or a pickle holding only an array (no code runs)."""
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with open(path, "rb") as fh:
            out = _ArrayUnpickler(fh, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as e:
        raise ModelFileError(f"{path}: cannot read it as an array ({e})") from None
    if not isinstance(out, np.ndarray):
        raise ModelFileError(f"{path}: expected a numpy array, found {type(out).__name__}")
    return out


def _regressor(path: Path, rows: int, body_model) -> Tensor:
    import torch

    reg = _read_array(path)
    if reg.shape != (rows, body_model.num_vertices):
        raise ModelFileError(
            f"{path}: expected a ({rows}, {body_model.num_vertices}) regressor for "
            f"{body_model.name!r}, got {tuple(reg.shape)}"
        )
    return torch.as_tensor(np.asarray(reg, np.float64), dtype=torch.float32)


def _j14(
    body_model, model_dir
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], Tensor | None]:
    """(joints, root, regressor) of 3DPW's J14: the H36M regressor's 14 LSP joints, aligned at
    its pelvis (mmhuman3d's 3DPW evaluation); required for the SMPL family. Other models
    (Anny) take the joints by name, aligned at the mean of the hips."""
    if body_model.family != "anny":
        f = _model_file(
            body_model, model_dir, H36M_REGRESSOR, "the H36M joint regressor (17 x V) of the "
            "3DPW protocol", "SPIN / mmhuman3d's body-model data (J_regressor_h36m.npy)",
        )  # fmt: skip
        reg = _regressor(f, 17, body_model)
        return tuple((i,) for i in H36M_TO_J14), (H36M_PELVIS,), reg
    index = _name_index(body_model.keypoint_layout.names)
    joints = []
    for name in J14_NAMES:
        if name in index:
            joints.append((index[name],))
        elif name == "head_top" and {"left_ear", "right_ear"} <= set(index):
            joints.append((index["left_ear"], index["right_ear"]))
        else:
            raise ConfigError(
                f"body model {body_model.name!r} has no keypoint named {name!r} for the J14 set"
            )
    return tuple(joints), (index["left_hip"], index["right_hip"]), None


def resolve_prediction_parts(
    protocol: Protocol, body_model, model_dir=None
) -> dict[str, PartSelection]:
    """The parts of a prediction made in another body model than the protocol's ground truth:
    3DPW scored on SMPL-X meshes as Hand4Whole does (data/PW3D/PW3D.py): the H36M joints
    regressed from the SMPL-X mesh by Hand4Whole's ``J_regressor_h36m_smplx.npy`` (17 x
    10475), the same J14 joints and pelvis root as the SMPL ground truth's. No vertex metrics:
    the meshes share no topology."""
    if body_model.name not in protocol.prediction_models:
        raise ConfigError(
            f"protocol {protocol.name!r} scores {protocol.body_model} ground truth; a "
            f"{body_model.name} prediction can be scored on it only for "
            f"{', '.join(protocol.prediction_models) or 'no other body model'}"
        )
    f = _model_file(
        body_model, model_dir, H36M_SMPLX_REGRESSOR, "the SMPL-X H36M joint regressor (17 x "
        "10475) for scoring SMPL-X on 3DPW", "Hand4Whole's data (data/Human36M/"
        "J_regressor_h36m_smplx.npy, github.com/mks0601/Hand4Whole_RELEASE)",
    )  # fmt: skip
    reg = _regressor(f, 17, body_model)
    joints = tuple((i,) for i in H36M_TO_J14)
    metrics = tuple(m for m in protocol.metrics if m not in ("pve", "pa_pve"))
    return {
        rule.part: PartSelection(
            rule.part, joints, (H36M_PELVIS,), None, reg, "regressor", metrics=metrics
        )
        for rule in protocol.parts
    }


def _onehot(vertex: int, n: int) -> np.ndarray:
    row = np.zeros(n)
    row[vertex] = 1.0
    return row


def _smplx_tip(body_model, side: str, finger: int) -> int:
    """smplx's fingertip vertex id (``lthumb`` ... ``rpinky``) of the loaded SMPL-X."""
    from robosmplx.body.smplx_family import EXTRA_NAMES, FINGERS

    key = f"{side}{FINGERS[finger].lower()}"
    return int(body_model.extra_vertex_ids[list(EXTRA_NAMES).index(key)])


def _ehf_part(rule: PartRule, body_model, model_dir) -> PartSelection:
    """EHF's parts as Hand4Whole scores them: every point a row of a regressor on the mesh."""
    import torch

    if body_model.name != "smplx":
        raise ConfigError(f"the EHF parts need SMPL-X, got body model {body_model.name!r}")
    jreg = body_model.J_regressor.detach().cpu().double().numpy()  # (55, V)
    n = body_model.num_vertices
    rows = [jreg[EHF_ROOTS[rule.part]]]
    joints: tuple[tuple[int, ...], ...] = ()
    if rule.joints == "ehf_j14":
        f = _model_file(
            body_model, model_dir, SMPLX_J14_REGRESSOR, "the SMPL-X J14 regressor (14 x V) of "
            "EHF's body PA-MPJPE", "Hand4Whole's / ExPose's data (SMPLX_to_J14.pkl)",
        )  # fmt: skip
        rows += list(_regressor(f, 14, body_model).double().numpy())
        joints = tuple((i,) for i in range(1, 15))
    elif rule.joints in ("ehf_lhand", "ehf_rhand"):
        side = rule.joints[-5:]
        wrist, *fingers = EHF_HAND[side]
        rows.append(jreg[wrist])
        for i, (a, b, c) in enumerate(fingers):
            tip = _onehot(_smplx_tip(body_model, side[0], i), n)
            rows += [jreg[a], jreg[b], jreg[c], tip]
        joints = tuple((i,) for i in range(1, 22))
    elif rule.joints != "ehf_none":
        raise ConfigError(f"unknown EHF joint set {rule.joints!r}")
    reg = torch.as_tensor(np.stack(rows), dtype=torch.float32)
    return PartSelection(
        rule.part, joints, (0,), None, reg, "regressor", metrics=rule.metrics,
        pve_root=rule.pve_root,
    )  # fmt: skip


def _agora_joints(
    rule: PartRule, body_model
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    from robosmplx.eval import official as O

    if body_model.name != "smplx":
        raise ConfigError(f"the AGORA parts need SMPL-X, got body model {body_model.name!r}")
    sets = {
        "agora_body": (O.AGORA_BODY_JOINTS, O.AGORA_BODY_ROOT),
        "agora_lhand": (O.AGORA_LHAND_JOINTS, O.AGORA_LHAND_JOINTS[:1]),
        "agora_rhand": (O.AGORA_RHAND_JOINTS, O.AGORA_RHAND_JOINTS[:1]),
        "agora_face": (O.AGORA_FACE_JOINTS, O.AGORA_FACE_JOINTS[:1]),
    }
    if rule.joints not in sets:
        raise ConfigError(f"unknown AGORA joint set {rule.joints!r}")
    joints, root = sets[rule.joints]
    return tuple((int(i),) for i in joints), tuple(int(i) for i in root)


def _freihand_tips(body_model, joints) -> tuple[tuple[int, int], ...]:
    """FreiHAND's fingertip vertices at the tip positions of the MANO right-hand subset (the
    real MANO's 778 vertices; another mesh keeps its own tips)."""
    from robosmplx.body.smplx_family import FINGERS
    from robosmplx.eval.official import FREIHAND_TIP_VERTICES

    if body_model.name != "mano" or body_model.num_vertices != MANO_VERTICES:
        return ()
    names = [body_model.keypoint_layout.names[j[0]] for j in joints]
    return tuple(
        (names.index(f"R_{f}_4"), FREIHAND_TIP_VERTICES[f.lower()])
        for f in FINGERS
        if f"R_{f}_4" in names
    )


def resolve_parts(protocol: Protocol, body_model, model_dir=None) -> dict[str, PartSelection]:
    """The protocol's parts as index tables of ``body_model``."""
    layout = body_model.keypoint_layout
    vids = part_vertex_ids(body_model, model_dir)
    out: dict[str, PartSelection] = {}
    for rule in protocol.parts:
        regressor, source, tips = None, "keypoints", ()
        if rule.joints.startswith("ehf_"):
            sel = _ehf_part(rule, body_model, model_dir)
            out[rule.part] = dataclasses.replace(sel, vertices=_vertex_ids(protocol, rule, vids))
            continue
        if rule.joints.startswith("agora_"):
            joints, root = _agora_joints(rule, body_model)
            source = "smplx_joints"
        elif rule.joints == "j14":
            joints, root, regressor = _j14(body_model, model_dir)
            source = "keypoints" if regressor is None else "regressor"
        else:
            if rule.joints == "freihand":
                idx = tuple(layout.subsets["rhand"])
            elif rule.joints == "all":
                idx = tuple(range(len(layout)))
            elif rule.joints in layout.subsets:
                idx = tuple(layout.subsets[rule.joints])
            else:
                raise ConfigError(
                    f"protocol {protocol.name!r}: body model {body_model.name!r} has no keypoint "
                    f"subset {rule.joints!r}; it has {sorted(layout.subsets)}"
                )
            joints = tuple((int(i),) for i in idx)
            if rule.joints == "freihand":
                tips = _freihand_tips(body_model, joints)
            if rule.root == "hips":
                index = _name_index(layout.names)
                root = (index["left_hip"], index["right_hip"])
            else:
                root = (int(layout.roots[rule.root]),)
        if rule.vertices == "agora_body":
            f = _model_file(
                body_model, model_dir, AGORA_BODY_VERTS, "AGORA's SMPL-X body vertex ids",
                "the agora_evaluation repository (utils/body_verts_smplx.npy)",
            )  # fmt: skip
            v = np.asarray(_read_array(f), np.int64).reshape(-1)
            if v.size == 0 or v.min() < 0 or v.max() >= body_model.num_vertices:
                raise ModelFileError(f"{f}: vertex ids outside 0..{body_model.num_vertices - 1}")
            vids = {**vids, "agora_body": v}
        out[rule.part] = PartSelection(
            rule.part, joints, root, _vertex_ids(protocol, rule, vids), regressor, source, tips,
            rule.metrics, rule.pve_root,
        )  # fmt: skip
    return out


def _vertex_ids(protocol: Protocol, rule: PartRule, vids) -> tuple[int, ...] | None:
    if rule.vertices == "all":
        return None
    v = vids[rule.vertices]
    if v is not None and v.size == 0:
        raise ConfigError(f"protocol {protocol.name!r}: body model has no {rule.vertices} vertices")
    return None if v is None else tuple(int(i) for i in v)
