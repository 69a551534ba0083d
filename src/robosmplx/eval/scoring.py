"""Per-part scoring of posed meshes: joints, vertices, roots and metrics of one protocol.

Pure functions over :class:`robosmplx.body.BodyOutput`-like tensors; every metric comes from
:mod:`robosmplx.eval.metrics`. Values are per sample (B,), millimetres for errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from robosmplx.errors import ConfigError
from robosmplx.eval import metrics as M
from robosmplx.eval.parts import PartSelection

F_THRESHOLDS = {"f5": 0.005, "f15": 0.015}  # metres


def _with_root(joints: Tensor, root: Tensor) -> tuple[Tensor, Tensor]:
    """(B, J, 3), (B, 3) -> points (B, J+1, 3) with the root last, and a (B, J+1) mask that
    scores the J joints only."""
    pts = torch.cat((joints, root[:, None]), 1)
    valid = torch.ones(pts.shape[:2], dtype=pts.dtype, device=pts.device)
    valid[:, -1] = 0.0
    return pts, valid


def score_part(
    sel: PartSelection,
    pred_vertices: Tensor,
    pred_keypoints: Tensor,
    gt_vertices: Tensor,
    gt_keypoints: Tensor,
    metrics: Sequence[str],
) -> dict[str, np.ndarray]:
    """``{metric: (B,)}`` for one part. Vertices (B, V, 3), keypoints (B, K, 3), metres."""
    out: dict[str, np.ndarray] = {}
    pj, gj = (
        sel.joint_points(pred_vertices, pred_keypoints),
        sel.joint_points(gt_vertices, gt_keypoints),
    )
    pr, gr = (
        sel.root_point(pred_vertices, pred_keypoints),
        sel.root_point(gt_vertices, gt_keypoints),
    )
    p_pts, valid = _with_root(pj, pr)
    g_pts, _ = _with_root(gj, gr)
    root_index = p_pts.shape[1] - 1
    pv, gv = sel.part_vertices(pred_vertices), sel.part_vertices(gt_vertices)
    for m in metrics:
        if m == "mpjpe":
            out[m] = M.mpjpe(p_pts, g_pts, root=root_index, valid=valid)
        elif m == "pa_mpjpe":
            out[m] = M.pa_mpjpe(p_pts, g_pts, valid=valid)
        elif m == "pve":
            out[m] = M.pve(pv, gv, pred_root=pr, gt_root=gr)
        elif m == "pa_pve":
            out[m] = M.pa_pve(pv, gv)
        elif m in F_THRESHOLDS:
            out[m] = M.f_score(pv, gv, F_THRESHOLDS[m], align=True)
        else:
            raise ConfigError(f"unknown point metric {m!r}; choose from the protocol metrics")
    return out


def score_parts(
    selections: Mapping[str, PartSelection],
    pred_vertices: Tensor,
    pred_keypoints: Tensor,
    gt_vertices: Tensor,
    gt_keypoints: Tensor,
    metrics: Sequence[str],
) -> dict[str, dict[str, np.ndarray]]:
    """``{part: {metric: (B,)}}`` over every selected part, plus ``hands`` (the mean of the
    left and right hand, per sample) when both hands are scored."""
    out = {
        part: score_part(sel, pred_vertices, pred_keypoints, gt_vertices, gt_keypoints, metrics)
        for part, sel in selections.items()
    }
    if "lhand" in out and "rhand" in out:
        out["hands"] = {m: (out["lhand"][m] + out["rhand"][m]) / 2.0 for m in out["lhand"]}
    return out


def box_ious(
    pred_boxes: Mapping[str, Tensor], gt_boxes: Mapping[str, Tensor], valid: Mapping[str, Tensor]
) -> dict[str, np.ndarray]:
    """``{part: (B,)}`` IoU of (B, 4) xywh boxes, NaN where the true box is missing."""
    out = {}
    for part, gt in gt_boxes.items():
        iou = M.box_iou(pred_boxes[part], gt)
        keep = valid[part].detach().cpu().numpy().reshape(-1) > 0
        out[part] = np.where(keep, iou, np.nan)
    return out


def nanmean(values: np.ndarray) -> float:
    """Mean over the finite entries; NaN (without a warning) when there are none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values)) if values.size else float("nan")
