"""Nested training state (dicts, lists, numbers, tensors) as safetensors + JSON, no pickles.

A trainer's resumable state is a tree: optimiser moments and RNG states are tensors, loop
counters and hyper-parameters are plain values, some dicts have integer keys (optimiser state per
parameter index) and a learning-rate schedule keeps a ``Counter`` of milestones. The tree is
written as two files: ``NAME.safetensors`` with every tensor (keyed ``t0``, ``t1``, ... in
traversal order) and ``NAME.json`` with the structure, tensors replaced by references.

Values JSON cannot hold exactly are tagged ``{"__type__": ...}``: tuples, dicts with non-string
keys, ``Counter``, non-finite floats, numpy arrays and scalars, tensors. Anything else is refused
with the path of the offending entry, so a checkpoint never needs code to be read back.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from robosmplx.errors import CheckpointError

FORMAT = "robosmplx-train-state"
VERSION = 1
TAG = "__type__"


class _Encoder:
    """Walks a tree, moving tensors to a flat dict and returning the JSON-able structure."""

    def __init__(self) -> None:
        self.tensors: dict[str, Tensor] = {}

    def tensor(self, t: Tensor, kind: str = "tensor") -> dict:
        key = f"t{len(self.tensors)}"
        self.tensors[key] = t.detach().to("cpu").contiguous().clone()
        return {TAG: kind, "key": key}

    def __call__(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {TAG: "float", "value": repr(value)}
        if isinstance(value, Tensor):
            return self.tensor(value)
        if isinstance(value, np.ndarray):
            return self.tensor(torch.from_numpy(np.ascontiguousarray(value)), "ndarray")
        if isinstance(value, np.generic):
            return self(value.item(), where)
        if isinstance(value, Path):
            return {TAG: "path", "value": str(value)}
        if isinstance(value, Counter):
            return {TAG: "counter", "items": self._items(value, where)}
        if isinstance(value, Mapping):
            if all(isinstance(k, str) for k in value) and TAG not in value:
                return {k: self(v, f"{where}.{k}") for k, v in value.items()}
            return {TAG: "dict", "items": self._items(value, where)}
        if isinstance(value, tuple):
            return {TAG: "tuple", "items": [self(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        raise CheckpointError(
            f"cannot store {type(value).__name__} at {where}: training checkpoints hold only "
            "tensors, numbers, strings, lists and dicts (no pickled objects)"
        )

    def _items(self, mapping: Mapping, where: str) -> list:
        return [[self(k, f"{where}<key>"), self(v, f"{where}[{k!r}]")] for k, v in mapping.items()]


def _decode(value: Any, tensors: dict[str, Tensor], where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors, where) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: _decode(v, tensors, f"{where}.{k}") for k, v in value.items()}
    if tag in ("tensor", "ndarray"):
        key = value["key"]
        if key not in tensors:
            raise CheckpointError(f"{where}: tensor {key} is missing from the .safetensors file")
        t = tensors[key]
        return t.numpy() if tag == "ndarray" else t
    if tag == "float":
        return float(value["value"])
    if tag == "path":
        return Path(value["value"])
    if tag == "tuple":
        return tuple(_decode(v, tensors, where) for v in value["items"])
    if tag in ("dict", "counter"):
        pairs = [
            (_decode(k, tensors, where), _decode(v, tensors, where)) for k, v in value["items"]
        ]
        return Counter(dict(pairs)) if tag == "counter" else dict(pairs)
    raise CheckpointError(f"{where}: unknown entry type {tag!r}; written by a newer robosmplx?")


def encode_tree(tree: Any) -> tuple[Any, dict[str, Tensor]]:
    """(JSON-able structure, flat tensors) of ``tree``; raises CheckpointError on other types."""
    enc = _Encoder()
    return enc(tree, "state"), enc.tensors


def decode_tree(structure: Any, tensors: dict[str, Tensor]) -> Any:
    """Inverse of :func:`encode_tree`."""
    return _decode(structure, tensors, "state")


def save_tree(tree: Any, stem: str | Path) -> tuple[Path, Path]:
    """Write ``stem.json`` and ``stem.safetensors`` atomically; returns both paths."""
    from safetensors.torch import save_file

    from robosmplx.io import atomic_write, atomic_write_text

    stem = Path(stem)
    structure, tensors = encode_tree(tree)
    st_path, js_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    atomic_write(st_path, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT}))
    doc = {"format": FORMAT, "version": VERSION, "state": structure}
    atomic_write_text(js_path, json.dumps(doc, indent=1, allow_nan=False))
    return js_path, st_path


def load_tree(stem: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """Read a tree written by :func:`save_tree`."""
    from safetensors.torch import load_file

    stem = Path(stem)
    st_path, js_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    for p in (st_path, js_path):
        if not p.is_file():
            raise CheckpointError(f"{p}: training-state file missing; the checkpoint is incomplete")
    try:
        doc = json.loads(js_path.read_text())
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{js_path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{js_path}: not a robosmplx training state (format {FORMAT})")
    try:
        tensors = load_file(str(st_path), device=str(map_location))
    except Exception as e:
        raise CheckpointError(f"{st_path}: cannot read tensors ({type(e).__name__}: {e})") from None
    return decode_tree(doc["state"], tensors)
