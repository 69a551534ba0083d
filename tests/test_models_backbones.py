"""Backbones: feature shapes, published sizes, strict local weight loading."""

import json
import math
from pathlib import Path

import pytest
import torch

from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.models.backbones import (
    Backbone,
    BackboneConfig,
    load_backbone_weights,
    load_trunk_state,
)


def _params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize(
    "cfg",
    [
        BackboneConfig("drn_d_54", width=0.25, out_channels=128),
        BackboneConfig("resnet18", width=0.25, out_channels=128),
        BackboneConfig("resnet34", width=0.25, out_channels=96),
        BackboneConfig("resnet50", width=0.25, out_channels=128),
        BackboneConfig("resnet101", width=0.125, out_channels=64),
        BackboneConfig("resnet18", width=0.25, out_channels=64, output_stride=32),
    ],
    ids=lambda c: f"{c.name}-os{c.output_stride}",
)
def test_feature_map_shape(cfg):
    b = Backbone(cfg)
    f = b(torch.randn(2, 3, 64, 64))
    s = 64 // cfg.output_stride
    assert f.shape == (2, cfg.out_channels, s, s)
    assert torch.isfinite(f).all()


def test_paper_sizes_on_meta():
    # DRN-D-54 without its 1000-class classifier: 35.30 M (35.81 M published with it);
    # a 256 crop gives F of 512 x 32 x 32 for every backbone.
    with torch.device("meta"):
        drn = Backbone(BackboneConfig("drn_d_54"))
        assert _params(drn) == 35_296_176
        assert drn.neck is None
        for name in ("drn_d_54", "resnet18", "resnet50"):
            f = Backbone(BackboneConfig(name))(torch.zeros(1, 3, 256, 256))
            assert tuple(f.shape) == (1, 512, 32, 32)
        r50 = Backbone(BackboneConfig("resnet50"))
        # torchvision ResNet-50 has 25.557 M with its 2.049 M classifier; + 1x1 neck 2048 -> 512
        assert _params(r50.trunk) == 23_508_032
        assert _params(r50.neck) == 2048 * 512 + 2 * 512


def test_drn_rejects_other_strides():
    with pytest.raises(ConfigError, match="output stride 8"):
        Backbone(BackboneConfig("drn_d_54", output_stride=16))
    with pytest.raises(ConfigError, match="unknown backbone"):
        Backbone(BackboneConfig("vgg16"))


def test_hrnet_needs_timm():
    try:
        import timm  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"pip install robosmplx\[timm\]"):
            Backbone(BackboneConfig("hrnet_w48"))
    else:
        pytest.skip("timm is installed")


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_weights_round_trip(tmp_path, suffix):
    cfg = BackboneConfig("resnet18", width=0.25, out_channels=64)
    src = Backbone(cfg)
    sd = {k: v.clone() for k, v in src.trunk.state_dict().items()}
    path = tmp_path / f"w{suffix}"
    if suffix == ".pth":
        sd["fc.weight"] = torch.zeros(10, 128)  # an ImageNet classifier is skipped
        torch.save({"state_dict": {f"module.{k}": v for k, v in sd.items()}}, path)
    else:
        from safetensors.torch import save_file

        save_file(sd, str(path))
    dst = Backbone(cfg)
    load_backbone_weights(dst, path)
    for k, v in src.trunk.state_dict().items():
        assert torch.equal(dst.trunk.state_dict()[k], v), k


def test_weights_mismatch_is_reported(tmp_path):
    cfg = BackboneConfig("resnet18", width=0.25, out_channels=64)
    sd = dict(Backbone(cfg).trunk.state_dict())
    del sd["layer1.0.conv1.weight"]
    sd["layer9.extra"] = torch.zeros(3)
    sd["conv1.weight"] = torch.zeros(1, 3, 7, 7)
    path = tmp_path / "bad.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError) as e:
        Backbone(BackboneConfig("resnet18", 0.25, 64, 8, weights=str(path)))
    msg = str(e.value)
    assert "bad.pth" in msg
    assert "missing keys (1): layer1.0.conv1.weight" in msg
    assert "unexpected keys (1): layer9.extra" in msg
    assert "conv1.weight (1, 3, 7, 7) vs model (16, 3, 7, 7)" in msg


def test_missing_weights_file(tmp_path):
    with pytest.raises(CheckpointError, match="never downloaded"):
        Backbone(BackboneConfig("resnet18", 0.25, 64, 8, weights=str(tmp_path / "none.pth")))


LAYOUTS = Path(__file__).parent / "data" / "backbone_layouts.json"
PUBLISHED_PARAMS = {"drn_d_54": 35_809_176, "resnet50": 25_557_032}  # with the classifier


@pytest.mark.parametrize(
    "cfg",
    [BackboneConfig("drn_d_54"), BackboneConfig("resnet50", out_channels=2048, output_stride=32)],
    ids=lambda c: c.name,
)
def test_published_layout_loads_into_the_trunk(cfg):
    """The key names and shapes of the published checkpoints (fyu/drn DRN-D-54, torchvision
    ResNet-50; tests/data/backbone_layouts.json) load strictly into the trunk."""
    layout = json.loads(LAYOUTS.read_text())[cfg.name]["keys"]
    counted = [k for k in layout if not k.endswith(("running_mean", "running_var"))]
    assert sum(math.prod(layout[k]) for k in counted) == PUBLISHED_PARAMS[cfg.name]
    marker = 0.5
    # stride-0 views: the whole checkpoint at the cost of one number per tensor
    state = {k: torch.full((), marker).expand(shape) for k, shape in layout.items()}
    backbone = Backbone(cfg)
    load_trunk_state(backbone, state, source=cfg.name)
    loaded = backbone.trunk.state_dict()
    for k in layout:
        if not k.startswith("fc."):
            assert bool((loaded[k] == marker).all()), k
    bad = dict(state)
    del bad[counted[3]]
    with pytest.raises(CheckpointError, match=r"missing keys \(1\)"):
        load_trunk_state(Backbone(cfg), bad, source=cfg.name)
