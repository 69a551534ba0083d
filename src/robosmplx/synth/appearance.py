"""How a synthetic person looks: skin tone, hair, clothes with simple patterns, and the light.

Clothing regions come from the model's part labels (the SMPL 24 body parts, plus the face parts
for hair): a top over the torso and arms (sleeveless, short or long sleeves), a bottom over the
hips and legs (shorts or trousers), shoes, hair on the back and top of the head. Colours are
per vertex (patterns are drawn on the rest-pose surface so they move with the body); shading
is Lambert + ambient per pixel from interpolated normals, with a tinted directional light.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from robosmplx.body.parts import BODY_PARTS, FACE_PARTS

SKIN, TOP, BOTTOM, SHOES, HAIR = range(5)

# Skin tones from very light to very dark (linear interpolation between anchors), sRGB 0..1.
SKIN_ANCHORS = np.array([
    (0.98, 0.86, 0.77), (0.93, 0.76, 0.64), (0.85, 0.65, 0.50), (0.74, 0.53, 0.38),
    (0.60, 0.41, 0.28), (0.45, 0.30, 0.20), (0.32, 0.21, 0.14), (0.22, 0.14, 0.10),
])  # fmt: skip
HAIR_COLOURS = np.array([
    (0.05, 0.04, 0.04), (0.16, 0.10, 0.07), (0.32, 0.20, 0.12), (0.55, 0.40, 0.24),
    (0.80, 0.66, 0.42), (0.55, 0.22, 0.10), (0.62, 0.62, 0.60), (0.90, 0.90, 0.88),
])  # fmt: skip
HAIR_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.05, 0.07, 0.05])
TROUSER_COLOURS = np.array([
    (0.16, 0.22, 0.38), (0.30, 0.40, 0.58), (0.08, 0.08, 0.09), (0.55, 0.50, 0.38),
    (0.30, 0.30, 0.30), (0.75, 0.73, 0.68),
])  # fmt: skip


def random_colour(
    rng: np.random.Generator, saturation=(0.0, 0.9), value=(0.15, 0.95)
) -> np.ndarray:
    """(3,) an RGB colour from uniform hue and the given saturation and value ranges."""
    h, s, v = rng.uniform(), rng.uniform(*saturation), rng.uniform(*value)
    return np.array(colorsys.hsv_to_rgb(h, s, v))


def skin_tone(rng: np.random.Generator) -> np.ndarray:
    """(3,) a skin colour anywhere on the human range, with slight hue variation."""
    t = rng.uniform(0, len(SKIN_ANCHORS) - 1)
    i = min(int(t), len(SKIN_ANCHORS) - 2)
    c = (1 - (t - i)) * SKIN_ANCHORS[i] + (t - i) * SKIN_ANCHORS[i + 1]
    return np.clip(c * (1.0 + rng.normal(0, 0.03, 3)), 0.0, 1.0)


@dataclass(frozen=True)
class Pattern:
    """A two-colour pattern on the rest-pose surface: ``plain``, ``stripes``, ``checks`` or
    ``speckle``; ``period`` metres, ``axis`` (3,) unit direction of the stripes' normal."""

    kind: str
    colour2: tuple[float, float, float]
    period: float
    axis: tuple[float, float, float]
    phase: float

    def mix(self, rest: np.ndarray, rng_values: np.ndarray) -> np.ndarray:
        """(V,) weight of ``colour2`` at rest-pose points (V, 3); ``rng_values`` (V,) in [0, 1)."""
        if self.kind == "plain":
            return np.zeros(rest.shape[0])
        u = rest @ np.asarray(self.axis) / self.period + self.phase
        if self.kind == "stripes":
            return (np.sin(2 * np.pi * u) > 0.3).astype(np.float64)
        if self.kind == "checks":
            w = rest @ np.cross(
                self.axis, (0.0, 0.0, 1.0) if abs(self.axis[2]) < 0.9 else (1, 0, 0)
            )
            return ((np.floor(u) + np.floor(w / self.period)) % 2).astype(np.float64)
        return (rng_values < 0.3).astype(np.float64) * 0.7


def sample_pattern(rng: np.random.Generator, base: np.ndarray) -> Pattern:
    kinds = ("plain", "stripes", "checks", "speckle")
    kind = kinds[rng.choice(4, p=[0.5, 0.25, 0.12, 0.13])]
    axis = (0.0, 1.0, 0.0) if rng.uniform() < 0.7 else (1.0, 0.0, 0.0)
    c2 = random_colour(rng) if rng.uniform() < 0.6 else np.clip(base * rng.uniform(0.3, 1.6), 0, 1)
    return Pattern(kind, tuple(c2), rng.uniform(0.02, 0.09), axis, rng.uniform())


@dataclass(frozen=True)
class Outfit:
    """Colours and cut: region colours (5, 3) indexed by SKIN..HAIR, sleeves, trousers."""

    colours: np.ndarray
    top_pattern: Pattern
    bottom_pattern: Pattern
    sleeves: str  # none, short, long
    long_trousers: bool
    bald: bool


def sample_outfit(rng: np.random.Generator) -> Outfit:
    colours = np.zeros((5, 3))
    colours[SKIN] = skin_tone(rng)
    colours[TOP] = random_colour(rng)
    colours[BOTTOM] = (
        TROUSER_COLOURS[rng.integers(len(TROUSER_COLOURS))] * rng.uniform(0.8, 1.2)
        if rng.uniform() < 0.6
        else random_colour(rng, value=(0.1, 0.8))
    )
    colours[SHOES] = random_colour(rng, (0.0, 0.5), (0.05, 0.95))
    colours[HAIR] = HAIR_COLOURS[rng.choice(len(HAIR_COLOURS), p=HAIR_WEIGHTS)]
    colours = np.clip(colours, 0.0, 1.0)
    return Outfit(
        colours=colours,
        top_pattern=sample_pattern(rng, colours[TOP]),
        bottom_pattern=sample_pattern(rng, colours[BOTTOM]),
        sleeves=("none", "short", "long")[rng.choice(3, p=[0.1, 0.4, 0.5])],
        long_trousers=bool(rng.uniform() < 0.7),
        bald=bool(rng.uniform() < 0.1),
    )


def vertex_regions(body_labels: np.ndarray, face_labels: np.ndarray, outfit: Outfit) -> np.ndarray:
    """(V,) region (SKIN..HAIR) of every vertex from its body and face part labels."""
    base = np.array([n[2:] if n[:2] in ("L_", "R_") else n for n in BODY_PARTS])[body_labels]
    region = np.full(body_labels.shape, SKIN)
    top = {"spine1", "spine2", "spine3", "collar"}
    if outfit.sleeves != "none":
        top.add("upperarm")
    if outfit.sleeves == "long":
        top.add("forearm")
    bottom = {"pelvis", "thigh"} | ({"calf"} if outfit.long_trousers else set())
    region[np.isin(base, list(top))] = TOP
    region[np.isin(base, list(bottom))] = BOTTOM
    region[np.isin(base, ["foot", "toes"])] = SHOES
    if not outfit.bald:
        hair = [FACE_PARTS.index("back_of_head"), FACE_PARTS.index("top_of_head")]
        region[np.isin(face_labels, hair)] = HAIR
    return region


def vertex_colours(
    outfit: Outfit, regions: np.ndarray, rest: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(V, 3) albedo per vertex: region colours, patterns on the top and bottom, slight noise."""
    col = outfit.colours[regions].copy()  # (V, 3)
    speckle = rng.uniform(size=regions.shape[0])
    for reg, pat in ((TOP, outfit.top_pattern), (BOTTOM, outfit.bottom_pattern)):
        m = regions == reg
        if m.any():
            w = pat.mix(rest[m], speckle[m])[:, None]
            col[m] = (1 - w) * col[m] + w * np.asarray(pat.colour2)
    col *= 1.0 + rng.normal(0.0, 0.025, (col.shape[0], 1))
    return np.clip(col, 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class Lighting:
    """Directional light towards ``direction`` (camera frame, unit), ambient and diffuse terms,
    an RGB tint."""

    direction: np.ndarray
    ambient: float
    diffuse: float
    tint: np.ndarray


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """A light from the camera's side of the scene, mostly from above, any strength and tint."""
    d = np.array([rng.uniform(-1, 1), rng.uniform(-1.0, 0.4), -rng.uniform(0.15, 1.0)])
    tint = 1.0 + np.array([1.0, 0.0, -1.0]) * rng.normal(0, 0.06) + rng.normal(0, 0.02, 3)
    return Lighting(
        direction=d / np.linalg.norm(d),
        ambient=float(rng.uniform(0.2, 0.55)),
        diffuse=float(rng.uniform(0.45, 0.95)),
        tint=np.clip(tint, 0.8, 1.2) * rng.uniform(0.8, 1.15),
    )


def shade_pixels(
    albedo: np.ndarray, normals: np.ndarray, view: np.ndarray, light: Lighting
) -> np.ndarray:
    """(N, 3) colours of N pixels: albedo (N, 3), unit normals (N, 3), unit view rays (N, 3).

    Normals are turned to face the camera first, so the winding of the mesh does not matter.
    """
    n = np.where(((normals * view).sum(-1) > 0)[:, None], -normals, normals)
    lambert = np.clip(n @ light.direction, 0.0, None)
    out = albedo * (light.ambient + light.diffuse * lambert)[:, None] * light.tint
    return np.clip(out, 0.0, 1.0)
