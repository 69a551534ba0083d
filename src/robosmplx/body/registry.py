"""Construct body models by name; report which are available and why one is not."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch

from robosmplx.body.base import BodyModel
from robosmplx.errors import ModelFileError

ANNY_NAMES = ("anny", "anny-small")
SMPLX_FAMILY = ("smplx", "smpl", "mano", "flame")
ALL_NAMES = ANNY_NAMES + SMPLX_FAMILY


def model_dir_from_env(model_dir: str | os.PathLike | None = None) -> Path | None:
    """The SMPL-X family folder: the argument, else ``$ROBOSMPLX_MODEL_DIR``, else None."""
    if model_dir is not None:
        return Path(model_dir)
    env = os.environ.get("ROBOSMPLX_MODEL_DIR")
    return Path(env) if env else None


@functools.lru_cache(maxsize=8)
def _cached(name: str, model_dir: str | None, gender: str) -> BodyModel:
    if name in ANNY_NAMES:
        from robosmplx.body.anny_model import AnnyBodyModel

        return AnnyBodyModel(topology="small" if name == "anny-small" else "default")
    if name in SMPLX_FAMILY:
        from robosmplx.body.smplx_family import load_smplx_family

        return load_smplx_family(name, model_dir_from_env(model_dir), gender=gender)
    raise ModelFileError(f"unknown body model {name!r}; choose one of {', '.join(ALL_NAMES)}")


def load_body_model(
    name: str = "anny",
    model_dir: str | os.PathLike | None = None,
    gender: str = "neutral",
    device: str | torch.device | None = None,
) -> BodyModel:
    """Build (once per process) and return a body model, moved to ``device``.

    Models are cached per (name, folder, gender); do not modify their buffers in place.
    """
    md = model_dir_from_env(model_dir)
    model = _cached(name, str(md) if md else None, gender)
    return model.to(device) if device is not None else model


def available_body_models(model_dir: str | os.PathLike | None = None) -> dict[str, dict]:
    """For every known model: ``{"available": bool, "reason": str | None}`` without building."""
    out: dict[str, dict] = {}
    try:
        import anny  # noqa: F401

        for n in ANNY_NAMES:
            out[n] = {"family": "anny", "available": True, "reason": None}
    except ImportError as e:  # pragma: no cover - anny is a core dependency
        for n in ANNY_NAMES:
            out[n] = {"family": "anny", "available": False, "reason": f"anny not importable: {e}"}
    from robosmplx.body.smplx_family import check_model_files

    md = model_dir_from_env(model_dir)
    for n in SMPLX_FAMILY:
        reason = check_model_files(n, md)
        out[n] = {"family": "smplx", "available": reason is None, "reason": reason}
    return out
