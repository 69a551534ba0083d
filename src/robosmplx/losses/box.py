"""L_box: L1 on the centre and scale of the predicted hand and face boxes (whole-body stage).

Boxes are ``xywh`` in the body crop's pixels; centre (x + w/2, y + h/2) and size (w, h) are
divided by the crop side, so an error of 1.0 is one crop width. The four numbers are averaged,
then the samples with ``has_<part>_bbox`` set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from robosmplx.geometry.boxes import xywh_to_cs
from robosmplx.losses.masking import check_shape, masked_mean, sample_flags, sanitize

PART_BOXES = ("lhand", "rhand", "face")


def box_loss(
    pred_box: Tensor, gt_box: Tensor, crop_size: float, has: Tensor | None = None
) -> Tensor:
    """L1 between (B, 4) xywh boxes as (centre, size) / crop_size; has: (B,) flags."""
    b = pred_box.shape[0]
    check_shape("pred_box", pred_box, (b, 4))
    check_shape("gt_box", gt_box, (b, 4))
    w = sample_flags(has, b, pred_box)[:, None]  # (B, 1)
    gt = sanitize(gt_box.to(pred_box.dtype), w)
    pc, ps = xywh_to_cs(pred_box)
    gc, gs = xywh_to_cs(gt)
    diff = torch.cat((pc - gc, ps - gs), -1) / crop_size  # (B, 4)
    return masked_mean(diff.abs(), w)


def part_box_losses(
    pred_boxes: Mapping[str, Tensor],
    batch: Mapping[str, Tensor],
    crop_size: float,
    parts: Sequence[str] = PART_BOXES,
) -> dict[str, Tensor]:
    """``box_<part>`` terms for the parts with a prediction and ``gt_<part>_bbox`` in the batch
    (flags ``has_<part>_bbox``; a missing flag means always valid)."""
    out: dict[str, Tensor] = {}
    for part in parts:
        if part in pred_boxes and f"gt_{part}_bbox" in batch:
            out[f"box_{part}"] = box_loss(
                pred_boxes[part], batch[f"gt_{part}_bbox"], crop_size, batch.get(f"has_{part}_bbox")
            )
    return out
