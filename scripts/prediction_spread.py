"""Does a network use the image? Global-orientation error and how much its predicted poses
vary across images, against the ground truth and the rest pose.

    python scripts/prediction_spread.py CHECKPOINT DATA.npz [--protocol synthetic] [--limit 100]

Prints JSON: the mean and median angle (degrees) between predicted and true global orientation;
the mean per-joint angle of ``body_pose`` to the truth, for the network and for the rest pose;
and the spread (mean per-joint angle to the across-sample mean rotation) of the predicted and
the true ``body_pose``. A network that predicts nearly the same pose for every image has a spread
of a few degrees where the truth has tens: it learnt a constant, not the image.
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


def main(argv: list[str] | None = None) -> dict:
    from robosmplx.eval.evaluator import EvalOptions, Evaluator
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
    pred_go, true_go, pred_pose, true_pose = [], [], [], []
    with torch.inference_mode():
        for batch in loader:
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
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
