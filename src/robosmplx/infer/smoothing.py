"""One-Euro filtering of per-frame parameters (Casiez et al. 2012): little lag, little jitter.

Rotations are filtered in the continuous 6D representation and re-orthonormalised.
"""

from __future__ import annotations

import math

import numpy as np


class OneEuroFilter:
    """Filter a stream of arrays of a fixed shape. ``min_cutoff`` (Hz) sets smoothing at rest,
    ``beta`` how fast the cutoff rises with speed, ``d_cutoff`` the derivative's cutoff."""

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.x_prev: np.ndarray | None = None
        self.dx_prev: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, dt: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.x_prev is None or self.x_prev.shape != x.shape:
            self.x_prev, self.dx_prev = x.copy(), np.zeros_like(x)
            return x.copy()
        dx = (x - self.x_prev) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        dx_hat = a_d * dx + (1 - a_d) * self.dx_prev
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = self._alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * self.x_prev
        self.x_prev, self.dx_prev = x_hat, dx_hat
        return x_hat


class ParamSmoother:
    """One filter per parameter name; rotation matrices (..., 3, 3) go through 6D."""

    def __init__(self, fps: float, min_cutoff: float = 1.0, beta: float = 0.05):
        self.dt = 1.0 / max(fps, 1e-3)
        self.min_cutoff, self.beta = min_cutoff, beta
        self.filters: dict[str, OneEuroFilter] = {}

    def __call__(
        self, params: dict[str, np.ndarray], dt: float | None = None
    ) -> dict[str, np.ndarray]:
        """Filter one frame; ``dt`` (seconds since the previous one) defaults to 1 / fps."""
        dt = self.dt if dt is None else dt
        out = {}
        for k, v in params.items():
            f = self.filters.setdefault(k, OneEuroFilter(self.min_cutoff, self.beta))
            v = np.asarray(v, dtype=np.float64)
            if v.shape[-2:] == (3, 3):
                six = np.concatenate((v[..., :, 0], v[..., :, 1]), -1)
                out[k] = _rot6d_to_matrix(f(six, dt)).astype(np.float32)
            else:
                out[k] = f(v, dt).astype(np.float32)
        return out


def _rot6d_to_matrix(x: np.ndarray) -> np.ndarray:
    a1, a2 = x[..., :3], x[..., 3:]
    b1 = a1 / np.maximum(np.linalg.norm(a1, axis=-1, keepdims=True), 1e-8)
    b2 = a2 - (b1 * a2).sum(-1, keepdims=True) * b1
    b2 = b2 / np.maximum(np.linalg.norm(b2, axis=-1, keepdims=True), 1e-8)
    return np.stack((b1, b2, np.cross(b1, b2)), -1)
