"""Optional person-detector plugins: none ships with robosmplx; users install one with its own
local weights and name it with ``--detector``.

A detector is any object with ``detect(image) -> boxes``: ``image`` an RGB uint8 array
(H, W, 3), ``boxes`` an (N, 5) array of ``x, y, w, h, score`` in its pixels (or (N, 4), all
scored 1). It is made by a *factory* (a class or function) called with the ``--detector-option
key=value`` pairs as keyword arguments (strings), e.g. ``weights=/path/to/file``. Name it by

- an entry point in the ``robosmplx.detectors`` group of an installed package
  (``[project.entry-points."robosmplx.detectors"] mydet = "mypkg.det:MyDetector"``), or
- a dotted path ``package.module:Factory`` (or ``package.module.Factory``).
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Protocol, runtime_checkable

import numpy as np

from robosmplx.errors import ConfigError, InputError

ENTRY_POINT_GROUP = "robosmplx.detectors"


@runtime_checkable
class Detector(Protocol):
    """What ``--detector`` plugins provide."""

    def detect(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (N, 5) x, y, w, h, score (pixels of ``image``)."""
        ...


def entry_points() -> dict[str, metadata.EntryPoint]:
    """Installed detector plugins by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _import_factory(spec: str):
    module, sep, attr = spec.partition(":")
    if not sep:
        module, _, attr = spec.rpartition(".")
    if not module or not attr:
        raise ConfigError(
            f"detector {spec!r}: expected an entry-point name or 'package.module:Factory'"
        )
    try:
        obj = importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"detector {spec!r}: cannot import {module!r} ({e})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"detector {spec!r}: {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def load_detector(spec: str, options: dict[str, str] | None = None) -> Detector:
    """Build the detector named ``spec`` (entry point or dotted path) with ``options``."""
    eps = entry_points()
    if spec in eps:
        try:
            factory = eps[spec].load()
        except Exception as e:  # a broken plugin: say which
            raise ConfigError(f"detector {spec!r}: its entry point failed to load ({e})") from None
    elif "." in spec or ":" in spec:
        factory = _import_factory(spec)
    else:
        have = ", ".join(sorted(eps)) or "none installed"
        raise ConfigError(
            f"detector {spec!r} not found: no {ENTRY_POINT_GROUP!r} entry point of that name "
            f"({have}) and not a 'package.module:Factory' path"
        )
    if not callable(factory):
        raise ConfigError(f"detector {spec!r}: {factory!r} is not a class or function")
    try:
        det = factory(**(options or {}))
    except TypeError as e:
        raise ConfigError(f"detector {spec!r}: bad --detector-option ({e})") from None
    if not isinstance(det, Detector):
        raise ConfigError(f"detector {spec!r}: the object it made has no detect(image) method")
    return det


def parse_options(pairs: list[str] | None) -> dict[str, str]:
    """``["key=value", ...]`` -> dict, with a clear error for a pair without ``=``."""
    out = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"--detector-option {p!r}: expected key=value")
        out[key] = value
    return out


def run_detector(detector: Detector, image: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Detections (N, 5) with score >= ``threshold``, validated and sorted by score."""
    try:
        raw = np.asarray(detector.detect(image), dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise InputError(f"detector returned something that is not a box array ({e})") from None
    if raw.size == 0:
        return np.zeros((0, 5))
    if raw.ndim != 2 or raw.shape[1] not in (4, 5):
        raise InputError(
            f"detector returned boxes of shape {raw.shape}; expected (N, 5) x, y, w, h, score"
        )
    if raw.shape[1] == 4:
        raw = np.concatenate((raw, np.ones((len(raw), 1))), 1)
    keep = np.isfinite(raw).all(1) & (raw[:, 2] > 0) & (raw[:, 3] > 0) & (raw[:, 4] >= threshold)
    raw = raw[keep]
    return raw[np.argsort(-raw[:, 4], kind="stable")]
