"""What a saved network needs from an evaluation: its crops, its groups, its body model, and
the pixel map from the source crop to its body crop. Pure functions of the network config."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from robosmplx.body.base import ParamGroup
from robosmplx.errors import CheckpointError, ConfigError


def network_task(kind: str, cfg) -> str:
    """The crops a network expects: ``wholebody``, ``body``, ``hand`` or ``face``."""
    if kind == "wholebody":
        return "wholebody"
    if kind == "subnetwork":
        return cfg.part
    hand = all(
        g.part == "hand" or g.name == "global_orient" or g.kind == "vector" for g in cfg.groups
    )
    return "hand" if hand else "body"


def network_groups(kind: str, cfg) -> tuple[ParamGroup, ...]:
    """Every parameter group a network predicts."""
    if kind == "wholebody":
        hand = {g.name: g for g in cfg.hand.groups}
        left = tuple(
            dataclasses.replace(g, name=n) for g, n in zip(cfg.hand.groups, cfg.left_groups)
        )
        return cfg.body.predicted_groups + tuple(hand.values()) + left + cfg.face.groups
    if kind == "subnetwork":
        return cfg.predicted_groups
    return tuple(cfg.groups)


def network_crop_size(kind: str, cfg) -> int:
    """Side of the dataset crop: the network input, or for the whole-body network the
    high-resolution source (twice the body crop) its part crops are cut from."""
    return 2 * cfg.body.input_size if kind == "wholebody" else cfg.input_size


def check_network_body(groups, body_model, source: str) -> None:
    """CheckpointError unless every predicted group exists in ``body_model`` with that size."""
    spec = body_model.spec
    for g in groups:
        if g.name not in spec:
            raise CheckpointError(
                f"{source}: the network predicts {g.name!r}, which body model "
                f"{body_model.name!r} does not have (groups: {list(spec.names)}); the checkpoint "
                "was trained for another body model: pass the matching --body-model"
            )
        m = spec[g.name]
        if (m.kind, m.size) != (g.kind, g.size):
            raise CheckpointError(
                f"{source}: the network predicts {g.name!r} as {g.kind} of size {g.size}, body "
                f"model {body_model.name!r} has {m.kind} of size {m.size}; the checkpoint was "
                "trained for another body model: pass the matching --body-model"
            )


def device_from_name(name: str) -> torch.device:
    """The torch device called ``name``; ConfigError when it is malformed or absent."""
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ConfigError(
            f"--device {name!r} is not a device name (cpu, cuda, cuda:1, ...)"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here; use --device cpu")
    return dev


def source_to_body(batch_size: int, source: int, body: int) -> Tensor:
    """(B, 2, 3) pixel affine from the source crop to the body crop (pure scale)."""
    k = body / source
    a = torch.tensor([[k, 0.0, 0.5 * k - 0.5], [0.0, k, 0.5 * k - 0.5]])
    return a.expand(batch_size, 2, 3).clone()
