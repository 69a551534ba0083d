"""L_3D: L1 between regressed and ground-truth 3D keypoints after root alignment (eq. 1).

Both sets are centred on their own root (pelvis = mean of the hips for body and whole body,
the wrist for hands, the neck for faces), so the loss sees pose and shape, not translation.
Each keypoint is weighted by its ground-truth confidence; a sample whose root keypoint is missing
has no defined alignment and is left out entirely.

:func:`keypoints3d_local_loss` is the same distance in each body's own frame: the root-aligned
points are turned back by their global orientation (predicted points by the predicted one,
ground truth by the true one), so the term scores the articulation alone and its gradient does
not depend on how well the orientation is known. An extension beyond the paper (docs/losses.md).
"""

from __future__ import annotations

import torch
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.losses.masking import (
    RootSpec,
    check_shape,
    masked_mean,
    root_point,
    root_valid,
    sample_flags,
    sanitize,
)


def keypoints3d_loss(
    pred_keypoints3d: Tensor,
    gt_keypoints3d: Tensor,
    root: RootSpec = None,
    has: Tensor | None = None,
) -> Tensor:
    """Confidence-weighted L1 on root-aligned 3D keypoints, in metres.

    pred_keypoints3d: (B, K, 3); gt_keypoints3d: (B, K, 4) xyz + confidence (0 = missing);
    root: keypoint index, several indices averaged, or None for no alignment;
    has: (B,) ``has_keypoints3d`` flags. Returns the mean absolute coordinate error over the
    valid keypoints (a scalar; 0 with zero gradient when nothing is valid).
    """
    b, k = pred_keypoints3d.shape[:2]
    check_shape("pred_keypoints3d", pred_keypoints3d, (b, k, 3))
    check_shape("gt_keypoints3d", gt_keypoints3d, (b, k, 4))
    conf = gt_keypoints3d[..., 3].to(pred_keypoints3d.dtype)  # (B, K)
    flags = sample_flags(has, b, pred_keypoints3d) * root_valid(conf, root)  # (B,)
    w = conf.clamp_min(0) * flags[:, None]  # (B, K)
    gt = sanitize(gt_keypoints3d[..., :3].to(pred_keypoints3d.dtype), w[..., None])  # (B, K, 3)
    pred = pred_keypoints3d
    if root is not None:
        pred = pred - root_point(pred, root)[:, None]
        gt = gt - root_point(gt, root)[:, None]
    return masked_mean((pred - gt).abs(), w[..., None])


def keypoints3d_local_loss(
    pred_keypoints3d: Tensor,
    gt_keypoints3d: Tensor,
    pred_orient: Tensor,
    gt_orient: Tensor,
    root: RootSpec,
    has: Tensor | None = None,
) -> Tensor:
    """:func:`keypoints3d_loss` in the body frame: with ``R`` the global orientation (B, 3, 3)
    (or (B, 1, 3, 3)), points ``p`` become ``R^T (p - root)`` on each side before the L1.

    pred_orient / gt_orient: predicted and true global orientation (rotation matrices in the
    keypoints' frame). has: (B,) flags; samples whose root is missing are left out.
    """
    b, k = pred_keypoints3d.shape[:2]
    check_shape("pred_keypoints3d", pred_keypoints3d, (b, k, 3))
    check_shape("gt_keypoints3d", gt_keypoints3d, (b, k, 4))
    if root is None:
        raise ShapeError("keypoints3d_local_loss needs the root keypoint to turn the points about")
    dtype = pred_keypoints3d.dtype
    conf = gt_keypoints3d[..., 3].to(dtype)  # (B, K)
    flags = sample_flags(has, b, pred_keypoints3d) * root_valid(conf, root)  # (B,)
    gt = sanitize(gt_keypoints3d[..., :3].to(dtype), (conf > 0)[..., None])  # (B, K, 3)
    r_pred = pred_orient.reshape(b, 3, 3).to(dtype)
    r_gt = sanitize(gt_orient.reshape(b, 3, 3).to(dtype), flags[:, None, None] > 0)
    # row vectors: (R^T p)^T = p^T R
    pred = torch.bmm(pred_keypoints3d - root_point(pred_keypoints3d, root)[:, None], r_pred)
    gt = torch.bmm(gt - root_point(gt, root)[:, None], r_gt)
    local = torch.cat((gt, gt_keypoints3d[..., 3:].to(dtype)), -1)
    return keypoints3d_loss(pred, local, None, flags)
