"""Per-joint rotation limits of the reference rig (Anny's 25 body bones and 15 finger joints).

Anny's rotations act in the canonical world axes at rest (X left, Y up, Z forward). A limit is a
box on the rotation vector expressed in a joint frame: ``lo <= F^T r <= hi`` component-wise,
with F (3, 3) whose columns are the frame's axes in canonical coordinates. Most body bones use
the canonical axes themselves (F = I: x flexion/extension, y twist about the vertical, z
sideways); the elbow, wrist and finger joints, whose hinges are oblique in Anny's rest pose (arms
in an A-pose, forearms bent 42 degrees forward, palms facing the thighs), use frames built from
that rest pose: column 0 the flexion axis (positive flexes), column 1 the sideways axis, column 2
the bone itself (twist). Every table is written for the left side; a right-side rotation is
mirrored to the left (``(x, y, z) -> (x, -y, -z)``) before it is compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robosmplx.body.anny_model import BODY_BONES


def _frame(flex_hint, twist) -> np.ndarray:
    """(3, 3) right-handed frame: column 2 along ``twist``, column 0 the flexion axis."""
    a3 = np.asarray(twist, np.float64)
    a3 = a3 / np.linalg.norm(a3)
    a1 = np.asarray(flex_hint, np.float64)
    a1 = a1 - (a1 @ a3) * a3
    a1 = a1 / np.linalg.norm(a1)
    return np.stack((a1, np.cross(a3, a1), a3), axis=1)


def _finger_frame(direction, toward_palm) -> np.ndarray:
    """Frame of a finger segment: positive flexion turns ``direction`` toward ``toward_palm``."""
    d = np.asarray(direction, np.float64)
    return _frame(np.cross(-np.asarray(toward_palm, np.float64), d), d)


# Directions measured on Anny's neutral rest pose (canonical axes, left side).
UPPER_ARM = (0.669, -0.743, 0.020)
FOREARM = (0.511, -0.521, 0.684)
HAND_FORWARD = (0.422, -0.503, 0.754)  # wrist -> middle-finger base
HAND_ACROSS = (0.385, -0.418, -0.823)  # index base -> pinky base
HAND_DORSAL = (0.753, 0.658, 0.018)  # out of the back of the hand
FINGER_DIRECTIONS = {  # segment directions, joint s -> s + 1 (the third ends at the tip)
    "Thumb": ((-0.668, -0.277, 0.690), (-0.338, -0.381, 0.861), (-0.196, -0.563, 0.803)),
    "Index": ((0.134, -0.571, 0.810), (-0.015, -0.696, 0.718), (-0.089, -0.727, 0.681)),
    "Middle": ((0.228, -0.751, 0.619), (0.105, -0.769, 0.631), (0.106, -0.780, 0.617)),
    "Ring": ((0.328, -0.809, 0.488), (0.182, -0.836, 0.518), (0.204, -0.853, 0.481)),
    "Pinky": ((0.289, -0.882, 0.371), (0.125, -0.915, 0.383), (0.167, -0.912, 0.374)),
}
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")

ELBOW_FRAME = _frame(np.cross(UPPER_ARM, FOREARM), FOREARM)
WRIST_FRAME = _finger_frame(HAND_FORWARD, -np.asarray(HAND_DORSAL))
# The thumb flexes across the palm, toward the little finger's side and the palm.
THUMB_TOWARD = np.asarray(HAND_ACROSS) - np.asarray(HAND_DORSAL)


@dataclass(frozen=True)
class JointLimit:
    """Limits of one joint, degrees, in ``frame`` (None: canonical axes)."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    frame: np.ndarray | None = None


def _lim(lo, hi, frame=None) -> JointLimit:
    return JointLimit(tuple(float(v) for v in lo), tuple(float(v) for v in hi), frame)


_SPINE = _lim((-8, -10, -10), (20, 10, 10))
_NECK = _lim((-20, -25, -15), (20, 25, 15))
# Left-side (and central) body limits by bone name without the side suffix.
_BODY = {
    "upperleg01": _lim((-125, -40, -25), (30, 40, 50)),  # hip: flexion is -x, abduction +z
    "lowerleg01": _lim((-5, -10, -5), (150, 10, 5)),  # knee: flexion +x
    "foot": _lim((-30, -20, -20), (50, 20, 25)),  # ankle: dorsiflexion -x
    "spine05": _SPINE, "spine04": _SPINE, "spine03": _SPINE, "spine02": _SPINE,
    "spine01": _SPINE,  # forward bend +x, turn left +y, lean left -z
    "neck01": _NECK, "neck02": _NECK, "neck03": _NECK,
    "head": _lim((-25, -20, -15), (25, 20, 15)),
    "clavicle": _lim((-15, -20, -10), (15, 20, 25)),  # shrug +z
    "shoulder01": _lim((-15, -15, -10), (15, 15, 20)),
    "upperarm01": _lim((-160, -90, -60), (60, 90, 140)),  # forward -x, raise sideways +z
    "lowerarm01": _lim((-45, -10, -80), (110, 10, 80), ELBOW_FRAME),  # 0 = rest bend of 42
    "wrist": _lim((-70, -30, -30), (80, 20, 30), WRIST_FRAME),  # palmar flexion +
}  # fmt: skip


def _hand_limits() -> tuple[JointLimit, ...]:
    out = []
    for f in FINGERS:
        toward = THUMB_TOWARD if f == "Thumb" else -np.asarray(HAND_DORSAL)
        frames = [_finger_frame(d, toward) for d in FINGER_DIRECTIONS[f]]
        if f == "Thumb":
            lo_hi = (((-30, -40, -30), (60, 40, 30)), ((-10, -10, -10), (60, 10, 10)),
                     ((-15, -5, -5), (80, 5, 5)))  # fmt: skip
        else:
            lo_hi = (((-20, -20, -10), (90, 20, 10)), ((-5, -5, -5), (110, 5, 5)),
                     ((-10, -5, -5), (80, 5, 5)))  # fmt: skip
        out.extend(_lim(lo, hi, fr) for (lo, hi), fr in zip(lo_hi, frames))
    return tuple(out)


BODY_LIMITS: tuple[JointLimit, ...] = tuple(_BODY[b.split(".")[0]] for b in BODY_BONES)
HAND_LIMITS: tuple[JointLimit, ...] = _hand_limits()  # Anny's order: 3 per finger, thumb first
BODY_IS_RIGHT = np.array([b.endswith(".R") for b in BODY_BONES])


@dataclass(frozen=True)
class LimitArrays:
    """A limit table as arrays: frames (N, 3, 3), lo and hi (N, 3) radians, is_right (N,)."""

    frames: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    is_right: np.ndarray


def limit_arrays(limits: tuple[JointLimit, ...], is_right) -> LimitArrays:
    frames = np.stack([np.eye(3) if j.frame is None else j.frame for j in limits])
    lo = np.radians(np.array([j.lo for j in limits]))
    hi = np.radians(np.array([j.hi for j in limits]))
    right = np.broadcast_to(np.asarray(is_right, bool), (len(limits),)).copy()
    return LimitArrays(frames, lo, hi, right)


BODY = limit_arrays(BODY_LIMITS, BODY_IS_RIGHT)
LEFT_HAND = limit_arrays(HAND_LIMITS, False)
RIGHT_HAND = limit_arrays(HAND_LIMITS, True)
_MIRROR = np.array([1.0, -1.0, -1.0])


def to_joint_space(rotvecs: np.ndarray, lim: LimitArrays) -> np.ndarray:
    """(N, 3) canonical rotation vectors -> (N, 3) coordinates in the left-side joint frames."""
    r = np.where(lim.is_right[:, None], rotvecs * _MIRROR, rotvecs)
    return np.einsum("nji,nj->ni", lim.frames, r)


def from_joint_space(coords: np.ndarray, lim: LimitArrays) -> np.ndarray:
    """Inverse of :func:`to_joint_space`."""
    r = np.einsum("nij,nj->ni", lim.frames, coords)
    return np.where(lim.is_right[:, None], r * _MIRROR, r)


def clip_to_limits(rotvecs: np.ndarray, lim: LimitArrays) -> np.ndarray:
    """(N, 3) rotation vectors moved into the limit boxes (component-wise in the joint frames)."""
    return from_joint_space(np.clip(to_joint_space(rotvecs, lim), lim.lo, lim.hi), lim)


def limit_violation(rotvecs: np.ndarray, lim: LimitArrays) -> np.ndarray:
    """(N,) radians by which each joint leaves its box (0 inside)."""
    c = to_joint_space(rotvecs, lim)
    return np.maximum(np.maximum(lim.lo - c, c - lim.hi), 0.0).max(-1)
