"""Choosing the torch device: one answer for every command (predict, eval, robustness, ...)."""

from __future__ import annotations

import torch

from robosmplx.errors import ConfigError


def resolve_device(name: str | torch.device) -> torch.device:
    """The torch device called ``name``; :class:`ConfigError` when it is malformed or absent."""
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"--device {name!r} is not a device name (cpu, cuda, cuda:1, ...)"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here; use --device cpu")
    return dev
