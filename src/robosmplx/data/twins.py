"""Positive twins for the contrastive loss (paper section 4.3) and their collation.

A twin is the anchor's sample under a random combination of colour-variant and location-variant
augmentations only: it keeps the anchor's rotation and flip (pose-variant augmentations change
the global orientation, which the paper's Table 10 shows hurts), and redraws colour, scale and
centre shift. Each twin draws one of ``TwinConfig.kinds`` uniformly: by default {colour},
{location}, {colour + location}. The kind ``pose`` (a new in-plane rotation, and a flip with
probability ``flip_prob``) exists for Table 10's ablation only; the hand stage must keep
``flip_prob`` at 0, since its crops are always right hands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch.utils.data import default_collate

from robosmplx.data.augment import AugmentConfig, AugParams, sample_color, sample_location
from robosmplx.errors import ConfigError, ShapeError

TwinKind = Literal["color", "location", "color+location", "pose"]
TWIN_KINDS: tuple[str, ...] = ("color", "location", "color+location", "pose")
_RANGES = ("scale_factor", "center_jitter", "color_factor", "brightness", "contrast", "saturation")


@dataclass(frozen=True)
class TwinConfig:
    """Ranges of the twin's own draws (same meaning as in AugmentConfig). ``kinds``: what a
    twin may change, one drawn uniformly per twin; ``rot_factor`` (degrees) and ``flip_prob``
    are the ``pose`` kind's rotation and flip."""

    scale_factor: float = 0.25
    center_jitter: float = 0.2
    color_factor: float = 0.2
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2
    kinds: tuple[TwinKind, ...] = ("color", "location", "color+location")
    rot_factor: float = 30.0
    flip_prob: float = 0.0

    def __post_init__(self) -> None:
        for name in _RANGES:
            v = getattr(self, name)
            if v < 0 or (name != "center_jitter" and v >= 1):
                raise ConfigError(f"twin {name} must be in [0, 1), got {v}")
        bad = [k for k in self.kinds if k not in TWIN_KINDS]
        if not self.kinds or bad or len(set(self.kinds)) != len(self.kinds):
            raise ConfigError(
                f"twin kinds {list(self.kinds)}: give distinct kinds from {list(TWIN_KINDS)}"
            )
        if self.rot_factor < 0 or not 0.0 <= self.flip_prob <= 1.0:
            raise ConfigError(
                f"twin rot_factor must be >= 0 and flip_prob in [0, 1], got "
                f"{self.rot_factor} and {self.flip_prob}"
            )

    def as_augment(self) -> AugmentConfig:
        return AugmentConfig(
            scale_factor=self.scale_factor,
            center_jitter=self.center_jitter,
            color_factor=self.color_factor,
            brightness=self.brightness,
            contrast=self.contrast,
            saturation=self.saturation,
        )


def sample_twin(anchor: AugParams, cfg: TwinConfig, rng: np.random.Generator) -> AugParams:
    """The twin's draw: one of ``cfg.kinds``. Colour and location kinds keep the anchor's
    rotation and flip; ``pose`` keeps its colour and location and adds a rotation (and a flip
    with probability ``flip_prob``). The number of draws depends on the config only."""
    acfg = cfg.as_augment()
    which = cfg.kinds[int(rng.integers(len(cfg.kinds)))]
    scale, shift = sample_location(acfg, rng)
    color = sample_color(acfg, rng)
    out = dataclasses.replace(anchor)
    if which in ("location", "color+location"):
        out = dataclasses.replace(out, scale=anchor.scale * scale, shift=_add(anchor.shift, shift))
    if which in ("color", "color+location"):
        out = dataclasses.replace(out, **color)
    if "pose" in cfg.kinds:
        rf = cfg.rot_factor
        rot = float(np.clip(rng.standard_normal() * rf, -2.0 * rf, 2.0 * rf))
        flip = bool(rng.uniform() < cfg.flip_prob)
        if which == "pose":
            out = dataclasses.replace(out, rotation=anchor.rotation + rot, flip=anchor.flip != flip)
    return out


def _add(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0], a[1] + b[1])


def collate_twins(batch: Sequence[tuple[dict, dict]]) -> dict[str, torch.Tensor]:
    """[(anchor, twin)] * N -> one batch of 2N (anchors first) with ``pair_index`` (2N,) long,
    the batch position of each sample's partner."""
    if not batch or not all(isinstance(b, tuple | list) and len(b) == 2 for b in batch):
        raise ShapeError("collate_twins expects a list of (anchor, twin) pairs")
    n = len(batch)
    out = default_collate([a for a, _ in batch] + [t for _, t in batch])
    idx = torch.arange(2 * n)
    out["pair_index"] = torch.where(idx < n, idx + n, idx - n)
    return out
