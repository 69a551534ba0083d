"""L_BM: body-model parameter losses (rotation groups, vectors, vertices, shape prior).

Rotations are compared as matrices, either L1 on the nine entries (the body configuration's
"pose L1") or the geodesic angle (the hand and face configurations' "rotation distance"). All
rotation groups present in both prediction and ground truth are pooled joint by joint, so the
global orientation counts as one joint among the others. Vectors (``betas``, ``expression``) use
L1 or MSE per entry. The shape prior is an L2 pull of predicted ``betas`` towards zero, the
model's mean shape, and needs no ground truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.geometry.rotations import geodesic_distance
from robosmplx.losses.masking import check_shape, masked_mean, sample_flags, sanitize

RotationKind = Literal["l1", "geodesic"]
VectorKind = Literal["l1", "mse"]


geodesic_angle = geodesic_distance  # the one implementation lives in geometry


def rotation_loss(
    pred_rotmat: Tensor,
    gt_rotmat: Tensor,
    has: Tensor | None = None,
    kind: RotationKind = "l1",
) -> Tensor:
    """Distance between rotation matrices, averaged over valid joints.

    pred_rotmat, gt_rotmat: (B, N, 3, 3); has: (B,) or (B, N) flags. ``l1``: mean absolute
    entry difference; ``geodesic``: mean angle of pred^T gt in radians.
    """
    b, n = pred_rotmat.shape[:2]
    check_shape("pred_rotmat", pred_rotmat, (b, n, 3, 3))
    check_shape("gt_rotmat", gt_rotmat, (b, n, 3, 3))
    if has is None or has.dim() <= 1:
        w = sample_flags(has, b, pred_rotmat)[:, None].expand(b, n)  # (B, N)
    else:
        check_shape("has", has, (b, n))
        w = has.to(pred_rotmat.dtype)
    eye = torch.eye(3, dtype=pred_rotmat.dtype, device=pred_rotmat.device)
    gt = torch.where((w > 0)[..., None, None], gt_rotmat.to(pred_rotmat.dtype), eye)
    if kind == "l1":
        return masked_mean((pred_rotmat - gt).abs(), w[..., None, None])
    if kind == "geodesic":
        return masked_mean(geodesic_angle(pred_rotmat, gt), w)
    raise ShapeError(f"rotation loss kind: got {kind!r}, expected 'l1' or 'geodesic'")


def vector_loss(
    pred: Tensor, gt: Tensor, has: Tensor | None = None, kind: VectorKind = "l1"
) -> Tensor:
    """L1 or MSE per entry of (B, n) vectors, averaged over samples with ``has`` (B,) set."""
    b, n = pred.shape
    check_shape("gt", gt, (b, n))
    w = sample_flags(has, b, pred)[:, None]  # (B, 1)
    diff = pred - sanitize(gt.to(pred.dtype), w)
    if kind == "l1":
        return masked_mean(diff.abs(), w)
    if kind == "mse":
        return masked_mean(diff.square(), w)
    raise ShapeError(f"vector loss kind: got {kind!r}, expected 'l1' or 'mse'")


def vertices_loss(pred_vertices: Tensor, gt_vertices: Tensor, has: Tensor | None = None) -> Tensor:
    """L1 on (B, V, 3) vertices in metres; both meshes from the body model in the same frame
    (without translation), so no alignment is done. has: (B,) flags."""
    b, v = pred_vertices.shape[:2]
    check_shape("pred_vertices", pred_vertices, (b, v, 3))
    check_shape("gt_vertices", gt_vertices, (b, v, 3))
    w = sample_flags(has, b, pred_vertices)[:, None, None]  # (B, 1, 1)
    return masked_mean((pred_vertices - sanitize(gt_vertices, w)).abs(), w)


def shape_prior_loss(
    betas: Tensor, mean: Tensor | None = None, margin: float = 0.0, eps: float = 1e-7
) -> Tensor:
    """L2 prior of (B, n) ``betas`` towards the model's mean shape ``mean`` (zeros for the
    SMPL-X family; the body model's ``vector_default("betas")``, e.g. Anny's 0.5).

    margin 0: the mean of ``(betas - mean)^2``. margin > 0 (the release's threshold prior,
    margin 1 for SMPL-X): only entries further than ``margin`` from the mean count, their
    squares averaged over those entries (0 when none is)."""
    d = betas if mean is None else betas - mean.to(betas)
    if margin <= 0:
        return d.square().mean()
    out = (d.abs() > margin).to(d.dtype)
    return (d.square() * out).sum() / (out.sum() + eps)


def param_losses(
    pred_params: Mapping[str, Tensor],
    batch: Mapping[str, Tensor],
    rotation_kind: RotationKind = "l1",
    betas_kind: VectorKind = "l1",
    expression_kind: VectorKind = "l1",
) -> dict[str, Tensor]:
    """Parameter terms for every group present in both ``pred_params`` and ``batch``.

    pred_params: ``<group>_rotmat`` (B, N, 3, 3), ``betas``, ``expression`` (B, n) as in
    ``Prediction.pred_params``; batch: ``gt_<group>_rotmat``, ``gt_betas``, ``gt_expression``
    with ``has_<group>`` (B,) flags (a missing flag means the ground truth is always valid).
    Returns ``rotation`` (all rotation groups pooled), ``betas`` and ``expression`` when present.
    Vector ground truth shorter than the prediction (e.g. 10 expression coefficients against a
    50-coefficient head) is compared on the leading entries.
    """
    out: dict[str, Tensor] = {}
    preds, gts, flags = [], [], []
    for key in sorted(pred_params):
        if not key.endswith("_rotmat") or f"gt_{key}" not in batch:
            continue
        group = key[: -len("_rotmat")]
        p = pred_params[key]
        b = p.shape[0]
        p = p.reshape(b, -1, 3, 3)
        g = batch[f"gt_{key}"].reshape(b, -1, 3, 3)
        if g.shape != p.shape:
            raise ShapeError(
                f"gt_{key}: got shape {tuple(batch[f'gt_{key}'].shape)}, prediction has "
                f"{tuple(p.shape)}"
            )
        h = sample_flags(batch.get(f"has_{group}"), b, p)  # (B,)
        preds.append(p)
        gts.append(g)
        flags.append(h[:, None].expand(b, p.shape[1]))
    if preds:
        out["rotation"] = rotation_loss(
            torch.cat(preds, 1), torch.cat(gts, 1), torch.cat(flags, 1), rotation_kind
        )
    for name, kind in (("betas", betas_kind), ("expression", expression_kind)):
        if name in pred_params and f"gt_{name}" in batch:
            p, g = pred_params[name], batch[f"gt_{name}"]
            n = min(p.shape[1], g.shape[1])
            out[name] = vector_loss(p[:, :n], g[:, :n], batch.get(f"has_{name}"), kind)
    return out
