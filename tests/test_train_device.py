"""Device readiness without a GPU: one training step of every stage, and one prediction, with
the network and the batch on a device other than the CPU (PyTorch's ``meta``; see
tests/device_replay.py), so a tensor left on the CPU fails here as it would on a GPU."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from device_replay import DeviceMixUp, Record, Replay, to_device
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate
from robosmplx.train.config import config_from_dict
from robosmplx.train.datamodule import TrainDataModule
from robosmplx.train.module import TrainModule

TINY = {"input_size": 64, "width": 0.25, "out_channels": 32, "heatmap_depth": 4, "hidden": 32,
        "segm_channels": 8}  # fmt: skip
PRESET = {"body": "small-body", "hand": "small-hand", "face": "small-face", "wholebody": "small"}
CROP = {"body": 64, "hand": 64, "face": 64, "wholebody": 128}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("device")
    return {
        stage: generate(
            SynthConfig(task=stage, size=CROP[stage], body_model="anny-small", frame_size=256),
            2,
            root / stage,
            progress=False,
        )  # fmt: skip
        for stage in CROP
    }


def _config(stage, path):
    return config_from_dict(
        {"stage": stage, "body_model": "anny-small",
         "model": {"preset": PRESET[stage], "overrides": TINY},
         "data": {"train": [{"path": str(path)}], "batch_size": 2, "twins": stage != "wholebody"},
         "augment": {"crop_size": CROP[stage]}, "trainer": {"max_steps": 1, "accelerator": "cpu"}}
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _cold_caches():
    """Both runs must do the same work: empty the renderer's topology cache (filled by earlier
    tests on the CPU, never on the device)."""
    from robosmplx.render import topology

    topology._CACHE.clear()


def _step(module: TrainModule, batch) -> torch.Tensor:
    opt = module.configure_optimizers()
    opt = opt["optimizer"] if isinstance(opt, dict) else opt
    loss = module.training_step(batch, 0)
    loss.backward()
    opt.step()
    return loss


@pytest.mark.filterwarnings("ignore:You are trying to `self.log()`")
@pytest.mark.parametrize("stage", ["body", "hand", "face", "wholebody"])
def test_one_training_step_on_a_device(stage, data, anny_small):
    cfg = _config(stage, data[stage])
    dm = TrainDataModule(cfg, anny_small)
    batch = next(iter(dm.train_dataloader()))
    module = TrainModule(cfg, anny_small)
    on_device = copy.deepcopy(module).to("meta")
    device_batch = to_device(batch)
    with Record() as record:
        cpu_loss = _step(module, batch)
    assert torch.isfinite(cpu_loss)
    with Replay(record) as replay:
        loss = _step(on_device, device_batch)
    assert loss.device.type == "meta" and replay.reads > 0
    assert all(p.device.type == "meta" for p in on_device.parameters())


@pytest.mark.filterwarnings("ignore:You are trying to `self.log()`")
def test_a_module_left_on_the_cpu_is_caught(data, anny_small):
    cfg = _config("body", data["body"])
    batch = next(iter(TrainDataModule(cfg, anny_small).train_dataloader()))
    module = TrainModule(cfg, anny_small)
    half = copy.deepcopy(module)
    half.net.to("meta")  # the objective's index buffers stay on the CPU
    with Record() as record:
        _step(module, batch)
    with pytest.raises(DeviceMixUp, match="CPU tensor"):
        with Replay(record):
            _step(half, to_device(batch))


def test_a_tensor_left_on_the_cpu_is_caught():
    x = torch.ones(3, 4)
    with Record() as record:
        (x * torch.arange(4.0)).sum()
    with pytest.raises(DeviceMixUp, match="CPU tensor of shape"):
        with Replay(record):
            (to_device(x) * torch.arange(4.0)).sum()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_one_prediction_on_a_device(anny_small):
    from robosmplx.infer.predictor import Predictor
    from robosmplx.models.presets import build_model, preset_config
    from robosmplx.train.stages import _override_sub

    cfg = preset_config("small", body=anny_small)
    from robosmplx.train.config import ModelOverrides

    ov = ModelOverrides(**TINY)
    cfg = type(cfg)(**{**cfg.__dict__, "body": _override_sub(cfg.body, ov),
                       "hand": _override_sub(cfg.hand, ov), "face": _override_sub(cfg.face, ov)})  # fmt: skip
    net = build_model(cfg).eval()
    image = np.random.default_rng(0).integers(0, 255, (160, 128, 3), dtype=np.uint8)
    box = [[20.0, 10.0, 80.0, 140.0]]
    dev_net, dev_body = copy.deepcopy(net), copy.deepcopy(anny_small)
    with Record() as record:
        cpu = Predictor.from_network(net, anny_small, rounds=1)
        want = cpu.predict(image, box)
    with Replay(record) as replay:
        dev = Predictor.from_network(dev_net, dev_body, "meta", rounds=1)
        got = dev.predict(image, box)
    # values copied off the device are zeros, so only the CPU run's people are checked
    assert len(want.people) == 1 and isinstance(got.people, list)
    assert any("conv" in k.split("@")[0] for k in replay.calls)  # the network ran there
    assert dev.net.config == cpu.net.config and next(dev.net.parameters()).device.type == "meta"
