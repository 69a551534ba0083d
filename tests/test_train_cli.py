"""``robosmplx train``: a short run from a YAML file with overrides, JSON out; one-line errors
for a missing data file (naming the synth command) and for a misspelt key."""

import json
from pathlib import Path

import yaml

from robosmplx.cli import main
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate


def _config(tmp_path, data):
    cfg = {
        "stage": "hand",
        "body_model": "anny-small",
        "model": {"preset": "small-hand", "overrides": {"input_size": 64, "width": 0.25, "out_channels": 32, "heatmap_depth": 4, "hidden": 32, "segm_channels": 8}},
        "data": {"train": [{"path": str(data)}], "val": [{"path": str(data)}], "batch_size": 2},
        "augment": {"crop_size": 64},
        "trainer": {"max_steps": 2, "accelerator": "cpu", "devices": 1, "log_every_n_steps": 1},
        "logging": {"run_dir": str(tmp_path / "run")},
    }  # fmt: skip
    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_train_command_runs_and_reports_json(tmp_path, capsys):
    cfg = SynthConfig(task="hand", size=64, body_model="anny-small", frame_size=256)
    data = generate(cfg, 2, tmp_path / "data", progress=False)
    rc = main(
        [
            "train",
            str(_config(tmp_path, data.parent)),
            "trainer.max_steps=3",
            "optim.lr=2e-3",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    result = json.loads(out[out.index("{") :])
    assert result["global_step"] == 3 and Path(result["final_model"]).is_file()
    assert "val/mpjpe" in result["metrics"] and result["metrics"]["val/mpjpe"] > 0
    run = tmp_path / "run"
    assert (run / "config.yaml").is_file() and (run / "checkpoints" / "last.json").is_file()
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["optim"]["lr"] == 2e-3 and saved["trainer"]["max_steps"] == 3


def test_missing_data_names_the_synth_command(tmp_path, capsys):
    rc = main(["train", str(_config(tmp_path, tmp_path / "nowhere")), "--json"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "robosmplx synth --task hand" in err and str(tmp_path / "nowhere") in err


def test_misspelt_override_is_one_line_error(tmp_path, capsys):
    rc = main(["train", str(_config(tmp_path, tmp_path)), "optim.learning_rate=1e-3", "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "learning_rate" in err and len(err.splitlines()) == 1
    assert main(["train", "cpu/body", "--dry-run"]) == 0
    assert "stage: body" in capsys.readouterr().out


def test_schedule_choices_are_the_bundled_config_sets():
    import argparse

    from robosmplx.train.cli import add_arguments
    from robosmplx.train.stages import SCHEDULE_SETS

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    action = next(a for a in parser._actions if a.dest == "schedule")
    assert tuple(action.choices) == SCHEDULE_SETS
