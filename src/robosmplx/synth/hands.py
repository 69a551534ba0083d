"""Finger articulation: correlated curls from a few grips (fist, open, point, grasp, ...).

A hand is described by one curl per finger (0 straight, 1 fully bent) driving its three joints
together, a spread, and the thumb's own bend and opposition, so neighbouring joints and fingers
move together as real hands do. Angles live in the finger-joint frames of
:mod:`robosmplx.synth.limits` (left-side convention) and are mirrored for the right hand.
"""

from __future__ import annotations

import numpy as np

from robosmplx.synth.limits import LEFT_HAND, RIGHT_HAND, from_joint_space

# Full-curl flexion (degrees) of MCP, PIP, DIP for the four fingers, and of the thumb's joints.
FINGER_CURL = np.array([85.0, 100.0, 65.0])
THUMB_CURL = np.array([45.0, 50.0, 60.0])
SPREAD = np.array([-1.0, 0.0, 0.6, 1.2])  # index, middle, ring, pinky, times the spread angle

GRIPS = {  # name: weight
    "relaxed": 0.24,
    "open": 0.14,
    "fist": 0.14,
    "point": 0.08,
    "grasp": 0.1,
    "pinch": 0.07,
    "peace": 0.05,
    "thumbs_up": 0.04,
    "random": 0.14,
}


def _grip(name: str, rng: np.random.Generator) -> tuple[np.ndarray, float, np.ndarray, float]:
    """(4,) finger curls, spread (deg), (3,) thumb curls, thumb opposition (deg)."""
    u = rng.uniform
    if name == "relaxed":
        c = u(0.1, 0.35) + np.arange(4) * u(0.0, 0.06)
        return c, u(0, 8), np.full(3, u(0.0, 0.3)), u(-5, 15)
    if name == "open":
        return np.full(4, u(-0.12, 0.05)), u(0, 20), np.full(3, u(-0.2, 0.1)), u(-20, 0)
    if name == "fist":
        return (
            np.full(4, u(0.85, 1.0)),
            u(-4, 4),
            np.array([0.6, 0.7, 0.6]) * u(0.8, 1.1),
            u(10, 30),
        )
    if name == "point":
        c = np.array([u(-0.05, 0.1), *np.full(3, u(0.8, 1.0))])
        return c, u(0, 5), np.array([0.5, 0.6, 0.5]) * u(0.7, 1.1), u(5, 25)
    if name == "grasp":
        return (
            np.full(4, u(0.35, 0.65)),
            u(0, 6),
            np.array([0.4, 0.3, 0.3]) * u(0.7, 1.3),
            u(20, 40),
        )
    if name == "pinch":
        c = np.array([u(0.4, 0.6), u(0.2, 0.6), u(0.2, 0.6), u(0.2, 0.6)])
        return c, u(0, 6), np.array([0.4, 0.3, 0.4]) * u(0.8, 1.2), u(25, 40)
    if name == "peace":
        c = np.array([u(-0.05, 0.1), u(-0.05, 0.1), u(0.8, 1.0), u(0.8, 1.0)])
        return c, u(12, 20), np.array([0.5, 0.6, 0.5]), u(10, 25)
    if name == "thumbs_up":
        return np.full(4, u(0.85, 1.0)), 0.0, np.full(3, u(-0.25, 0.0)), u(-10, 5)
    base = u(-0.1, 0.9)
    c = base + 0.3 * np.convolve(rng.standard_normal(6), [0.5, 0.5], "valid")[:4]
    return c, u(-5, 15), np.full(3, u(-0.2, 0.8)) + rng.normal(0, 0.1, 3), u(-15, 35)


def hand_joint_coords(rng: np.random.Generator, grip: str | None = None) -> tuple[np.ndarray, str]:
    """(15, 3) radians in the left-hand joint frames, and the grip (random unless given)."""
    if grip is None:
        names = list(GRIPS)
        p = np.array([GRIPS[n] for n in names])
        grip = names[rng.choice(len(names), p=p / p.sum())]
    curls, spread, thumb, oppose = _grip(grip, rng)
    curls = np.clip(curls, -0.2, 1.05)
    out = np.zeros((5, 3, 3))  # finger (thumb first), joint, (flex, side, twist)
    out[0, :, 0] = thumb * THUMB_CURL
    out[0, 0, 1] = oppose
    out[1:, :, 0] = curls[:, None] * FINGER_CURL[None]
    out[1:, 0, 1] = SPREAD * spread
    out[..., 0] += rng.normal(0.0, 4.0, (5, 3))
    out[..., 1] += rng.normal(0.0, 2.0, (5, 3))
    return np.radians(out.reshape(15, 3)), grip


def sample_hand(
    rng: np.random.Generator, side: str, grip: str | None = None
) -> tuple[np.ndarray, str]:
    """(15, 3) canonical axis-angle of one hand (``side`` 'L' or 'R') within the limits, and
    the grip drawn."""
    lim = LEFT_HAND if side == "L" else RIGHT_HAND
    coords, grip = hand_joint_coords(rng, grip)
    return from_joint_space(np.clip(coords, lim.lo, lim.hi), lim), grip
