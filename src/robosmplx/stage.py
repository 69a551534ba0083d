"""The stage table: what each training stage (and the network task of the same name) reads.

One row per stage, read by the losses (train/objective.py), the datasets (data/datasets.py,
data/augment.py) and the subnetwork configs (models/subnetwork.py) instead of each keeping
its own ``{"hand": "rhand", ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from robosmplx.errors import ConfigError


@dataclass(frozen=True)
class Stage:
    """name: ``body``, ``hand``, ``face`` or ``wholebody``. part: the subnetwork and part-label
    set it trains (``body``, ``hand``, ``face``). view: the body model's part view its keypoints,
    vertices and groups come from (``rhand``: left hands arrive mirrored; None: the whole body).
    box: the HumanData box its crop is cut around (``hand``: ``rhand``/``lhand``). crop: the
    default crop side in pixels (whole-body: the high-resolution source)."""

    name: str
    part: str
    view: str | None
    box: str
    crop: int


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("body", part="body", view=None, box="body", crop=256),
        Stage("hand", part="hand", view="rhand", box="hand", crop=256),
        Stage("face", part="face", view="face", box="face", crop=256),
        Stage("wholebody", part="body", view=None, box="body", crop=512),
    )
}


def get_stage(name: str) -> Stage:
    """The row of stage ``name``; :class:`ConfigError` naming the choices otherwise."""
    if name not in STAGES:
        raise ConfigError(f"unknown stage {name!r}; choose one of {', '.join(STAGES)}")
    return STAGES[name]
