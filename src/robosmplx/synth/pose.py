"""Pose sampler: an everyday activity, random variation within the joint limits, hands, face,
and a world orientation (any heading, back views, lying down).

Poses are drawn on the reference rig (Anny's bones, canonical axis-angle, see
:mod:`robosmplx.synth.limits`); :mod:`robosmplx.synth.retarget` carries them to other body
models. Everything comes from the ``numpy`` generator passed in, so a sample is a pure function
of its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robosmplx.body.anny_model import BODY_BONES
from robosmplx.synth.activities import ACTIVITIES
from robosmplx.synth.expression import sample_expression
from robosmplx.synth.hands import sample_hand
from robosmplx.synth.limits import BODY, from_joint_space

# Random variation (degrees, per joint-frame axis) added to the keyframes, by bone.
NOISE_DEG = {
    "upperleg01": (8, 6, 4), "lowerleg01": (8, 1, 1), "foot": (8, 4, 4),
    "spine": (3, 4, 3), "neck": (5, 7, 4), "head": (8, 8, 6),
    "clavicle": (4, 4, 4), "shoulder01": (3, 3, 3), "upperarm01": (14, 14, 12),
    "lowerarm01": (14, 2, 20), "wrist": (15, 8, 10),
}  # fmt: skip
EXPLORE_WEIGHT = 0.06  # share of poses drawn uniformly inside 60 % of the limit boxes
EXPLORE_RANGE = 0.6


@dataclass
class RefPose:
    """One person's pose on the reference rig.

    body (25, 3), left_hand / right_hand (15, 3): canonical axis-angle; expression (E,): Anny's
    facial actions in [0, 1]; world_orient (3, 3): body -> world (Y up, the camera looks at it
    later); activity and grips name what was drawn; jaw_open in [0, 1] (the ``jawOpen``
    action, for models with a jaw bone instead).
    """

    body: np.ndarray
    left_hand: np.ndarray
    right_hand: np.ndarray
    expression: np.ndarray
    world_orient: np.ndarray
    activity: str
    grips: tuple[str, str]
    jaw_open: float


def _noise_sigma() -> np.ndarray:
    sig = []
    for b in BODY_BONES:
        base = b.split(".")[0]
        key = "spine" if base.startswith("spine") else "neck" if base.startswith("neck") else base
        sig.append(NOISE_DEG[key])
    return np.radians(np.array(sig, np.float64))


_SIGMA = _noise_sigma()  # (25, 3)
_LEFT = np.array([b.endswith(".L") for b in BODY_BONES])
_SWAP = np.array([BODY_BONES.index(b[:-1] + ("R" if b[-1] == "L" else "L")) if b[-2] == "." else i
                  for i, b in enumerate(BODY_BONES)])  # fmt: skip


def mirror_coords(coords: np.ndarray) -> np.ndarray:
    """(25, 3) body joint coordinates of the mirrored pose (left and right exchanged)."""
    out = coords[_SWAP].copy()
    central = ~(_LEFT | BODY.is_right)
    out[central, 1:] *= -1.0
    return out


def rotation(axis: str, angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about the canonical ``x``, ``y`` or ``z`` axis."""
    c, s = np.cos(angle), np.sin(angle)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def rotvec_matrix(rv: np.ndarray) -> np.ndarray:
    """(3,) rotation vector -> (3, 3)."""
    angle = float(np.linalg.norm(rv))
    if angle < 1e-12:
        return np.eye(3)
    a = rv / angle
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * k @ k


def sample_world_orient(rng: np.random.Generator, lying: bool, root: np.ndarray) -> np.ndarray:
    """(3, 3) body -> world: any heading, the activity's root tilt ``root`` (3,) rotation
    vector, small random tilts; lying on the back, side or front."""
    yaw = rotation("y", rng.uniform(-np.pi, np.pi))
    tilt = rotation("x", rng.normal(0, np.radians(4))) @ rotation("z", rng.normal(0, np.radians(4)))
    tilt = tilt @ rotvec_matrix(root)
    if not lying:
        return yaw @ tilt
    roll = rotation("y", rng.choice([0.0, 0.5, -0.5, 1.0]) * np.pi + rng.normal(0, 0.15))
    return yaw @ rotation("x", -np.pi / 2) @ roll @ tilt


def sample_body_coords(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str, tuple, bool]:
    """(25, 3) joint coordinates, (3,) root tilt, the activity, its grips (left, right), lying."""
    if rng.uniform() < EXPLORE_WEIGHT:
        u = rng.uniform(size=BODY.lo.shape)
        coords = EXPLORE_RANGE * (BODY.lo + u * (BODY.hi - BODY.lo))
        return coords, np.zeros(3), "explore", (None, None), False
    names = list(ACTIVITIES)
    w = np.array([ACTIVITIES[n].weight for n in names])
    name = names[rng.choice(len(names), p=w / w.sum())]
    act = ACTIVITIES[name]
    frames = [k.to_coords() for k in act.keyframes]
    roots = [k.root_rotvec() for k in act.keyframes]
    i, t = 0, 0.0
    if len(frames) > 1:
        i, t = int(rng.integers(len(frames) - 1)), rng.uniform()
    coords = (1 - t) * frames[i] + t * frames[min(i + 1, len(frames) - 1)]
    root = (1 - t) * roots[i] + t * roots[min(i + 1, len(roots) - 1)]
    grips = act.grips
    if rng.uniform() < 0.5:
        coords = mirror_coords(coords)
        root = root * np.array([1.0, -1.0, -1.0])
        grips = grips[::-1]
    coords = coords + rng.normal(0.0, 1.0, coords.shape) * _SIGMA
    return coords, root, name, grips, rng.uniform() < act.lying


def sample_pose(rng: np.random.Generator, expression_labels: tuple[str, ...]) -> RefPose:
    """One :class:`RefPose` within the joint limits."""
    coords, root, name, grips, lying = sample_body_coords(rng)
    body = from_joint_space(np.clip(coords, BODY.lo, BODY.hi), BODY)
    lh, lgrip = sample_hand(rng, "L", grips[0])
    rh, rgrip = sample_hand(rng, "R", grips[1])
    expr = sample_expression(rng, expression_labels)
    world = sample_world_orient(rng, lying, root)
    jaw = float(expr[expression_labels.index("jawOpen")]) if "jawOpen" in expression_labels else 0.0
    return RefPose(body, lh, rh, expr, world, name, (lgrip, rgrip), jaw)
