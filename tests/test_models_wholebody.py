"""Whole-body network: part boxes from keypoints, ROI crops, the mirrored left hand, swap-in."""

import dataclasses

import pytest
import torch

from robosmplx.errors import CheckpointError
from robosmplx.geometry.camera import pixels_to_ndc
from robosmplx.geometry.rotations import mirror_rotation
from robosmplx.models import (
    SubNetwork,
    build_model,
    load_model,
    preset_config,
    save_model,
    smplx_signature,
)
from robosmplx.models.roi import roi_crop

S = 64
HALF = torch.tensor([[[0.5, 0.0, -0.25], [0.0, 0.5, -0.25]]])  # 128 source px -> 64 body px


@pytest.fixture(scope="module")
def net():
    cfg = preset_config("small", smplx_signature())
    cfg = dataclasses.replace(
        cfg,
        body=dataclasses.replace(cfg.body, input_size=S),
        hand=dataclasses.replace(cfg.hand, input_size=S),
        face=dataclasses.replace(cfg.face, input_size=S),
        source_size=None,  # twice the body crop: 128
    )
    torch.manual_seed(0)
    return build_model(cfg).eval()


def test_part_boxes_from_known_keypoints(net):
    sig = smplx_signature()
    joints = torch.zeros(1, sig.num_keypoints, 3)
    rhand = list(sig.keypoint_subsets["rhand"])
    corners = [(10.0, 30.0), (20.0, 30.0), (10.0, 34.0), (20.0, 34.0)]
    px = [(15.0, 32.0)] + [corners[i % 4] for i in range(20)]  # mean (15, 32)
    joints[0, rhand, :2] = pixels_to_ndc(torch.tensor(px), S)
    boxes = net.part_boxes(joints, S)
    # half extents 5 x 2 px, x 2.0 -> 20 x 8, made square -> 20 x 20 about (15, 32)
    assert torch.allclose(boxes["rhand"], torch.tensor([[5.0, 22.0, 20.0, 20.0]]), atol=1e-4)
    face = list(sig.keypoint_subsets["face"])
    joints[0, face, :2] = pixels_to_ndc(torch.tensor([[40.0, 8.0], [48.0, 16.0]]), S).repeat(36, 1)
    # face: centre (44, 12), extent 8 x 8, x 1.5 -> 12
    assert torch.allclose(
        net.part_boxes(joints, S)["face"], torch.tensor([[38.0, 6.0, 12.0, 12.0]]), atol=1e-4
    )


def test_roi_crop_known_answers():
    img = torch.randn(1, 3, 16, 16)
    whole = torch.tensor([[-0.5, -0.5, 16.0, 16.0]])
    assert torch.allclose(roi_crop(img, whole, 16), img, atol=1e-5)
    inner = torch.tensor([[3.5, 1.5, 4.0, 4.0]])  # pixels x 4..7, y 2..5
    assert torch.allclose(roi_crop(img, inner, 4), img[..., 2:6, 4:8], atol=1e-5)
    # the box lives in a half-resolution frame: body px 2..5 are source px 4..11
    body_box = torch.tensor([[1.5, 1.5, 4.0, 4.0]])
    assert torch.allclose(roi_crop(img, body_box, 8, HALF), img[..., 4:12, 4:12], atol=1e-5)


def test_roi_crop_is_differentiable_in_the_box():
    img = torch.randn(1, 3, 16, 16)
    box = torch.tensor([[3.3, 2.1, 6.0, 6.0]], requires_grad=True)
    roi_crop(img, box, 8).sum().backward()
    assert torch.isfinite(box.grad).all() and box.grad.abs().sum() > 0


def test_left_hand_is_the_mirror_of_the_right_hand(net):
    # a left-right symmetric source with mirrored hand boxes: the left crop is the mirror of
    # the right crop, so the left prediction must be the mirror of the right one
    half = torch.randn(1, 3, 2 * S, S)
    image = torch.cat((half, half.flip(-1)), -1)  # (1, 3, 128, 128)
    right = torch.tensor([[5.0, 20.0, 16.0, 16.0]])
    left = torch.tensor([[(S - 1) - (5.0 + 8.0) - 8.0, 20.0, 16.0, 16.0]])
    boxes = {"rhand": right, "lhand": left, "face": torch.tensor([[24.0, 4.0, 16.0, 16.0]])}
    with torch.no_grad():
        pred = net(image, HALF, boxes=boxes)
        other = net(torch.randn_like(image), HALF, boxes=boxes)
    r, lh = pred.parts["rhand"], pred.parts["lhand"]
    expect = mirror_rotation(r.pred_params["right_hand_pose_rotmat"])
    assert torch.allclose(lh.pred_params["left_hand_pose_rotmat"], expect, atol=1e-5)
    assert torch.allclose(
        lh.pred_joints_hm, r.pred_joints_hm * torch.tensor([-1.0, 1.0, 1.0]), atol=1e-5
    )
    assert torch.allclose(lh.pred_segm_logits, r.pred_segm_logits.flip(-1), atol=1e-4)
    assert torch.allclose(lh.pred_heatmaps, r.pred_heatmaps.flip(-1), atol=1e-4)
    assert pred.pred_heatmaps.shape[:2] == pred.pred_joints_hm.shape[:2]  # the body's volumes
    assert torch.equal(
        pred.pred_params["left_hand_pose_rotmat"], lh.pred_params["left_hand_pose_rotmat"]
    )
    # not vacuous: an asymmetric source breaks the relation
    o_r, o_l = other.parts["rhand"], other.parts["lhand"]
    assert not torch.allclose(
        o_l.pred_joints_hm, o_r.pred_joints_hm * torch.tensor([-1.0, 1.0, 1.0]), atol=1e-5
    )


def test_predicted_boxes_drive_the_crops(net):
    image = torch.randn(2, 3, 2 * S, 2 * S)
    with torch.no_grad():
        auto = net(image, HALF.expand(2, 2, 3))
        given = net(image, HALF.expand(2, 2, 3), boxes=auto.pred_boxes)
        body = net.body_crop(image, HALF.expand(2, 2, 3))
        explicit = net(image, HALF.expand(2, 2, 3), body_img=body)
    for k, v in auto.tensors().items():
        assert torch.allclose(v, given.tensors()[k], atol=1e-5), k
        assert torch.allclose(v, explicit.tensors()[k], atol=1e-5), k


def test_swap_in_trained_parts(net, tmp_path):
    wb = build_model(net.config)
    hand = SubNetwork(dataclasses.replace(net.config.hand, with_global=True))  # part-only trained
    face = SubNetwork(dataclasses.replace(net.config.face, with_global=True))
    path = save_model(face, tmp_path / "face")
    wb.swap_in(hand_state=hand, face_state=load_model(path))
    for k, v in wb.hand.state_dict().items():
        assert torch.equal(v, hand.state_dict()[k]), k
    for k, v in wb.face.state_dict().items():
        assert torch.equal(v, face.state_dict()[k]), k
    with pytest.raises(CheckpointError, match="config differs"):
        wb.swap_in(hand_state=face)
    broken = dict(hand.state_dict())
    del broken["localization.heatmap.weight"]
    with pytest.raises(CheckpointError, match=r"missing keys \(1\): localization.heatmap.weight"):
        wb.swap_in(hand_state=broken)


def test_closed_form_affine_inverse():
    from robosmplx.models.roi import _invert_affine

    a = torch.randn(5, 2, 3, dtype=torch.float64)
    full = torch.cat((a, torch.tensor([0.0, 0, 1], dtype=torch.float64).expand(5, 1, 3)), 1)
    torch.testing.assert_close(_invert_affine(a), torch.linalg.inv(full))
