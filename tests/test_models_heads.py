"""Localization Module and regressor: soft-argmax known answers, LF routing, initial outputs."""

import pytest
import torch

from robosmplx.body.base import ParamGroup
from robosmplx.geometry.camera import ndc_to_pixels, pixels_to_ndc
from robosmplx.models.heads import ParamRegressor, reads_lf
from robosmplx.models.localization import (
    LocalizationModule,
    PartSegmentationHead,
    cell_centers,
    soft_argmax_3d,
)

GROUPS = (
    ParamGroup("global_orient", "rotation", 1, "body"),
    ParamGroup("right_hand_pose", "rotation", 15, "hand"),
    ParamGroup("expression", "vector", 7, "face"),
    ParamGroup("betas", "vector", 10, "body"),
)


def test_soft_argmax_one_hot_peak_is_exact():
    d, h, w = 6, 8, 10
    hm = torch.zeros(2, 3, d, h, w)
    peaks = [[(0, 0, 0), (5, 7, 9), (2, 3, 4)], [(1, 6, 2), (4, 0, 9), (3, 3, 3)]]
    for b, row in enumerate(peaks):
        for j, (k, y, x) in enumerate(row):
            hm[b, j, k, y, x] = 1e4  # softmax is then exactly one-hot in float32
    out = soft_argmax_3d(hm)
    for b, row in enumerate(peaks):
        for j, (k, y, x) in enumerate(row):
            expect = torch.tensor(
                [(x + 0.5) * 2 / w - 1, (y + 0.5) * 2 / h - 1, (k + 0.5) * 2 / d - 1]
            )
            assert torch.allclose(out[b, j], expect, atol=1e-6)


def test_soft_argmax_uniform_is_centre_and_two_cell_mean():
    out = soft_argmax_3d(torch.zeros(1, 1, 4, 4, 4))
    assert torch.allclose(out, torch.zeros(1, 1, 3), atol=1e-6)
    hm = torch.full((1, 1, 1, 1, 4), -1e4)
    hm[..., 1] = hm[..., 2] = 0.0  # two equal peaks: their midpoint
    assert torch.allclose(soft_argmax_3d(hm)[0, 0, 0], torch.tensor(0.0), atol=1e-6)


def test_pixel_convention():
    # pixel 0's centre is half a pixel from the -1 edge; the crop's last pixel mirrors it
    s = 64
    uv = torch.tensor([[0.0, s - 1.0], [-0.5, s - 0.5]])
    xy = pixels_to_ndc(uv, s)
    assert torch.allclose(xy[0], torch.tensor([1 / s - 1, 1 - 1 / s]))
    assert torch.allclose(xy[1], torch.tensor([-1.0, 1.0]))
    assert torch.allclose(ndc_to_pixels(xy, s), uv)
    # heatmap cell centres agree with the pixel convention at 8 px per cell
    assert torch.allclose(cell_centers(8), pixels_to_ndc(torch.arange(8) * 8 + 3.5, 64))


def test_localization_shapes_and_segmentation_size():
    loc = LocalizationModule(32, num_joints=5, depth=6)
    lf, joints = loc(torch.randn(2, 32, 8, 8))
    assert lf.shape == (2, 30, 8, 8) and joints.shape == (2, 5, 3)
    assert joints.abs().max() <= 1.0
    seg = PartSegmentationHead(32, num_parts=7, mid=16)(torch.randn(2, 32, 8, 8))
    assert seg.shape == (2, 8, 16, 16)  # stride-8 features -> S/4 masks


@pytest.mark.parametrize(
    "variant, lf_names",
    [
        ("all", {"global_orient", "right_hand_pose", "expression", "betas", "cam"}),
        ("pose", {"global_orient", "right_hand_pose", "expression"}),
        ("none", set()),
    ],
)
def test_lf_variant_routing(variant, lf_names):
    reg = ParamRegressor(16, 24, GROUPS, variant=variant, hidden=8)
    assert {k for k, v in reg.source.items() if v == "lf"} == lf_names
    assert (reg.fuse_lf is not None) == bool(lf_names)
    assert (reg.fuse_f is not None) == (len(lf_names) < 5)
    assert reads_lf(None, "pose") is False


def test_regressor_outputs_depend_only_on_their_source():
    reg = ParamRegressor(16, 24, GROUPS, variant="pose", hidden=8).eval()
    f = torch.randn(2, 16, 4, 4)
    lf1, lf2 = torch.randn(2, 24, 4, 4), torch.randn(2, 24, 4, 4)
    p1, c1 = reg.predict(reg.fuse(f, lf1))
    p2, c2 = reg.predict(reg.fuse(f, lf2))
    assert torch.equal(p1["betas"], p2["betas"]) and torch.equal(c1, c2)
    assert not torch.allclose(p1["right_hand_pose_rotmat"], p2["right_hand_pose_rotmat"])


def test_initial_prediction_is_rest_pose_and_camera_prior():
    neutral = {"betas": (0.5,) * 10}  # e.g. Anny's phenotype mid-point
    reg = ParamRegressor(16, 24, GROUPS, cam_init_scale=5.0, hidden=8, vector_init=neutral)
    for lin in reg.linears.values():
        torch.nn.init.zeros_(lin.weight)
    params, cam = reg.predict(reg.fuse(torch.randn(3, 16, 4, 4), torch.randn(3, 24, 4, 4)))
    assert torch.allclose(params["right_hand_pose_rotmat"], torch.eye(3).expand(3, 15, 3, 3))
    assert torch.equal(params["betas"], torch.full((3, 10), 0.5))
    assert torch.equal(params["expression"], torch.zeros(3, 7))
    assert torch.allclose(cam, torch.tensor([5.0, 0.0, 0.0]).expand(3, 3), atol=1e-6)
    with torch.no_grad():
        reg.linears["cam"].bias[0] = -60.0  # a very negative raw scale stays positive
    _, cam = reg.predict(reg.fuse(torch.randn(3, 16, 4, 4), torch.randn(3, 24, 4, 4)))
    assert (cam[:, 0] > 0).all()


def test_joint_inputs_reach_every_output_and_are_required():
    from robosmplx.errors import ShapeError

    reg = ParamRegressor(16, 24, GROUPS, hidden=8, joint_inputs=5 * 3).eval()
    fused = reg.fuse(torch.randn(2, 16, 4, 4), torch.randn(2, 24, 4, 4))
    j1, j2 = torch.rand(2, 5, 3), torch.rand(2, 5, 3)
    p1, c1 = reg.predict(fused, j1)
    p2, c2 = reg.predict(fused, j2)
    assert not torch.allclose(c1, c2)  # the same pooled features, other joints
    assert not torch.allclose(p1["right_hand_pose_rotmat"], p2["right_hand_pose_rotmat"])
    assert reg.linears["cam"].in_features == 8 + 15
    with pytest.raises(ShapeError, match="15 joint coordinates"):
        reg.predict(fused)
    with pytest.raises(ShapeError, match="15 joint coordinates"):
        reg.predict(fused, torch.rand(2, 4, 3))


def test_subnetwork_with_joint_inputs_builds_from_overrides_and_round_trips(tmp_path, anny_small):
    from robosmplx.models import load_model, save_model
    from robosmplx.models.presets import preset_config
    from robosmplx.train.config import ModelOverrides
    from robosmplx.train.stages import _override_sub

    cfg = preset_config("small-body", anny_small)
    ov = ModelOverrides(input_size=64, width=0.25, joint_inputs=True, regressor_mlp=32)
    cfg = _override_sub(cfg, ov)
    assert cfg.joint_inputs and cfg.regressor_mlp == 32
    from robosmplx.models.subnetwork import SubNetwork

    net = SubNetwork(cfg).eval()
    img = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        out = net(img)
    path = save_model(net, tmp_path / "net")
    again = load_model(path).eval()
    assert again.config.joint_inputs and again.config.regressor_mlp == 32
    assert out.pred_heatmaps.shape == (1, cfg.num_joints, cfg.heatmap_depth, 8, 8)
    with torch.no_grad():
        assert torch.allclose(again(img).pred_cam, out.pred_cam)


def test_regressor_mlp_sits_between_the_pooled_features_and_the_outputs():
    reg = ParamRegressor(16, 24, GROUPS, hidden=8, joint_inputs=15, mlp_hidden=32).eval()
    assert set(reg.mlps) == {"lf"}  # one MLP per fused source in use
    assert reg.mlps["lf"][0].in_features == 8 + 15
    assert reg.linears["cam"].in_features == 32
    fused = reg.fuse(torch.randn(2, 16, 4, 4), torch.randn(2, 24, 4, 4))
    params, cam = reg.predict(fused, torch.rand(2, 5, 3))
    assert cam.shape == (2, 3) and torch.isfinite(cam).all()
    rot = params["right_hand_pose_rotmat"]
    eye = torch.eye(3).expand_as(rot)
    assert torch.allclose(rot.transpose(-1, -2) @ rot, eye, atol=1e-5)
    split = ParamRegressor(16, 24, GROUPS, variant="pose", hidden=8, mlp_hidden=32)
    assert set(split.mlps) == {"f", "lf"}
    plain = ParamRegressor(16, 24, GROUPS, hidden=8)
    assert len(plain.mlps) == 0 and plain.linears["cam"].in_features == 8
