"""The multi-stage schedule (paper section 4.1) and the networks each stage trains.

hand -> face -> body -> whole-body (its body branch starts from the trained Body subnetwork)
-> whole-body fine-tune (starts from the whole-body result with the separately trained Hand and
Face subnetworks swapped in). Each stage is one config; a stage hands its network to the next
through ``RUN/final/model.safetensors`` (+ ``.yaml``), which the next config names in
``model.init``, ``model.body_init``, ``model.hand`` or ``model.face``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from torch import nn

from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.train.config import PACKAGE_CONFIGS, ModelOverrides, TrainConfig

SCHEDULE = ("hand", "face", "body", "wholebody", "wholebody_finetune")
# Each bundled config set and its stages in training order. The default model's body stage is
# continued once (body_continue: more steps without Lproj) before the whole-body stages.
SCHEDULE_STAGES: dict[str, tuple[str, ...]] = {
    "cpu": SCHEDULE,
    "paper": SCHEDULE,
    "default": ("hand", "face", "body", "body_continue", "wholebody", "wholebody_finetune"),
}
SCHEDULE_SETS = tuple(SCHEDULE_STAGES)


def schedule_configs(which: str) -> list[Path]:
    """The bundled configs of ``cpu``, ``paper`` or ``default``, in training order."""
    if which not in SCHEDULE_STAGES:
        raise ConfigError(f"unknown schedule {which!r}; choose one of {', '.join(SCHEDULE_SETS)}")
    return [PACKAGE_CONFIGS / which / f"{name}.yaml" for name in SCHEDULE_STAGES[which]]


def final_model_path(cfg: TrainConfig) -> Path:
    """Where a stage leaves its trained network (what the next stage loads)."""
    return Path(cfg.logging.run_dir) / "final" / "model.safetensors"


def _override_sub(sub, ov: ModelOverrides):
    """A SubNetworkConfig / HMRConfig with the set override fields applied."""
    changes = {}
    backbone_fields = ("backbone", "width", "out_channels")
    for name in (f.name for f in dataclasses.fields(ov) if f.name not in backbone_fields):
        value = getattr(ov, name)
        if value is not None and hasattr(sub, name):
            changes[name] = value
    bb = {}
    if ov.backbone is not None:
        bb["name"] = ov.backbone
    if ov.width is not None:
        bb["width"] = ov.width
    if ov.out_channels is not None:
        bb["out_channels"] = ov.out_channels
    if bb:
        changes["backbone"] = dataclasses.replace(sub.backbone, **bb)
    return dataclasses.replace(sub, **changes) if changes else sub


def network_config(cfg: TrainConfig, body_model):
    """The network config of this stage: the preset sized for the body model, plus overrides;
    raises ConfigError when the preset does not fit the stage."""
    from robosmplx.models.hmr import HMRConfig
    from robosmplx.models.presets import preset_config
    from robosmplx.models.subnetwork import SubNetworkConfig
    from robosmplx.models.wholebody import WholeBodyConfig

    mcfg = preset_config(cfg.model.preset, body=body_model)
    ov = cfg.model.overrides
    if isinstance(mcfg, WholeBodyConfig):
        if cfg.stage != "wholebody":
            raise ConfigError(
                f"model.preset {cfg.model.preset!r} is a whole-body network; the {cfg.stage} "
                f"stage trains a subnetwork (e.g. small-{cfg.stage} or paper-{cfg.stage})"
            )
        body = _override_sub(mcfg.body, ov)
        same = body.input_size == mcfg.body.input_size  # else the source follows the body crop
        return dataclasses.replace(
            mcfg, body=body, hand=_override_sub(mcfg.hand, ov), face=_override_sub(mcfg.face, ov),
            source_size=mcfg.source_size if same else None,
        )  # fmt: skip
    if cfg.stage == "wholebody":
        raise ConfigError(
            f"the wholebody stage needs a whole-body preset (small, paper), not {cfg.model.preset!r}"
        )
    if isinstance(mcfg, SubNetworkConfig) and mcfg.part != cfg.stage:
        raise ConfigError(
            f"model.preset {cfg.model.preset!r} is a {mcfg.part} subnetwork; the {cfg.stage} stage "
            f"needs a {cfg.stage} one (e.g. small-{cfg.stage})"
        )
    if not isinstance(mcfg, SubNetworkConfig | HMRConfig):
        raise ConfigError(f"model.preset {cfg.model.preset!r}: unsupported network kind")
    return _override_sub(mcfg, ov)


def load_weights(net: nn.Module, path: str | Path) -> None:
    """Load a saved network's weights into ``net`` with a full key and shape check."""
    from robosmplx.models.integrity import read_weights
    from robosmplx.models.state_dict import load_state_strict

    p = Path(path)
    if p.suffix != ".safetensors":
        p = p.with_name(p.name + ".safetensors") if not p.is_dir() else p / "model.safetensors"
    if not p.is_file():
        raise CheckpointError(
            f"{p}: weights not found; model.init expects a .safetensors network saved by a "
            "previous stage (RUN/final/model.safetensors) or a checkpoint's model.safetensors"
        )
    load_state_strict(net, read_weights(p), source=str(p))


def _check_exists(path: str, what: str) -> str:
    p = Path(path)
    if not p.is_file() and not p.with_suffix(".safetensors").is_file():
        raise CheckpointError(
            f"{path}: {what} not found; run the earlier stage first (robosmplx train --schedule "
            "runs the five stages in order) or point the config at its final/model.safetensors"
        )
    return str(p if p.suffix == ".safetensors" else p.with_suffix(".safetensors"))


def missing_backbone_message(path: str) -> str:
    return (
        f"{path}: pretrained backbone (model.backbone_weights) not found; weights are never "
        "downloaded: put the file there (docs/training.md, Pretrained starts) or set "
        "model.backbone_weights=null to start from random weights"
    )


def load_pretrained_backbone(net: nn.Module, path: str, prefix: str = "") -> None:
    """``model.backbone_weights``: a published backbone checkpoint into ``net.backbone``."""
    from robosmplx.models.backbones import load_backbone_weights

    if not Path(path).is_file():
        raise CheckpointError(missing_backbone_message(path))
    load_backbone_weights(net.backbone, path, prefix)


def build_network(cfg: TrainConfig, body_model) -> nn.Module:
    """The stage's network with its starting weights: ``model.init`` (same architecture), then
    for whole-body ``model.body_init`` (body branch) and ``model.hand`` / ``model.face``
    (swapped-in part subnetworks, their part-only global branch dropped)."""
    from robosmplx.models.presets import build_model

    net = build_model(network_config(cfg, body_model))
    m = cfg.model
    if m.backbone_weights:
        load_pretrained_backbone(net, m.backbone_weights, m.backbone_prefix)
    if m.init:
        load_weights(net, m.init)
    from robosmplx.models.checkpoint import load_model

    for part, path, what in (
        ("body", m.body_init, "Body"),
        ("hand", m.hand, "Hand"),
        ("face", m.face, "Face"),
    ):
        if path:
            path = _check_exists(path, f"trained {what} subnetwork")
            net.load_part(part, load_model(path), where=path)
    return net
