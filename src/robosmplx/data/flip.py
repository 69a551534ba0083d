"""Left/right mirror tables of a body model: keypoints, rotation groups, expression, part labels.

Taken from the body model: ``keypoint_layout.flip`` for keypoints; for rotation groups the
optional attribute ``rotation_joint_names`` (``{group: joint names}``), else the SMPL/SMPL-X body
joint order below; ``left_*``/``right_*`` groups swap joint for joint (both hands share one joint
order). Expression controls swap ``*Left``/``*Right`` names when the model exposes
``expression_names`` or ``expression_labels`` (Anny's facial actions); otherwise (SMPL-X's PCA
expression, which has no left/right structure) they are kept.
Part labels swap by part name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from robosmplx.data.conventions import flip_permutation, swap_side
from robosmplx.errors import DataError

# Joint order of SMPL-X's body_pose (21 joints) and SMPL's (23): pelvis excluded.
SMPLX_BODY_JOINTS = (
    "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar",
    "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist",
)  # fmt: skip
SMPL_BODY_JOINTS = SMPLX_BODY_JOINTS + ("left_hand", "right_hand")


@dataclass(frozen=True)
class FlipSpec:
    """How every quantity changes under a horizontal mirror.

    ``keypoints``: (K,) permutation. ``rotations``: target group -> (source group, joint
    permutation); every rotation is also mirrored (M R M). ``vectors``: group -> permutation,
    absent = unchanged. ``parts``: part set -> label permutation over 0..P (0 = background).
    ``problem``: why rotation groups cannot be mirrored (None when they can).
    """

    keypoints: tuple[int, ...]
    rotations: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    vectors: dict[str, tuple[int, ...]] = field(default_factory=dict)
    parts: dict[str, tuple[int, ...]] = field(default_factory=dict)
    problem: str | None = None

    def require(self, what: str) -> None:
        """Raise a clear error if parameters cannot be mirrored."""
        if self.problem is not None:
            raise DataError(f"cannot mirror {what}: {self.problem}; set flip_prob=0")


_BONE_INDEX = {"body_pose": "body_bone_idx", "left_hand_pose": "lhand_bone_idx", "right_hand_pose": "rhand_bone_idx"}  # fmt: skip


def _group_joint_names(model, group: str, size: int) -> tuple[str, ...] | None:
    """Joint names of a rotation group: ``rotation_joint_names``, else Anny-style
    ``bone_labels`` + ``<part>_bone_idx``, else the SMPL/SMPL-X tables."""
    names = getattr(model, "rotation_joint_names", None)
    if isinstance(names, dict) and group in names:
        return tuple(names[group])
    labels = getattr(model, "bone_labels", None)
    idx = getattr(model, _BONE_INDEX.get(group, ""), None)
    if labels is not None and idx is not None:
        return tuple(labels[int(i)] for i in idx)
    if group == "body_pose":
        for table in (SMPLX_BODY_JOINTS, SMPL_BODY_JOINTS):
            if len(table) == size:
                return table
    return None


def _rotation_table(model) -> tuple[dict[str, tuple[str, tuple[int, ...]]], str | None]:
    groups = {g.name: g for g in model.spec.groups if g.kind == "rotation"}
    table: dict[str, tuple[str, tuple[int, ...]]] = {}
    problem = None
    for name, g in groups.items():
        src = swap_side(name)
        if src != name:
            if src not in groups or groups[src].size != g.size:
                problem = f"group {name!r} has no mirror group {src!r} of the same size"
                continue
            table[name] = (src, tuple(range(g.size)))
            continue
        if g.size == 1:
            table[name] = (name, (0,))
            continue
        names = _group_joint_names(model, name, g.size)
        if names is None:
            problem = (
                f"body model {getattr(model, 'name', '?')!r} does not name the {g.size} joints "
                f"of {name!r} (attribute rotation_joint_names), so left and right cannot be told"
            )
            continue
        if len(names) != g.size:
            problem = f"{name!r}: {len(names)} joint names for {g.size} joints"
            continue
        table[name] = (name, flip_permutation(names))
    return table, problem


def _part_perm(names) -> tuple[int, ...]:
    """Permutation over labels 0..P (label = part index + 1)."""
    perm = flip_permutation(list(names))
    return (0,) + tuple(p + 1 for p in perm)


def flip_spec(model) -> FlipSpec:
    """Mirror tables of ``model`` (a :class:`robosmplx.body.BodyModel` or a stand-in)."""
    layout = model.keypoint_layout
    flip = tuple(int(i) for i in layout.flip)
    if sorted(flip) != list(range(len(layout.names))):
        raise DataError(
            f"body model {getattr(model, 'name', '?')!r}: keypoint_layout.flip is not a "
            f"permutation of {len(layout.names)} keypoints"
        )
    rotations, problem = _rotation_table(model)
    vectors: dict[str, tuple[int, ...]] = {}
    expr_names = getattr(model, "expression_names", getattr(model, "expression_labels", None))
    if expr_names and "expression" in model.spec:
        if len(expr_names) != model.spec["expression"].size:
            raise DataError(
                f"body model {getattr(model, 'name', '?')!r}: {len(expr_names)} expression_names "
                f"for {model.spec['expression'].size} expression values"
            )
        vectors["expression"] = flip_permutation(list(expr_names))
    parts: dict[str, tuple[int, ...]] = {}
    pl = getattr(model, "part_layout", None)
    if pl is not None:
        parts = {
            "body": _part_perm(pl.body_parts),
            "hand": _part_perm(pl.hand_parts),
            "face": _part_perm(pl.face_parts),
        }
    return FlipSpec(flip, rotations, vectors, parts, problem)
