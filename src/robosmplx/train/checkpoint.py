"""Training checkpoints and run directories: safetensors + YAML/JSON, written atomically.

A checkpoint is a folder ``RUN/checkpoints/step=000120/`` holding

- ``model.safetensors`` + ``model.yaml``: the network, readable by
  :func:`robosmplx.models.checkpoint.load_model` (evaluation and inference need nothing else);
- ``train_state.safetensors`` + ``train_state.json``: everything else the trainer needs for an
  exact resume (optimiser and scheduler state, loop counters, data-loader position, RNG states),
  see :mod:`robosmplx.train.treeio`;
- ``config.yaml``: the training config.

The folder is written under a temporary name and renamed into place, so a kill leaves either
the whole checkpoint or none. ``RUN/checkpoints/last.json`` names the newest one. The run folder
also records ``config.yaml`` and ``run.json`` (code version, data files with sizes and hashes,
command line, versions) when training starts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml
from lightning.fabric.plugins import CheckpointIO

from robosmplx.errors import CheckpointError
from robosmplx.models.integrity import DIGEST_KEY, file_digest, read_weights
from robosmplx.train.treeio import load_tree, save_tree

MODEL_STEM = "model"
STATE_STEM = "train_state"
LAST = "last.json"
NET_PREFIX = "net."


def model_document(net: torch.nn.Module) -> dict:
    """The ``model.yaml`` content of a robosmplx network (same format as ``save_model``)."""
    from robosmplx.config import to_dict
    from robosmplx.models import checkpoint as mc

    return {
        "format": mc.FORMAT,
        "version": mc.VERSION,
        "kind": net.kind,
        "config": to_dict(net.config),
    }


class SafetensorsCheckpointIO(CheckpointIO):
    """Lightning checkpoint I/O writing the folder layout of this module instead of a pickle.

    ``model_doc`` is the network's ``model.yaml`` content; ``config_text`` the training config
    YAML copied into each checkpoint. Weights whose names start with ``net.`` (the network
    inside the LightningModule) go to ``model.safetensors`` without that prefix.
    """

    def __init__(self, model_doc: dict, config_text: str = ""):
        self.model_doc = model_doc
        self.config_text = config_text

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        from safetensors.torch import save_file

        from robosmplx.io import (
            atomic_write_text,
            commit_folder,
            make_partial_folder,
            sweep_leftovers,
        )

        path = Path(path)
        sweep_leftovers(path.parent)  # what a killed run left half-written
        tmp = make_partial_folder(path.parent, path.name)
        try:
            state = dict(checkpoint)
            weights = state.pop("state_dict", {})
            net = {k[len(NET_PREFIX) :]: v for k, v in weights.items() if k.startswith(NET_PREFIX)}
            state["state_dict_other"] = {
                k: v for k, v in weights.items() if not k.startswith(NET_PREFIX)
            }
            tensors = {k: v.detach().to("cpu").contiguous() for k, v in net.items()}
            weights_file = tmp / f"{MODEL_STEM}.safetensors"
            save_file(tensors, str(weights_file), metadata={"format": "robosmplx-model"})
            doc = {**self.model_doc, DIGEST_KEY: file_digest(weights_file)}
            atomic_write_text(tmp / f"{MODEL_STEM}.yaml", yaml.safe_dump(doc, sort_keys=False))
            save_tree(state, tmp / STATE_STEM)
            if self.config_text:
                atomic_write_text(tmp / "config.yaml", self.config_text)
            _fsync_dir(tmp)
            commit_folder(tmp, path)
            _fsync_dir(path.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict[str, Any]:
        return read_checkpoint(
            path, map_location if isinstance(map_location, str | torch.device) else "cpu"
        )

    def remove_checkpoint(self, path) -> None:
        shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_checkpoint(path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The Lightning checkpoint dict stored in a checkpoint folder."""

    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(
            f"{path}: not a checkpoint folder; pass RUN/checkpoints/step=NNNNNN (or the run folder "
            "to resume from its newest checkpoint)"
        )
    weights = path / f"{MODEL_STEM}.safetensors"
    if not weights.is_file():
        raise CheckpointError(f"{weights}: network weights missing; the checkpoint is incomplete")
    state = load_tree(path / STATE_STEM, map_location)
    net = read_weights(weights, str(map_location))
    merged = {NET_PREFIX + k: v for k, v in net.items()}
    merged.update(state.pop("state_dict_other", {}) or {})
    state["state_dict"] = merged
    return state


def checkpoint_name(step: int) -> str:
    return f"step={step:08d}"


def write_last(ckpt_dir: Path, name: str, step: int, epoch: int) -> None:
    """Point ``last.json`` at checkpoint ``name``."""
    from robosmplx.io import atomic_write_text

    doc = {"checkpoint": name, "global_step": step, "epoch": epoch, "time": time.time()}
    atomic_write_text(Path(ckpt_dir) / LAST, json.dumps(doc, indent=1))


def latest_checkpoint(run_or_ckpt: str | Path) -> Path | None:
    """The checkpoint folder to resume from: ``run_or_ckpt`` itself if it is one, else the one
    named by ``RUN/checkpoints/last.json`` (None when the run has none yet)."""
    p = Path(run_or_ckpt)
    if (p / f"{STATE_STEM}.json").is_file():
        return p
    ckdir = p / "checkpoints" if (p / "checkpoints").is_dir() else p
    last = ckdir / LAST
    if not last.is_file():
        return None
    try:
        name = json.loads(last.read_text())["checkpoint"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise CheckpointError(f"{last}: unreadable; delete it to resume from scratch") from None
    target = ckdir / name
    if not (target / f"{STATE_STEM}.json").is_file():
        raise CheckpointError(f"{last} names {target}, which is missing or incomplete")
    return target


def code_version() -> str:
    """``git describe`` of the source tree when it is a git checkout, else the package version."""
    from robosmplx import __version__

    src = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=src,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            return f"{__version__}+git.{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def file_record(path: str | Path) -> dict:
    """Path, size and sha256 of a data file (what a run trained on)."""
    p = Path(path)
    return {"path": str(p.resolve()), "bytes": p.stat().st_size, "sha256": file_digest(p)}


def write_run_record(run_dir: str | Path, config_text: str, data_files: list[str]) -> Path:
    """Write ``RUN/config.yaml`` and ``RUN/run.json`` (appending to its list of starts)."""
    import lightning

    from robosmplx.io import atomic_write_text

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", config_text)
    record_path = run_dir / "run.json"
    record = {"starts": []}
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text())
        except json.JSONDecodeError:
            record = {"starts": []}
    record.setdefault("starts", []).append(
        {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "code_version": code_version(),
            "command": sys.argv,
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "lightning": lightning.__version__,
            "data": [file_record(p) for p in data_files if Path(p).is_file()],
        }
    )
    atomic_write_text(record_path, json.dumps(record, indent=1))
    return record_path
