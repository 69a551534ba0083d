"""L_3D: L1 between regressed and ground-truth 3D keypoints after root alignment (eq. 1).

Both sets are centred on their own root (pelvis = mean of the hips for body and whole body,
the wrist for hands, the neck for faces), so the loss sees pose and shape, not translation.
Each keypoint is weighted by its ground-truth confidence; a sample whose root keypoint is missing
has no defined alignment and is left out entirely.
"""

from __future__ import annotations

from torch import Tensor

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
