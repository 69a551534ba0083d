"""Save a network with its config, restore both with one call; strict, explained key checks.

A saved model is two files side by side: ``NAME.safetensors`` (weights) and ``NAME.yaml``
(``kind`` + the full frozen-dataclass config, body-model sizes included), both written
atomically. :func:`load_model` rebuilds the network from the YAML, then loads the weights,
reporting every missing, unexpected or shape-mismatched key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml
from torch import Tensor, nn

from robosmplx.errors import CheckpointError, ConfigError
from robosmplx.models.integrity import DIGEST_KEY, file_digest, read_weights

FORMAT = "robosmplx-model"
VERSION = 1
_SHOW = 12  # keys listed per category before "... and N more"


def _listing(title: str, keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOW])
    more = f" ... and {len(keys) - _SHOW} more" if len(keys) > _SHOW else ""
    return f"{title} ({len(keys)}): {shown}{more}"


def state_dict_mismatch(expected: dict[str, Tensor], given: dict[str, Tensor]) -> dict:
    """Missing, unexpected and shape-mismatched keys of ``given`` against ``expected``.

    A missing BatchNorm ``num_batches_tracked`` counter (older checkpoints) is not an error.
    """
    missing = sorted(
        k for k in expected if k not in given and not k.endswith("num_batches_tracked")
    )
    unexpected = sorted(k for k in given if k not in expected)
    shapes = sorted(
        f"{k} {tuple(given[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in given and tuple(given[k].shape) != tuple(expected[k].shape)
    )
    return {"missing": missing, "unexpected": unexpected, "shape_mismatch": shapes}


def load_state_strict(module: nn.Module, state: dict[str, Tensor], source: str) -> None:
    """``module.load_state_dict(state)`` after a full key and shape check.

    Raises :class:`CheckpointError` naming ``source`` and listing every problem key.
    """
    expected = module.state_dict()
    report = state_dict_mismatch(expected, state)
    if any(report.values()):
        lines = [f"{source}: weights do not match the model"]
        if report["missing"]:
            lines.append(_listing("missing keys", report["missing"]))
        if report["unexpected"]:
            lines.append(_listing("unexpected keys", report["unexpected"]))
        if report["shape_mismatch"]:
            lines.append(_listing("shape mismatches", report["shape_mismatch"]))
        lines.append(
            "check that the file was saved from the same architecture and body model "
            "(compare its .yaml config with the one you build)"
        )
        raise CheckpointError("; ".join(lines))
    full = dict(state)
    for k, v in expected.items():  # fill tolerated num_batches_tracked gaps
        full.setdefault(k, v)
    module.load_state_dict(full, strict=True)


def _kinds() -> dict[str, tuple[type, type]]:
    from robosmplx.models.hmr import HMR, HMRConfig
    from robosmplx.models.subnetwork import SubNetwork, SubNetworkConfig
    from robosmplx.models.wholebody import WholeBodyConfig, WholeBodyNetwork

    return {
        "subnetwork": (SubNetworkConfig, SubNetwork),
        "wholebody": (WholeBodyConfig, WholeBodyNetwork),
        "hmr": (HMRConfig, HMR),
    }


def model_class(cfg) -> type:
    """The network class a config object builds."""
    for cfg_cls, cls in _kinds().values():
        if isinstance(cfg, cfg_cls):
            return cls
    raise ConfigError(f"{type(cfg).__name__} is not a robosmplx network config")


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
    if kind not in _kinds():
        raise CheckpointError(
            f"cannot save {type(model).__name__}: only robosmplx networks "
            f"({', '.join(_kinds())}) carry a config to save"
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
    kinds = _kinds()
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


def without_pretrained(cfg):
    """``cfg`` with every backbone's ``weights`` file cleared (a checkpoint supersedes them, and
    the pretrained file need not exist where the checkpoint is loaded)."""
    from robosmplx.models.backbones import BackboneConfig

    if isinstance(cfg, BackboneConfig):
        return dataclasses.replace(cfg, weights=None)
    if dataclasses.is_dataclass(cfg):
        changes = {
            f.name: without_pretrained(getattr(cfg, f.name))
            for f in dataclasses.fields(cfg)
            if dataclasses.is_dataclass(getattr(cfg, f.name))
        }
        return dataclasses.replace(cfg, **changes)
    return cfg


def load_model(path: str | Path, map_location: str = "cpu") -> nn.Module:
    """Rebuild the network from the config beside ``path`` and load its weights strictly.

    The returned model's config is the saved one (pretrained backbone paths included, as a
    record); those files are not read again.
    """
    weights, _ = _paths(path)
    kind, cfg = read_model_config(weights)
    if not weights.is_file():
        raise CheckpointError(f"{weights}: weights file not found")
    _, model_cls = _kinds()[kind]
    model = model_cls(without_pretrained(cfg))
    model.config = cfg
    state = read_weights(weights, map_location)
    load_state_strict(model, state, source=str(weights))
    return model
