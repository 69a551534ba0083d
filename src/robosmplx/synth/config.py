"""Settings of a synthetic dataset (one frozen dataclass, saved beside the data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robosmplx.errors import ConfigError

TASKS = ("wholebody", "body", "hand", "face")
DEFAULT_SIZE = {"wholebody": 512, "body": 256, "hand": 256, "face": 256}
# Part boxes are the keypoints' tight box enlarged by these factors (the hand and face
# keypoints stop short of the skin's edge); the crop then adds the pipeline's box_scale.
PART_BOX_SCALE = {"body": 1.0, "hand": 1.3, "face": 1.25}


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. ``size`` 0 means the task's default (512 whole-body, 256 crops)."""

    task: Literal["wholebody", "body", "hand", "face"] = "body"
    size: int = 0
    seed: int = 0
    body_model: str = "anny"
    frame_size: int = 512  # the virtual full image body crops are cut from
    extra_people_prob: float = 0.25
    occluder_prob: float = 0.3
    truncation_prob: float = 0.15
    jpeg_quality: tuple[int, int] = (72, 95)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"unknown synth task {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.size == 0:
            object.__setattr__(self, "size", DEFAULT_SIZE[self.task])
        if not 32 <= self.size <= 4096:
            raise ConfigError(f"--size must be between 32 and 4096 pixels, got {self.size}")
        for name in ("extra_people_prob", "occluder_prob", "truncation_prob"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be a probability in [0, 1], got {v}")
        lo, hi = self.jpeg_quality
        if not 1 <= lo <= hi <= 100:
            raise ConfigError(
                f"jpeg_quality must be a range within 1..100, got {self.jpeg_quality}"
            )
        if self.seed < 0:
            raise ConfigError(f"--seed must be >= 0, got {self.seed}")
