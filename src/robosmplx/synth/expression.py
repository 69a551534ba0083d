"""Sparse facial expressions: a few named facial actions at a time, jaw opening included.

Anny's ``expression`` group holds 52 facial-action controls in [0, 1] (ARKit-style names, in
``model.expression_labels``). Real faces use few of them at once, so a sample is neutral, one
preset (smile, surprise, ...) with random strengths and slight left/right asymmetry, or a few
random actions; the jaw opens on its own now and then (talking). For models with PCA
expressions (SMPL-X, FLAME) :func:`sample_pca_expression` draws sparse coefficients instead.
"""

from __future__ import annotations

import numpy as np

# preset: {action (``Left``/``Right`` pairs written once with ``*``): (low, high)}
PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    "smile": {"mouthSmile*": (0.4, 1.0), "cheekSquint*": (0.1, 0.6)},
    "laugh": {"mouthSmile*": (0.6, 1.0), "cheekSquint*": (0.3, 0.8), "jawOpen": (0.25, 0.6)},
    "surprise": {"browInnerUp": (0.5, 1.0), "browOuterUp*": (0.4, 1.0), "eyeWide*": (0.3, 0.9),
                 "jawOpen": (0.2, 0.8)},
    "anger": {"browDown*": (0.5, 1.0), "noseSneer*": (0.1, 0.6), "mouthPress*": (0.2, 0.7)},
    "sad": {"browInnerUp": (0.4, 0.9), "mouthFrown*": (0.4, 0.9), "mouthShrugLower": (0.0, 0.5)},
    "disgust": {"noseSneer*": (0.4, 1.0), "mouthUpperUp*": (0.3, 0.8), "browDown*": (0.0, 0.5)},
    "pucker": {"mouthPucker": (0.5, 1.0), "mouthFunnel": (0.0, 0.6)},
    "blink": {"eyeBlink*": (0.6, 1.0)},
    "squint": {"eyeSquint*": (0.4, 1.0), "cheekSquint*": (0.0, 0.4)},
}  # fmt: skip
CHOICES = {"neutral": 0.22, "random": 0.18, **{k: 0.6 / len(PRESETS) for k in PRESETS}}


def sample_expression(rng: np.random.Generator, labels: tuple[str, ...]) -> np.ndarray:
    """(len(labels),) action strengths in [0, 1]; names missing from ``labels`` are skipped."""
    index = {n: i for i, n in enumerate(labels)}
    out = np.zeros(len(labels))
    names = list(CHOICES)
    p = np.array([CHOICES[n] for n in names])
    choice = names[rng.choice(len(names), p=p / p.sum())]
    if choice == "random":
        k = min(int(rng.integers(1, 5)), len(labels))
        out[rng.choice(len(labels), size=k, replace=False)] = rng.uniform(0.2, 1.0, k)
    elif choice != "neutral":
        for action, (lo, hi) in PRESETS[choice].items():
            v = rng.uniform(lo, hi)
            sides = (
                (action[:-1] + "Left", action[:-1] + "Right") if action.endswith("*") else (action,)
            )
            for s in sides:
                if s in index:
                    out[index[s]] = np.clip(v + rng.normal(0.0, 0.08), 0.0, 1.0)
    if "jawOpen" in index and rng.uniform() < 0.25:
        out[index["jawOpen"]] = max(out[index["jawOpen"]], rng.uniform(0.05, 0.7))
    return out


def sample_pca_expression(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size,) sparse PCA expression coefficients: the first few, shrinking with the index."""
    out = np.zeros(size)
    if rng.uniform() < 0.25:
        return out
    k = min(size, 10)
    out[:k] = rng.normal(0.0, 1.0, k) / np.sqrt(1.0 + np.arange(k))
    return np.clip(out, -2.5, 2.5)
