"""L_BM: rotation distances, vector terms, vertices, shape prior, per-group masking."""

import math

import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.geometry.rotations import axis_angle_to_matrix
from robosmplx.losses import (
    param_losses,
    rotation_loss,
    shape_prior_loss,
    vector_loss,
    vertices_loss,
)
from robosmplx.losses.params import geodesic_angle

torch.manual_seed(0)


def _rot_z(angle: float) -> torch.Tensor:
    return axis_angle_to_matrix(torch.tensor([0.0, 0.0, angle]))


def test_rotation_losses_zero_for_identical_and_known_angle():
    r = axis_angle_to_matrix(torch.randn(2, 3, 3))
    assert rotation_loss(r, r).item() == pytest.approx(0.0, abs=1e-7)
    assert rotation_loss(r, r, kind="geodesic").item() == pytest.approx(0.0, abs=1e-5)
    pred = _rot_z(0.4).expand(1, 1, 3, 3)
    gt = torch.eye(3).expand(1, 1, 3, 3)
    assert rotation_loss(pred, gt, kind="geodesic").item() == pytest.approx(0.4, abs=1e-4)
    # L1 on entries: |cos - 1| twice, |sin| twice, over 9 entries
    expected = (2 * (1 - math.cos(0.4)) + 2 * math.sin(0.4)) / 9
    assert rotation_loss(pred, gt, kind="l1").item() == pytest.approx(expected, abs=1e-6)


def test_geodesic_angle_accurate_and_finite_gradient_at_zero_and_pi():
    for angle in (1e-3, 1.0, 3.0):
        assert geodesic_angle(_rot_z(angle), torch.eye(3)).item() == pytest.approx(angle, rel=1e-3)
    a = axis_angle_to_matrix(torch.randn(4, 3)).requires_grad_(True)
    b = torch.cat((a.detach()[:2], _rot_z(math.pi)[None] @ a.detach()[2:]))
    (grad,) = torch.autograd.grad(geodesic_angle(a, b).sum(), a)
    assert torch.isfinite(grad).all()
    assert grad[:2].abs().max() == 0


def test_rotation_loss_masks_samples_and_joints():
    pred = axis_angle_to_matrix(torch.randn(2, 4, 3)).requires_grad_(True)
    gt = torch.full((2, 4, 3, 3), float("nan"))
    gt[0] = torch.eye(3)
    for kind in ("l1", "geodesic"):
        loss = rotation_loss(pred, gt, torch.tensor([1.0, 0.0]), kind=kind)
        (grad,) = torch.autograd.grad(loss, pred)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()
        assert grad[1].abs().sum() == 0
        joint_mask = torch.zeros(2, 4)
        loss = rotation_loss(pred, gt, joint_mask, kind=kind)
        (grad,) = torch.autograd.grad(loss, pred)
        assert loss.item() == 0.0 and grad.abs().sum() == 0


def test_vector_loss_l1_and_mse():
    pred = torch.tensor([[1.0, -1.0], [0.0, 0.0]])
    gt = torch.tensor([[0.0, 0.0], [3.0, float("nan")]])
    has = torch.tensor([1.0, 0.0])
    assert vector_loss(pred, gt, has, "l1").item() == pytest.approx(1.0)
    assert vector_loss(pred * 2, gt, has, "mse").item() == pytest.approx(4.0)
    with pytest.raises(ShapeError, match="vector loss kind"):
        vector_loss(pred, gt, has, "huber")


def test_vertices_and_shape_prior():
    gt = torch.randn(2, 10, 3)
    pred = gt + 0.01
    assert vertices_loss(pred, gt).item() == pytest.approx(0.01, abs=1e-6)
    assert vertices_loss(pred, gt, torch.zeros(2)).item() == 0.0
    assert shape_prior_loss(torch.tensor([[1.0, 2.0], [0.0, 1.0]])).item() == pytest.approx(1.5)


def test_param_losses_pools_groups_and_reads_has_flags():
    b = 3
    pred = {
        "global_orient_rotmat": _rot_z(0.2).expand(b, 1, 3, 3),
        "body_pose_rotmat": torch.eye(3).expand(b, 3, 3, 3),
        "betas": torch.zeros(b, 10),
        "expression": torch.ones(b, 50),
    }
    batch = {
        "gt_global_orient_rotmat": torch.eye(3).expand(b, 1, 3, 3),
        "gt_body_pose_rotmat": torch.eye(3).expand(b, 3, 3, 3),
        "has_body_pose": torch.ones(b),
        "gt_betas": torch.ones(b, 10),
        "has_betas": torch.tensor([1.0, 0.0, 0.0]),
        "gt_expression": torch.zeros(b, 10),
    }
    out = param_losses(pred, batch, rotation_kind="geodesic", expression_kind="mse")
    assert set(out) == {"rotation", "betas", "expression"}
    assert out["rotation"].item() == pytest.approx(0.2 / 4, abs=1e-4)  # 1 of 4 joints off
    assert out["betas"].item() == pytest.approx(1.0)
    assert out["expression"].item() == pytest.approx(1.0)  # first 10 of 50 compared
    batch["has_global_orient"] = torch.zeros(b)
    out = param_losses(pred, batch, rotation_kind="geodesic")
    assert out["rotation"].item() == pytest.approx(0.0, abs=1e-5)


def test_param_losses_skips_groups_without_gt_and_checks_shapes():
    pred = {"right_hand_pose_rotmat": torch.eye(3).expand(2, 15, 3, 3), "betas": torch.zeros(2, 10)}
    assert param_losses(pred, {}) == {}
    with pytest.raises(ShapeError, match="gt_right_hand_pose_rotmat"):
        param_losses(pred, {"gt_right_hand_pose_rotmat": torch.eye(3).expand(2, 14, 3, 3)})


def test_shape_prior_margin_and_model_mean(anny_small):
    from robosmplx.losses.params import shape_prior_loss

    betas = torch.tensor([[0.5, 2.0, -3.0, 0.2]])
    assert abs(float(shape_prior_loss(betas)) - (0.25 + 4 + 9 + 0.04) / 4) < 1e-6
    # the release's threshold prior: only |beta| > 1 counts, averaged over those entries
    assert abs(float(shape_prior_loss(betas, margin=1.0)) - (4 + 9) / 2) < 1e-5
    assert float(shape_prior_loss(betas.clamp(-1, 1), margin=1.0)) == 0.0
    mean = anny_small.vector_default("betas")  # Anny's neutral shape is not zero
    assert float(shape_prior_loss(mean[None], mean)) == 0.0 and float(mean.abs().sum()) > 0
