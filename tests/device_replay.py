"""Run code on a device this machine does not have, and catch device mix-ups.

The code runs twice: first on the CPU under :class:`Record`, which notes, per ATen operation,
its outputs' shapes and dtypes in call order, and every tensor-to-Python value read
(``bool(t)``, ``t.item()``); then on PyTorch's ``meta`` device (shapes without data) under
:class:`Replay`, which answers those reads, and the operations whose output shape depends on
data (``nonzero``, boolean masks), from the record (the n-th call of an operation gets the n-th
answer, per calling line), so the meta run takes the same branches. Every operation of the meta run is checked: a
tensor with dimensions still on the CPU next to meta tensors is a device mix-up (the kind that
fails on a GPU: a buffer not moved, a tensor created without ``device=``), reported with the
operation's name. CPU scalars (0-dim) mix with any device, as on CUDA. Copies off the device
get zeros (their values are unknown; only shapes and devices are checked).
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

SCALAR = torch.ops.aten._local_scalar_dense.default
COPIES = ("aten::_to_copy", "aten::to.")  # (under inference mode ``to`` itself is dispatched)
# transfers may take CPU tensors; indexing takes CPU index tensors (PyTorch moves them)
CROSS_DEVICE = {
    "aten::_to_copy",
    "aten::copy_",
    "aten::lift_fresh",
    "aten::to.device",
    "aten::to.dtype_layout",
    "aten::to.other",
}
INDEXING = {"aten::index.Tensor", "aten::index_put_", "aten::index_put", "aten::_index_put_impl_"}


_TORCH = os.path.dirname(torch.__file__)


def _site(name: str) -> str:
    """An operation's key: its name and the calling line outside torch (a device's kernels may
    read values the other's do not, e.g. one_hot on the CPU; keys keep the answers apart)."""
    f = sys._getframe(2)
    while f is not None and (
        f.f_code.co_filename.startswith(_TORCH) or f.f_code.co_filename == __file__
    ):
        f = f.f_back
    return name if f is None else f"{name}@{f.f_code.co_filename}:{f.f_lineno}"


class DeviceMixUp(AssertionError):
    """An operation mixed CPU tensors with tensors on the device."""


class _Spec:
    """A recorded tensor output: shape and dtype (not a pytree container)."""

    def __init__(self, t: torch.Tensor):
        self.shape, self.dtype = tuple(t.shape), t.dtype


def _shape(t):
    return _Spec(t) if isinstance(t, torch.Tensor) else t


def _meta(x):
    return torch.empty(x.shape, dtype=x.dtype, device="meta") if isinstance(x, _Spec) else x


class Record(TorchDispatchMode):
    """The CPU run: per operation, its outputs (or the value read) in call order."""

    def __init__(self):
        super().__init__()
        self.log: dict[str, list] = defaultdict(list)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.log[_site(func.name())].append(out if func is SCALAR else tree_map(_shape, out))
        return out


class Replay(TorchDispatchMode):
    """The meta run: every operation device-checked, data-dependent answers replayed."""

    def __init__(self, record: Record):
        super().__init__()
        self.log = record.log
        self.calls: dict[str, int] = defaultdict(int)
        self.reads = 0

    def _answer(self, name: str):
        n = self.calls[name] - 1
        answers = self.log.get(name, [])
        if n >= len(answers):
            raise AssertionError(f"{name}: call {n + 1} on the device, {len(answers)} on the CPU")
        return answers[n]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.name()
        key = _site(name)
        self.calls[key] += 1
        tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        on_meta = any(t.device.type == "meta" for t in tensors)
        if on_meta and name not in CROSS_DEVICE:
            checked = [a for i, a in enumerate(args) if i != 1] if name in INDEXING else tensors
            checked = [t for t in tree_flatten(checked)[0] if isinstance(t, torch.Tensor)]
            stray = [t for t in checked if t.device.type == "cpu" and t.dim() > 0]
            if stray:
                raise DeviceMixUp(
                    f"{name}: CPU tensor of shape {tuple(stray[0].shape)} mixed with tensors on "
                    "the device"
                )
        if func is SCALAR:
            self.reads += 1
            answer = self._answer(key)
            return answer if on_meta else func(*args, **kwargs)
        target = _target(args, kwargs) if name.startswith(COPIES) else None
        if target is not None and target.type != "meta" and args[0].device.type == "meta":
            dtype = next(
                (a for a in (*args[1:], *kwargs.values()) if isinstance(a, torch.dtype)), None
            )
            return torch.zeros(args[0].shape, dtype=dtype or args[0].dtype, device=target)
        try:
            return func(*args, **kwargs)
        except (NotImplementedError, RuntimeError) as e:
            if "same device" in str(e) or not on_meta:
                raise
            return tree_map(_meta, self._answer(key))  # shape depends on data: the CPU run's


def _target(args, kwargs) -> torch.device | None:
    """The device a copy goes to, if it names one."""
    for a in (*args[1:], *kwargs.values()):
        if isinstance(a, (torch.device, str)) and not isinstance(a, torch.dtype):
            try:
                return torch.device(a)
            except RuntimeError:
                continue
    return None


def to_device(obj, device="meta"):
    """Tensors of a (nested) batch moved to ``device``."""
    return tree_map(lambda t: t.to(device) if isinstance(t, torch.Tensor) else t, obj)
