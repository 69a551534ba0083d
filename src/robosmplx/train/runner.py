"""Run one training stage: seed, build, resume, fit with Lightning, save the final network.

``train(cfg)`` is what ``robosmplx train`` calls and what the schedule chains. The run folder
(``logging.run_dir``) gets ``config.yaml``, ``run.json``, ``checkpoints/``, ``tensorboard/`` and
``final/model.safetensors`` (+ ``.yaml``), the network the next stage loads.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from lightning.pytorch.callbacks import TQDMProgressBar

from robosmplx.errors import CheckpointError, ConfigError, RoboSMPLXError
from robosmplx.train.config import TrainConfig, config_yaml


@dataclass
class TrainResult:
    """What a finished stage reports (``robosmplx train --json``)."""

    run_dir: str
    final_model: str
    global_step: int
    epochs: int
    seconds: float
    resumed_from: str | None
    losses: list[float] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self, with_losses: bool = False) -> dict:
        d = dict(vars(self))
        if not with_losses:
            d["losses"] = {
                "count": len(self.losses),
                "first": self.losses[:1],
                "last": self.losses[-1:],
            }
        return d


def _cuda_visible(accelerator: str) -> bool:
    return accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())


def process_count(cfg: TrainConfig) -> int:
    """Processes the run will use (devices x nodes), resolving ``devices: auto``."""
    t = cfg.trainer
    devices = t.devices
    if devices == "auto":
        devices = max(torch.cuda.device_count(), 1) if _cuda_visible(t.accelerator) else 1
    return int(devices) * t.num_nodes


def strategy_for(cfg: TrainConfig) -> str:
    """``auto`` becomes DDP for several processes; it must tolerate parameters without a
    gradient when a head feeds no loss (the whole-body part heads, a zero-weighted mask head)."""
    t = cfg.trainer
    if t.strategy != "auto" or process_count(cfg) <= 1:
        return t.strategy
    unused = cfg.stage == "wholebody" or cfg.loss.weights.segm == 0
    return "ddp_find_unused_parameters_true" if unused else "ddp"


def trainer_kwargs(cfg: TrainConfig) -> dict:
    """Lightning Trainer arguments of the config's ``trainer`` section."""
    t = cfg.trainer
    precision = t.precision
    if precision == "auto":
        precision = "bf16-mixed" if _cuda_visible(t.accelerator) else "32-true"
    return dict(
        max_epochs=(t.max_epochs if t.max_epochs is not None else (-1 if t.max_steps > 0 else 1)),
        max_steps=t.max_steps,
        precision=precision,
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=strategy_for(cfg),
        gradient_clip_val=t.grad_clip if t.grad_clip > 0 else None,
        sync_batchnorm=t.sync_batchnorm and _cuda_visible(t.accelerator) and process_count(cfg) > 1,
        accumulate_grad_batches=t.accumulate_grad_batches,
        deterministic=t.deterministic,
        check_val_every_n_epoch=t.val_every_n_epochs,
        limit_val_batches=t.limit_val_batches if cfg.data.val else 0,
        log_every_n_steps=t.log_every_n_steps,
        use_distributed_sampler=False,  # our sampler shards and resumes itself
        enable_checkpointing=False,  # PeriodicCheckpoint writes our own format
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )


def resume_path(cfg: TrainConfig) -> str | None:
    """The checkpoint to resume from under ``checkpoint.resume`` (auto, a path, or null)."""
    from robosmplx.train.checkpoint import latest_checkpoint

    r = cfg.checkpoint.resume
    if r is None:
        return None
    if r == "auto":
        found = latest_checkpoint(cfg.logging.run_dir)
        return str(found) if found is not None else None
    found = latest_checkpoint(r)
    if found is None:
        raise CheckpointError(f"{r}: no checkpoint to resume from (checkpoint.resume)")
    return str(found)


class _QuietLightning(logging.Filter):
    """Drops Lightning's advertising and checkpoint-format notices from the run's output."""

    NOISE = ("litlogger", "weights_only", "LitLogger")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(n in record.getMessage() for n in self.NOISE)


def _quiet_lightning() -> None:
    for name in ("lightning.pytorch", "lightning.fabric"):
        lg = logging.getLogger(name)
        if not any(isinstance(f, _QuietLightning) for f in lg.filters):
            lg.addFilter(_QuietLightning())
        for h in lg.handlers:
            if not any(isinstance(f, _QuietLightning) for f in h.filters):
                h.addFilter(_QuietLightning())


class ProgressBar(TQDMProgressBar):
    """Lightning's progress bar without the logger-version field."""

    def get_metrics(self, trainer, pl_module):
        items = super().get_metrics(trainer, pl_module)
        items.pop("v_num", None)
        return items


def build_trainer(cfg: TrainConfig, module, callbacks=(), logger=None):
    """The Lightning Trainer with our checkpoint I/O, callbacks and logger."""
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor

    from robosmplx.train.callbacks import PeriodicCheckpoint, RNGState
    from robosmplx.train.checkpoint import SafetensorsCheckpointIO, model_document

    _quiet_lightning()
    run_dir = Path(cfg.logging.run_dir)
    c = cfg.checkpoint
    cbs = [
        PeriodicCheckpoint(run_dir / "checkpoints", c.every_n_steps, c.every_n_epochs, c.keep_last),
        RNGState(),
        *callbacks,
    ]
    if cfg.logging.progress_bar:
        cbs.append(ProgressBar(refresh_rate=1))
    if logger is None and cfg.logging.tensorboard:
        from lightning.pytorch.loggers import TensorBoardLogger

        logger = TensorBoardLogger(
            save_dir=str(run_dir), name="", version="tensorboard", default_hp_metric=False
        )
    if logger:
        cbs.append(LearningRateMonitor(logging_interval="step"))
    io = SafetensorsCheckpointIO(model_document(module.net), config_yaml(cfg))
    try:
        return L.Trainer(
            **trainer_kwargs(cfg), callbacks=cbs, logger=logger or False, plugins=[io],
            enable_progress_bar=cfg.logging.progress_bar, default_root_dir=str(run_dir),
        )  # fmt: skip
    except (ValueError, TypeError) as e:
        raise ConfigError(f"trainer settings rejected: {e}") from None
    except Exception as e:
        if type(e).__name__ == "MisconfigurationException":
            raise ConfigError(f"trainer settings rejected: {e}") from None
        raise


START_CHECK_SAMPLES = 16


def check_starts(cfg: TrainConfig) -> None:
    """Fail before any data is read when a pretrained start the config names is missing."""
    from robosmplx.train.stages import missing_backbone_message

    w = cfg.model.backbone_weights
    if w and not Path(w).is_file():
        raise CheckpointError(missing_backbone_message(w))


def warn_unsupervised(cfg: TrainConfig, datasets, max_samples: int = START_CHECK_SAMPLES) -> list:
    """Print (stderr) one warning per loss term with a positive weight that none of the train
    files supervises (checked on a few samples of each, as ``robosmplx data check`` does)."""
    import sys

    from robosmplx.data.check import supervision, supervision_warnings

    w, o = cfg.loss.weights, cfg.loss.options
    reports = [supervision(d, w, o, max_samples) for d in datasets]
    if not reports:
        return []
    merged = {
        "samples": sum(r["samples"] for r in reports),
        "terms": {
            name: {
                "weight": t["weight"],
                "fraction": max(r["terms"][name]["fraction"] for r in reports),
            }
            for name, t in reports[0]["terms"].items()
        },
    }
    lines = supervision_warnings(merged, "data.train")
    for line in lines:
        print(f"robosmplx train: warning: {line}", file=sys.stderr)
    return lines


def train(cfg: TrainConfig, callbacks=(), body_model=None) -> TrainResult:
    """Train one stage end to end (resuming when the run folder has a checkpoint)."""
    import lightning as L

    from robosmplx.body import load_body_model
    from robosmplx.models.checkpoint import save_model
    from robosmplx.train.callbacks import LossHistory
    from robosmplx.train.checkpoint import write_run_record
    from robosmplx.train.datamodule import TrainDataModule, data_files
    from robosmplx.train.module import TrainModule
    from robosmplx.train.stages import final_model_path

    start = time.time()
    check_starts(cfg)
    L.seed_everything(cfg.trainer.seed, workers=True, verbose=False)
    if cfg.trainer.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    body_model = body_model if body_model is not None else load_body_model(cfg.body_model)
    data = TrainDataModule(cfg, body_model)
    data.setup()
    warn_unsupervised(cfg, data.train_sets)
    module = TrainModule(cfg, body_model)
    resume = resume_path(cfg)
    history = LossHistory()
    trainer = build_trainer(cfg, module, (*callbacks, history))
    if trainer.is_global_zero:
        write_run_record(cfg.logging.run_dir, config_yaml(cfg), data_files(cfg))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*weights_only.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        try:
            trainer.fit(module, datamodule=data, ckpt_path=resume)
        except RoboSMPLXError:
            raise
        except (KeyError, RuntimeError) as e:
            if resume and (isinstance(e, KeyError) or "state_dict" in str(e)):
                first = str(e).strip().splitlines()[0][:300]
                raise CheckpointError(
                    f"{resume}: checkpoint does not match this run's network or trainer ({first}); "
                    "resume with the config it was written with, or start over with --fresh "
                    "(checkpoint.resume=null) or another logging.run_dir"
                ) from None
            raise
    final = final_model_path(cfg)
    if trainer.is_global_zero:
        save_model(module.net, final, body_model=cfg.body_model)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    return TrainResult(
        run_dir=str(cfg.logging.run_dir), final_model=str(final), global_step=trainer.global_step,
        epochs=trainer.current_epoch, seconds=round(time.time() - start, 2), resumed_from=resume,
        losses=history.history, metrics=metrics,
    )  # fmt: skip
