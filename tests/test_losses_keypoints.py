"""L_3D and L_2D: known answers, root alignment, confidence masking, camera conventions."""

import math

import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.geometry.camera import DEFAULT_FOCAL, ndc_to_pixels, pixels_to_ndc
from robosmplx.losses import (
    heatmap_keypoints_loss,
    keypoints3d_loss,
    project_keypoints,
    projected_keypoints_loss,
)

torch.manual_seed(0)


def _gt3d(xyz, conf=None):
    conf = torch.ones(xyz.shape[:2]) if conf is None else conf
    return torch.cat((xyz, conf[..., None]), -1)


def test_keypoints3d_known_value():
    gt = torch.zeros(2, 4, 3)
    pred = gt.clone()
    pred[..., 0] += 0.3  # every x off by 0.3, y and z exact: mean |.| = 0.1
    assert keypoints3d_loss(pred, _gt3d(gt)).item() == pytest.approx(0.1)


def test_keypoints3d_root_alignment_removes_translation():
    gt = torch.randn(3, 5, 3)
    pred = gt + torch.tensor([0.5, -1.0, 2.0])
    assert keypoints3d_loss(pred, _gt3d(gt), root=0).item() == pytest.approx(0.0, abs=1e-6)
    assert keypoints3d_loss(pred, _gt3d(gt), root=(1, 2)).item() == pytest.approx(0.0, abs=1e-6)
    assert keypoints3d_loss(pred, _gt3d(gt)).item() > 0.5


def test_keypoints3d_confidence_masks_and_nan_gt_stays_out():
    gt = torch.zeros(1, 3, 3)
    gt[0, 2] = float("nan")  # missing keypoint stored as NaN
    conf = torch.tensor([[1.0, 1.0, 0.0]])
    pred = torch.zeros(1, 3, 3, requires_grad=True)
    with torch.no_grad():
        pred[0, 1, 0] = 0.6
    loss = keypoints3d_loss(pred, _gt3d(gt, conf))
    assert loss.item() == pytest.approx(0.6 / 6)  # 2 valid keypoints x 3 coords
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[0, 2].abs().sum() == 0


def test_keypoints3d_nothing_valid_gives_zero_and_zero_grad():
    gt = torch.full((2, 4, 3), float("nan"))
    pred = torch.randn(2, 4, 3, requires_grad=True)
    loss = keypoints3d_loss(pred, _gt3d(gt), root=0, has=torch.zeros(2))
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_keypoints3d_missing_root_drops_the_sample():
    gt = torch.randn(2, 4, 3)
    pred = gt.clone()
    pred[1] += torch.randn(4, 3)  # sample 1 is wrong, but its root is missing
    conf = torch.ones(2, 4)
    conf[1, 0] = 0
    assert keypoints3d_loss(pred, _gt3d(gt, conf), root=0).item() == pytest.approx(0.0, abs=1e-6)


def test_keypoints3d_shape_error_names_the_tensor():
    with pytest.raises(ShapeError, match="gt_keypoints3d"):
        keypoints3d_loss(torch.zeros(1, 4, 3), torch.zeros(1, 4, 3))


def test_ndc_convention_edges_and_round_trip():
    s = 256
    uv = torch.tensor([[-0.5, -0.5], [s - 0.5, s - 0.5], [(s - 1) / 2, (s - 1) / 2]])
    ndc = pixels_to_ndc(uv, s)
    assert torch.allclose(ndc, torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]))
    assert torch.allclose(ndc_to_pixels(ndc, s), uv)


def test_heatmap_loss_known_value_in_ndc():
    s = 64
    gt = torch.tensor([[[(s - 1) / 2, (s - 1) / 2, 1.0], [-0.5, s - 0.5, 1.0]]])  # centre, corner
    pred = torch.tensor([[[0.5, 0.0, 0.3], [-1.0, 1.0, -0.7]]])  # z ignored without 3D GT
    assert heatmap_keypoints_loss(pred, gt, s).item() == pytest.approx(0.5 / 4)


def test_heatmap_loss_depth_supervision():
    s = 64
    gt2d = torch.tensor([[[(s - 1) / 2, (s - 1) / 2, 1.0]] * 2])
    gt3d = _gt3d(torch.tensor([[[0.0, 0.0, 5.0], [0.0, 0.0, 5.5]]]))  # joint 1 is 0.5 m deeper
    pred = torch.tensor([[[0.0, 0.0, 0.0], [0.0, 0.0, 0.5]]])  # 0.5 m / (2 m / 2) = 0.5
    assert heatmap_keypoints_loss(pred, gt2d, s, gt_keypoints3d=gt3d, root=0).item() == (
        pytest.approx(0.0, abs=1e-7)
    )
    loss = heatmap_keypoints_loss(pred, gt2d, s, gt_keypoints3d=gt3d, root=0, depth_range=1.0)
    assert loss.item() == pytest.approx(0.5 / 6)  # joint 1 wants 1.0, has 0.5
    with pytest.raises(ShapeError, match="root"):
        heatmap_keypoints_loss(pred, gt2d, s, gt_keypoints3d=gt3d)


def test_weak_and_perspective_projection_agree_at_zero_depth():
    s = 256
    pts = torch.randn(2, 6, 3) * 0.3
    pts[..., 2] = 0
    cam = torch.tensor([[0.9, 0.1, -0.05], [1.2, -0.2, 0.1]])
    weak = project_keypoints(pts, cam, s, "weak")
    persp = project_keypoints(pts, cam, s, "perspective", DEFAULT_FOCAL)
    assert torch.allclose(weak, persp, atol=1e-5)


def test_projected_loss_zero_when_projection_hits_gt_and_grows_with_offset():
    s = 256
    pts = torch.randn(1, 5, 3) * 0.2
    cam = torch.tensor([[1.1, 0.05, -0.1]])
    uv = ndc_to_pixels(project_keypoints(pts, cam, s, "perspective"), s)
    gt = torch.cat((uv, torch.ones(1, 5, 1)), -1)
    assert projected_keypoints_loss(pts, cam, gt, s).item() == pytest.approx(0.0, abs=1e-5)
    gt_shift = gt.clone()
    gt_shift[..., 0] += 12.8  # 12.8 px = 0.1 in NDC on a 256 crop
    assert projected_keypoints_loss(pts, cam, gt_shift, s).item() == pytest.approx(0.05, abs=1e-4)


def test_projected_loss_gradient_moves_camera_towards_gt():
    s = 256
    pts = torch.randn(1, 8, 3) * 0.2
    target_cam = torch.tensor([[1.0, 0.1, 0.0]])
    uv = ndc_to_pixels(project_keypoints(pts, target_cam, s, "weak"), s)
    gt = torch.cat((uv, torch.ones(1, 8, 1)), -1)
    cam = torch.tensor([[1.0, 0.0, 0.0]], requires_grad=True)
    projected_keypoints_loss(pts, cam, gt, s, camera="weak").backward()
    assert cam.grad[0, 1] < 0  # increasing tx lowers the loss


def test_projected_loss_masked_by_has_and_confidence():
    s = 128
    pts = torch.randn(2, 3, 3, requires_grad=True)
    cam = torch.ones(2, 3, requires_grad=True)
    gt = torch.full((2, 3, 3), math.nan)
    gt[..., 2] = 0.0
    loss = projected_keypoints_loss(pts, cam, gt, s, has=torch.ones(2))
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(pts.grad, torch.zeros_like(pts))
    assert torch.equal(cam.grad, torch.zeros_like(cam))


def _random_rotations(b):
    from robosmplx.geometry.rotations import rot6d_to_matrix

    return rot6d_to_matrix(torch.randn(b, 6))


def test_keypoints3d_local_ignores_orientation_and_translation():
    from robosmplx.losses import keypoints3d_local_loss

    local = torch.randn(3, 6, 3)
    r_gt, r_pred = _random_rotations(3), _random_rotations(3)
    gt = torch.bmm(local, r_gt.transpose(1, 2)) + 1.0  # same articulation, true orientation
    pred = torch.bmm(local, r_pred.transpose(1, 2)) - 2.0  # same articulation, wrong orientation
    got = keypoints3d_local_loss(pred, _gt3d(gt), r_pred, r_gt, root=0)
    assert got.item() == pytest.approx(0.0, abs=1e-5)
    assert keypoints3d_loss(pred, _gt3d(gt), root=0).item() > 0.1  # the camera-frame L3D sees it
    # (B, 1, 3, 3) orientations (a rotation group of size 1) are accepted too
    got = keypoints3d_local_loss(pred, _gt3d(gt), r_pred[:, None], r_gt[:, None], root=0)
    assert got.item() == pytest.approx(0.0, abs=1e-5)


def test_keypoints3d_local_scores_articulation_in_the_body_frame():
    from robosmplx.losses import keypoints3d_local_loss

    local = torch.zeros(1, 3, 3)
    local[0, 1, 0] = 1.0
    bent = local.clone()
    bent[0, 2, 1] = 0.3  # one point moved 0.3 along the body's y: mean |.| = 0.3 / 9
    r = _random_rotations(1)
    got = keypoints3d_local_loss(
        bent @ r.transpose(1, 2), _gt3d(local @ r.transpose(1, 2)), r, r, 0
    )
    assert got.item() == pytest.approx(0.3 / 9, abs=1e-6)


def test_keypoints3d_local_masks_missing_root_and_nan():
    from robosmplx.losses import keypoints3d_local_loss

    gt = torch.randn(2, 4, 3)
    gt[0, 0] = float("nan")  # sample 0 lacks its root: left out whole
    conf = torch.ones(2, 4)
    conf[0, 0] = 0.0
    pred = torch.randn(2, 4, 3, requires_grad=True)
    r = _random_rotations(2)
    loss = keypoints3d_local_loss(pred, _gt3d(gt, conf), r, r, root=0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(pred.grad).all()
    assert pred.grad[0].abs().sum() == 0
    with pytest.raises(ShapeError, match="root"):
        keypoints3d_local_loss(pred, _gt3d(gt, conf), r, r, root=None)


def _gaussian_logits(centres, h=16, w=16, d=4):
    ys, xs = torch.meshgrid(torch.arange(h * 1.0), torch.arange(w * 1.0), indexing="ij")
    maps = [-((xs - cu) ** 2 + (ys - cv) ** 2) / 2 for cu, cv in centres]
    return torch.stack(maps)[None, :, None].expand(1, len(centres), d, h, w).clone()


def test_heatmap_distribution_prefers_the_right_place():
    from robosmplx.losses import heatmap_distribution_loss

    # crop 128 px on a 16-cell heatmap: pixel u lies at cell (u + 0.5) / 8 - 0.5
    gt = torch.tensor([[[20.0, 40.0, 1.0], [100.0, 8.0, 1.0]]])
    cells = [((20.5 / 8) - 0.5, (40.5 / 8) - 0.5), ((100.5 / 8) - 0.5, (8.5 / 8) - 0.5)]
    right = heatmap_distribution_loss(_gaussian_logits(cells), gt, 128)
    flat = heatmap_distribution_loss(torch.zeros(1, 2, 4, 16, 16), gt, 128)
    wrong = heatmap_distribution_loss(_gaussian_logits([(8, 8), (4, 12)]), gt, 128)
    assert right.item() == pytest.approx(0.0, abs=1e-4)  # KL of the target to itself
    assert right < flat < wrong


def test_heatmap_distribution_masks_missing_and_outside_points():
    from robosmplx.losses import heatmap_distribution_loss

    gt = torch.tensor([[[20.0, 40.0, 1.0], [float("nan"), 3.0, 0.0], [-50.0, 9.0, 1.0]]])
    logits = torch.randn(1, 3, 4, 16, 16, requires_grad=True)
    loss = heatmap_distribution_loss(logits, gt, 128)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    assert logits.grad[0, 0].abs().sum() > 0
    assert logits.grad[0, 1:].abs().sum() == 0  # confidence 0, and outside the crop
    # a flat heatmap still gets a gradient (the soft-argmax L1 barely does there)
    flat = torch.zeros(1, 3, 4, 16, 16, requires_grad=True)
    heatmap_distribution_loss(flat, gt, 128).backward()
    assert flat.grad[0, 0].abs().max() > 1e-3
