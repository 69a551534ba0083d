"""Training configs: unknown keys rejected, stage defaults merged, the bundled paper configs
reproduce the released table, and every bundled config loads."""

import pytest

from robosmplx.errors import ConfigError
from robosmplx.losses.weights import stage_losses
from robosmplx.train.config import PACKAGE_CONFIGS, config_from_dict, load_train_config
from robosmplx.train.stages import SCHEDULE, schedule_configs


def test_unknown_keys_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="unknown key"):
        config_from_dict({"stage": "hand", "optim": {"lr": 1e-3, "learning_rate": 1e-3}})
    with pytest.raises(ConfigError, match="unknown key"):
        config_from_dict({"stage": "hand", "trainer": {"max_epoch": 3}})
    with pytest.raises(ConfigError, match="unknown key"):
        config_from_dict({"stage": "hand"}, ["loss.weights.keypoint3d=2"])
    p = tmp_path / "c.yaml"
    p.write_text("stage: body\nmodel: {preset: small-body, pretrained: true}\n")
    with pytest.raises(ConfigError, match="pretrained"):
        load_train_config(p)


def test_bad_values_are_rejected():
    with pytest.raises(ConfigError, match="stage"):
        config_from_dict({"stage": "torso"})
    with pytest.raises(ConfigError):
        config_from_dict({"stage": "body", "optim": {"lr": -1.0}})
    with pytest.raises(ConfigError, match="whole-body"):
        config_from_dict({"stage": "hand", "model": {"hand": "x.safetensors"}})
    with pytest.raises(ConfigError):
        config_from_dict({"stage": "body", "trainer": {"precision": "fp8"}})


def test_stage_defaults_fill_what_the_file_leaves_out():
    cfg = config_from_dict({"stage": "face", "loss": {"weights": {"proj": 0.0}}}, ["optim.lr=3e-4"])
    weights, options = stage_losses("face")
    assert cfg.loss.weights.proj == 0.0
    assert cfg.loss.weights.heatmap_joints == weights.heatmap_joints == 10.0
    assert cfg.loss.options == options
    assert cfg.augment.center_jitter == 0.2 and cfg.augment.flip_prob == 0.5
    assert cfg.optim.lr == 3e-4


def test_every_bundled_config_loads():
    from robosmplx.train.stages import SCHEDULE_STAGES

    for which, stages in SCHEDULE_STAGES.items():
        assert sorted(p.stem for p in (PACKAGE_CONFIGS / which).glob("*.yaml")) == sorted(stages)
        assert set(SCHEDULE) <= set(stages)
        for name, path in zip(stages, schedule_configs(which), strict=True):
            cfg = load_train_config(path)
            assert cfg.stage == name.split("_")[0]
    assert load_train_config("cpu/hand").stage == "hand"


def test_each_schedule_hands_every_network_on_from_an_earlier_stage():
    from pathlib import Path

    from robosmplx.train.stages import SCHEDULE_STAGES, final_model_path

    for which in SCHEDULE_STAGES:
        finals: dict[Path, str] = {}
        for path in schedule_configs(which):
            cfg = load_train_config(path)
            m = cfg.model
            for start in (m.init, m.body_init, m.hand, m.face):
                if start is not None:
                    assert Path(start) in finals, f"{which}/{path.stem} starts from {start}"
            finals[final_model_path(cfg)] = path.stem
    default = [load_train_config(p) for p in schedule_configs("default")]
    assert default[3].model.init == str(final_model_path(default[2]))  # body -> body_continue
    assert default[4].model.body_init == str(final_model_path(default[3]))
    assert load_train_config("configs/paper/body.yaml").model.preset == "paper-body"


@pytest.mark.parametrize(
    ("stage", "epochs", "batch", "lr", "wd", "milestones", "flip", "scale", "jitter"),
    [
        ("body", 50, 8, 2.5e-4, 0.0, (30,), 0.5, 0.25, 0.0),
        ("hand", 60, 64, 1e-4, 1e-4, (30, 60), 0.0, 0.2, 0.2),
        ("face", 100, 64, 1e-4, 1e-4, (60, 100), 0.5, 0.2, 0.2),
        ("wholebody", 20, 32, 1e-4, 1e-4, (10, 20), 0.5, 0.25, 0.0),
        ("wholebody_finetune", 20, 32, 1e-4, 1e-4, (10, 20), 0.5, 0.25, 0.0),
    ],
)
def test_paper_configs_match_the_released_table(
    stage, epochs, batch, lr, wd, milestones, flip, scale, jitter
):
    cfg = load_train_config(f"paper/{stage}")
    assert (cfg.trainer.max_epochs, cfg.data.batch_size) == (epochs, batch)
    assert (cfg.optim.lr, cfg.optim.weight_decay, cfg.optim.milestones) == (lr, wd, milestones)
    a = cfg.augment
    assert (a.flip_prob, a.scale_factor, a.rot_factor, a.center_jitter) == (
        flip,
        scale,
        30.0,
        jitter,
    )
    assert cfg.augment.crop_size == (512 if stage.startswith("wholebody") else 256)
    assert cfg.loss.weights == stage_losses(cfg.stage)[0]


def test_paper_body_mix_and_finetune_chain():
    body = load_train_config("paper/body")
    assert [s.ratio for s in body.data.train] == [0.5, 0.233, 0.046, 0.021, 0.2]
    ft = load_train_config("paper/wholebody_finetune")
    assert ft.model.init and ft.model.hand and ft.model.face
    assert ft.model.hand.startswith(load_train_config("paper/hand").logging.run_dir)
