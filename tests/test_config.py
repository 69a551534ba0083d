from dataclasses import dataclass, field

import pytest

from robosmplx.config import from_dict, load_config, save_config, to_dict
from robosmplx.errors import ConfigError


@dataclass(frozen=True)
class Optim:
    lr: float = 1e-4
    steps: tuple[int, ...] = (30, 60)


@dataclass(frozen=True)
class Cfg:
    name: str = "x"
    optim: Optim = field(default_factory=Optim)


def test_round_trip_and_overrides(tmp_path):
    cfg = from_dict(Cfg, {"name": "a", "optim": {"lr": 0.5}})
    assert cfg.optim.lr == 0.5 and cfg.optim.steps == (30, 60)
    p = tmp_path / "c.yaml"
    save_config(cfg, p)
    again = load_config(Cfg, p, overrides=["optim.steps=[1, 2]", "name=b", "optim.lr=1e-4"])
    assert again.optim.lr == 1e-4
    again = load_config(Cfg, p, overrides=["optim.steps=[1, 2]", "name=b"])
    assert again == Cfg(name="b", optim=Optim(lr=0.5, steps=(1, 2)))
    assert to_dict(again)["optim"]["steps"] == [1, 2]


def test_unknown_and_bad_keys_rejected(tmp_path):
    with pytest.raises(ConfigError, match="unknown key.*lrr"):
        from_dict(Cfg, {"optim": {"lrr": 1.0}})
    with pytest.raises(ConfigError, match="expected a number"):
        from_dict(Cfg, {"optim": {"lr": "fast"}})
    with pytest.raises(ConfigError, match="key=value"):
        load_config(Cfg, None, overrides=["optim.lr"])
    with pytest.raises(ConfigError, match="not found"):
        load_config(Cfg, tmp_path / "missing.yaml")
