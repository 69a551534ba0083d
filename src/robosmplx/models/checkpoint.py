"""Save a network with its config, restore both with one call; strict, explained key checks.

A saved model is two files side by side: ``NAME.safetensors`` (weights) and ``NAME.yaml``
(``kind`` + the full frozen-dataclass config, body-model sizes included), both written
atomically. :func:`load_model` rebuilds the network from the YAML, then loads the weights,
reporting every missing, unexpected or shape-mismatched key.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from torch import nn

import robosmplx.models.hmr  # noqa: F401  (the network modules register their kinds)
import robosmplx.models.subnetwork  # noqa: F401
import robosmplx.models.wholebody  # noqa: F401
from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.models.backbones import without_pretrained
from robosmplx.models.integrity import DIGEST_KEY, file_digest, read_weights
from robosmplx.models.kinds import network_kinds
from robosmplx.models.state_dict import load_state_strict

FORMAT = "robosmplx-model"
VERSION = 1


def _paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, config) paths for ``NAME``, ``NAME.safetensors`` or ``NAME.yaml``."""
    path = Path(path)
    if path.suffix == ".yaml":
        path = path.with_suffix(".safetensors")
    elif path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    return path, path.with_suffix(".yaml")


def save_model(
    model: nn.Module, path: str | Path, body_model: str | None = None, half: bool = False
) -> Path:
    """Write ``model`` to ``path`` (``.safetensors``) and its config to the ``.yaml`` beside it.

    ``body_model`` (e.g. ``anny``) is recorded so evaluation and inference pick the right one;
    ``half`` stores floating-point weights as float16 (they load back into float32).
    Returns the weights path. Both files are written atomically.
    """
    from safetensors.torch import save_file

    from robosmplx.config import to_dict
    from robosmplx.io import atomic_write, atomic_write_text

    kind = getattr(model, "kind", None)
    if kind not in network_kinds():
        raise CheckpointError(
            f"cannot save {type(model).__name__}: only robosmplx networks "
            f"({', '.join(network_kinds())}) carry a config to save"
        )
    weights, config = _paths(path)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    atomic_write(weights, lambda tmp: save_file(state, tmp, metadata={"format": FORMAT}))
    doc = {"format": FORMAT, "version": VERSION, "kind": kind, DIGEST_KEY: file_digest(weights)}
    if body_model is not None:
        doc["body_model"] = body_model
    doc["config"] = to_dict(model.config)
    atomic_write_text(config, yaml.safe_dump(doc, sort_keys=False))
    return weights


def read_model_config(path: str | Path):
    """(kind, config object) of a saved model, from the YAML beside its weights."""
    from robosmplx.config import from_dict

    _, config = _paths(path)
    if not config.is_file():
        raise CheckpointError(
            f"{config}: model config not found; a robosmplx checkpoint is a .safetensors file "
            "with a .yaml of the same name beside it (written by save_model)"
        )
    try:
        doc = yaml.safe_load(config.read_text())
    except yaml.YAMLError as e:
        raise CheckpointError(f"{config}: not valid YAML ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{config}: not a robosmplx model config (format: {FORMAT} missing)")
    kinds = network_kinds()
    if doc.get("kind") not in kinds:
        raise CheckpointError(
            f"{config}: unknown model kind {doc.get('kind')!r}; expected one of {sorted(kinds)}"
        )
    cfg_cls, _ = kinds[doc["kind"]]
    try:
        cfg = from_dict(cfg_cls, doc.get("config") or {}, where=str(config))
    except ConfigError as e:
        raise CheckpointError(str(e)) from None
    return doc["kind"], cfg


def load_model(path: str | Path, map_location: str = "cpu") -> nn.Module:
    """Rebuild the network from the config beside ``path`` and load its weights strictly.

    The returned model's config is the saved one (pretrained backbone paths included, as a
    record); those files are not read again.
    """
    weights, _ = _paths(path)
    kind, cfg = read_model_config(weights)
    if not weights.is_file():
        raise CheckpointError(f"{weights}: weights file not found")
    _, model_cls = network_kinds()[kind]
    model = model_cls(without_pretrained(cfg))
    model.config = cfg
    state = read_weights(weights, map_location)
    load_state_strict(model, state, source=str(weights))
    return model
