"""Body-model signature: every size the networks need, as a plain object without model files.

A network is sized by its body model (parameter groups, keypoint and part counts), never by
constants. :class:`BodySignature` holds exactly those sizes, so a network can be built, saved,
restored and counted without the body model's files: :meth:`BodySignature.from_body_model` reads
them from a loaded model, :func:`smplx_signature` states SMPL-X's as the paper uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from robosmplx.body.base import ParamGroup, ParamSpec
from robosmplx.config import from_dict, to_dict
from robosmplx.errors import ConfigError

PART_VIEWS = ("rhand", "lhand", "face")


@dataclass(frozen=True)
class BodySignature:
    """Sizes of a body model as the networks see them.

    groups: the parameter groups (name, kind, size, part). num_keypoints: size of the whole-body
    keypoint set. keypoint_subsets: ``body``/``lhand``/``rhand``/``face`` index tuples into it
    (the hand and face boxes are built from these). part_counts: ``body``/``hand``/``face`` part
    label counts. part_groups / part_keypoints: per part view (``rhand``, ``lhand``, ``face``)
    the groups it predicts in whole-body use and its keypoints (indices into the whole-body set).
    vector_defaults: neutral values of vector groups that are not zero (Anny's ``betas`` 0.5),
    where regressors start.
    """

    family: str
    name: str
    groups: tuple[ParamGroup, ...]
    num_keypoints: int
    keypoint_subsets: dict[str, tuple[int, ...]]
    part_counts: dict[str, int]
    part_groups: dict[str, tuple[str, ...]]
    part_keypoints: dict[str, tuple[int, ...]]
    vector_defaults: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {g.name for g in self.groups}
        for view in PART_VIEWS:
            if view not in self.part_groups or view not in self.part_keypoints:
                raise ConfigError(f"body signature {self.name!r}: part view {view!r} is missing")
            unknown = set(self.part_groups[view]) - names
            if unknown:
                raise ConfigError(
                    f"body signature {self.name!r}: part view {view!r} names unknown groups "
                    f"{sorted(unknown)}; groups are {sorted(names)}"
                )
            bad = [i for i in self.part_keypoints[view] if not 0 <= i < self.num_keypoints]
            if bad:
                raise ConfigError(
                    f"body signature {self.name!r}: {view} keypoint indices {bad[:5]} are outside "
                    f"0..{self.num_keypoints - 1}"
                )
        for key in ("lhand", "rhand", "face"):
            if key not in self.keypoint_subsets:
                raise ConfigError(f"body signature {self.name!r}: keypoint subset {key!r} missing")
        for key in ("body", "hand", "face"):
            if key not in self.part_counts:
                raise ConfigError(f"body signature {self.name!r}: part count {key!r} missing")
        for name, value in self.vector_defaults.items():
            if name not in names or len(value) != self.group(name).size:
                raise ConfigError(
                    f"body signature {self.name!r}: vector default {name!r} does not match a "
                    "vector group of the same size"
                )
        left = [self.group(n) for n in self.part_groups["lhand"]]
        right = [self.group(n) for n in self.part_groups["rhand"]]
        if [(g.kind, g.size) for g in left] != [(g.kind, g.size) for g in right]:
            raise ConfigError(
                f"body signature {self.name!r}: left and right hand groups differ in kind or size "
                f"({[g.name for g in left]} vs {[g.name for g in right]})"
            )

    @property
    def spec(self) -> ParamSpec:
        return ParamSpec(self.groups)

    def group(self, name: str) -> ParamGroup:
        return self.spec[name]

    def to_dict(self) -> dict:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BodySignature:
        return from_dict(cls, data, where="body signature")

    @classmethod
    def from_body_model(cls, model) -> BodySignature:
        """Read the sizes from a loaded :class:`robosmplx.body.BodyModel`.

        A part view without explicit groups falls back to the spec groups of that part
        (``face`` -> groups with ``part == "face"``), which is how Anny's single ``expression``
        group (jaw included) becomes the face subnetwork's output.
        """
        views = model.part_views
        part_groups, part_keypoints = {}, {}
        for view in PART_VIEWS:
            pv = views[view]
            groups = tuple(pv.param_groups)
            if not groups and view == "face":
                groups = tuple(g.name for g in model.spec.groups if g.part == "face")
            part_groups[view] = groups
            part_keypoints[view] = tuple(int(i) for i in pv.keypoints)
        layout = model.keypoint_layout
        defaults = {}
        for g in model.spec.groups:
            if g.kind == "vector":
                value = tuple(float(x) for x in model.vector_default(g.name).reshape(-1))
                if any(value):
                    defaults[g.name] = value
        return cls(
            family=model.family,
            name=model.name,
            groups=tuple(model.spec.groups),
            num_keypoints=len(layout),
            keypoint_subsets={k: tuple(int(i) for i in v) for k, v in layout.subsets.items()},
            part_counts=dict(model.part_layout.counts),
            part_groups=part_groups,
            part_keypoints=part_keypoints,
            vector_defaults=defaults,
        )


# The 137-point whole-body set of the paper (25 body + 2 x 20 finger + 72 face points, the
# Hand4Whole split), named here once so that wrist and neck indices are looked up, not typed.
_BODY25 = (
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
    "right_small_toe", "right_heel", "left_ear", "right_ear", "left_eye", "right_eye", "nose",
)  # fmt: skip
_FINGERS = ("thumb", "index", "middle", "ring", "pinky")
_NUM_FACE_POINTS = 72


def smplx_keypoint_names() -> tuple[str, ...]:
    """Names of the 137 whole-body keypoints of :func:`smplx_signature`, in order."""
    hands = tuple(
        f"{side}_{finger}{k}" for side in ("left", "right") for finger in _FINGERS for k in range(4)
    )
    face = tuple(f"face_{i:02d}" for i in range(_NUM_FACE_POINTS))
    return _BODY25 + hands + face


def smplx_signature() -> BodySignature:
    """SMPL-X sizes as the paper uses them, without the licensed model files.

    Groups: global_orient 1, body_pose 21, left/right_hand_pose 15, jaw_pose 1, expression 10,
    betas 10. Keypoints: the 137-point whole-body set; hand subnetwork J = 21 (wrist + 20 finger
    points), face J = 73 (neck + 72 face points), matching the paper's Section 4.2 counts.
    Parts: 24 body, 16 hand, 15 face. Use it to count and test networks; a network trained on
    real data should be built from the loaded SMPL-X model (``BodySignature.from_body_model``).
    """
    names = smplx_keypoint_names()
    idx = {n: i for i, n in enumerate(names)}

    def fingers(side: str) -> tuple[int, ...]:
        return tuple(idx[f"{side}_{f}{k}"] for f in _FINGERS for k in range(4))

    lhand = (idx["left_wrist"],) + fingers("left")
    rhand = (idx["right_wrist"],) + fingers("right")
    face = tuple(idx[f"face_{i:02d}"] for i in range(_NUM_FACE_POINTS))
    groups = (
        ParamGroup("global_orient", "rotation", 1, "body"),
        ParamGroup("body_pose", "rotation", 21, "body"),
        ParamGroup("left_hand_pose", "rotation", 15, "hand"),
        ParamGroup("right_hand_pose", "rotation", 15, "hand"),
        ParamGroup("jaw_pose", "rotation", 1, "face"),
        ParamGroup("expression", "vector", 10, "face"),
        ParamGroup("betas", "vector", 10, "body"),
    )
    return BodySignature(
        family="smplx",
        name="smplx",
        groups=groups,
        num_keypoints=len(names),
        keypoint_subsets={
            "body": tuple(range(len(_BODY25))),
            "lhand": lhand,
            "rhand": rhand,
            "face": face,
        },
        part_counts={"body": 24, "hand": 16, "face": 15},
        part_groups={
            "rhand": ("right_hand_pose",),
            "lhand": ("left_hand_pose",),
            "face": ("jaw_pose", "expression"),
        },
        part_keypoints={"rhand": rhand, "lhand": lhand, "face": (idx["neck"],) + face},
    )


def group_problems(groups, body_model, exact: bool = False) -> list[str]:
    """How predicted ``groups`` (ParamGroups) disagree with ``body_model``'s: a group it lacks
    or holds with another kind or size, and with ``exact`` also a group it has that is not
    predicted. Empty when they fit."""
    spec = body_model.spec
    problems = []
    for g in groups:
        if g.name not in spec:
            problems.append(f"it has no {g.name!r}")
        elif (spec[g.name].kind, spec[g.name].size) != (g.kind, g.size):
            m = spec[g.name]
            problems.append(f"{g.name!r} is {g.kind} {g.size} here, {m.kind} {m.size} there")
    if exact:
        mine = {g.name for g in groups}
        problems += [f"{n!r} is not predicted" for n in spec.names if n not in mine]
    return problems


def check_body_model(cfg, body_model, where: str) -> None:
    """:class:`robosmplx.errors.CheckpointError` unless network config ``cfg`` fits
    ``body_model`` (its ``body_model_problems``), naming ``where`` and what to do."""
    from robosmplx.errors import CheckpointError

    problems = cfg.body_model_problems(body_model)
    if problems:
        shown = "; ".join(problems[:6]) + (
            f"; ... and {len(problems) - 6} more" if len(problems) > 6 else ""
        )
        raise CheckpointError(
            f"{where}: the network does not fit body model {body_model.name!r} ({shown}); it was "
            "trained for another body model: pass the matching --body-model NAME"
        )
