"""The LightningModule of every stage: network forward, eq. 1, logging, optimiser and schedule.

The network is ``self.net`` (what checkpoints store as ``model.safetensors``); the objective
holds the body model outside the state dict. Every loss term is logged under ``train/<term>``
each step and ``val/<term>`` plus ``val/mpjpe``, ``val/pa_mpjpe``, ``val/pve`` (mm) per
validation epoch, to TensorBoard when it is on.
"""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor, nn

from robosmplx.models.outputs import Prediction
from robosmplx.train.config import TrainConfig
from robosmplx.train.objective import Objective
from robosmplx.train.stages import build_network
from robosmplx.train.validation import validation_metrics


class TrainModule(L.LightningModule):
    """One training stage. ``net`` may be given (tests, the schedule); else it is built from
    ``cfg`` (preset, overrides and starting weights, :func:`stages.build_network`)."""

    def __init__(self, cfg: TrainConfig, body_model=None, net: nn.Module | None = None):
        super().__init__()
        from robosmplx.body import load_body_model

        self.cfg = cfg
        body_model = body_model if body_model is not None else load_body_model(cfg.body_model)
        self.net = net if net is not None else build_network(cfg, body_model)
        ncfg = self.net.config
        self.is_wholebody = ncfg.task == "wholebody"
        self.input_size = ncfg.body.input_size if self.is_wholebody else ncfg.input_size
        crop = cfg.augment.crop_size
        if (crop != self.input_size) if not self.is_wholebody else (crop < self.input_size):
            from robosmplx.errors import ConfigError

            raise ConfigError(
                f"augment.crop_size {crop} does not fit model.preset {cfg.model.preset!r}, whose "
                f"{'body crop' if self.is_wholebody else 'input'} is {self.input_size} px; set "
                f"augment.crop_size={ncfg.crop_size} or model.overrides.input_size"
            )
        loss = cfg.loss
        self.objective = Objective(
            body_model, cfg.stage, loss.weights, loss.options, focal_length=loss.focal_length,
            render_sigma=loss.render_sigma, render_gamma=loss.render_gamma,
            box_crop_size=self.input_size if self.is_wholebody else None,
        )  # fmt: skip

    # -- forward ------------------------------------------------------------------------------
    def forward(self, batch: dict[str, Tensor]) -> Prediction:
        return self.net.forward_source(batch["img"])  # (B, 3, S, S) crops

    def _step(self, batch: dict[str, Tensor], prefix: str) -> tuple[Tensor, Prediction]:
        pred = self(batch)
        total, terms = self.objective(pred, batch)
        n = batch["img"].shape[0]
        on_step = prefix == "train"
        logged = {f"{prefix}/{k}": v.detach() for k, v in terms.items()}
        kw = dict(on_step=on_step, on_epoch=not on_step, batch_size=n, sync_dist=not on_step)
        self.log_dict(logged, **kw)
        self.log(f"{prefix}/loss", total.detach(), prog_bar=True, **kw)
        return total, pred

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        total, _ = self._step(batch, "train")
        if self._reads_loss(total) and not torch.isfinite(total):
            from robosmplx.errors import RoboSMPLXError

            raise RoboSMPLXError(
                f"training loss became {float(total)} at step {self.global_step}; lower optim.lr, "
                "set trainer.grad_clip, or check the data (robosmplx.data.visualize draws a sample)"
            )
        return total

    def _reads_loss(self, total: Tensor) -> bool:
        """Whether this step checks the loss: always on the CPU; on an accelerator, where a read
        waits for the device, only at logging steps (when Lightning reads it anyway)."""
        if total.device.type == "cpu" or self._trainer is None:
            return True
        return self.global_step % max(1, self.trainer.log_every_n_steps) == 0

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        _, pred = self._step(batch, "val")
        metrics = validation_metrics(self.objective, pred, batch)
        if metrics:
            self.log_dict(
                {f"val/{k}": v for k, v in metrics.items()}, on_epoch=True, batch_size=batch["img"].shape[0],
                sync_dist=True,
            )  # fmt: skip

    # -- optimisation --------------------------------------------------------------------------
    def configure_optimizers(self):
        o = self.cfg.optim
        params = [p for p in self.net.parameters() if p.requires_grad]
        cls = torch.optim.AdamW if o.name == "adamw" else torch.optim.Adam
        opt = cls(params, lr=o.lr, weight_decay=o.weight_decay)
        if not o.milestones:
            return opt
        sched = torch.optim.lr_scheduler.MultiStepLR(
            opt, milestones=list(o.milestones), gamma=o.gamma
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": o.interval}}
