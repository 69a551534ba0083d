"""L_segm: cross-entropy of the part-segmentation head against the ground-truth part map.

Softmax over the P + 1 channels (0 = background, 1..P parts) and the negative log-likelihood of
the true label, averaged over the H x W pixels of the samples that have a part map (following
PARE). Pixels labelled ``ignore_index`` (default -1, "unknown") are left out too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.losses.masking import check_shape, masked_mean, sample_flags


def segmentation_loss(
    pred_segm_logits: Tensor,
    gt_part_segm: Tensor,
    has: Tensor | None = None,
    ignore_index: int = -1,
) -> Tensor:
    """Pixel-averaged cross-entropy. pred_segm_logits: (B, P+1, H, W) raw logits;
    gt_part_segm: (B, H, W) long labels in 0..P; has: (B,) ``has_segm`` flags."""
    b, c, h, w = pred_segm_logits.shape
    check_shape("gt_part_segm", gt_part_segm, (b, h, w))
    labels = gt_part_segm.long()
    keep = (labels != ignore_index) & (sample_flags(has, b, pred_segm_logits) > 0)[:, None, None]
    safe = torch.where(keep, labels, torch.zeros_like(labels))  # (B, H, W)
    if bool(((safe < 0) | (safe >= c)).any()):
        raise ShapeError(
            f"gt_part_segm: labels {int(safe.min())}..{int(safe.max())} fall outside 0..{c - 1} "
            f"for a head with {c} channels; check the part counts of the body model and the head"
        )
    ce = F.cross_entropy(pred_segm_logits, safe, reduction="none")  # (B, H, W)
    return masked_mean(ce, keep.to(ce.dtype))
