"""Procedural backgrounds (gradients, noise, shapes, stripes, rooms) and random occluders.

Everything is drawn with numpy and OpenCV at the output size, as float RGB in [0, 1], from the
generator passed in. Occluders are filled shapes laid over the person; their mask tells which
keypoints they hide.
"""

from __future__ import annotations

import cv2
import numpy as np

from robosmplx.synth.appearance import random_colour


def value_noise(rng: np.random.Generator, size: int, octaves: int = 4, base: int = 4) -> np.ndarray:
    """(size, size) smooth noise in [0, 1]: random grids upsampled and summed over octaves."""
    out = np.zeros((size, size), np.float32)
    total = 0.0
    for o in range(octaves):
        cells = base * 2**o
        grid = rng.uniform(size=(cells, cells)).astype(np.float32)
        amp = 0.5**o
        out += amp * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
        total += amp
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _ramp(t: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) along a piecewise-linear colour ramp (k, 3)."""
    k = len(colours) - 1
    s = np.clip(t, 0, 1) * k
    i = np.minimum(s.astype(np.int64), k - 1)
    f = (s - i)[..., None]
    return (1 - f) * colours[i] + f * colours[i + 1]


def gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    a = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    t = (np.cos(a) * x + np.sin(a) * y) - min(0.0, np.cos(a)) - min(0.0, np.sin(a))
    t = t / (abs(np.cos(a)) + abs(np.sin(a)))
    return _ramp(t, np.stack([random_colour(rng) for _ in range(2)]))


def noise(rng: np.random.Generator, size: int) -> np.ndarray:
    t = value_noise(rng, size, octaves=int(rng.integers(2, 6)), base=int(rng.integers(2, 8)))
    return _ramp(t, np.stack([random_colour(rng) for _ in range(int(rng.integers(2, 4)))]))


def shapes(rng: np.random.Generator, size: int) -> np.ndarray:
    img = np.ascontiguousarray(np.broadcast_to(random_colour(rng), (size, size, 3)), np.float32)
    for _ in range(int(rng.integers(5, 30))):
        c = tuple(float(v) for v in random_colour(rng))
        p = rng.uniform(-0.1, 1.1, 2) * size
        r = rng.uniform(0.02, 0.3) * size
        kind = rng.integers(3)
        if kind == 0:
            cv2.circle(img, (int(p[0]), int(p[1])), int(r), c, -1, cv2.LINE_AA)
        elif kind == 1:
            q = p + rng.uniform(-1, 1, 2) * r * 2
            cv2.rectangle(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), c, -1)
        else:
            q = p + rng.uniform(-1, 1, 2) * size * 0.5
            cv2.line(
                img,
                (int(p[0]), int(p[1])),
                (int(q[0]), int(q[1])),
                c,
                int(rng.integers(1, 12)),
                cv2.LINE_AA,
            )
    return img


def stripes(rng: np.random.Generator, size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    a = rng.uniform(0, np.pi)
    period = rng.uniform(0.03, 0.3) * size
    u = (np.cos(a) * x + np.sin(a) * y) / period
    if rng.uniform() < 0.4:  # checkerboard
        v = (-np.sin(a) * x + np.cos(a) * y) / period
        t = ((np.floor(u) + np.floor(v)) % 2).astype(np.float32)
    else:
        t = (np.sin(2 * np.pi * u) > rng.uniform(-0.5, 0.5)).astype(np.float32)
    return _ramp(t, np.stack([random_colour(rng) for _ in range(2)]))


def room(rng: np.random.Generator, size: int) -> np.ndarray:
    """A wall above a floor, each a plain colour with a little texture."""
    horizon = int(rng.uniform(0.2, 0.8) * size)
    wall = noise(rng, size) * 0.25 + random_colour(rng, value=(0.4, 0.95)) * 0.75
    floor = stripes(rng, size) * 0.3 + random_colour(rng, value=(0.2, 0.8)) * 0.7
    img = wall.copy()
    img[horizon:] = floor[horizon:]
    return img


KINDS = {"gradient": gradient, "noise": noise, "shapes": shapes, "stripes": stripes, "room": room}


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float32 RGB in [0, 1]: one procedural kind, sometimes blurred (depth of
    field) and dimmed or brightened."""
    names = list(KINDS)
    img = KINDS[names[rng.integers(len(names))]](rng, size).astype(np.float32)
    if rng.uniform() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 3.0) * size / 256)
    return np.clip(img * rng.uniform(0.6, 1.2), 0.0, 1.0)


def occluders(
    rng: np.random.Generator, size: int, box_xywh: np.ndarray, max_count: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Random filled shapes over ``box_xywh``: colours (size, size, 3) and mask (size, size) bool.

    Each covers roughly 5 to 25 % of the box; solid or textured; polygons, ellipses or bars.
    """
    img = np.zeros((size, size, 3), np.float32)
    mask = np.zeros((size, size), np.uint8)
    x, y, w, h = (float(v) for v in box_xywh[:4])
    for _ in range(int(rng.integers(1, max_count + 1))):
        c = np.array([x, y]) + rng.uniform(0, 1, 2) * np.array([w, h])
        r = np.sqrt(rng.uniform(0.05, 0.25) * w * h)
        one = np.zeros((size, size), np.uint8)
        kind = rng.integers(3)
        if kind == 0:
            n = int(rng.integers(3, 8))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = r * rng.uniform(0.5, 1.2, n)
            pts = c + np.stack((np.cos(ang), np.sin(ang)), 1) * rad[:, None]
            cv2.fillPoly(one, [np.round(pts).astype(np.int32)], 1)
        elif kind == 1:
            axes = (int(r * rng.uniform(0.5, 1.3)), int(r * rng.uniform(0.5, 1.3)))
            cv2.ellipse(one, (int(c[0]), int(c[1])), axes, rng.uniform(0, 180), 0, 360, 1, -1)
        else:
            a = rng.uniform(0, np.pi)
            d = np.array([np.cos(a), np.sin(a)]) * r * 2
            cv2.line(one, tuple(np.round(c - d).astype(int)), tuple(np.round(c + d).astype(int)), 1,
                     max(2, int(r * rng.uniform(0.3, 0.7))))  # fmt: skip
        tex = KINDS["noise"](rng, size) if rng.uniform() < 0.4 else random_colour(rng)
        sel = one.astype(bool)
        img[sel] = np.broadcast_to(tex, (size, size, 3))[sel]
        mask |= one
    return img, mask.astype(bool)
