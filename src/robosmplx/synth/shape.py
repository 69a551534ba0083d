"""Body shapes across gender, age (children included), weight, height and muscle.

Anny's ``betas`` are its phenotype controls in [0, 1] (``model.phenotype_labels``): gender
(0 male, 1 female), age (0 baby, 1/3 child, 2/3 young adult, 1 old), muscle, weight, height,
proportions. We draw adults most of the time, children and toddlers sometimes, both genders and
in-between, and a broad spread of weight, height and muscle. SMPL-X family models get Gaussian
betas (the first ten, clipped to +-2.5 standard deviations).
"""

from __future__ import annotations

import numpy as np

AGE_GROUPS = {  # name: (weight, low, high) on Anny's age axis
    "adult": (0.74, 0.55, 1.0),
    "child": (0.2, 0.25, 0.55),
    "toddler": (0.06, 0.05, 0.25),
}


def _gender(rng: np.random.Generator) -> float:
    u = rng.uniform()
    if u < 0.45:
        return rng.uniform(0.0, 0.25)
    if u < 0.9:
        return rng.uniform(0.75, 1.0)
    return rng.uniform(0.0, 1.0)


def sample_anny_phenotype(
    rng: np.random.Generator, labels: tuple[str, ...]
) -> tuple[np.ndarray, str]:
    """(len(labels),) phenotype values in [0, 1] and the age group drawn."""
    names = list(AGE_GROUPS)
    w = np.array([AGE_GROUPS[n][0] for n in names])
    group = names[rng.choice(len(names), p=w / w.sum())]
    _, lo, hi = AGE_GROUPS[group]
    draw = {
        "gender": _gender(rng),
        "age": rng.uniform(lo, hi),
        "muscle": rng.normal(0.5, 0.2),
        "weight": rng.normal(0.5, 0.22),
        "height": rng.normal(0.5, 0.22),
        "proportions": rng.uniform(0.0, 0.7),
    }
    out = np.array([draw.get(n, 0.5) for n in labels], np.float64)
    return np.clip(out, 0.0, 1.0), group


def sample_gaussian_betas(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size,) SMPL-style betas: the first ten standard normal, clipped to +-2.5."""
    out = np.zeros(size)
    k = min(size, 10)
    out[:k] = np.clip(rng.normal(0.0, 1.0, k), -2.5, 2.5)
    return out


def sample_shape(rng: np.random.Generator, model) -> tuple[np.ndarray, str]:
    """(n_betas,) shape vector for ``model`` and a short description (age group or 'gaussian')."""
    size = model.spec["betas"].size
    labels = getattr(model, "phenotype_labels", None)
    if model.family == "anny" and labels is not None:
        return sample_anny_phenotype(rng, tuple(labels))
    return sample_gaussian_betas(rng, size), "gaussian"
