"""L_proj: projected part-mask loss of the Pixel Alignment Module (section 4.4).

The predicted mesh is rendered with a differentiable soft rasterizer into per-part probability
maps (B, P+1, H, W) (channel 0 background) and compared with the ground-truth part map. The
paper calls it a "sigmoid loss": every channel is an independent binary mask, so the default is
binary cross-entropy between each rendered channel and the one-hot ground truth, averaged over
channels and pixels. ``kind="ce"`` gives the categorical variant (the released configs name the
term "CE"): the channels are renormalised to sum to one and the log-likelihood of the true part
is taken. The loss takes probabilities, not a mesh, so it is independent of the renderer;
:func:`proj_loss_from_mesh` wires in any renderer with the call signature of
``robosmplx.render.soft.soft_part_masks``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.geometry.pixels import scale_intrinsics
from robosmplx.losses.masking import check_shape, masked_mean, sample_flags

ProjKind = Literal["bce", "ce"]


def projected_mask_loss(
    rendered_probs: Tensor,
    gt_part_segm: Tensor,
    has: Tensor | None = None,
    kind: ProjKind = "bce",
    ignore_index: int = -1,
    eps: float = 1e-6,
) -> Tensor:
    """Rendered part probabilities vs. ground-truth part labels.

    rendered_probs: (B, P+1, H, W) in [0, 1]; gt_part_segm: (B, H, W) long in 0..P (pixels equal
    to ``ignore_index`` are skipped); has: (B,) ``has_segm`` flags. Probabilities are clamped to
    [eps, 1 - eps] before the logarithm.
    """
    b, c, h, w = rendered_probs.shape
    check_shape("gt_part_segm", gt_part_segm, (b, h, w))
    labels = gt_part_segm.long()
    keep = (labels != ignore_index) & (sample_flags(has, b, rendered_probs) > 0)[:, None, None]
    safe = torch.where(keep, labels, torch.zeros_like(labels))  # (B, H, W)
    if bool(((safe < 0) | (safe >= c)).any()):
        raise ShapeError(
            f"gt_part_segm: labels {int(safe.min())}..{int(safe.max())} fall outside 0..{c - 1} "
            f"for a rendering with {c} channels; render with the ground truth's part count"
        )
    p = rendered_probs.clamp(eps, 1.0 - eps)
    if kind == "bce":
        onehot = F.one_hot(safe, c).permute(0, 3, 1, 2).to(p.dtype)  # (B, P+1, H, W)
        bce = -(onehot * p.log() + (1.0 - onehot) * (1.0 - p).log())  # (B, P+1, H, W)
        return masked_mean(bce, keep[:, None].to(p.dtype))
    if kind == "ce":
        logp = p.log() - p.sum(1, keepdim=True).log()  # (B, P+1, H, W) normalised
        nll = -logp.gather(1, safe[:, None])[:, 0]  # (B, H, W)
        return masked_mean(nll, keep.to(p.dtype))
    raise ShapeError(f"projected mask loss kind: got {kind!r}, expected 'bce' or 'ce'")


def rescale_intrinsics(k: Tensor, src_size: float, dst_size: float) -> Tensor:
    """(B, 3, 3) intrinsics for an image of side ``src_size`` -> the same camera on a resized
    image of side ``dst_size`` (pixel centres at integers: u' = (u + 0.5) r - 0.5)."""
    return scale_intrinsics(k, dst_size / src_size)


def proj_loss_from_mesh(
    verts_cam: Tensor,
    faces: Tensor,
    face_labels: Tensor,
    k: Tensor,
    gt_part_segm: Tensor,
    renderer_fn: Callable[..., Tensor],
    num_parts: int,
    has: Tensor | None = None,
    kind: ProjKind = "bce",
    **render_kwargs,
) -> Tensor:
    """Render the mesh with ``renderer_fn`` at the ground truth's resolution and apply
    :func:`projected_mask_loss`.

    verts_cam: (B, V, 3) camera-frame vertices (translation applied); faces: (F, 3) long;
    face_labels: (F,) per face (or (V,) per vertex) in the renderer's convention (0..P-1,
    -1 not drawn; ``render.soft.soft_part_masks``); k: (B, 3, 3) intrinsics
    in pixels of the part map (see :func:`rescale_intrinsics`); gt_part_segm: (B, H, W).
    ``renderer_fn(verts_cam, faces, k, (H, W), face_labels, num_parts, **render_kwargs)``
    must return (B, num_parts + 1, H, W) probabilities. Only samples with ``has`` set are
    rendered.
    """
    b, h, w = gt_part_segm.shape
    if has is not None:
        keep = sample_flags(has, b, verts_cam) > 0  # (B,)
        if not bool(keep.any()):
            return verts_cam.sum() * 0.0
        if not bool(keep.all()):  # render only the samples that have a part map
            verts_cam, k, gt_part_segm = verts_cam[keep], k[keep], gt_part_segm[keep]
            b = verts_cam.shape[0]
    probs = renderer_fn(verts_cam, faces, k, (h, w), face_labels, num_parts, **render_kwargs)
    check_shape("rendered part probabilities", probs, (b, num_parts + 1, h, w))
    return projected_mask_loss(probs, gt_part_segm, None, kind)
