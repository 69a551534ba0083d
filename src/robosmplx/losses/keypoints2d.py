"""L_2D: L1 between ground-truth 2D keypoints and (a) heatmap joints, (b) projected joints.

Both terms compare in normalised crop coordinates (NDC): x_ndc = (2 u + 1) / S - 1 for crop
pixel u on a crop of side S, so -1 and +1 are the outer edges of the crop and pixel centres sit
in between. This is the convention of ``geometry.camera``: a weak-perspective camera
``s * (x + tx)`` and the equivalent perspective crop camera (focal f, principal point
(S - 1) / 2, depth 2 f / (S s)) land on the same NDC. Errors are therefore independent of the
crop resolution (1.0 = half the crop side).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.geometry.camera import (
    DEFAULT_FOCAL,
    crop_intrinsics,
    ndc_to_pixels,
    pixels_to_ndc,
    project,
    weak_perspective_project,
    weak_to_translation,
)
from robosmplx.losses.masking import (
    RootSpec,
    check_shape,
    masked_mean,
    root_point,
    root_valid,
    sample_flags,
    sanitize,
)


def _weights(gt_keypoints2d: Tensor, has: Tensor | None, like: Tensor) -> Tensor:
    conf = gt_keypoints2d[..., 2].to(like.dtype).clamp_min(0)  # (B, K)
    return conf * sample_flags(has, conf.shape[0], like)[:, None]


def heatmap_keypoints_loss(
    pred_joints_hm: Tensor,
    gt_keypoints2d: Tensor,
    crop_size: float,
    has: Tensor | None = None,
    gt_keypoints3d: Tensor | None = None,
    root: RootSpec = None,
    depth_range: float = 2.0,
) -> Tensor:
    """L1 between soft-argmax joints and ground truth, in NDC (the paper's joint_img term).

    pred_joints_hm: (B, K, 3) x, y in [-1, 1] over the crop, z a root-relative depth in
    [-1, 1]; gt_keypoints2d: (B, K, 3) crop pixels + confidence; has: (B,) optional flags.
    When ``gt_keypoints3d`` (B, K, 4) and ``root`` are given, z is supervised too with
    (z - z_root) / (depth_range / 2) (``depth_range`` metres span the depth axis: about 2 for
    bodies, 0.3 for hands, as Hand4Whole does); otherwise only x, y are compared.
    """
    b, k = pred_joints_hm.shape[:2]
    check_shape("pred_joints_hm", pred_joints_hm, (b, k, 3))
    check_shape("gt_keypoints2d", gt_keypoints2d, (b, k, 3))
    w = _weights(gt_keypoints2d, has, pred_joints_hm)  # (B, K)
    gt_xy = pixels_to_ndc(sanitize(gt_keypoints2d[..., :2], w[..., None]), crop_size)
    xy_term = (pred_joints_hm[..., :2] - gt_xy.to(pred_joints_hm.dtype)).abs()  # (B, K, 2)
    if gt_keypoints3d is None:
        return masked_mean(xy_term, w[..., None])
    if root is None:
        raise ShapeError("heatmap_keypoints_loss: depth supervision needs the root keypoint index")
    check_shape("gt_keypoints3d", gt_keypoints3d, (b, k, 4))
    conf3 = gt_keypoints3d[..., 3].to(pred_joints_hm.dtype).clamp_min(0)  # (B, K)
    w3 = conf3 * sample_flags(has, b, pred_joints_hm)[:, None] * root_valid(conf3, root)[:, None]
    gt3 = sanitize(gt_keypoints3d[..., :3].to(pred_joints_hm.dtype), w3[..., None])
    z = (gt3[..., 2] - root_point(gt3, root)[:, None, 2]) / (depth_range / 2.0)  # (B, K)
    z_term = (pred_joints_hm[..., 2] - z).abs()
    values = torch.cat((xy_term, z_term[..., None]), -1)  # (B, K, 3)
    weights = torch.cat((w[..., None].expand(b, k, 2), w3[..., None]), -1)
    return masked_mean(values, weights)


def project_keypoints(
    keypoints3d: Tensor,
    pred_cam: Tensor,
    crop_size: float,
    camera: Literal["weak", "perspective"] = "perspective",
    focal: float = DEFAULT_FOCAL,
) -> Tensor:
    """(B, K, 3) model keypoints (camera axes, no translation) -> (B, K, 2) NDC on the crop.

    ``weak``: s * (x + tx). ``perspective``: the weak camera turned into a translation
    (tx, ty, 2 f / (S s)) and projected with the crop camera of focal ``focal`` pixels.
    """
    if camera == "weak":
        return weak_perspective_project(keypoints3d, pred_cam)
    if camera == "perspective":
        b = keypoints3d.shape[0]
        transl = weak_to_translation(pred_cam, focal, crop_size)  # (B, 3)
        k = crop_intrinsics(focal, crop_size, b, keypoints3d.device, keypoints3d.dtype)
        uv = project(keypoints3d + transl[:, None], k)  # (B, K, 2) crop pixels
        return pixels_to_ndc(uv, crop_size)
    raise ShapeError(f"camera: got {camera!r}, expected 'weak' or 'perspective'")


def projected_keypoints_loss(
    pred_keypoints3d: Tensor,
    pred_cam: Tensor,
    gt_keypoints2d: Tensor,
    crop_size: float,
    has: Tensor | None = None,
    camera: Literal["weak", "perspective"] = "perspective",
    focal: float = DEFAULT_FOCAL,
) -> Tensor:
    """L1 in NDC between ground-truth 2D keypoints and regressed 3D keypoints projected with the
    predicted camera (the paper projects perspectively, hence the default).

    pred_keypoints3d: (B, K, 3) body-model keypoints without translation; pred_cam: (B, 3)
    weak perspective (s, tx, ty); gt_keypoints2d: (B, K, 3) crop pixels + confidence.
    """
    b, k = pred_keypoints3d.shape[:2]
    check_shape("pred_keypoints3d", pred_keypoints3d, (b, k, 3))
    check_shape("pred_cam", pred_cam, (b, 3))
    check_shape("gt_keypoints2d", gt_keypoints2d, (b, k, 3))
    w = _weights(gt_keypoints2d, has, pred_keypoints3d)  # (B, K)
    gt_xy = pixels_to_ndc(sanitize(gt_keypoints2d[..., :2], w[..., None]), crop_size)
    proj = project_keypoints(pred_keypoints3d, pred_cam, crop_size, camera, focal)  # (B, K, 2)
    return masked_mean((proj - gt_xy.to(proj.dtype)).abs(), w[..., None])


def heatmap_distribution_loss(
    heatmaps: Tensor,
    gt_keypoints2d: Tensor,
    crop_size: float,
    has: Tensor | None = None,
    sigma: float = 1.0,
) -> Tensor:
    """KL divergence from a Gaussian around each true 2D keypoint to the heatmap's x-y marginal.

    heatmaps: (B, K, D, h, w) logits (the soft-argmax volume); the x-y marginal is the softmax
    over h x w of the logsumexp over depth. gt_keypoints2d: (B, K, 3) crop pixels + confidence;
    sigma: the target's standard deviation in heatmap cells. Keypoints with confidence 0 or
    outside the crop are left out. A dense per-cell signal: unlike the L1 on the soft-argmax
    expectation, its gradient does not vanish while the heatmaps are still flat.
    """
    b, k, _, h, w = heatmaps.shape
    check_shape("gt_keypoints2d", gt_keypoints2d, (b, k, 3))
    wt = _weights(gt_keypoints2d, has, heatmaps)  # (B, K)
    ndc = pixels_to_ndc(sanitize(gt_keypoints2d[..., :2], wt[..., None]), crop_size)  # (B, K, 2)
    inside = (ndc.abs() <= 1).all(-1).to(wt.dtype)
    wt = wt * inside
    cu, cv = ndc_to_pixels(ndc[..., 0], w), ndc_to_pixels(ndc[..., 1], h)  # in heatmap cells
    xs = torch.arange(w, device=heatmaps.device, dtype=heatmaps.dtype)
    ys = torch.arange(h, device=heatmaps.device, dtype=heatmaps.dtype)
    gx = -((xs - cu[..., None]) ** 2) / (2 * sigma**2)  # (B, K, w)
    gy = -((ys - cv[..., None]) ** 2) / (2 * sigma**2)  # (B, K, h)
    log_t = (gy[..., :, None] + gx[..., None, :]).reshape(b, k, -1).log_softmax(-1)
    log_p = heatmaps.float().logsumexp(2).reshape(b, k, -1).log_softmax(-1)  # (B, K, h*w)
    kl = (log_t.exp() * (log_t - log_p.to(log_t.dtype))).sum(-1)  # (B, K)
    return masked_mean(kl, wt)
