"""Positive twins for the contrastive loss (paper section 4.3) and their collation.

A twin is the anchor's sample under a random combination of colour-variant and location-variant
augmentations only: it keeps the anchor's rotation and flip (pose-variant augmentations change
the global orientation, which the paper's Table 10 shows hurts), and redraws colour, scale and
centre shift. Each twin draws one of {colour}, {location}, {colour + location} uniformly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import default_collate

from robosmplx.data.augment import AugmentConfig, AugParams, sample_color, sample_location
from robosmplx.errors import ConfigError


@dataclass(frozen=True)
class TwinConfig:
    """Ranges of the twin's own draws (same meaning as in AugmentConfig)."""

    scale_factor: float = 0.25
    center_jitter: float = 0.2
    color_factor: float = 0.2
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.2

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v < 0 or (f.name != "center_jitter" and v >= 1):
                raise ConfigError(f"twin {f.name} must be in [0, 1), got {v}")

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
    """The twin's draw: anchor's rotation and flip, new colour and/or location."""
    acfg = cfg.as_augment()
    which = int(rng.integers(3))  # 0 colour, 1 location, 2 both
    scale, shift = sample_location(acfg, rng)
    color = sample_color(acfg, rng)
    out = dataclasses.replace(anchor)
    if which in (1, 2):
        out = dataclasses.replace(out, scale=anchor.scale * scale, shift=_add(anchor.shift, shift))
    if which in (0, 2):
        out = dataclasses.replace(out, **color)
    return out


def _add(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0], a[1] + b[1])


def collate_twins(batch: Sequence[tuple[dict, dict]]) -> dict[str, torch.Tensor]:
    """[(anchor, twin)] * N -> one batch of 2N (anchors first) with ``pair_index`` (2N,) long,
    the batch position of each sample's partner."""
    if not batch or not all(isinstance(b, tuple | list) and len(b) == 2 for b in batch):
        raise ValueError("collate_twins expects a list of (anchor, twin) pairs")
    n = len(batch)
    out = default_collate([a for a, _ in batch] + [t for _, t in batch])
    idx = torch.arange(2 * n)
    out["pair_index"] = torch.where(idx < n, idx + n, idx - n)
    return out
