"""The eq. 1 combiner: known answers (a perfect prediction costs nothing), masking of missing
ground truth (a masked sample changes neither the value nor the gradient), keypoint subsets."""

import dataclasses

import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA, ndc_to_pixels
from robosmplx.geometry.rotations import axis_angle_to_matrix
from robosmplx.losses import project_keypoints
from robosmplx.losses.weights import LossOptions, LossWeights, stage_losses
from robosmplx.models.outputs import Prediction
from robosmplx.train.objective import Objective, focal_for

S = 64  # crop side


def _f(t: torch.Tensor) -> float:
    return float(t.detach())


def _params(model, b, seed=0, scale=0.2):
    g = torch.Generator().manual_seed(seed)
    out = {}
    for gr in model.spec.groups:
        if gr.kind == "rotation":
            r = axis_angle_to_matrix(torch.randn(b, gr.size, 3, generator=g) * scale)
            out[f"{gr.name}_rotmat"] = CANONICAL_TO_CAMERA @ r if gr.name == "global_orient" else r
        else:
            out[gr.name] = model.vector_default(gr.name).expand(b, gr.size) + 0.05 * torch.randn(
                b, gr.size, generator=g
            )
    return out


def _perfect(model, stage="body", b=3):
    """A prediction and a batch whose ground truth is exactly what the prediction implies."""
    obj = Objective(model, stage, *stage_losses(stage))
    params = _params(model, b)
    cam = torch.tensor([[0.9, 0.02, -0.03], [1.1, -0.05, 0.0], [0.8, 0.0, 0.1]])[:b]
    posed = obj.pose(params)
    kp = posed.keypoints  # (B, k, 3)
    ndc = project_keypoints(kp, cam, S, "perspective", focal_for(S))
    ones = torch.ones(b, kp.shape[1], 1)
    root = kp[:, obj.root] if isinstance(obj.root, int) else kp[:, obj.root].mean(1)
    z = (kp[..., 2] - root[:, None, 2]) / (obj.options.depth_range / 2)
    batch = {
        "img": torch.zeros(b, 3, S, S),
        "gt_keypoints2d": torch.cat((ndc_to_pixels(ndc, S), ones), -1),
        "gt_keypoints3d": torch.cat((kp, ones), -1),
        "has_keypoints3d": torch.ones(b),
        "gt_part_segm": torch.zeros(b, S // 4, S // 4, dtype=torch.long),
        "has_segm": torch.zeros(b),
    }
    for k, v in params.items():
        batch[f"gt_{k}"] = v.clone()
        batch[f"has_{k.removesuffix('_rotmat')}"] = torch.ones(b)
    pred = Prediction(
        pred_params={k: v.clone().requires_grad_() for k, v in params.items()},
        pred_cam=cam.clone().requires_grad_(),
        pred_joints_hm=torch.cat((ndc, z[..., None]), -1).detach().requires_grad_(),
        pred_segm_logits=torch.zeros(
            b, model.part_layout.counts["body"] + 1, S // 4, S // 4, requires_grad=True
        ),
    )
    return obj, pred, batch


def test_perfect_prediction_costs_nothing(anny_small):
    obj, pred, batch = _perfect(anny_small)
    _, terms = obj(pred, batch)
    for name in ("keypoints3d", "keypoints2d", "heatmap_joints", "rotation", "betas", "vertices"):
        assert float(terms[name].detach()) < 1e-5, name
    shifted = dataclasses.replace(pred, pred_cam=pred.pred_cam + torch.tensor([0.0, 0.05, 0.0]))
    _, moved = obj(shifted, batch)
    assert _f(moved["keypoints2d"]) > 0.01  # the camera is really used
    assert _f(moved["keypoints3d"]) < 1e-5  # root-aligned 3D ignores it


def test_projected_mask_prefers_the_aligned_mesh(anny_small):
    from robosmplx.geometry.camera import crop_intrinsics, weak_to_translation
    from robosmplx.losses import rescale_intrinsics
    from robosmplx.render.raster import part_map

    w = LossWeights(**{k: 0.0 for k in vars(LossWeights())})
    obj = Objective(anny_small, "body", dataclasses.replace(w, proj=1.0), LossOptions())
    _, pred, batch = _perfect(anny_small, b=2)
    f = focal_for(S)
    verts = obj.pose(pred.pred_params).vertices + weak_to_translation(pred.pred_cam, f, S)[:, None]
    k = rescale_intrinsics(crop_intrinsics(f, S, 2), S, S // 4)
    with torch.no_grad():
        batch["gt_part_segm"] = part_map(
            verts, anny_small.faces, k, (S // 4, S // 4), obj.vertex_labels, obj.num_parts
        )
    batch["has_segm"] = torch.ones(2)
    aligned = _f(obj(pred, batch)[1]["proj"])
    off = dataclasses.replace(pred, pred_cam=pred.pred_cam + torch.tensor([0.0, 0.3, 0.0]))
    assert aligned < 0.5 * _f(obj(off, batch)[1]["proj"])


def _corrupt(batch, i):
    """Sample i loses all its ground truth: flags 0, confidences 0, garbage values."""
    out = {k: v.clone() for k, v in batch.items()}
    for k in out:
        if k.startswith("has_"):
            out[k][i] = 0
        elif k.startswith("gt_") and out[k].is_floating_point():
            out[k][i] = float("nan")
    out["gt_keypoints2d"][i, :, 2] = 0
    out["gt_keypoints3d"][i, :, 3] = 0
    out["gt_part_segm"][i] = 999
    return out


def _select(pred, batch, keep):
    idx = torch.tensor(keep)
    p = Prediction(
        pred_params={k: v[idx] for k, v in pred.pred_params.items()},
        pred_cam=pred.pred_cam[idx], pred_joints_hm=pred.pred_joints_hm[idx],
        pred_segm_logits=pred.pred_segm_logits[idx],
    )  # fmt: skip
    return p, {k: v[idx] for k, v in batch.items()}


def test_missing_ground_truth_is_masked(anny_small):
    b = 4
    weights = dataclasses.replace(
        stage_losses("body")[0], contrastive=1.0, betas=1.0, expression=1.0
    )
    obj = Objective(anny_small, "body", weights, LossOptions(depth_range=2.0))
    # a 4-sample batch: noisy predictions (non-zero losses) and a valid part map
    params = _params(anny_small, b, seed=3)
    pred = Prediction(
        pred_params={k: v.requires_grad_() for k, v in params.items()},
        pred_cam=torch.tensor([[0.9, 0.0, 0.0]] * b, requires_grad=True),
        pred_joints_hm=(0.3 * torch.randn(b, 137, 3)).requires_grad_(),
        pred_segm_logits=torch.randn(b, 25, S // 4, S // 4, requires_grad=True),
    )
    _, _, gt = _perfect(anny_small, b=3)
    batch = {k: torch.cat((v, v[:1]), 0) for k, v in gt.items()}
    batch["gt_part_segm"] = torch.randint(0, 25, (b, S // 4, S // 4))
    batch["has_segm"] = torch.ones(b)
    bad = _corrupt(batch, 1)
    total_bad, terms_bad = obj(pred, bad)
    p3, b3 = _select(pred, batch, [0, 2, 3])
    total_ref, terms_ref = obj(p3, b3)
    assert set(terms_bad) == set(terms_ref)
    for k in terms_ref:
        assert torch.isfinite(terms_bad[k]), k
        assert torch.allclose(terms_bad[k], terms_ref[k], rtol=1e-5, atol=1e-6), (
            k,
            terms_bad[k],
            terms_ref[k],
        )
    total_bad.backward()
    for name, t in [
        *pred.pred_params.items(),
        ("cam", pred.pred_cam),
        ("hm", pred.pred_joints_hm),
        ("segm", pred.pred_segm_logits),
    ]:
        assert torch.isfinite(t.grad).all(), name
        assert float(t.grad[1].abs().max()) == 0.0, name  # the masked sample gets no gradient
    assert float(pred.pred_cam.grad[0].abs().max()) > 0


def test_batch_without_any_ground_truth_costs_zero(anny_small):
    _, pred, batch = _perfect(anny_small, b=2)
    obj = Objective(anny_small, "body", *stage_losses("body"))
    empty = _corrupt(_corrupt(batch, 0), 1)
    total, terms = obj(pred, empty)
    assert _f(total) == 0.0 and all(_f(v) == 0.0 for v in terms.values())
    total.backward()
    assert all(float(v.grad.abs().max()) == 0 for v in pred.pred_params.values())


def test_part_stage_reads_subset_or_whole_body_keypoints(anny_small):
    obj = Objective(anny_small, "hand", *stage_losses("hand"))
    subset = list(anny_small.keypoint_layout.subsets["rhand"])
    b = 2
    params = _params(anny_small, b)
    pred = Prediction(
        pred_params={k: params[k] for k in ("right_hand_pose_rotmat", "global_orient_rotmat", "betas")},
        pred_cam=torch.tensor([[5.0, 0.0, 0.0]] * b), pred_joints_hm=torch.zeros(b, 21, 3),
    )  # fmt: skip
    full2 = torch.cat((torch.rand(b, 137, 2) * S, torch.ones(b, 137, 1)), -1)
    full3 = torch.cat((torch.randn(b, 137, 3), torch.ones(b, 137, 1)), -1)
    base = {"img": torch.zeros(b, 3, S, S), "has_keypoints3d": torch.ones(b)}
    _, t_full = obj(pred, {**base, "gt_keypoints2d": full2, "gt_keypoints3d": full3})
    _, t_sub = obj(
        pred, {**base, "gt_keypoints2d": full2[:, subset], "gt_keypoints3d": full3[:, subset]}
    )
    for k in ("keypoints3d", "keypoints2d", "heatmap_joints"):
        assert torch.allclose(t_full[k], t_sub[k]), k
    with pytest.raises(ShapeError, match="21"):
        obj(pred, {**base, "gt_keypoints2d": full2[:, :50], "gt_keypoints3d": full3[:, :50]})


def test_wholebody_boxes_compare_in_image_pixels(anny_small):
    w = LossWeights(**{k: 0.0 for k in vars(LossWeights())})
    obj = Objective(
        anny_small,
        "wholebody",
        dataclasses.replace(w, box=1.0),
        LossOptions(),
        box_crop_size=S // 2,
    )
    b = 2
    # boxes in 32 px body-crop pixels, and the same boxes in the 64 px image
    body_box = torch.tensor([[3.0, 4.0, 6.0, 6.0], [10.0, 2.0, 5.0, 5.0]])
    img_box = torch.cat(((body_box[:, :2] + 0.5) * 2 - 0.5, body_box[:, 2:] * 2), -1)
    pred = Prediction(pred_params=_params(anny_small, b), pred_boxes={"rhand": body_box})
    batch = {
        "img": torch.zeros(b, 3, S, S), "gt_keypoints2d": torch.zeros(b, 137, 3),
        "gt_keypoints3d": torch.zeros(b, 137, 4), "gt_rhand_bbox": img_box, "has_rhand_bbox": torch.ones(b),
    }  # fmt: skip
    total, terms = obj(pred, batch)
    assert _f(terms["box_rhand"]) < 1e-6
    batch["gt_rhand_bbox"] = img_box + torch.tensor([S / 8, 0.0, 0.0, 0.0])
    assert abs(_f(obj(pred, batch)[1]["box_rhand"]) - 0.125 / 4) < 1e-5


def test_body_frame_keypoints_ignore_a_wrong_orientation(anny_small):
    from robosmplx.errors import ConfigError

    w, o = stage_losses("body")
    obj = Objective(anny_small, "body", dataclasses.replace(w, keypoints3d_local=1.0), o)
    _, pred, batch = _perfect(anny_small)
    _, terms = obj(pred, batch)
    assert _f(terms["keypoints3d_local"]) < 1e-5
    params = dict(pred.pred_params)
    turn = axis_angle_to_matrix(torch.tensor([[0.0, 1.2, 0.0]]))  # 69 degrees about y
    params["global_orient_rotmat"] = turn[:, None] @ params["global_orient_rotmat"]
    _, turned = obj(dataclasses.replace(pred, pred_params=params), batch)
    assert _f(turned["keypoints3d"]) > 0.01  # the camera-frame term charges the orientation
    assert _f(turned["keypoints3d_local"]) < 1e-5  # the body-frame term does not
    bent = dict(pred.pred_params)
    bent["body_pose_rotmat"] = bent["body_pose_rotmat"].flip(0)  # other people's poses
    _, wrong = obj(dataclasses.replace(pred, pred_params=bent), batch)
    assert _f(wrong["keypoints3d_local"]) > 1e-3
    hand = Objective(anny_small, "hand", dataclasses.replace(w, keypoints3d_local=1.0), o)
    _, hp, hb = _perfect(anny_small, "hand")
    with pytest.raises(ConfigError, match="keypoints3d_local"):
        hand(hp, hb)


def test_validation_metrics_known_answers(anny_small):
    from robosmplx.train.validation import validation_metrics

    obj, pred, batch = _perfect(anny_small)
    m = validation_metrics(obj, pred, batch)
    assert set(m) == {"mpjpe", "pa_mpjpe", "pve"}
    assert all(float(v) < 1e-3 for v in m.values()), m
    moved = dict(batch, gt_keypoints3d=batch["gt_keypoints3d"].clone())
    moved["gt_keypoints3d"][..., 0] += 0.01  # every keypoint 10 mm to the side
    assert float(validation_metrics(obj, pred, moved)["mpjpe"]) < 1e-3  # root-aligned
    moved["gt_keypoints3d"][:, 1:, 1] += 0.01  # all but the root 10 mm lower
    assert float(validation_metrics(obj, pred, moved)["mpjpe"]) == pytest.approx(10.0, rel=0.02)
