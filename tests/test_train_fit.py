"""Training end to end on a tiny synthetic set: a tiny network overfits, a killed run resumes
with exactly the uninterrupted loss sequence, the fine-tune stage swaps trained parts in, and
two DDP processes (gloo, CPU) end with identical weights."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import lightning as L
import pytest
import torch

from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate
from robosmplx.train.callbacks import LossHistory
from robosmplx.train.config import config_from_dict
from robosmplx.train.runner import train

TINY = {
    "input_size": 64,
    "width": 0.25,
    "out_channels": 64,
    "heatmap_depth": 8,
    "hidden": 64,
    "segm_channels": 16,
}
PRESET = {"body": "small-body", "hand": "small-hand", "face": "small-face", "wholebody": "small"}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """Four synthetic hand crops of 64 px from the project's own data engine."""
    cfg = SynthConfig(task="hand", size=64, body_model="anny-small", frame_size=256)
    return generate(cfg, 4, tmp_path_factory.mktemp("synth"), progress=False)


def tiny_config(data_path, run_dir, stage="hand", **sections):
    base = {
        "stage": stage,
        "body_model": "anny-small",
        "model": {"preset": PRESET[stage], "overrides": TINY},
        "data": {"train": [{"path": str(data_path)}], "batch_size": 4, "twins": False},
        "augment": {"crop_size": 64, "enabled": False},
        "optim": {"lr": 1e-2},
        "trainer": {"max_steps": 80, "max_epochs": 1000, "accelerator": "cpu", "devices": 1},
        "checkpoint": {"every_n_epochs": 0, "resume": "auto"},
        "logging": {"run_dir": str(run_dir), "progress_bar": False, "tensorboard": False},
    }
    for k, v in sections.items():
        base[k] = {**base.get(k, {}), **v}
    return config_from_dict(base)


def test_tiny_network_overfits_tiny_set(tiny_data, tmp_path, anny_small):
    """Training error (the total loss of eq. 1) falls at least five-fold on four samples."""
    result = train(tiny_config(tiny_data, tmp_path / "run"), body_model=anny_small)
    first, last = result.losses[0], sum(result.losses[-5:]) / 5
    assert len(result.losses) == 80 and first / last > 5, (first, last)
    assert Path(result.final_model).is_file() and (tmp_path / "run" / "run.json").is_file()


class Crash(L.Callback):
    def __init__(self, at_step: int):
        self.at_step = at_step

    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step == self.at_step:
            raise RuntimeError("simulated kill")


def test_killed_run_resumes_with_the_same_losses(tiny_data, tmp_path, anny_small):
    sections = dict(
        data={"batch_size": 2, "twins": True},
        augment={"enabled": True, "flip_prob": 0.0},
        optim={"lr": 3e-3, "milestones": [5], "interval": "step"},
        trainer={"max_steps": 10},
        checkpoint={"every_n_steps": 3, "every_n_epochs": 1, "keep_last": 2},
    )
    ref = train(tiny_config(tiny_data, tmp_path / "ref", **sections), body_model=anny_small).losses
    cfg = tiny_config(tiny_data, tmp_path / "killed", **sections)
    before = LossHistory()
    with pytest.raises(RuntimeError, match="simulated kill"):
        train(cfg, callbacks=(before, Crash(7)), body_model=anny_small)
    assert len(before.history) == 7
    resumed = train(cfg, body_model=anny_small)
    assert resumed.resumed_from.endswith("step=00000006")
    assert len(ref) == 10 and before.history[:6] + resumed.losses == ref


def test_finetune_stage_swaps_in_trained_hand_and_face(tmp_path, anny_small):
    from robosmplx.models.checkpoint import save_model
    from robosmplx.train.stages import build_network, network_config

    parts = {}
    for part in ("hand", "face"):
        cfg = config_from_dict(
            {
                "stage": part,
                "body_model": "anny-small",
                "model": {"preset": PRESET[part], "overrides": TINY},
            }
        )
        torch.manual_seed(len(part))
        net = build_network(cfg, anny_small)
        save_model(net, tmp_path / part)
        parts[part] = net.state_dict()
    wb = {
        "stage": "wholebody",
        "body_model": "anny-small",
        "model": {"preset": "small", "overrides": TINY},
    }
    base = build_network(config_from_dict(wb), anny_small)
    save_model(base, tmp_path / "wholebody")
    wb["model"].update(init=str(tmp_path / "wholebody.safetensors"), hand=str(tmp_path / "hand.safetensors"),
                       face=str(tmp_path / "face.safetensors"))  # fmt: skip
    tuned = build_network(config_from_dict(wb), anny_small)
    assert network_config(config_from_dict(wb), anny_small) == tuned.config
    for part in ("hand", "face"):
        mine = getattr(tuned, part).state_dict()
        for k, v in mine.items():
            assert torch.equal(v, parts[part][k]), (part, k)
        assert any("regressor.linears.cam" in k for k in parts[part])  # part-only heads dropped
        assert not any("regressor.linears.cam" in k for k in mine)
    for k, v in tuned.body.state_dict().items():
        assert torch.equal(v, base.body.state_dict()[k]), k  # body kept from model.init


DDP_SCRIPT = """
import sys
import lightning as L
from safetensors.torch import save_file
sys.path.insert(0, {src!r})
from robosmplx.train.config import config_from_dict
from robosmplx.train.runner import train

class Dump(L.Callback):
    def on_train_end(self, trainer, module):
        state = {{k: v.detach().clone() for k, v in module.net.named_parameters()}}
        save_file(state, {out!r} + f"/rank{{trainer.global_rank}}.safetensors")

cfg = config_from_dict({cfg!r})
r = train(cfg, callbacks=(Dump(),))
"""


@pytest.mark.slow
def test_two_process_ddp_keeps_weights_identical(tiny_data, tmp_path):
    from safetensors.torch import load_file

    cfg = {
        "stage": "hand", "body_model": "anny-small", "model": {"preset": "small-hand", "overrides": TINY},
        "data": {"train": [{"path": str(tiny_data)}], "batch_size": 2, "twins": True},
        "augment": {"crop_size": 64},
        "trainer": {"max_steps": 3, "accelerator": "cpu", "devices": 2, "strategy": "ddp"},
        "checkpoint": {"every_n_epochs": 0, "resume": None},
        "logging": {"run_dir": str(tmp_path / "run"), "progress_bar": False, "tensorboard": False},
    }  # fmt: skip
    src = str(Path(__file__).resolve().parents[1] / "src")
    script = tmp_path / "ddp_run.py"
    script.write_text(textwrap.dedent(DDP_SCRIPT.format(src=src, out=str(tmp_path), cfg=cfg)))
    env = {**os.environ, "PYTHONPATH": src, "MASTER_PORT": str(29500 + os.getpid() % 1000)}
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # parameters: DDP averages gradients, so every rank takes the same steps (BatchNorm running
    # statistics stay per rank on CPU and are broadcast from rank 0 at each forward)
    w0, w1 = (
        load_file(str(tmp_path / "rank0.safetensors")),
        load_file(str(tmp_path / "rank1.safetensors")),
    )
    assert w0.keys() == w1.keys() and len(w0) > 50
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    final = load_file(str(tmp_path / "run" / "final" / "model.safetensors"))
    assert all(torch.equal(final[k], w0[k]) for k in w0)  # what rank 0 saved


def test_wholebody_stage_trains_with_part_boxes(tmp_path, anny_small):
    cfg = SynthConfig(task="wholebody", size=128, body_model="anny-small", frame_size=256)
    data = generate(cfg, 2, tmp_path / "wb", progress=False)
    run = tiny_config(
        data, tmp_path / "run", stage="wholebody", data={"batch_size": 2, "val": [{"path": str(data)}]},
        augment={"crop_size": 128}, trainer={"max_steps": 2}, optim={"lr": 1e-3},
    )  # fmt: skip
    history = LossHistory()
    result = train(run, callbacks=(history,), body_model=anny_small)
    assert result.global_step == 2 and all(torch.isfinite(torch.tensor(history.history)))
    assert {"val/box_lhand", "val/box_rhand", "val/box_face", "val/pve"} <= set(result.metrics)
    from robosmplx.models.checkpoint import load_model

    net = load_model(result.final_model)
    assert net.kind == "wholebody" and net.config.body.input_size == 64


def test_loader_workers_do_not_change_the_losses(tiny_data, tmp_path, anny_small):
    """Each sample's augmentation comes from the sampler's seed, not from worker RNG state."""
    runs = []
    for workers in (0, 2):
        cfg = tiny_config(
            tiny_data, tmp_path / f"w{workers}", data={"batch_size": 2, "num_workers": workers},
            augment={"enabled": True}, trainer={"max_steps": 3},
        )  # fmt: skip
        runs.append(train(cfg, body_model=anny_small).losses)
    assert len(runs[0]) == 3 and runs[0] == runs[1]
