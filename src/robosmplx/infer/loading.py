"""Finding and loading a checkpoint for inference, with its body model, and checking they fit.

A checkpoint is what :func:`robosmplx.models.save_model` writes (``NAME.safetensors`` with
``NAME.yaml`` beside it), a training checkpoint folder (``model.safetensors`` + ``model.yaml``),
or a training run folder (its ``checkpoints/last.json`` names the newest checkpoint).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from robosmplx.errors import CheckpointError

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "assets" / "default"
DEFAULT_CHECKPOINT = DEFAULT_DIR / "model.safetensors"
MODEL_STEM = "model"


@dataclass(frozen=True)
class CheckpointInfo:
    """Where the weights are, what network they hold, and which body model drives it
    (``body_source``: ``option``, ``checkpoint`` or ``inferred`` from the parameter groups)."""

    weights: Path
    kind: str
    body_model: str
    body_source: str


def default_checkpoint() -> Path:
    """The bundled default checkpoint, or a :class:`CheckpointError` saying it is missing."""
    if not DEFAULT_CHECKPOINT.is_file() or not DEFAULT_CHECKPOINT.with_suffix(".yaml").is_file():
        raise CheckpointError(
            f"the bundled default checkpoint {DEFAULT_CHECKPOINT} (with its .yaml) is missing "
            "from this installation; pass --checkpoint PATH to a trained whole-body model "
            "(a .safetensors file with its .yaml beside it, or a training run folder)"
        )
    return DEFAULT_CHECKPOINT


def resolve_checkpoint(path: str | Path | None) -> Path:
    """The ``.safetensors`` weights path for a checkpoint file, folder or run (None: default)."""
    if path is None:
        return default_checkpoint()
    p = Path(path)
    if p.is_dir():
        return _from_folder(p)
    if p.is_file() and p.suffix not in (".safetensors", ".yaml"):
        raise CheckpointError(
            f"{p}: not a robosmplx checkpoint ({p.suffix or 'no'} extension); pass a "
            ".safetensors file with its .yaml beside it, a training checkpoint folder or a "
            "training run folder (pickled .pth/.ckpt files are never loaded: they can run code)"
        )
    stem = p.with_suffix("") if p.suffix in (".safetensors", ".yaml") else p
    weights = stem.with_name(stem.name + ".safetensors")
    config = weights.with_suffix(".yaml")
    if not weights.is_file() and not config.is_file():
        raise CheckpointError(
            f"{p}: checkpoint not found; pass a .safetensors file with its .yaml beside it, a "
            "training checkpoint folder or a training run folder"
        )
    if not config.is_file():
        raise CheckpointError(
            f"{config}: model config missing beside {weights.name}; a checkpoint is a "
            ".safetensors file with the .yaml of the same name that save_model writes"
        )
    if not weights.is_file():
        raise CheckpointError(f"{weights}: weights file missing beside {config.name}")
    for f in (weights, config):
        if not os.access(f, os.R_OK):
            raise CheckpointError(
                f"{f}: permission denied; make the file readable (chmod +r) or copy it elsewhere"
            )
    return weights


def _from_folder(p: Path) -> Path:
    if (p / f"{MODEL_STEM}.yaml").is_file():
        return resolve_checkpoint(p / f"{MODEL_STEM}.safetensors")
    ckdir = p / "checkpoints" if (p / "checkpoints").is_dir() else p
    last = ckdir / "last.json"
    if last.is_file():
        try:
            name = json.loads(last.read_text())["checkpoint"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise CheckpointError(f"{last}: unreadable; pass a checkpoint folder instead") from None
        return resolve_checkpoint(ckdir / str(name) / f"{MODEL_STEM}.safetensors")
    yamls = sorted(y for y in p.glob("*.yaml") if y.with_suffix(".safetensors").is_file())
    if len(yamls) == 1:
        return yamls[0].with_suffix(".safetensors")
    found = ", ".join(y.name for y in yamls) or "none"
    raise CheckpointError(
        f"{p}: folder holds no single checkpoint (model pairs .safetensors + .yaml: {found}); "
        "pass the .safetensors file itself"
    )


def _named_body(doc) -> str | None:
    """A body-model name recorded in a model YAML: ``body_model: NAME`` at any level, or the
    ``name`` of a saved body signature (``signature: {name: ...}``)."""
    if isinstance(doc, dict):
        name = doc.get("body_model")
        if isinstance(name, str) and name:
            return name
        sig = doc.get("signature")
        if isinstance(sig, dict) and isinstance(sig.get("name"), str) and sig["name"]:
            return sig["name"]
        for v in doc.values():
            found = _named_body(v)
            if found:
                return found
    return None


def checkpoint_body_model(weights: Path, cfg) -> tuple[str, str]:
    """(body model name, how it was found) for a whole-body config: the name the YAML records
    when present, else ``smplx`` for SMPL-X's groups and ``anny`` otherwise."""
    try:
        doc = yaml.safe_load(weights.with_suffix(".yaml").read_text())
    except (OSError, yaml.YAMLError):
        doc = None
    name = _named_body(doc)
    if name:
        return name, "checkpoint"
    from robosmplx.models.signature import smplx_signature

    names = {g.name for g in cfg.predicted_groups}
    smplx_names = {g.name for g in smplx_signature().groups}
    return ("smplx" if names == smplx_names else "anny"), "inferred"


def load_for_inference(
    checkpoint: str | Path | None,
    body_model: str | None = None,
    model_dir: str | Path | None = None,
    device: str = "cpu",
):
    """(network in eval mode, body model, :class:`CheckpointInfo`) on ``device``.

    Raises :class:`CheckpointError` for a missing, unreadable or non-whole-body checkpoint or one
    that does not fit the body model, :class:`robosmplx.errors.ModelFileError` when the body
    model's files are missing.
    """
    from robosmplx.body import load_body_model
    from robosmplx.models.checkpoint import load_model, read_model_config
    from robosmplx.models.signature import check_body_model

    weights = resolve_checkpoint(checkpoint)
    kind, cfg = read_model_config(weights)
    if kind != "wholebody":
        part = getattr(cfg, "part", "")
        raise CheckpointError(
            f"{weights}: holds a {kind} network{f' ({part})' if part else ''}; inference needs a "
            "whole-body network (presets 'small' or 'paper', or a whole-body training stage)"
        )
    name, source = (body_model, "option") if body_model else checkpoint_body_model(weights, cfg)
    body = load_body_model(name, model_dir, device=device)
    check_body_model(cfg, body, str(weights))
    net = load_model(weights).to(device).eval()
    return net, body, CheckpointInfo(weights, kind, name, source)
