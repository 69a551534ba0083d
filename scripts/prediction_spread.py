"""Does a network use the image? Global-orientation error and how much its predicted poses
vary across images, against the ground truth and the rest pose.

    python scripts/prediction_spread.py CHECKPOINT DATA.npz [--protocol synthetic] [--limit 100]

Prints JSON: the mean and median angle (degrees) between predicted and true global orientation;
the mean per-joint angle of ``body_pose`` to the truth, for the network and for the rest pose;
and the spread (mean per-joint angle to the across-sample mean rotation) of the predicted and
the true ``body_pose``. A network that predicts nearly the same pose for every image has a spread
of a few degrees where the truth has tens: it learnt a constant, not the image.

The same question for the Localization Module: the mean distance (crop pixels) of the body
network's soft-argmax joints to the true 2D keypoints in the crop, against a constant layout
(each keypoint at its mean position over the samples), over the keypoints inside the crop.
Heatmaps that follow the image beat the constant layout by far.
"""

from __future__ import annotations

import argparse
import json

import torch


def spread_deg(rot: torch.Tensor) -> float:
    """Mean angle (degrees) of (N, J, 3, 3) rotations to their per-joint chordal mean."""
    from robosmplx.geometry.rotations import geodesic_distance

    u, _, vh = torch.linalg.svd(rot.mean(0))
    d = torch.sign(torch.linalg.det(u @ vh))[:, None]
    mean = u @ torch.diag_embed(torch.cat((torch.ones_like(d), torch.ones_like(d), d), 1)) @ vh
    return float(torch.rad2deg(geodesic_distance(rot, mean.expand_as(rot))).mean())


def heatmap_errors(joints: torch.Tensor, gt: torch.Tensor, crop_size: int) -> dict:
    """joints (N, J, 2) soft-argmax x, y in [-1, 1]; gt (N, J, 3) the same + confidence ->
    mean pixel distance of the network and of the constant mean layout, keypoints in the crop."""
    valid = (gt[..., 2] > 0) & (gt[..., :2].abs() <= 1).all(-1)  # (N, J)
    w = valid.float()[..., None]
    mean = (gt[..., :2] * w).sum(0) / w.sum(0).clamp_min(1)  # (J, 2)
    px = crop_size / 2.0

    def err(x: torch.Tensor) -> float:
        d = (x - gt[..., :2]).norm(dim=-1)  # (N, J)
        return float(d[valid].mean() * px)

    return {
        "network": err(joints),
        "mean_layout": err(mean.expand_as(joints)),
        "keypoints": int(valid.sum()),
    }


def main(argv: list[str] | None = None) -> dict:
    from robosmplx.eval.evaluator import EvalOptions, Evaluator
    from robosmplx.geometry.camera import pixels_to_ndc
    from robosmplx.geometry.rotations import geodesic_distance

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("data")
    p.add_argument("--protocol", default="synthetic")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--body-model", default=None, help="as for robosmplx eval")
    a = p.parse_args(argv)
    ev = Evaluator(
        a.protocol, a.data, a.checkpoint, body_model=a.body_model,
        options=EvalOptions(progress=False),
    )  # fmt: skip
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(ev.base, range(min(a.limit, len(ev.base)))), batch_size=16
    )
    pred_go, true_go, pred_pose, true_pose, joints, kp2d = [], [], [], [], [], []
    with torch.inference_mode():
        for batch in loader:
            if ev.net is not None:
                joints.append(ev.prediction(batch).pred_joints_hm[..., :2])
                gt2 = batch["gt_keypoints2d"]  # (B, K, 3) crop pixels + confidence
                kp2d.append(
                    torch.cat((pixels_to_ndc(gt2[..., :2], ev.crop_size), gt2[..., 2:]), -1)
                )
            params, gt = ev.params(batch)
            pred_go.append(params["global_orient_rotmat"][:, 0])
            true_go.append(gt["global_orient_rotmat"][:, 0])
            pred_pose.append(params["body_pose_rotmat"])
            true_pose.append(gt["body_pose_rotmat"])
    pg, tg = torch.cat(pred_go), torch.cat(true_go)
    pp, tp = torch.cat(pred_pose), torch.cat(true_pose)
    orient = torch.rad2deg(geodesic_distance(pg, tg))
    rest = torch.eye(3).expand_as(tp)
    result = {
        "checkpoint": a.checkpoint,
        "samples": len(pg),
        "global_orient_error_deg": {"mean": float(orient.mean()), "median": float(orient.median())},
        "body_pose_error_deg": {
            "network": float(torch.rad2deg(geodesic_distance(pp, tp)).mean()),
            "rest_pose": float(torch.rad2deg(geodesic_distance(rest, tp)).mean()),
        },
        "body_pose_spread_deg": {"network": spread_deg(pp), "truth": spread_deg(tp)},
    }
    if joints:
        result["heatmap_joints_px"] = heatmap_errors(
            torch.cat(joints), torch.cat(kp2d), ev.crop_size
        )
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
