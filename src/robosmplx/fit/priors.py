"""Priors that keep a fitted pose human: joint limits and a Gaussian pose prior.

- Joint limits: the synthetic engine's per-joint boxes (:mod:`robosmplx.synth.limits`, written
  for Anny's rig), as a squared hinge on the rotation vector in each joint's frame (radians^2,
  mean over joints). Anny only: the SMPL-X family's joints have other frames.
- Pose prior: a Gaussian over the rotation vectors of ``body_pose`` and each hand group, fitted
  to :data:`PRIOR_SAMPLES` (SMPL-X family: :data:`PRIOR_SAMPLES_RETARGETED`) poses of the synthetic engine's sampler (:mod:`robosmplx.synth.pose`,
  seed 0; carried to the SMPL-X family by :class:`robosmplx.synth.retarget.Retarget`), computed
  at first use per body model and cached. Energy: mean squared Mahalanobis distance per
  dimension. Anny's is kept in the body-model cache folder (``fit_pose_prior_anny_*.npz``,
  about 40 KB) so later processes read it instead of sampling again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from robosmplx.body.base import BodyModel
from robosmplx.io import atomic_write

PRIOR_VERSION = 1  # bump when the sampler or the fit of the Gaussian changes
PRIOR_SAMPLES = 2000
PRIOR_SAMPLES_RETARGETED = 500  # the SMPL-X family: each sample is carried over joint by joint
PRIOR_SEED = 0
RIDGE = 1e-3  # rad^2 added to the covariance's diagonal (joints the sampler never moves)
POSE_GROUPS = ("body_pose", "left_hand_pose", "right_hand_pose")


@dataclass(frozen=True)
class Gaussian:
    """mean (D,) and whitening matrix W (D, D) with W^T W = covariance^-1."""

    mean: Tensor
    whiten: Tensor

    def energy(self, x: Tensor) -> Tensor:
        """(B, D) -> (B,) mean over dimensions of the squared Mahalanobis distance."""
        z = (x - self.mean.to(x.dtype)) @ self.whiten.to(x.dtype).T  # (B, D)
        return z.square().mean(-1)


def _gaussian(samples: np.ndarray) -> Gaussian:
    mean = samples.mean(0)
    cov = np.cov(samples, rowvar=False) + RIDGE * np.eye(samples.shape[1])
    evals, evecs = np.linalg.eigh(cov)
    whiten = (evecs / np.sqrt(evals)).T  # (D, D)
    return Gaussian(torch.from_numpy(mean).float(), torch.from_numpy(whiten).float())


def _reference_samples(n: int, seed: int, expression_labels: tuple[str, ...]) -> list:
    from robosmplx.synth.pose import sample_pose

    rng = np.random.default_rng(seed)
    return [sample_pose(rng, expression_labels) for _ in range(n)]


def _cache_path() -> Path:
    from robosmplx.body.anny_model import cache_dir

    return (
        cache_dir().parent
        / f"fit_pose_prior_anny_v{PRIOR_VERSION}_{PRIOR_SAMPLES}_{PRIOR_SEED}.npz"
    )


def _anny_prior(expression_labels: tuple[str, ...]) -> dict[str, Gaussian]:
    """Anny's prior, read from the cache folder or computed once and written there."""
    path = _cache_path()
    try:
        with np.load(path, allow_pickle=False) as z:
            return {
                g: Gaussian(torch.from_numpy(z[f"{g}.mean"]), torch.from_numpy(z[f"{g}.whiten"]))
                for g in POSE_GROUPS
            }
    except (OSError, KeyError, ValueError):
        pass
    poses = _reference_samples(PRIOR_SAMPLES, PRIOR_SEED, expression_labels)
    samples = {
        "body_pose": np.stack([p.body.reshape(-1) for p in poses]),
        "left_hand_pose": np.stack([p.left_hand.reshape(-1) for p in poses]),
        "right_hand_pose": np.stack([p.right_hand.reshape(-1) for p in poses]),
    }
    prior = {g: _gaussian(s.astype(np.float64)) for g, s in samples.items()}
    arrays = {
        f"{g}.{k}": getattr(v, k).numpy() for g, v in prior.items() for k in ("mean", "whiten")
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")
    except OSError:
        pass  # a read-only cache only costs the recomputation next time
    return prior


@functools.lru_cache(maxsize=8)
def pose_prior(body: BodyModel) -> dict[str, Gaussian]:
    """Gaussians per pose group of ``body`` (groups it has), fitted to the synthetic sampler."""
    if body.family == "anny":
        return _anny_prior(tuple(body.expression_labels))
    else:
        from robosmplx.synth.retarget import Retarget

        poses = _reference_samples(PRIOR_SAMPLES_RETARGETED, PRIOR_SEED, ("jawOpen",))
        ret = Retarget(body)
        rng = np.random.default_rng(PRIOR_SEED)
        betas = np.zeros(body.spec["betas"].size)
        out = [ret.params(p, betas, rng) for p in poses]
        groups = {g: np.stack([o[g].reshape(-1) for o in out]) for g in POSE_GROUPS if g in out[0]}
    return {g: _gaussian(s.astype(np.float64)) for g, s in groups.items() if g in body.spec}


@dataclass(frozen=True)
class LimitTable:
    """Torch form of a limit table: frames (N, 3, 3), lo/hi (N, 3) radians, mirror (N, 3)."""

    frames: Tensor
    lo: Tensor
    hi: Tensor
    mirror: Tensor

    def penalty(self, rotvec: Tensor) -> Tensor:
        """(B, N, 3) canonical rotation vectors -> (B,) mean squared excess (radians^2)."""
        r = rotvec * self.mirror.to(rotvec.dtype)
        c = torch.einsum("nji,bnj->bni", self.frames.to(rotvec.dtype), r)  # joint frames
        over = torch.relu(self.lo.to(c.dtype) - c) + torch.relu(c - self.hi.to(c.dtype))
        return over.square().sum(-1).mean(-1)

    def clip(self, rotvec: Tensor) -> Tensor:
        """(B, N, 3) rotation vectors moved into the boxes (component-wise in joint frames)."""
        m = self.mirror.to(rotvec.dtype)
        f = self.frames.to(rotvec.dtype)
        c = torch.einsum("nji,bnj->bni", f, rotvec * m)
        c = torch.maximum(torch.minimum(c, self.hi.to(c.dtype)), self.lo.to(c.dtype))
        return torch.einsum("nij,bnj->bni", f, c) * m


def _table(lim) -> LimitTable:
    mirror = np.where(lim.is_right[:, None], np.array([1.0, -1.0, -1.0]), 1.0)
    return LimitTable(*(torch.from_numpy(np.ascontiguousarray(a)).float()
                        for a in (lim.frames, lim.lo, lim.hi, mirror)))  # fmt: skip


@functools.lru_cache(maxsize=1)
def _anny_limits() -> dict[str, LimitTable]:
    from robosmplx.synth import limits as L

    return {
        "body_pose": _table(L.BODY),
        "left_hand_pose": _table(L.LEFT_HAND),
        "right_hand_pose": _table(L.RIGHT_HAND),
    }


def joint_limits(body: BodyModel) -> dict[str, LimitTable]:
    """Limit tables per pose group, for Anny; empty for models whose joint frames differ."""
    return _anny_limits() if body.family == "anny" else {}
