"""Pretrained starts: the paper configs name them, a named start is loaded into the backbone,
and a missing file stops training in one line before any data is read."""

import torch

from robosmplx.cli import main
from robosmplx.train.config import config_from_dict, load_train_config
from robosmplx.train.stages import build_network

TINY = {"input_size": 64, "width": 0.25, "out_channels": 32, "heatmap_depth": 4, "hidden": 32,
        "segm_channels": 8}  # fmt: skip


def test_paper_configs_name_their_pretrained_starts():
    for stage in ("hand", "face"):
        assert load_train_config(f"paper/{stage}").model.backbone_weights.endswith(
            "drn_d_54-0e0534ff.pth"
        )
    assert "coco" in load_train_config("paper/body").model.backbone_weights
    whole = load_train_config("paper/wholebody").model
    assert whole.backbone_weights is None and whole.body_init


def test_named_start_is_loaded_into_the_backbone(tmp_path, anny_small):
    cfg = config_from_dict(
        {"stage": "hand", "body_model": "anny-small",
         "model": {"preset": "small-hand", "overrides": TINY}}
    )  # fmt: skip
    donor = build_network(cfg, anny_small)
    with torch.no_grad():
        for p in donor.backbone.trunk.parameters():
            p.add_(1.0)
    path = tmp_path / "trunk.pth"  # a published backbone's layout: the trunk's keys, plus a head
    torch.save({**donor.backbone.trunk.state_dict(), "fc.weight": torch.zeros(3, 3)}, path)
    started = config_from_dict(
        {"stage": "hand", "body_model": "anny-small",
         "model": {"preset": "small-hand", "overrides": TINY, "backbone_weights": str(path)}}
    )  # fmt: skip
    net = build_network(started, anny_small)
    for (name, a), b in zip(
        net.backbone.trunk.state_dict().items(), donor.backbone.trunk.state_dict().values()
    ):
        assert torch.equal(a, b), name


def test_missing_start_is_a_one_line_error(tmp_path, capsys):
    missing = tmp_path / "drn_d_54-0e0534ff.pth"
    argv = ["train", "paper/hand", f"model.backbone_weights={missing}", "--json"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(missing) in err and "never downloaded" in err
