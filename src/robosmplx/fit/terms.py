"""The fit's data terms, each (B,) per person: robust reprojection, world landmarks, silhouette.

Reprojection and world terms are confidence- and weight-averaged Geman-McClure losses
``rho(r) = r^2 / (r^2 + sigma^2)`` (0 when exact, towards 1 when far: outliers stop pulling),
with ``r`` the residual divided by the size given (person, hand or face extent, px) or in
metres. The silhouette term is ``1 - soft IoU`` of the soft-rendered mesh and the mask crop.
"""

from __future__ import annotations

from torch import Tensor

from robosmplx.geometry.camera import project
from robosmplx.render.soft import soft_silhouette


def geman_mcclure(sq: Tensor, sigma: float) -> Tensor:
    """Geman-McClure of squared residuals ``sq``: sq / (sq + sigma^2), in [0, 1)."""
    return sq / (sq + sigma * sigma)


def _weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """(B, M) values, (B, M) weights -> (B,); 0 where a person has no weight."""
    total = weights.sum(-1)
    return (values * weights).sum(-1) / total.clamp_min(1e-8)


def reprojection(
    points: Tensor, K: Tensor, target: Tensor, weight: Tensor, scale: Tensor, sigma: float
) -> Tensor:
    """points (B, M, 3) camera frame; K (B, 3, 3); target (B, M, 3) x, y px and confidence;
    weight (M,) per point; scale (B,) px. -> (B,) robust mean of |uv - target| / scale."""
    uv = project(points, K)  # (B, M, 2)
    sq = ((uv - target[..., :2]) / scale[:, None, None]).square().sum(-1)  # (B, M)
    w = target[..., 2] * weight[None].to(target.dtype)
    return _weighted_mean(geman_mcclure(sq, sigma), w)


def world_landmarks(
    points: Tensor, root: Tensor, target: Tensor, conf: Tensor, weight: Tensor, sigma: float
) -> Tensor:
    """points (B, M, 3) camera frame, root (B, 3) the model's point between the hips, target
    (B, M, 3) root-relative metric landmarks in camera axes, conf (B, M), weight (M,).
    -> (B,) robust mean of the root-relative 3D distance (metres)."""
    rel = points - root[:, None]
    sq = (rel - target).square().sum(-1)  # (B, M)
    return _weighted_mean(geman_mcclure(sq, sigma), conf * weight[None].to(conf.dtype))


def silhouette(
    verts_cam: Tensor, faces: Tensor, K_crop: Tensor, mask: Tensor, sigma_px2: float = 1.0
) -> Tensor:
    """(B,) ``1 - soft IoU`` of the meshes (B, V, 3) rendered by the project's soft rasterizer
    with the crop cameras (B, 3, 3) at the masks' size (B, S, S)."""
    s = mask.shape[-1]
    sil = soft_silhouette(verts_cam, faces, K_crop, (s, s), sigma=sigma_px2)  # (B, S, S)
    inter = (sil * mask).sum((1, 2))
    union = (sil + mask - sil * mask).sum((1, 2))
    return 1.0 - inter / union.clamp_min(1e-6)
