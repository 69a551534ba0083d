"""Training augmentation: per-stage configs, sampling of one draw, colour operations.

Geometry (scale, rotation, flip, centre jitter) is applied by the crop (robosmplx.data.pipeline);
colour is applied to the crop. Random scale ``s *= clip(N(0,1) sf + 1, 1 - sf, 1 + sf)``,
rotation ``clip(N(0,1) rf, -2 rf, 2 rf)`` with probability ``rot_prob``, centre
``+= U(-1, 1) * jitter * box side``, as in UPSTREAM.md's table (values per stage below).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from robosmplx.errors import ConfigError
from robosmplx.stage import STAGES, get_stage


@dataclass(frozen=True)
class AugmentConfig:
    """One stage's crop and augmentation settings. ``enabled=False`` gives the test-time crop."""

    crop_size: int = 256
    box_scale: float = 1.25  # square box enlargement around the person box
    scale_factor: float = 0.25
    rot_factor: float = 30.0  # degrees
    rot_prob: float = 0.6
    flip_prob: float = 0.5
    center_jitter: float = 0.0  # fraction of the box side
    color_factor: float = 0.2  # per-channel multiplier in [1 - c, 1 + c]
    brightness: float = 0.0  # factors in [1 - b, 1 + b]; 0 disables
    contrast: float = 0.0
    saturation: float = 0.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.crop_size < 8:
            raise ConfigError(f"crop_size must be >= 8 pixels, got {self.crop_size}")
        for name in ("rot_prob", "flip_prob"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be a probability in [0, 1], got {v}")
        for name in ("scale_factor", "color_factor", "brightness", "contrast", "saturation"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {v}")
        if self.box_scale <= 0 or self.rot_factor < 0 or self.center_jitter < 0:
            raise ConfigError("box_scale must be > 0; rot_factor and center_jitter >= 0")


# Per-stage defaults (UPSTREAM.md table: flip p, rotation / scale factor, centre jitter).
_STAGE_DRAWS = {
    "body": dict(flip_prob=0.5, rot_factor=30.0, scale_factor=0.25, center_jitter=0.0),
    "hand": dict(flip_prob=0.0, rot_factor=30.0, scale_factor=0.2, center_jitter=0.2),
    "face": dict(flip_prob=0.5, rot_factor=30.0, scale_factor=0.2, center_jitter=0.2),
    "wholebody": dict(flip_prob=0.5, rot_factor=30.0, scale_factor=0.25, center_jitter=0.0),
}
STAGE_AUGMENT: dict[str, AugmentConfig] = {
    name: AugmentConfig(crop_size=stage.crop, **_STAGE_DRAWS[name])
    for name, stage in STAGES.items()
}


def stage_augment(stage: str, **overrides) -> AugmentConfig:
    """The stage's default config with ``overrides`` applied."""
    return dataclasses.replace(STAGE_AUGMENT[get_stage(stage).name], **overrides)


def strongaug(cfg: AugmentConfig) -> AugmentConfig:
    """The paper's "strongaug" ablation: a larger scale range and centre jitter.

    The paper gives no numbers; we double both, with floors 0.4 (scale) and 0.3 (jitter).
    """
    return dataclasses.replace(
        cfg,
        scale_factor=min(0.6, max(0.4, 2.0 * cfg.scale_factor)),
        center_jitter=max(0.3, 2.0 * cfg.center_jitter),
    )


@dataclass(frozen=True)
class AugParams:
    """One augmentation draw. ``shift`` is in box sides; colours are multiplicative factors."""

    scale: float = 1.0
    rotation: float = 0.0
    flip: bool = False
    shift: tuple[float, float] = (0.0, 0.0)
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0

    @property
    def is_color_identity(self) -> bool:
        return (
            self.color == (1.0, 1.0, 1.0)
            and self.brightness == self.contrast == self.saturation == 1.0
        )


IDENTITY = AugParams()


def sample_location(cfg: AugmentConfig, rng: np.random.Generator) -> tuple[float, tuple]:
    """(scale, shift) of one draw: the location-variant part."""
    sf = cfg.scale_factor
    scale = float(np.clip(rng.standard_normal() * sf + 1.0, 1.0 - sf, 1.0 + sf))
    u = rng.uniform(-1.0, 1.0, 2) * cfg.center_jitter
    return scale, (float(u[0]), float(u[1]))


def sample_color(cfg: AugmentConfig, rng: np.random.Generator) -> dict:
    """Colour-variant part of one draw (AugParams fields)."""
    c = cfg.color_factor
    col = rng.uniform(1.0 - c, 1.0 + c, 3)
    b, k, s = (
        rng.uniform(1.0 - v, 1.0 + v) for v in (cfg.brightness, cfg.contrast, cfg.saturation)
    )
    return {
        "color": (float(col[0]), float(col[1]), float(col[2])),
        "brightness": float(b),
        "contrast": float(k),
        "saturation": float(s),
    }


def sample_augment(cfg: AugmentConfig, rng: np.random.Generator) -> AugParams:
    """Draw one augmentation (always the same number of draws, so streams stay aligned)."""
    scale, shift = sample_location(cfg, rng)
    rf = cfg.rot_factor
    rot = float(np.clip(rng.standard_normal() * rf, -2.0 * rf, 2.0 * rf))
    do_rot = rng.uniform() < cfg.rot_prob
    do_flip = rng.uniform() < cfg.flip_prob
    color = sample_color(cfg, rng)
    if not cfg.enabled:
        return IDENTITY
    return AugParams(
        scale=scale, rotation=rot if do_rot else 0.0, flip=bool(do_flip), shift=shift, **color
    )


_GRAY = np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as PIL and OpenCV


def color_matrix(p: AugParams, channel_means: np.ndarray) -> np.ndarray:
    """(3, 4) affine colour map of one draw: channel factors and brightness, then contrast
    (blend with the mean gray level), then saturation (blend with each pixel's gray)."""
    d = np.diag(np.asarray(p.color) * p.brightness)
    mean_gray = float(_GRAY @ d @ channel_means)
    sat = p.saturation * np.eye(3) + (1.0 - p.saturation) * np.outer(np.ones(3), _GRAY)
    m = sat @ (p.contrast * d)
    offset = sat @ np.full(3, (1.0 - p.contrast) * mean_gray)
    return np.hstack((m, offset[:, None]))


def apply_color(img: np.ndarray, p: AugParams) -> np.ndarray:
    """(H, W, 3) uint8 RGB with the draw's colour factors applied (clipped to 0..255)."""
    if p.is_color_identity:
        return img
    means = np.asarray(cv2.mean(img)[:3])
    return cv2.transform(img, color_matrix(p, means).astype(np.float32))
