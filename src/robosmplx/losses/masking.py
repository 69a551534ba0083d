"""Masked reductions shared by every loss: missing ground truth never enters a loss.

Every loss computes per-element values and a weight per element (a ``has_*`` flag, a keypoint
confidence, or their product). Entries with weight 0 are excluded, not zero-filled: their ground
truth is replaced by a finite placeholder before any arithmetic (so NaN or garbage there cannot
reach the value or the gradient), and the mean is taken over the entries with weight > 0. A batch
with no valid entry gives exactly 0 and a zero gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from robosmplx.errors import ShapeError

RootSpec = int | Sequence[int] | None


def masked_mean(values: Tensor, weights: Tensor | None = None) -> Tensor:
    """``sum(w * v) / count(w > 0)`` over all elements; 0 when no weight is positive.

    values: any shape; weights: broadcastable to ``values`` (confidences or 0/1 flags).
    Confidences scale their entries' contribution; missing entries (w = 0) do not dilute the mean.
    """
    if weights is None:
        return values.mean() if values.numel() else values.sum()
    w = torch.broadcast_to(weights.to(values.dtype), values.shape)
    keep = w > 0
    num = (torch.where(keep, values, torch.zeros_like(values)) * w).sum()
    return num / keep.sum().clamp_min(1).to(values.dtype)


def sanitize(gt: Tensor, valid: Tensor) -> Tensor:
    """Ground truth with invalid entries replaced by 0 so arithmetic on them stays finite.

    gt: (..., C); valid: broadcastable to ``gt`` (bool or float, > 0 means valid). The
    placeholder never reaches a loss: callers mask those entries out with :func:`masked_mean`.
    """
    keep = torch.broadcast_to(valid > 0, gt.shape)
    return torch.where(keep, gt, torch.zeros_like(gt))


def sample_flags(has: Tensor | None, batch: int, like: Tensor) -> Tensor:
    """(B,) float flags from an optional ``has_*`` tensor (all ones when None)."""
    if has is None:
        return torch.ones(batch, dtype=like.dtype, device=like.device)
    has = has.reshape(-1).to(dtype=like.dtype, device=like.device)
    if has.shape[0] != batch:
        raise ShapeError(f"has-flag: got {has.shape[0]} entries for a batch of {batch}")
    return has


def root_point(points: Tensor, root: RootSpec) -> Tensor:
    """(B, N, C) points -> (B, C) root: one index, or the mean of several (pelvis = mid-hips)."""
    if isinstance(root, int):
        return points[:, root]
    idx = torch.as_tensor(list(root), device=points.device, dtype=torch.long)
    return points.index_select(1, idx).mean(1)


def root_valid(conf: Tensor, root: RootSpec) -> Tensor:
    """(B, N) confidences -> (B,) 1 where every root keypoint is present, else 0."""
    if root is None:
        return torch.ones(conf.shape[0], dtype=conf.dtype, device=conf.device)
    idx = [root] if isinstance(root, int) else list(root)
    return (conf[:, idx] > 0).all(1).to(conf.dtype)


def check_shape(name: str, t: Tensor, expected: tuple[int | None, ...]) -> None:
    """Raise :class:`ShapeError` unless ``t`` matches ``expected`` (None = any size)."""
    ok = t.dim() == len(expected) and all(
        e is None or s == e for s, e in zip(t.shape, expected, strict=True)
    )
    if not ok:
        want = ", ".join("*" if e is None else str(e) for e in expected)
        raise ShapeError(f"{name}: got shape {tuple(t.shape)}, expected ({want})")
