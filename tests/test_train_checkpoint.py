"""Checkpoint storage (safetensors + JSON, no pickles, atomic) and resumable sampling."""

import json
from collections import Counter

import numpy as np
import pytest
import torch

from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.train.checkpoint import (
    SafetensorsCheckpointIO,
    latest_checkpoint,
    read_checkpoint,
    write_last,
)
from robosmplx.train.sampling import EpochSampler, epoch_draws, source_counts
from robosmplx.train.treeio import load_tree, save_tree


def _tree():
    return {
        "epoch": 3,
        "lr": 1e-4,
        "inf": float("inf"),
        "none": None,
        "optimizer_states": [{"state": {0: {"step": torch.tensor(5.0), "exp_avg": torch.randn(3, 2)}},
                              "param_groups": [{"params": [0], "betas": (0.9, 0.999), "amsgrad": False}]}],
        "milestones": Counter({30: 1, 60: 1}),
        "rng": {"numpy": np.arange(5, dtype=np.uint32), "python": (3, tuple(range(4)), None)},
        "weird": {"__type__": "not a tag"},
    }  # fmt: skip


def test_tree_round_trip_is_exact(tmp_path):
    tree = _tree()
    js, st = save_tree(tree, tmp_path / "state")
    assert js.is_file() and st.is_file()
    back = load_tree(tmp_path / "state")
    s0, s1 = tree["optimizer_states"][0], back["optimizer_states"][0]
    assert torch.equal(s0["state"][0]["exp_avg"], s1["state"][0]["exp_avg"])
    assert s1["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["milestones"] == Counter({30: 1, 60: 1}) and isinstance(back["milestones"], Counter)
    assert back["inf"] == float("inf") and back["lr"] == 1e-4 and back["none"] is None
    assert np.array_equal(back["rng"]["numpy"], tree["rng"]["numpy"])
    assert back["rng"]["python"] == (3, (0, 1, 2, 3), None)
    assert back["weird"] == {"__type__": "not a tag"}
    doc = json.loads(js.read_text())
    assert doc["format"] == "robosmplx-train-state"


def test_tree_refuses_objects_that_would_need_pickle(tmp_path):
    with pytest.raises(CheckpointError, match=r"state\.bad"):
        save_tree({"bad": object()}, tmp_path / "x")
    assert not (tmp_path / "x.json").exists()


def test_checkpoint_folder_is_atomic_and_complete(tmp_path):
    io = SafetensorsCheckpointIO({"kind": "subnetwork", "config": {}}, "stage: hand\n")
    ckpt = {
        "epoch": 1,
        "global_step": 7,
        "state_dict": {"net.w": torch.ones(2), "other": torch.zeros(1)},
    }
    io.save_checkpoint(ckpt, tmp_path / "step=7")
    back = read_checkpoint(tmp_path / "step=7")
    assert torch.equal(back["state_dict"]["net.w"], torch.ones(2)) and "other" in back["state_dict"]
    assert back["global_step"] == 7
    assert sorted(p.name for p in (tmp_path / "step=7").iterdir()) == [
        "config.yaml", "model.safetensors", "model.yaml", "train_state.json", "train_state.safetensors",
    ]  # fmt: skip
    with pytest.raises(CheckpointError):
        io.save_checkpoint({"state_dict": {}, "bad": object()}, tmp_path / "step=8")
    assert [p.name for p in tmp_path.iterdir()] == ["step=7"]  # nothing half-written left
    write_last(tmp_path, "step=7", 7, 1)
    assert latest_checkpoint(tmp_path) == tmp_path / "step=7"
    with pytest.raises(CheckpointError, match="not a checkpoint folder"):
        read_checkpoint(tmp_path / "missing")


def test_mix_counts_and_epochs_are_reproducible():
    assert source_counts([10, 10, 10], [0.5, 0.3, 0.2], 10) == [5, 3, 2]
    assert sum(source_counts([5, 7], [1, 2], 11)) == 11
    a = epoch_draws([4, 100], [0.5, 0.5], 20, seed=1, epoch=2)
    b = epoch_draws([4, 100], [0.5, 0.5], 20, seed=1, epoch=2)
    assert np.array_equal(a, b) and not np.array_equal(
        a, epoch_draws([4, 100], [0.5, 0.5], 20, 1, 3)
    )
    small = a[a[:, 0] == 0, 1]
    assert len(small) == 10 and set(small.tolist()) == {0, 1, 2, 3}  # cycles through a small source
    with pytest.raises(ConfigError):
        source_counts([3, 0], [1.0, 1.0], 4)


def test_sampler_shards_and_resumes_at_a_batch():
    full = list(EpochSampler([30], [1.0], batch_size=4, seed=0))
    assert len(full) == 28  # cut to whole batches
    ranks = [
        list(EpochSampler([30], [1.0], batch_size=2, seed=0, rank=r, world_size=2)) for r in (0, 1)
    ]
    assert len(ranks[0]) == len(ranks[1]) == 14
    assert not {k[:2] for k in ranks[0]} & {k[:2] for k in ranks[1]}
    s = EpochSampler([30], [1.0], batch_size=4, seed=0)
    s.set_epoch(1)
    epoch1 = list(s)
    s.skip_batches(1, 3)
    assert list(s) == epoch1[12:]  # resumed after three batches
    assert list(s) == epoch1  # the skip applies once
    s.skip_batches(0, 3)
    assert list(s) == epoch1  # a skip for another epoch does not apply
