"""The one way into a network: forward_source, the resize affine it shares with every caller,
the config's own answers (source size, normalisation, kind) and the stage table."""

import dataclasses

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from robosmplx.errors import ConfigError, ShapeError
from robosmplx.geometry.pixels import resize_affine
from robosmplx.models import build_model, preset_config, smplx_signature
from robosmplx.models.kinds import kind_of, network_kinds, register_kind
from robosmplx.models.presets import PRESETS

S = 64


@pytest.fixture(scope="module")
def net():
    cfg = preset_config("small", smplx_signature())
    sub = {"input_size": S}
    cfg = dataclasses.replace(
        cfg,
        body=dataclasses.replace(cfg.body, **sub),
        hand=dataclasses.replace(cfg.hand, **sub),
        face=dataclasses.replace(cfg.face, **sub),
        source_size=None,
    )
    torch.manual_seed(0)
    return build_model(cfg).eval()


def test_resize_affine_keeps_pixel_centres():
    a = resize_affine(0.5)
    corners = np.array([[-0.5, -0.5, 1.0], [127.5, 127.5, 1.0], [1.5, 0.5, 1.0]])
    np.testing.assert_allclose(corners @ a.T, [[-0.5, -0.5], [63.5, 63.5], [0.5, 0.0]])
    b = resize_affine((2.0, 0.25))
    np.testing.assert_allclose(b @ [0.0, 0.0, 1.0], [0.5, -0.375])


def test_source_size_follows_the_body_crop(net):
    assert net.config.source_size == net.config.crop_size == 2 * S
    assert preset_config("small", smplx_signature()).source_size == 256
    assert preset_config("paper", smplx_signature()).source_size == 512
    with pytest.raises(ConfigError, match="smaller than the body crop"):
        dataclasses.replace(net.config, source_size=S // 2)


def test_forward_source_is_area_crop_plus_resize_affine(net):
    x = torch.randn(2, 3, 2 * S, 2 * S)
    aff = torch.tensor(resize_affine(0.5), dtype=torch.float32).expand(2, 2, 3)
    with torch.no_grad():
        got = net.forward_source(x)
        ref = net(x, aff, body_img=F.interpolate(x, size=(S, S), mode="area"))
        same = net.forward_source(x[..., :S, :S])  # a source at the body size: no resize
        plain = net(x[..., :S, :S], torch.tensor(resize_affine(1.0)).float().expand(2, 2, 3))
    for k, v in ref.tensors().items():
        assert torch.allclose(got.tensors()[k], v, atol=1e-5), k
        assert torch.allclose(same.tensors()[k], plain.tensors()[k], atol=1e-4), k
    with pytest.raises(ShapeError, match="smaller than the body crop"):
        net.forward_source(torch.zeros(1, 3, S // 2, S // 2))
    with pytest.raises(ShapeError, match="square"):
        net.forward_source(torch.zeros(1, 3, 2 * S, S))


def test_normalize_matches_the_data_pipeline(net):
    from robosmplx.data.pipeline import normalize_image

    img = np.random.default_rng(0).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    want = normalize_image(img)  # (3, 8, 8)
    got = net.normalize(torch.from_numpy(img).permute(2, 0, 1)[None].float())[0]
    assert torch.allclose(got, want, atol=1e-5)
    assert net.config.mean == net.config.body.backbone.mean


def test_part_networks_take_their_crop_only(anny_small):
    hand = build_model(preset_config("small-hand", anny_small)).eval()
    with pytest.raises(ShapeError, match="crop_size"):
        hand.forward_source(torch.zeros(1, 3, 64, 64))


def test_every_preset_kind_is_registered():
    kinds = network_kinds()
    assert set(kinds) == {"subnetwork", "wholebody", "hmr"}
    for name, preset in PRESETS.items():
        cfg = preset.build(smplx_signature())
        assert kind_of(cfg) == preset.kind, name
        assert kinds[preset.kind][1].kind == preset.kind
    with pytest.raises(ConfigError, match="registered twice"):
        register_kind("hmr", dict)(type("Other", (), {}))
    with pytest.raises(ConfigError, match="not a robosmplx network config"):
        kind_of(object())


def test_stage_table_drives_crops_and_views(anny_small):
    from robosmplx.data.augment import STAGE_AUGMENT, stage_augment
    from robosmplx.models.signature import BodySignature
    from robosmplx.models.subnetwork import subnetwork_config
    from robosmplx.stage import STAGES, get_stage

    assert {k: v.crop_size for k, v in STAGE_AUGMENT.items()} == {
        k: s.crop for k, s in STAGES.items()
    }
    assert stage_augment("wholebody").crop_size == 512
    with pytest.raises(ConfigError, match="unknown stage"):
        get_stage("feet")
    sig = BodySignature.from_body_model(anny_small)
    for part in ("hand", "face"):
        cfg = subnetwork_config(sig, part)
        view = STAGES[part].view
        assert cfg.num_joints == len(sig.part_keypoints[view])
        assert {g.name for g in cfg.groups} == set(sig.part_groups[view])
