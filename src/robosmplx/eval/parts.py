"""A protocol's parts as index tables of one body model: joints, roots, vertex subsets.

:func:`resolve_parts` gives, per part, the keypoint indices scored (or the J14 set), the root
they are aligned at and the part's vertices. SMPL-X part vertices come from the user's SMPL-X
download (``MANO_SMPLX_vertex_ids.pkl``, ``SMPL-X__FLAME_vertex_ids.npy`` in the model folder);
MANO is all right hand, FLAME all face; every other model uses its ``part_views``.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robosmplx.errors import ConfigError, ModelFileError
from robosmplx.eval.protocols import Protocol

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


@dataclass(frozen=True)
class PartSelection:
    """Index tables of one part on one body model.

    joints: per scored joint, the keypoint indices averaged to make it (one index for most);
    or, with ``regressor`` (R, V), indices into the regressed joints. root: indices averaged
    into the root, in the same space as ``joints``. vertices: the part's vertex ids, None = all.
    """

    part: str
    joints: tuple[tuple[int, ...], ...]
    root: tuple[int, ...]
    vertices: tuple[int, ...] | None
    regressor: Tensor | None = None

    def _source(self, vertices: Tensor, keypoints: Tensor) -> Tensor:
        if self.regressor is None:
            return keypoints
        import torch

        return torch.einsum("rv,bvc->brc", self.regressor.to(vertices), vertices)  # (B, R, 3)

    def joint_points(self, vertices: Tensor, keypoints: Tensor) -> Tensor:
        """(B, J, 3) scored joints from a posed mesh (B, V, 3) and its keypoints (B, K, 3)."""
        src = self._source(vertices, keypoints)
        import torch

        return torch.stack([src[:, list(ids)].mean(1) for ids in self.joints], 1)

    def root_point(self, vertices: Tensor, keypoints: Tensor) -> Tensor:
        """(B, 3) alignment root."""
        return self._source(vertices, keypoints)[:, list(self.root)].mean(1)

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


def _j14(
    body_model, model_dir
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], Tensor | None]:
    """(joints, root, regressor) of the J14 set: H36M regressor if present, else by name."""
    import torch

    from robosmplx.body.registry import model_dir_from_env

    root = model_dir_from_env(model_dir)
    if root is not None and body_model.family != "anny":
        for f in (root / H36M_REGRESSOR, root / body_model.name / H36M_REGRESSOR):
            if f.is_file():
                reg = torch.as_tensor(np.load(f), dtype=torch.float32)
                if reg.shape != (17, body_model.num_vertices):
                    raise ModelFileError(
                        f"{f}: expected a (17, {body_model.num_vertices}) regressor, got "
                        f"{tuple(reg.shape)}"
                    )
                joints = tuple((i,) for i in H36M_TO_J14)
                return joints, (H36M_TO_J14[2], H36M_TO_J14[3]), reg
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


def resolve_parts(protocol: Protocol, body_model, model_dir=None) -> dict[str, PartSelection]:
    """The protocol's parts as index tables of ``body_model``."""
    layout = body_model.keypoint_layout
    vids = part_vertex_ids(body_model, model_dir)
    out: dict[str, PartSelection] = {}
    for rule in protocol.parts:
        regressor = None
        if rule.joints == "j14":
            joints, root, regressor = _j14(body_model, model_dir)
        else:
            if rule.joints == "all":
                idx = tuple(range(len(layout)))
            elif rule.joints in layout.subsets:
                idx = tuple(layout.subsets[rule.joints])
            else:
                raise ConfigError(
                    f"protocol {protocol.name!r}: body model {body_model.name!r} has no keypoint "
                    f"subset {rule.joints!r}; it has {sorted(layout.subsets)}"
                )
            joints = tuple((int(i),) for i in idx)
            if rule.root == "hips":
                index = _name_index(layout.names)
                root = (index["left_hip"], index["right_hip"])
            else:
                root = (int(layout.roots[rule.root]),)
        if rule.vertices == "all":
            verts = None
        else:
            v = vids[rule.vertices]
            if v is not None and v.size == 0:
                raise ConfigError(
                    f"protocol {protocol.name!r}: body model {body_model.name!r} has no "
                    f"{rule.vertices} vertices"
                )
            verts = None if v is None else tuple(int(i) for i in v)
        out[rule.part] = PartSelection(rule.part, joints, root, verts, regressor)
    return out
