"""Contract tests over every preset and both body-model families: shapes sized by the body
model, finite outputs, a gradient for every parameter, one output type in train and eval."""

import dataclasses

import pytest
import torch

from robosmplx.body.base import ParamGroup
from robosmplx.models import BodySignature, Prediction, build_model, preset_config, smplx_signature
from robosmplx.models.presets import PRESETS

SIZE = 64  # every crop in these tests; the paper's 256 is counted on the meta device instead


def anny_like_signature() -> BodySignature:
    """Made-up sizes in Anny's style: no jaw, a 52-control face ``expression``, 77 keypoints."""
    body = tuple(range(17))
    lhand = (9,) + tuple(range(17, 37))
    rhand = (10,) + tuple(range(37, 57))
    face = tuple(range(57, 77))
    return BodySignature(
        family="anny",
        name="anny-like",
        groups=(
            ParamGroup("global_orient", "rotation", 1, "body"),
            ParamGroup("body_pose", "rotation", 25, "body"),
            ParamGroup("left_hand_pose", "rotation", 15, "hand"),
            ParamGroup("right_hand_pose", "rotation", 15, "hand"),
            ParamGroup("expression", "vector", 52, "face"),
            ParamGroup("betas", "vector", 6, "body"),
        ),
        num_keypoints=77,
        keypoint_subsets={"body": body, "lhand": lhand, "rhand": rhand, "face": face},
        part_counts={"body": 24, "hand": 16, "face": 15},
        part_groups={
            "rhand": ("right_hand_pose",),
            "lhand": ("left_hand_pose",),
            "face": ("expression",),
        },
        part_keypoints={"rhand": rhand, "lhand": lhand, "face": face},
    )


def _shrink(cfg):
    """The same network at 64 px crops (whole-body: body, hand and face inputs)."""
    if hasattr(cfg, "hand"):
        return dataclasses.replace(
            cfg,
            body=dataclasses.replace(cfg.body, input_size=SIZE),
            hand=dataclasses.replace(cfg.hand, input_size=SIZE),
            face=dataclasses.replace(cfg.face, input_size=SIZE),
            source_size=None,  # twice the new body crop
        )
    return dataclasses.replace(cfg, input_size=SIZE)


def _inputs(model, batch=2):
    """Crops of the size the config names (whole-body: its 128 source for the 64 body crop)."""
    size = model.config.crop_size
    assert size == (2 * SIZE if model.kind == "wholebody" else SIZE)
    return torch.randn(batch, 3, size, size)


def _heatmaps(sub, b: int) -> tuple:
    """(B, J, D, h, w): a subnetwork's Localization Module logits at its backbone's stride."""
    side = SIZE // sub.backbone.output_stride
    return (b, sub.num_joints, sub.heatmap_depth, side, side)


def _expected_shapes(cfg, sig: BodySignature, b: int) -> dict[str, tuple]:
    """What the contract says each output must look like, from the signature alone."""

    def group_shape(g):
        return (b, g.size, 3, 3) if g.kind == "rotation" else (b, g.size)

    def key(g):
        return f"{g.name}_rotmat" if g.kind == "rotation" else g.name

    if hasattr(cfg, "hand"):
        out = {f"pred_params.{key(g)}": group_shape(g) for g in sig.groups}
        out.update(
            {
                "pred_cam": (b, 3),
                "pred_joints_hm": (b, sig.num_keypoints, 3),
                "pred_segm_logits": (b, sig.part_counts["body"] + 1, SIZE // 4, SIZE // 4),
                "pred_heatmaps": _heatmaps(cfg.body, b),
            }
        )
        for box in ("lhand", "rhand", "face"):
            out[f"pred_boxes.{box}"] = (b, 4)
        for view, part in (("rhand", "hand"), ("lhand", "hand"), ("face", "face")):
            for name in sig.part_groups[view]:
                out[f"parts.{view}.pred_params.{key(sig.group(name))}"] = group_shape(
                    sig.group(name)
                )
            out[f"parts.{view}.pred_joints_hm"] = (b, len(sig.part_keypoints[view]), 3)
            p1 = sig.part_counts[part] + 1
            out[f"parts.{view}.pred_segm_logits"] = (b, p1, SIZE // 4, SIZE // 4)
            out[f"parts.{view}.pred_heatmaps"] = _heatmaps(getattr(cfg, part), b)
        return out
    out = {f"pred_params.{key(g)}": group_shape(g) for g in cfg.groups}
    out["pred_cam"] = (b, 3)
    if hasattr(cfg, "num_joints"):
        out["pred_joints_hm"] = (b, cfg.num_joints, 3)
        out["pred_segm_logits"] = (b, cfg.num_parts + 1, SIZE // 4, SIZE // 4)
        out["pred_heatmaps"] = _heatmaps(cfg, b)
        out.update({f"pred_params.{key(g)}": group_shape(g) for g in cfg.global_groups})
    return out


def _check(model, sig):
    b = 2
    model.train()
    pred = model.forward_source(_inputs(model, b))
    assert type(pred) is Prediction
    tensors = pred.tensors()
    assert {k: tuple(v.shape) for k, v in tensors.items()} == _expected_shapes(model.config, sig, b)
    for k, v in tensors.items():
        assert torch.isfinite(v).all(), k
    loss = sum(v.float().square().mean() for v in tensors.values())
    loss.backward()
    no_grad = [
        n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not no_grad, f"parameters without gradient: {no_grad[:5]}"
    model.eval()
    with torch.no_grad():
        pred_eval = model.forward_source(_inputs(model, 1))
    assert type(pred_eval) is Prediction
    assert set(pred_eval.tensors()) == set(tensors)


LIGHT = [n for n in PRESETS if not n.startswith(("paper", "hmr")) or n == "hmr-small"]


@pytest.mark.parametrize("name", LIGHT)
@pytest.mark.parametrize("body", ["smplx", "anny-like"])
def test_light_presets(name, body):
    sig = smplx_signature() if body == "smplx" else anny_like_signature()
    _check(build_model(_shrink(preset_config(name, sig))), sig)


@pytest.mark.parametrize("name", ["small", "small-face"])
def test_presets_sized_by_anny_small(name, anny_small):
    sig = BodySignature.from_body_model(anny_small)
    assert sig.part_groups["face"] == ("expression",)
    cfg = preset_config(name, anny_small)
    neutral = anny_small.vector_default("betas").tolist()
    assert list(sig.vector_defaults.get("betas", [0.0] * len(neutral))) == neutral
    assert (cfg.body if name == "small" else cfg).vector_init == sig.vector_defaults
    _check(build_model(_shrink(preset_config(name, anny_small))), sig)


@pytest.mark.parametrize("name", ["hmr", "hmr-hand", "paper-body", "paper-hand", "paper-face"])
def test_heavy_part_presets(name):
    sig = smplx_signature()
    _check(build_model(_shrink(preset_config(name, sig))), sig)


def test_paper_wholebody_once():
    sig = smplx_signature()
    _check(build_model(_shrink(preset_config("paper", sig))), sig)


def test_paper_body_and_face_on_meta_at_256():
    # the full-size paper subnetworks give F 512 x 32 x 32, LF J*32 channels and 64 x 64 masks
    sig = smplx_signature()
    with torch.device("meta"):
        for name, joints, parts in (("paper-body", 137, 24), ("paper-face", 73, 15)):
            model = build_model(preset_config(name, sig))
            feat = model.forward_features(torch.zeros(1, 3, 256, 256))
            assert tuple(feat.shape) == (1, 512, 32, 32)
            assert model.localization.out_channels == joints * 32
            pred = model.forward_head(feat)
            assert tuple(pred.pred_joints_hm.shape) == (1, joints, 3)
            assert tuple(pred.pred_segm_logits.shape) == (1, parts + 1, 64, 64)


def test_presets_read_every_size_from_the_signature():
    sig = anny_like_signature()
    wb = preset_config("small", sig)
    assert wb.body.num_joints == 77 and wb.face.num_joints == 20
    assert [g.name for g in wb.body.groups] == ["body_pose"]
    assert [g.name for g in wb.body.global_groups] == ["global_orient", "betas"]
    assert [g.name for g in wb.face.groups] == ["expression"] and wb.face.groups[0].size == 52
    assert not wb.hand.with_global and not wb.face.with_global
    assert wb.left_groups == ("left_hand_pose",)
    assert BodySignature.from_dict(sig.to_dict()) == sig
