"""The training config: one frozen dataclass tree, loaded from YAML with unknown keys rejected.

``load_train_config(path, overrides)`` reads the YAML, fills what it leaves out with the stage's
defaults (loss weights and options from :mod:`robosmplx.losses.weights`, augmentation from
:mod:`robosmplx.data.augment`; a partial ``loss.weights`` section overrides only the keys it
names), applies ``key.sub=value`` overrides and builds :class:`TrainConfig`. The config is saved
in the run folder and in every checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from robosmplx.config import apply_overrides, from_dict, load_yaml, to_dict
from robosmplx.data.augment import STAGE_AUGMENT, AugmentConfig
from robosmplx.data.twins import TwinConfig
from robosmplx.errors import ConfigError
from robosmplx.losses.weights import LossOptions, LossWeights, stage_losses

Stage = Literal["body", "hand", "face", "wholebody"]
PACKAGE_CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@dataclass(frozen=True)
class ModelOverrides:
    """Changes to the preset's subnetworks (every subnetwork of a whole-body preset); None keeps
    the preset's value. For small experiments and tests (e.g. a 64 px, quarter-width net)."""

    input_size: int | None = None
    backbone: str | None = None
    width: float | None = None
    out_channels: int | None = None
    heatmap_depth: int | None = None
    hidden: int | None = None
    segm_channels: int | None = None
    lf_variant: Literal["none", "pose", "all"] | None = None
    joint_inputs: bool | None = None
    regressor_mlp: int | None = None


@dataclass(frozen=True)
class ModelSection:
    """preset: a :mod:`robosmplx.models.presets` name (``small-body``, ``paper-hand``, ...).
    init: a saved network of the same architecture to start from. body_init: whole-body only,
    a trained Body subnetwork loaded into the body branch (the paper's whole-body start).
    hand / face: whole-body only, trained Hand / Face subnetworks swapped in (the fine-tune).
    backbone_weights: body, hand and face stages, a pretrained backbone to start from (a local
    .pth/.pt/.safetensors file in the published layout: fyu/drn's DRN-D-54, torchvision's
    ResNet-50; weights are never downloaded); backbone_prefix selects its sub-tree (e.g.
    ``backbone.`` of a pose-estimation checkpoint)."""

    preset: str = "small-body"
    overrides: ModelOverrides = field(default_factory=ModelOverrides)
    backbone_weights: str | None = None
    backbone_prefix: str = ""
    init: str | None = None
    body_init: str | None = None
    hand: str | None = None
    face: str | None = None


@dataclass(frozen=True)
class DataSource:
    """One HumanData file and its share of the mix."""

    path: str
    ratio: float = 1.0
    image_dir: str | None = None
    trusted: bool = False
    params_key: str | None = None


@dataclass(frozen=True)
class DataSection:
    """batch_size: anchors per process (positive twins double the batch). epoch_length: samples
    per epoch over all processes (default: the train files' total)."""

    train: tuple[DataSource, ...] = ()
    val: tuple[DataSource, ...] = ()
    batch_size: int = 32
    epoch_length: int | None = None
    num_workers: int = 0
    twins: bool = True
    on_bad: Literal["error", "skip"] = "error"


@dataclass(frozen=True)
class LossSection:
    """Weights and options of eq. 1; focal_length is the virtual camera's at a 256 crop;
    render_sigma / render_gamma the soft rasterizer's sharpness for L_proj."""

    weights: LossWeights = field(default_factory=LossWeights)
    options: LossOptions = field(default_factory=LossOptions)
    focal_length: float = 5000.0
    render_sigma: float = 0.25
    render_gamma: float = 0.01


@dataclass(frozen=True)
class OptimSection:
    """Adam(W) with a step schedule: lr x gamma at each milestone (epochs or steps)."""

    name: Literal["adam", "adamw"] = "adam"
    lr: float = 1e-4
    weight_decay: float = 0.0
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    interval: Literal["epoch", "step"] = "epoch"


@dataclass(frozen=True)
class TrainerSection:
    """Lightning trainer settings. precision ``auto``: bf16-mixed on GPU, 32-true on CPU.
    devices: a count or ``auto``; strategy ``auto`` picks DDP for several devices.
    grad_clip: max gradient norm (0: off). sync_batchnorm: batch statistics over all GPUs
    in multi-GPU runs (small per-GPU batches); CPU runs keep per-process statistics."""

    max_epochs: int | None = None  # None: unlimited when max_steps is set, else 1
    max_steps: int = -1
    precision: Literal["auto", "32-true", "bf16-mixed", "16-mixed", "64-true"] = "auto"
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: int | Literal["auto"] = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    grad_clip: float = 0.0
    sync_batchnorm: bool = True
    accumulate_grad_batches: int = 1
    seed: int = 0
    deterministic: bool = False
    val_every_n_epochs: int = 1
    limit_val_batches: int | float = 1.0
    log_every_n_steps: int = 10


@dataclass(frozen=True)
class CheckpointSection:
    """every_n_steps / every_n_epochs (0: off); keep_last checkpoints (0: all). resume:
    ``auto`` (the run folder's newest checkpoint if any), a checkpoint folder, or null."""

    every_n_steps: int = 0
    every_n_epochs: int = 1
    keep_last: int = 2
    resume: str | None = "auto"


@dataclass(frozen=True)
class LoggingSection:
    run_dir: str = "runs/train"
    tensorboard: bool = True
    progress_bar: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training stage needs (see docs/training.md)."""

    stage: Stage
    body_model: str = "anny"
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    twin: TwinConfig = field(default_factory=TwinConfig)
    loss: LossSection = field(default_factory=LossSection)
    optim: OptimSection = field(default_factory=OptimSection)
    trainer: TrainerSection = field(default_factory=TrainerSection)
    checkpoint: CheckpointSection = field(default_factory=CheckpointSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    description: str = ""

    def __post_init__(self) -> None:
        d = self.data
        if d.batch_size < 1 or d.num_workers < 0:
            raise ConfigError(
                f"data.batch_size must be >= 1 and num_workers >= 0 (got {d.batch_size}, {d.num_workers})"
            )
        if self.optim.lr <= 0:
            raise ConfigError(f"optim.lr must be positive, got {self.optim.lr}")
        t = self.trainer
        if t.max_epochs is not None and t.max_epochs < 1 and t.max_steps < 1:
            raise ConfigError("set trainer.max_epochs or trainer.max_steps to at least 1")
        m = self.model
        if self.stage != "wholebody" and (m.body_init or m.hand or m.face):
            raise ConfigError(
                "model.body_init, model.hand and model.face load subnetworks into a whole-body "
                f"network; this is a {self.stage} stage"
            )
        if self.stage == "wholebody" and m.backbone_weights:
            raise ConfigError(
                "model.backbone_weights starts a Body, Hand or Face subnetwork; the whole-body "
                "network starts from the trained Body subnetwork (model.body_init)"
            )


def stage_defaults(stage: str) -> dict:
    """The defaults that depend on the stage, as a plain dict (loss and augmentation)."""
    weights, options = stage_losses(stage)
    return {
        "loss": {"weights": to_dict(weights), "options": to_dict(options)},
        "augment": to_dict(STAGE_AUGMENT[stage]),
    }


def _merge(base: dict, top: dict) -> dict:
    """``top`` over ``base``, recursively for nested mappings."""
    out = dict(base)
    for k, v in top.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def resolve_config_path(path: str | Path) -> Path:
    """A config file path; names of the bundled configs (``cpu/hand``, ``configs/paper/body.yaml``)
    resolve inside the package when no such file exists here."""
    p = Path(path)
    if p.is_file():
        return p
    rel = Path(*p.parts[1:]) if p.parts and p.parts[0] == "configs" else p
    for cand in (PACKAGE_CONFIGS / rel, PACKAGE_CONFIGS / rel.with_suffix(".yaml")):
        if cand.is_file():
            return cand
    bundled = sorted(
        str(q.relative_to(PACKAGE_CONFIGS).with_suffix("")) for q in PACKAGE_CONFIGS.rglob("*.yaml")
    )
    raise ConfigError(f"{path}: config file not found; bundled configs: {', '.join(bundled)}")


_EXP_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _numeric_override(ov: str) -> str:
    """``optim.lr=3e-4`` as a number: YAML 1.1 reads exponents without a dot as strings."""
    key, sep, raw = ov.partition("=")
    return f"{key}={float(raw)!r}" if sep and _EXP_FLOAT.fullmatch(raw.strip()) else ov


def config_from_dict(data: dict, overrides=(), where: str = "TrainConfig") -> TrainConfig:
    """Build a :class:`TrainConfig` from a plain dict with the stage defaults filled in."""
    data = apply_overrides(dict(data), [_numeric_override(o) for o in overrides])
    stage = data.get("stage")
    if stage not in ("body", "hand", "face", "wholebody"):
        raise ConfigError(
            f"{where}: 'stage' must be one of body, hand, face, wholebody (got {stage!r})"
        )
    merged = _merge(stage_defaults(stage), data)
    return from_dict(TrainConfig, merged, where=where)


def load_train_config(path: str | Path, overrides=()) -> TrainConfig:
    """Read a training config (file or bundled name) with ``key=value`` overrides."""
    p = resolve_config_path(path)
    return config_from_dict(load_yaml(p), overrides, where=str(p))


def config_yaml(cfg: TrainConfig) -> str:
    """The full config as YAML (what the run folder and each checkpoint store)."""
    import yaml

    return yaml.safe_dump(to_dict(cfg), sort_keys=False)
