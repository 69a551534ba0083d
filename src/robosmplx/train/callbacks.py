"""Lightning callbacks of the trainer: periodic checkpoints, RNG state, the loss history.

Checkpoints go through the trainer (``trainer.save_checkpoint``), so Lightning collects every
piece of state on every process and the :class:`SafetensorsCheckpointIO` plugin writes it on rank
0 only.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import lightning as L
import numpy as np
import torch

from robosmplx.train.checkpoint import checkpoint_name, write_last


class PeriodicCheckpoint(L.Callback):
    """Save every ``every_n_steps`` optimiser steps (0: never) and at the end of every
    ``every_n_epochs``-th epoch (0: never); keep the newest ``keep_last`` (0: all)."""

    def __init__(
        self,
        ckpt_dir: str | Path,
        every_n_steps: int = 0,
        every_n_epochs: int = 1,
        keep_last: int = 2,
    ):
        self.ckpt_dir = Path(ckpt_dir)
        self.every_n_steps = every_n_steps
        self.every_n_epochs = every_n_epochs
        self.keep_last = keep_last
        self._last_saved_step = -1

    def _save(self, trainer: L.Trainer) -> None:
        step = trainer.global_step
        if step == self._last_saved_step:
            return
        name = checkpoint_name(step)
        trainer.save_checkpoint(self.ckpt_dir / name)
        if trainer.is_global_zero:
            write_last(self.ckpt_dir, name, step, trainer.current_epoch)
            self._prune()
        trainer.strategy.barrier("robosmplx_checkpoint")
        self._last_saved_step = step

    def _prune(self) -> None:
        if self.keep_last <= 0:
            return
        found = sorted(p for p in self.ckpt_dir.glob("step=*") if p.is_dir())
        for old in found[: -self.keep_last]:
            shutil.rmtree(old, ignore_errors=True)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        stepped = (
            batch_idx + 1
        ) % trainer.accumulate_grad_batches == 0  # no half-accumulated state
        if stepped and self.every_n_steps > 0 and trainer.global_step % self.every_n_steps == 0:
            self._save(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self.every_n_epochs > 0 and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._save(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self._save(trainer)


class RNGState(L.Callback):
    """Stores the Python, numpy and torch (CPU and CUDA) RNG states in every checkpoint and
    restores them on resume, for anything random outside the seeded data pipeline."""

    @property
    def state_key(self) -> str:
        return "RNGState"

    def state_dict(self) -> dict:
        np_state = np.random.get_state()
        state = {
            "python": list(random.getstate()),
            "numpy": {
                "name": np_state[0],
                "keys": torch.from_numpy(np_state[1].astype(np.int64)),
                "pos": int(np_state[2]),
                "has_gauss": int(np_state[3]),
                "cached_gaussian": float(np_state[4]),
            },
            "torch": torch.get_rng_state(),
        }
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
        n = state["numpy"]
        np.random.set_state(
            (
                n["name"],
                n["keys"].numpy().astype(np.uint32),
                n["pos"],
                n["has_gauss"],
                n["cached_gaussian"],
            )
        )
        torch.set_rng_state(state["torch"])
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])


class LossHistory(L.Callback):
    """Records the total training loss of every optimiser step (``history``: list of floats);
    what the resume test compares, and what ``robosmplx train --json`` reports."""

    def __init__(self) -> None:
        self.history: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None:
            self.history.append(float(loss.detach()))
