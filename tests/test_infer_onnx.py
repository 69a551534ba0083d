"""ONNX export of the whole-body network: ONNX Runtime equals PyTorch, and the exported
source-crop signature equals the network's own forward."""

import json
import sys

import pytest
import torch

from infer_support import small_checkpoint
from robosmplx.cli import main
from robosmplx.errors import RoboSMPLXError
from robosmplx.geometry.pixels import resize_affine
from robosmplx.infer.onnx_export import SourceCropNetwork
from robosmplx.models import load_model


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return small_checkpoint(tmp_path_factory.getbasetemp())


def test_wrapper_equals_network_forward(ckpt):
    net = load_model(ckpt).eval()
    wrap = SourceCropNetwork(net).eval()
    x = torch.randn(2, 3, wrap.source_size, wrap.source_size)
    aff = torch.tensor(resize_affine(wrap.body_size / wrap.source_size)).float().expand(2, 2, 3)
    with torch.no_grad():
        body = torch.nn.functional.interpolate(x, size=(wrap.body_size,) * 2, mode="area")
        ref = net(x, aff, body_img=body)
        got = dict(zip(wrap.output_names, wrap(x)))
    for k in wrap.param_keys:
        assert torch.allclose(got[k], ref.pred_params[k], atol=1e-5), k
    assert torch.allclose(got["pred_cam"], ref.pred_cam, atol=1e-5)
    for n in ("lhand", "rhand", "face"):
        assert torch.allclose(got[f"{n}_box"], ref.pred_boxes[n], atol=1e-3)


def test_export_onnx_cli_matches_pytorch(ckpt, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert main(["export-onnx", "--checkpoint", str(ckpt), "--out", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["passed"] and max(rep["max_abs_diff"].values()) < 1e-3
    assert rep["inputs"]["source"][2] == 256 and rep["body_model"] == "anny-small"
    meta = json.loads((tmp_path / "m.onnx.json").read_text())
    assert meta["outputs"][-3:] == ["lhand_box", "rhand_box", "face_box"]
    import onnx

    model = onnx.load(str(out))
    assert [i.name for i in model.graph.input] == ["source"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_missing_onnxruntime_is_a_clear_error(ckpt, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    code = main(["export-onnx", "--checkpoint", str(ckpt), "--out", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'robosmplx[onnx]'" in err and "onnxruntime" in err
    assert not (tmp_path / "m.onnx").exists()
    with pytest.raises(RoboSMPLXError):
        from robosmplx.infer.onnx_export import _require_onnx

        _require_onnx()
