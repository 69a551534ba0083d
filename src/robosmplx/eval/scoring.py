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
    pred_keypoints: Tensor | None,
    gt_vertices: Tensor,
    gt_keypoints: Tensor | None,
    metrics: Sequence[str],
    pred_joints: Tensor | None = None,
    gt_joints: Tensor | None = None,
    pred_sel: PartSelection | None = None,
) -> dict[str, np.ndarray]:
    """``{metric: (B,)}`` for one part: ``metrics``, or the part's own when it has them.
    Vertices (B, V, 3), keypoints (B, K, 3), smplx's joint set (B, J, 3) for parts that read
    it; metres. Keypoints may be None for parts regressed from the mesh (EHF's). pred_sel:
    the prediction's own selection when it is made in another body model (its metrics only)."""
    out: dict[str, np.ndarray] = {}
    psel = sel if pred_sel is None else pred_sel
    metrics = [
        m for m in metrics
        if all(s.metrics is None or m in s.metrics for s in (sel, psel))
    ]  # fmt: skip
    pr = psel.root_point(pred_vertices, pred_keypoints, pred_joints)
    gr = sel.root_point(gt_vertices, gt_keypoints, gt_joints)
    if {"mpjpe", "pa_mpjpe", "pck3d", "auc3d"} & set(metrics):
        pj = psel.joint_points(pred_vertices, pred_keypoints, pred_joints)
        gj = sel.joint_points(gt_vertices, gt_keypoints, gt_joints)
        p_pts, valid = _with_root(pj, pr)
        g_pts, _ = _with_root(gj, gr)
        root_index = p_pts.shape[1] - 1
    pv, gv = psel.part_vertices(pred_vertices), sel.part_vertices(gt_vertices)
    for m in metrics:
        if m == "mpjpe":
            out[m] = M.mpjpe(p_pts, g_pts, root=root_index, valid=valid)
        elif m == "pa_mpjpe":
            out[m] = M.pa_mpjpe(pj, gj)
        elif m == "pve":
            out[m] = M.pve(pv, gv, pred_root=pr, gt_root=gr) if sel.pve_root else M.pve(pv, gv)
        elif m == "pa_pve":
            out[m] = M.pa_pve(pv, gv)
        elif m in ("pck3d", "auc3d"):  # root-aligned joints, mmhuman3d's thresholds, percent
            d = M.joint_errors(pj - pr[:, None], gj - gr[:, None])  # (B, J) mm
            out[m] = (
                _pck(d) if m == "pck3d" else np.mean([_pck(d, t) for t in M.AUC_THRESHOLDS_MM], 0)
            )
        elif m in F_THRESHOLDS:
            out[m] = M.f_score(pv, gv, F_THRESHOLDS[m], align=True)
        else:
            raise ConfigError(f"unknown point metric {m!r}; choose from the protocol metrics")
    return out


def _pck(d: np.ndarray, threshold: float = M.PCK_THRESHOLD_MM) -> np.ndarray:
    """Per sample, the percentage of joints closer than ``threshold`` mm (strictly)."""
    return (d < threshold).mean(1) * 100.0


def score_parts(
    selections: Mapping[str, PartSelection],
    pred_vertices: Tensor,
    pred_keypoints: Tensor | None,
    gt_vertices: Tensor,
    gt_keypoints: Tensor | None,
    metrics: Sequence[str],
    pred_joints: Tensor | None = None,
    gt_joints: Tensor | None = None,
    pred_selections: Mapping[str, PartSelection] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """``{part: {metric: (B,)}}`` over every selected part, plus ``hands`` (the mean of the
    left and right hand, per sample) when both hands are scored. pred_selections: the
    prediction's own parts when it is made in another body model than the ground truth."""
    out = {
        part: score_part(
            sel,
            pred_vertices,
            pred_keypoints,
            gt_vertices,
            gt_keypoints,
            metrics,
            pred_joints,
            gt_joints,
            None if pred_selections is None else pred_selections[part],
        )  # fmt: skip
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
