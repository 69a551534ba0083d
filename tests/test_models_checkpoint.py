"""save_model / load_model round trips, explained key mismatches, and the info counts."""

import argparse
import json

import pytest
import torch
import yaml
from safetensors.torch import load_file, save_file

from robosmplx.errors import CheckpointError
from robosmplx.models import build_model, load_model, save_model, smplx_signature
from robosmplx.models.flops import preset_report


@pytest.mark.parametrize("name", ["small-hand", "hmr-small", "small"])
def test_round_trip_restores_config_and_outputs(tmp_path, name):
    model = build_model(name, body=smplx_signature()).eval()
    path = save_model(model, tmp_path / name)
    assert path.name == f"{name}.safetensors" and (tmp_path / f"{name}.yaml").is_file()
    restored = load_model(path).eval()
    assert type(restored) is type(model) and restored.config == model.config
    size = model.config.body.input_size if name == "small" else model.config.input_size
    if name == "small":
        affine = torch.tensor([[[0.5, 0.0, -0.25], [0.0, 0.5, -0.25]]])
        inputs = (torch.randn(1, 3, 2 * size, 2 * size), affine)
    else:
        inputs = (torch.randn(1, 3, size, size),)
    with torch.no_grad():
        a, b = model(*inputs).tensors(), restored(*inputs).tensors()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_missing_and_extra_keys_are_named(tmp_path):
    model = build_model("small-face", body=smplx_signature())
    path = save_model(model, tmp_path / "face.safetensors")
    state = load_file(str(path))
    del state["regressor.linears.expression.weight"]
    state["regressor.linears.tongue.weight"] = torch.zeros(2, 2)
    state["localization.heatmap.bias"] = torch.zeros(5)
    save_file(state, str(path))
    with pytest.raises(CheckpointError, match="damaged"):  # the file is not the one saved
        load_model(path)
    doc = yaml.safe_load(path.with_suffix(".yaml").read_text())
    del doc["sha256"]  # a hand-made file: the key check explains what differs
    path.with_suffix(".yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    msg = str(e.value)
    assert str(path) in msg
    assert "missing keys (1): regressor.linears.expression.weight" in msg
    assert "unexpected keys (1): regressor.linears.tongue.weight" in msg
    assert "localization.heatmap.bias (5,) vs model (1168,)" in msg  # 73 joints x 16 bins


def test_config_problems_are_checkpoint_errors(tmp_path):
    model = build_model("hmr-small", body=smplx_signature())
    path = save_model(model, tmp_path / "hmr")
    cfg_path = tmp_path / "hmr.yaml"
    doc = yaml.safe_load(cfg_path.read_text())
    doc["config"]["iterationz"] = 3
    cfg_path.write_text(yaml.safe_dump(doc))
    with pytest.raises(CheckpointError, match="iterationz"):
        load_model(path)
    cfg_path.unlink()
    with pytest.raises(CheckpointError, match="save_model"):
        load_model(path)


def test_paper_counts_against_table17():
    r = preset_report("paper")
    assert isinstance(r["params_total"], int) and isinstance(r["gflops_total"], float)
    # parameters agree with Table 17 (120.68 M) within 5%; FLOPs do not (docs/models.md)
    assert abs(r["paper_table17"]["params_diff_pct"]) < 5.0
    parts = r["components"]
    assert sum(p["params"] for p in parts.values()) == r["params_total"]
    assert sum(p["gflops"] for p in parts.values()) == pytest.approx(r["gflops_total"], rel=1e-6)
    assert parts["hand"]["crops_per_image"] == 2
    assert parts["hand"]["gflops"] == pytest.approx(2 * parts["face"]["gflops"], rel=0.05)


def test_info_command_json(capsys):
    from robosmplx.models import info

    parser = argparse.ArgumentParser()
    info.add_arguments(parser)
    assert info.run(parser.parse_args(["--model", "small", "--body", "smplx", "--json"])) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["preset"] == "small" and out["params_total"] > 0 and out["gflops_total"] > 0
    assert set(out["components"]) == {"body", "hand", "face"}
    assert info.run(parser.parse_args(["--model", "hmr"])) == 0
    assert "total" in capsys.readouterr().out


def test_pretrained_backbone_file_is_not_needed_to_load(tmp_path):
    from robosmplx.models import Backbone, BackboneConfig, SubNetwork, subnetwork_config

    bb = BackboneConfig("resnet18", width=0.25, out_channels=64)
    pretrained = tmp_path / "imagenet.pth"
    torch.save(Backbone(bb).trunk.state_dict(), pretrained)
    cfg = subnetwork_config(smplx_signature(), "hand", backbone=BackboneConfig(
        "resnet18", width=0.25, out_channels=64, weights=str(pretrained)
    ), input_size=64, heatmap_depth=8, hidden=32, segm_channels=16)  # fmt: skip
    model = SubNetwork(cfg)
    path = save_model(model, tmp_path / "hand")
    pretrained.unlink()
    restored = load_model(path)
    assert restored.config.backbone.weights == str(pretrained)  # kept as a record
    for k, v in model.state_dict().items():
        assert torch.equal(restored.state_dict()[k], v), k
