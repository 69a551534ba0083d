"""Similarity Procrustes alignment (Umeyama), batched."""

from __future__ import annotations

import torch
from torch import Tensor

from robosmplx.errors import ShapeError


def similarity_transform(src: Tensor, dst: Tensor, mask: Tensor | None = None):
    """Best scale s, rotation R, translation t with s R src + t ~= dst.

    src, dst: (B, N, 3); mask: (B, N) weights or None. Returns s (B,), R (B, 3, 3), t (B, 3).
    """
    if src.shape != dst.shape or src.dim() != 3 or src.shape[-1] != 3:
        raise ShapeError(
            f"expected two (B, N, 3) tensors, got {tuple(src.shape)}, {tuple(dst.shape)}"
        )
    if mask is None:
        w = torch.ones(src.shape[:2], dtype=src.dtype, device=src.device)
    else:
        w = mask.to(src.dtype)
    wsum = w.sum(1, keepdim=True).clamp_min(1e-8)  # (B, 1)
    mu_s = (w[..., None] * src).sum(1) / wsum  # (B, 3)
    mu_d = (w[..., None] * dst).sum(1) / wsum
    xs = src - mu_s[:, None]
    xd = dst - mu_d[:, None]
    var_s = (w * (xs**2).sum(-1)).sum(1) / wsum[:, 0]  # (B,)
    cov = (w[..., None, None] * (xd[..., :, None] * xs[..., None, :])).sum(1) / wsum[..., None]
    u, sig, vh = torch.linalg.svd(cov)
    d = torch.ones_like(sig)
    d[:, -1] = torch.sign(torch.linalg.det(u @ vh))
    r = u @ torch.diag_embed(d) @ vh  # (B, 3, 3)
    s = (sig * d).sum(-1) / var_s.clamp_min(1e-12)
    t = mu_d - s[:, None] * (r @ mu_s[..., None])[..., 0]
    return s, r, t


def procrustes_align(src: Tensor, dst: Tensor, mask: Tensor | None = None) -> Tensor:
    """(B, N, 3) src aligned onto dst with the best similarity transform."""
    s, r, t = similarity_transform(src, dst, mask)
    return s[:, None, None] * (src @ r.transpose(1, 2)) + t[:, None]
