"""Validation metrics of a training stage (mm), beside the loss: what ``val/mpjpe``,
``val/pa_mpjpe`` and ``val/pve`` report. The objective poses the body; this module measures."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from robosmplx.eval import metrics as M
from robosmplx.models.outputs import Prediction
from robosmplx.stage import get_stage
from robosmplx.train.objective import Objective, full_precision


@torch.no_grad()
def validation_metrics(
    objective: Objective, pred: Prediction, batch: Mapping[str, Tensor]
) -> dict[str, Tensor]:
    """Per-batch means in millimetres: ``mpjpe`` and ``pa_mpjpe`` on the stage's keypoints
    (samples with 3D ground truth), ``pve`` when the ground-truth parameters are complete and
    the stage sees the whole body."""
    out: dict[str, Tensor] = {}
    dev = batch["img"].device
    with full_precision(dev):
        posed = objective.pose({k: v.float() for k, v in pred.pred_params.items()})
        gt3 = objective.stage_keypoints(batch["gt_keypoints3d"].float())
        valid = gt3[..., 3] > 0  # (B, k)
        keep = valid.any(1)
        if "has_keypoints3d" in batch:
            keep = keep & (batch["has_keypoints3d"] > 0)
        if bool(keep.any()):
            p, g, v = posed.keypoints[keep], gt3[keep, :, :3], valid[keep]
            root = objective.root
            if bool(v[:, [root] if isinstance(root, int) else root].all()):
                out["mpjpe"] = _mean(M.mpjpe(p, g, root=root, valid=v), dev)
            out["pa_mpjpe"] = _mean(M.pa_mpjpe(p, g, valid=v), dev)
        gt_params, has = objective.ground_truth_params(batch)
        spec_keys = {
            f"{g.name}_rotmat" if g.kind == "rotation" else g.name
            for g in objective.body_model.spec.groups
        }
        whole = get_stage(objective.stage).view is None
        if whole and set(gt_params) == spec_keys:
            ok = (
                torch.ones(posed.vertices.shape[0], dtype=torch.bool, device=dev)
                if has is None
                else has > 0
            )
            if bool(ok.any()):
                gv = objective.pose(gt_params).vertices
                out["pve"] = _mean(M.pve(posed.vertices[ok], gv[ok]), dev)
    return out


def _mean(values, device) -> Tensor:
    return torch.as_tensor(float(values.mean()), device=device)
