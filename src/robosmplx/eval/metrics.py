"""Evaluation metrics, batched and pure: numpy arrays or torch tensors in, numpy arrays out.

Inputs are in metres (points) or pixels (boxes, intrinsics). Every metric returns one value per
sample, shape (B,), computed in float64; average them with ``np.nanmean``. Units:

- MPJPE, PA-MPJPE, PVE (MPVPE), PA-PVE, face 3D RMSE: millimetres (``unit_scale=1000``
  converts metres; pass 1.0 to stay in the input unit).
- F-score: unitless in [0, 1]; the threshold is in the input unit (0.005 and 0.015 m for the
  FreiHAND F@5mm and F@15mm).
- Part-box IoU: unitless. Projected vertex error: pixels of the image the intrinsics map to.

Root alignment: pelvis (mean of the hips) for body and whole body, the wrist for hands, the neck
for faces; vertices are aligned with the root keypoints given separately. A sample with no valid
joint gives NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.geometry.boxes import box_iou as _box_iou
from robosmplx.geometry.camera import project
from robosmplx.geometry.procrustes import procrustes_align, similarity_transform

ArrayLike = np.ndarray | Tensor
RootSpec = int | Sequence[int] | None

MM = 1000.0


def _t(x: ArrayLike) -> Tensor:
    """float64 tensor, without gradient, on the input's device."""
    if isinstance(x, Tensor):
        return x.detach().to(torch.float64)
    return torch.as_tensor(np.asarray(x), dtype=torch.float64)


def _np(x: Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


def _check_points(name: str, x: Tensor) -> None:
    if x.dim() != 3 or x.shape[-1] != 3:
        raise ShapeError(f"{name}: got shape {tuple(x.shape)}, expected (B, N, 3) points")


def _pair(pred: ArrayLike, gt: ArrayLike) -> tuple[Tensor, Tensor]:
    p, g = _t(pred), _t(gt).to(_t(pred).device)
    _check_points("pred", p)
    if p.shape != g.shape:
        raise ShapeError(f"pred {tuple(p.shape)} and gt {tuple(g.shape)} differ in shape")
    return p, g


def _root(points: Tensor, root: RootSpec) -> Tensor:
    if isinstance(root, int):
        return points[:, root]
    return points[:, list(root)].mean(1)


def _valid(valid: ArrayLike | None, p: Tensor) -> Tensor:
    if valid is None:
        return torch.ones(p.shape[:2], dtype=torch.float64, device=p.device)
    v = (_t(valid) > 0).to(torch.float64).to(p.device)
    if v.shape != p.shape[:2]:
        raise ShapeError(f"valid: got shape {tuple(v.shape)}, expected {tuple(p.shape[:2])}")
    return v


def _mean_dist(p: Tensor, g: Tensor, v: Tensor) -> Tensor:
    d = (p - g).norm(dim=-1)  # (B, N)
    n = v.sum(1)
    out = (d * v).sum(1) / n.clamp_min(1)
    return torch.where(n > 0, out, torch.full_like(out, float("nan")))


def mpjpe(
    pred: ArrayLike,
    gt: ArrayLike,
    root: RootSpec = None,
    valid: ArrayLike | None = None,
    unit_scale: float = MM,
) -> np.ndarray:
    """Mean per-joint position error (B,) after subtracting each set's root (None: no
    alignment). pred, gt: (B, K, 3); valid: (B, K) joints to count (root alignment assumes the
    ground-truth root itself is valid)."""
    p, g = _pair(pred, gt)
    if root is not None:
        p = p - _root(p, root)[:, None]
        g = g - _root(g, root)[:, None]
    return _np(_mean_dist(p, g, _valid(valid, p)) * unit_scale)


def pa_mpjpe(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    unit_scale: float = MM,
    fit: str = "valid",
) -> np.ndarray:
    """MPJPE (B,) after the best similarity transform (scale, rotation, translation) of pred
    onto gt. ``fit``: ``valid`` fits on the valid joints only; ``all`` fits on every joint
    (mmhuman3d's ``keypoint_mpjpe``), the error still counts the valid ones."""
    p, g = _pair(pred, gt)
    v = _valid(valid, p)
    return _np(_mean_dist(_aligned(p, g, v, "procrustes", fit), g, v) * unit_scale)


ALIGNMENTS = ("none", "scale", "procrustes")
MASK_CONVENTIONS = ("mmhuman3d", "per-sample")


def _aligned(p: Tensor, g: Tensor, v: Tensor, alignment: str, fit: str) -> Tensor:
    """pred aligned onto gt: ``none``; ``scale`` (least-squares scale about the origin, as
    mmhuman3d); ``procrustes`` (similarity), fitted on ``valid`` joints or on ``all``."""
    if fit not in ("valid", "all"):
        raise ValueError(f"fit must be 'valid' or 'all', got {fit!r}")
    w = torch.ones_like(v) if fit == "all" else v
    if alignment == "none":
        return p
    if alignment == "scale":
        s = (w * (p * g).sum(-1)).sum(1) / (w * (p * p).sum(-1)).sum(1).clamp_min(1e-30)
        return p * s[:, None, None]
    if alignment == "procrustes":
        return procrustes_align(p, g, w)
    raise ValueError(f"alignment must be one of {ALIGNMENTS}, got {alignment!r}")


def joint_errors(
    pred: ArrayLike,
    gt: ArrayLike,
    alignment: str = "none",
    valid: ArrayLike | None = None,
    fit: str = "all",
    unit_scale: float = MM,
) -> np.ndarray:
    """Per-joint distances (B, K) after ``alignment`` (``none``, ``scale``, ``procrustes``)
    fitted on every joint (``fit="all"``, mmhuman3d) or only the valid ones."""
    p, g = _pair(pred, gt)
    v = _valid(valid, p)
    return _np((_aligned(p, g, v, alignment, fit) - g).norm(dim=-1) * unit_scale)


def keypoint_error(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    alignment: str = "procrustes",
    convention: str = "mmhuman3d",
    unit_scale: float = MM,
) -> float:
    """Masked (PA-)MPJPE of a whole set as one number.

    ``mmhuman3d`` (the field's default, ``keypoint_mpjpe`` of mmhuman3d's eval_utils.py):
    alignment fitted on all joints, the mean over every valid joint of the set, so samples
    with more valid joints weigh more. ``per-sample`` (robosmplx's :func:`pa_mpjpe`): fitted on
    the valid joints, averaged per sample, then over the samples that have a valid joint.
    """
    if convention == "mmhuman3d":
        d = joint_errors(pred, gt, alignment, valid, "all", unit_scale)
        m = _np(_valid(valid, _t(pred)) > 0)
        return float(d[m].mean()) if m.any() else float("nan")
    if convention == "per-sample":
        p, g = _pair(pred, gt)
        v = _valid(valid, p)
        per = _np(_mean_dist(_aligned(p, g, v, alignment, "valid"), g, v) * unit_scale)
        return float(np.nanmean(per)) if np.isfinite(per).any() else float("nan")
    raise ValueError(f"convention must be one of {MASK_CONVENTIONS}, got {convention!r}")


PCK_THRESHOLD_MM = 150.0
AUC_THRESHOLDS_MM = tuple(float(x) for x in np.linspace(0.0, 150.0, 31))


def pck_3d(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    alignment: str = "none",
    threshold: float = PCK_THRESHOLD_MM,
    unit_scale: float = MM,
) -> float:
    """3D PCK in percent: the share of valid joints of the set closer than ``threshold``
    (mm with the default unit_scale; 150 mm, strictly less than, as mmhuman3d's
    ``keypoint_3d_pck``)."""
    d = joint_errors(pred, gt, alignment, valid, "all", unit_scale)
    m = _np(_valid(valid, _t(pred)) > 0)
    return float((d < threshold)[m].mean() * 100.0) if m.any() else float("nan")


def auc_3d(
    pred: ArrayLike,
    gt: ArrayLike,
    valid: ArrayLike | None = None,
    alignment: str = "none",
    thresholds: Sequence[float] = AUC_THRESHOLDS_MM,
    unit_scale: float = MM,
) -> float:
    """3D AUC in percent: the mean 3D PCK over ``thresholds`` (0 to 150 mm in 31 steps, as
    mmhuman3d's ``keypoint_3d_auc``, after MPI-INF-3DHP's mpii_compute_3d_pck.m)."""
    d = joint_errors(pred, gt, alignment, valid, "all", unit_scale)
    m = _np(_valid(valid, _t(pred)) > 0)
    if not m.any():
        return float("nan")
    return float(np.mean([(d < t)[m].mean() for t in thresholds]) * 100.0)


def accel_error(
    pred: ArrayLike,
    gt: ArrayLike,
    valid_frames: ArrayLike | None = None,
    unit_scale: float = MM,
) -> np.ndarray:
    """Acceleration error (N-2,) of a sequence (N, K, 3), mm per frame squared: the mean over
    joints of the distance between the second differences ``x[t] - 2 x[t+1] + x[t+2]`` of
    pred and gt (HMR-video / VIBE, mmhuman3d's ``keypoint_accel_error``). With
    ``valid_frames`` (N,), a triple touching an invalid frame is left out (the result is
    shorter)."""
    p, g = _pair(pred, gt)
    if p.shape[0] < 3:
        raise ShapeError(f"accel_error: need at least 3 frames, got {p.shape[0]}")
    ap = p[:-2] - 2 * p[1:-1] + p[2:]
    ag = g[:-2] - 2 * g[1:-1] + g[2:]
    err = (ap - ag).norm(dim=-1).mean(1) * unit_scale  # (N-2,)
    if valid_frames is None:
        return _np(err)
    ok = _np(_t(valid_frames)).reshape(-1) > 0
    if ok.shape[0] != p.shape[0]:
        raise ShapeError(f"valid_frames: got {ok.shape[0]} entries for {p.shape[0]} frames")
    keep = ok[:-2] & ok[1:-1] & ok[2:]
    return _np(err)[keep]


def pve(
    pred_vertices: ArrayLike,
    gt_vertices: ArrayLike,
    pred_root: ArrayLike | None = None,
    gt_root: ArrayLike | None = None,
    unit_scale: float = MM,
) -> np.ndarray:
    """Mean per-vertex position error (MPVPE) (B,); each mesh is translated by its own root
    keypoint (B, 3) when the roots are given (both or neither)."""
    p, g = _pair(pred_vertices, gt_vertices)
    if (pred_root is None) != (gt_root is None):
        raise ShapeError("pve: give both pred_root and gt_root, or neither")
    if pred_root is not None:
        p = p - _t(pred_root).to(p.device).reshape(-1, 1, 3)
        g = g - _t(gt_root).to(p.device).reshape(-1, 1, 3)
    return _np(_mean_dist(p, g, _valid(None, p)) * unit_scale)


def pa_pve(pred_vertices: ArrayLike, gt_vertices: ArrayLike, unit_scale: float = MM) -> np.ndarray:
    """PVE (B,) after the best similarity transform of the predicted mesh onto the true one."""
    p, g = _pair(pred_vertices, gt_vertices)
    return _np(_mean_dist(procrustes_align(p, g), g, _valid(None, p)) * unit_scale)


def _nearest_index(a: Tensor, b: Tensor, chunk: int = 4096) -> Tensor:
    """(N, 3), (M, 3) -> (N,) index of the nearest point of b for each point of a.

    The search runs in float32 (fast matrix-product distances); only the winner is kept.
    """
    a32, b32 = a.float(), b.float()
    return torch.cat(
        [torch.cdist(a32[i : i + chunk], b32).argmin(1) for i in range(0, len(a), chunk)]
    )


def _nearest(a: Tensor, b: Tensor) -> Tensor:
    """(N, 3), (M, 3) -> (N,) float64 distance from each point of a to its nearest point of b."""
    return (a - b[_nearest_index(a, b)]).norm(dim=-1)


def precision_recall(
    pred_points: ArrayLike, gt_points: ArrayLike, threshold: float, align: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """FreiHAND precision and recall (B,) at ``threshold``: the fraction of predicted points
    within ``threshold`` of some true point, and of true points within it of some predicted
    point. ``align``: similarity-align pred onto gt first (needs corresponding points)."""
    p, g = _t(pred_points), _t(gt_points).to(_t(pred_points).device)
    _check_points("pred_points", p)
    _check_points("gt_points", g)
    if align:
        if p.shape != g.shape:
            raise ShapeError("precision_recall: align=True needs corresponding point sets")
        p = procrustes_align(p, g)
    prec = torch.stack([(_nearest(pi, gi) < threshold).double().mean() for pi, gi in zip(p, g)])
    rec = torch.stack([(_nearest(gi, pi) < threshold).double().mean() for pi, gi in zip(p, g)])
    return _np(prec), _np(rec)


def f_score(
    pred_points: ArrayLike, gt_points: ArrayLike, threshold: float, align: bool = True
) -> np.ndarray:
    """F-score (B,) = 2 P R / (P + R) at ``threshold`` (0 where P + R = 0)."""
    prec, rec = precision_recall(pred_points, gt_points, threshold, align)
    s = prec + rec
    return np.where(s > 0, 2.0 * prec * rec / np.where(s > 0, s, 1.0), 0.0)


def _fit(src: Tensor, dst: Tensor, with_scale: bool) -> tuple[Tensor, Tensor, Tensor]:
    """Similarity (or rigid) s, R, t with s R src + t ~= dst for (N, 3) point sets."""
    s, r, t = similarity_transform(src[None], dst[None])
    if with_scale:
        return s[0], r[0], t[0]
    one = torch.ones((), dtype=src.dtype, device=src.device)
    return one, r[0], dst.mean(0) - src.mean(0) @ r[0].T


def _apply(s: Tensor, r: Tensor, t: Tensor, x: Tensor) -> Tensor:
    return s * (x @ r.T) + t


def face_rmse_single(
    pred_points: ArrayLike,
    gt_points: ArrayLike,
    pred_landmarks: ArrayLike | None = None,
    gt_landmarks: ArrayLike | None = None,
    with_scale: bool = True,
    icp_iters: int = 10,
    unit_scale: float = MM,
) -> float:
    """3D RMSE of one face against a scan without landmarks (similarity + ICP, point to vertex).

    The Stirling/ESRC3D protocol itself (seven scan landmarks, face mask, point-to-surface) is
    :func:`robosmplx.eval.official.stirling_distances`; this is for scans lacking landmarks.

    1. Initial alignment: the similarity (``with_scale``) or rigid transform mapping the
       predicted landmarks (L, 3) onto the scan's landmarks (the benchmark annotates 7); without
       landmarks, the centroids are matched. 2. ICP: ``icp_iters`` rounds pairing every scan
       point with its nearest predicted vertex and refitting the transform. 3. Error: distance
       from every scan point (M, 3) to its nearest aligned predicted vertex (N, 3), root mean
       square. Point-to-vertex rather than point-to-surface: slightly higher on coarse meshes.
    """
    p = _t(pred_points)
    g = _t(gt_points).to(p.device)
    if p.dim() != 2 or g.dim() != 2 or p.shape[-1] != 3 or g.shape[-1] != 3:
        raise ShapeError(
            f"face_rmse: expected (N, 3) predicted and (M, 3) scan points, got "
            f"{tuple(p.shape)} and {tuple(g.shape)}"
        )
    if (pred_landmarks is None) != (gt_landmarks is None):
        raise ShapeError("face_rmse: give both pred_landmarks and gt_landmarks, or neither")
    if pred_landmarks is not None:
        lp, lg = _t(pred_landmarks).to(p.device), _t(gt_landmarks).to(p.device)
        if lp.shape != lg.shape or lp.dim() != 2 or lp.shape[-1] != 3:
            raise ShapeError(
                f"face_rmse: landmarks {tuple(lp.shape)} and {tuple(lg.shape)}: expected two "
                "(L, 3) arrays of corresponding points"
            )
        p = _apply(*_fit(lp, lg, with_scale), p)
    else:
        p = p - p.mean(0) + g.mean(0)
    for _ in range(icp_iters):
        p = _apply(*_fit(p[_nearest_index(g, p)], g, with_scale), p)
    return float(_nearest(g, p).square().mean().sqrt() * unit_scale)


def face_rmse(
    pred_points: Sequence[ArrayLike] | ArrayLike,
    gt_points: Sequence[ArrayLike] | ArrayLike,
    pred_landmarks: Sequence[ArrayLike] | ArrayLike | None = None,
    gt_landmarks: Sequence[ArrayLike] | ArrayLike | None = None,
    with_scale: bool = True,
    icp_iters: int = 10,
    unit_scale: float = MM,
) -> np.ndarray:
    """:func:`face_rmse_single` over a batch (B,); scans may differ in size (pass lists)."""
    n = len(pred_points)
    if len(gt_points) != n:
        raise ShapeError(f"face_rmse: {n} predictions but {len(gt_points)} scans")
    out = np.empty(n)
    for i in range(n):
        lp = None if pred_landmarks is None else pred_landmarks[i]
        lg = None if gt_landmarks is None else gt_landmarks[i]
        out[i] = face_rmse_single(
            pred_points[i], gt_points[i], lp, lg, with_scale, icp_iters, unit_scale
        )
    return out


def box_iou(pred_boxes: ArrayLike, gt_boxes: ArrayLike) -> np.ndarray:
    """IoU (B,) of (B, 4) xywh boxes (appendix L's part-box accuracy)."""
    p = _t(pred_boxes)
    g = _t(gt_boxes).to(p.device)
    if p.shape != g.shape or p.shape[-1] != 4:
        raise ShapeError(
            f"box_iou: expected two (B, 4) xywh arrays, got {tuple(p.shape)}, {tuple(g.shape)}"
        )
    return _np(_box_iou(p, g))


def part_box_iou(
    pred_boxes: Mapping[str, ArrayLike],
    gt_boxes: Mapping[str, ArrayLike],
    valid: Mapping[str, ArrayLike] | None = None,
) -> dict[str, float]:
    """Mean IoU per part (``face``, ``lhand``, ``rhand``...) over the samples where the part's
    ground-truth box is valid (``valid[part]`` (B,), all when absent); NaN if none is."""
    out: dict[str, float] = {}
    for part, gt in gt_boxes.items():
        if part not in pred_boxes:
            continue
        iou = box_iou(pred_boxes[part], gt)
        keep = (
            np.ones(len(iou), bool)
            if valid is None or part not in valid
            else (_np(_t(valid[part])).reshape(-1) > 0)
        )
        out[part] = float(iou[keep].mean()) if keep.any() else float("nan")
    return out


def projected_vertex_error(
    pred_vertices: ArrayLike,
    gt_vertices: ArrayLike,
    pred_k: ArrayLike,
    gt_k: ArrayLike | None = None,
) -> np.ndarray:
    """Mean pixel distance (B,) between the projections of predicted and true camera-frame
    vertices (B, V, 3) (translation applied) - appendix F's pixel-alignment measure. pred_k and
    gt_k (B, 3, 3) map to the same image (gt_k defaults to pred_k)."""
    p, g = _pair(pred_vertices, gt_vertices)
    kp = _t(pred_k).to(p.device)
    kg = kp if gt_k is None else _t(gt_k).to(p.device)
    for name, k in (("pred_k", kp), ("gt_k", kg)):
        if k.shape != (p.shape[0], 3, 3):
            raise ShapeError(f"{name}: got shape {tuple(k.shape)}, expected ({p.shape[0]}, 3, 3)")
    return _np((project(p, kp) - project(g, kg)).norm(dim=-1).mean(1))
