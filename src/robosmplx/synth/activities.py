"""Everyday activities as keyframe poses of the reference rig (standing, walking, sitting, ...).

A keyframe gives joint coordinates in degrees in the joint frames of
:mod:`robosmplx.synth.limits` (left-side convention for both sides, so ``arm`` raises either arm
the same way). Short names: ``hip knee ankle clavicle shoulder arm elbow wrist`` per side,
``spine`` (spread over Anny's five spine bones), ``neck`` (over its three neck bones) and
``head``; ``root`` tilts the whole body (a person bending over leans the pelvis, the legs
follow). Angles are relative to Anny's rest pose: arms in an A-pose about 48 degrees from the
body, elbows bent 42 degrees forward. An activity with several keyframes is sampled between two
consecutive ones (a phase of a walk cycle, say).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from robosmplx.body.anny_model import BODY_BONES

LIMB = {
    "hip": "upperleg01", "knee": "lowerleg01", "ankle": "foot", "clavicle": "clavicle",
    "shoulder": "shoulder01", "arm": "upperarm01", "elbow": "lowerarm01", "wrist": "wrist",
}  # fmt: skip
CENTRAL = {
    "spine": ("spine05", "spine04", "spine03", "spine02", "spine01"),
    "neck": ("neck01", "neck02", "neck03"),
    "head": ("head",),
}
Angles = tuple[float, float, float]


@dataclass(frozen=True)
class Keyframe:
    """Left limb, right limb and central joint coordinates (degrees), by short name, and the
    root's tilt (canonical rotation vector, degrees)."""

    left: dict[str, Angles] = field(default_factory=dict)
    right: dict[str, Angles] = field(default_factory=dict)
    central: dict[str, Angles] = field(default_factory=dict)
    root: Angles = (0.0, 0.0, 0.0)

    def mirrored(self) -> Keyframe:
        """The same pose with left and right exchanged."""
        central = {k: (v[0], -v[1], -v[2]) for k, v in self.central.items()}
        r = self.root
        return Keyframe(dict(self.right), dict(self.left), central, (r[0], -r[1], -r[2]))

    def root_rotvec(self) -> np.ndarray:
        """(3,) radians."""
        return np.radians(np.asarray(self.root, np.float64))

    def to_coords(self) -> np.ndarray:
        """(25, 3) radians in :data:`BODY_BONES` order."""
        out = np.zeros((len(BODY_BONES), 3))
        index = {b: i for i, b in enumerate(BODY_BONES)}
        for side, table in (("L", self.left), ("R", self.right)):
            for name, v in table.items():
                out[index[f"{LIMB[name]}.{side}"]] = v
        for name, v in self.central.items():
            bones = CENTRAL[name]
            for b in bones:
                out[index[b]] += np.asarray(v) / len(bones)
        return np.radians(out)


def sym(central: dict | None = None, root: Angles = (0.0, 0.0, 0.0), **limb: Angles) -> Keyframe:
    """A left/right symmetric keyframe."""
    return Keyframe(dict(limb), dict(limb), dict(central or {}), root)


@dataclass(frozen=True)
class Activity:
    """Keyframes, a sampling weight, the grips the hands take (None: random), a lying chance."""

    keyframes: tuple[Keyframe, ...]
    weight: float
    grips: tuple[str | None, str | None] = (None, None)
    lying: float = 0.0


_ARM_DOWN = {"arm": (3.0, 0.0, -36.0), "elbow": (-18.0, 0.0, 0.0)}
_STAND = sym(hip=(0, 3, 2), knee=(3, 0, 0), **_ARM_DOWN)
_WALK = Keyframe(
    left={"hip": (-25, 0, 2), "knee": (8, 0, 0), "ankle": (-8, 0, 0), "arm": (22, 0, -38),
          "elbow": (-12, 0, 0)},
    right={"hip": (15, 0, 2), "knee": (30, 0, 0), "ankle": (18, 0, 0), "arm": (-22, 0, -38),
           "elbow": (8, 0, 0)},
    central={"spine": (3, 8, 0), "neck": (0, -6, 0)},
)  # fmt: skip
_RUN = Keyframe(
    left={"hip": (-55, 0, 3), "knee": (60, 0, 0), "ankle": (-10, 0, 0), "arm": (45, 0, -42),
          "elbow": (50, 0, 0)},
    right={"hip": (20, 0, 3), "knee": (85, 0, 0), "ankle": (30, 0, 0), "arm": (-55, 0, -42),
           "elbow": (55, 0, 0)},
    central={"spine": (12, 12, 0), "neck": (-8, -8, 0)},
)  # fmt: skip
_SIT = sym(
    {"spine": (4, 0, 0)}, hip=(-90, 4, 6), knee=(88, 0, 0), ankle=(-4, 0, 0),
    arm=(-28, 0, -36), elbow=(40, 0, 0), wrist=(10, 0, 0),
)  # fmt: skip
_SIT_FLOOR = sym(
    {"spine": (12, 0, 0), "neck": (-6, 0, 0)}, hip=(-75, -40, 38), knee=(130, 0, 0),
    ankle=(10, 0, 0), arm=(-35, 0, -30), elbow=(45, 0, 0),
)  # fmt: skip
_CROUCH = sym(
    {"spine": (15, 0, 0), "neck": (-20, 0, 0)}, (20, 0, 0), hip=(-120, 0, 16),
    knee=(138, 0, 0), ankle=(-28, 0, 0), arm=(-60, 0, -28), elbow=(30, 0, 0),
)  # fmt: skip
_KNEEL = Keyframe(
    left={"hip": (-88, 0, 4), "knee": (92, 0, 0), "ankle": (-5, 0, 0), **_ARM_DOWN},
    right={"hip": (8, 0, 4), "knee": (100, 0, 0), "ankle": (40, 0, 0), "arm": (-30, 0, -36),
           "elbow": (50, 0, 0)},
    central={"spine": (5, 0, 0)},
)  # fmt: skip
_REACH_FORWARD = Keyframe(
    left={"arm": (-85, 0, -32), "elbow": (-32, 0, 0), "hip": (0, 0, 3)},
    right={**_ARM_DOWN, "hip": (0, 0, 3)},
    central={"spine": (10, -12, 0), "head": (-5, -8, 0)},
)
_REACH_UP = Keyframe(
    left={"arm": (-30, 0, 112), "elbow": (-28, 0, 0), "clavicle": (0, 0, 15)},
    right={**_ARM_DOWN},
    central={"spine": (-5, 0, 8), "head": (-18, 0, 0)},
)
_WAVE = Keyframe(
    left={"arm": (-15, 55, 62), "elbow": (70, 0, 0), "wrist": (0, 0, 0)},
    right={**_ARM_DOWN},
    central={"head": (0, 5, 0)},
)
_POINT = Keyframe(
    left={"arm": (-80, 0, -18), "elbow": (-38, 0, 0)},
    right={**_ARM_DOWN},
    central={"spine": (0, 10, 0), "head": (0, 12, 0)},
)
_BEND = sym(
    {"spine": (25, 0, 0), "neck": (-25, 0, 0)}, (65, 0, 0), hip=(-72, 0, 4), knee=(10, 0, 0),
    arm=(-80, 0, -32), elbow=(-15, 0, 0),
)  # fmt: skip
_ARMS_OUT = sym(arm=(0, 0, 44), elbow=(-40, 0, 0), hip=(0, 0, 6))
_HANDS_ON_HIPS = sym(arm=(40, -30, -15), elbow=(35, 0, 0), wrist=(20, 0, 0), hip=(0, 4, 4))
_ARMS_CROSSED = sym(arm=(-15, -65, -34), elbow=(60, 0, 0), wrist=(10, 0, 0))
_CHEER = sym(
    {"spine": (-6, 0, 0), "head": (-15, 0, 0)}, arm=(-25, 0, 125), elbow=(-25, 0, 0),
    hip=(-25, 0, 6), knee=(40, 0, 0), ankle=(20, 0, 0),
)  # fmt: skip
_PHONE = Keyframe(
    left={"arm": (-35, -10, -36), "elbow": (100, 0, 0), "wrist": (-10, 0, 0)},
    right={**_ARM_DOWN},
    central={"neck": (25, 0, 0), "head": (15, 0, 0)},
)
_LIE = sym(hip=(-5, 0, 8), knee=(8, 0, 0), arm=(0, 0, -20), elbow=(-10, 0, 0))

ACTIVITIES: dict[str, Activity] = {
    "stand": Activity((_STAND,), 0.12),
    "walk": Activity((_WALK, _STAND, _WALK.mirrored()), 0.12),
    "run": Activity((_RUN, _RUN.mirrored()), 0.06),
    "sit": Activity((_SIT,), 0.08),
    "sit_floor": Activity((_SIT_FLOOR,), 0.04),
    "crouch": Activity((_CROUCH,), 0.06),
    "kneel": Activity((_KNEEL,), 0.04),
    "reach_forward": Activity((_STAND, _REACH_FORWARD), 0.06, grips=("open", None)),
    "reach_up": Activity((_REACH_UP,), 0.05, grips=("open", None)),
    "wave": Activity((_WAVE,), 0.05, grips=("open", None)),
    "point": Activity((_POINT,), 0.04, grips=("point", None)),
    "bend": Activity((_BEND,), 0.04),
    "arms_out": Activity((_ARMS_OUT,), 0.04, grips=("open", "open")),
    "hands_on_hips": Activity((_HANDS_ON_HIPS,), 0.04),
    "arms_crossed": Activity((_ARMS_CROSSED,), 0.03),
    "cheer": Activity((_CHEER,), 0.04),
    "phone": Activity((_PHONE,), 0.04, grips=("grasp", None)),
    "lie": Activity((_LIE, _STAND), 0.04, lying=1.0),
}
