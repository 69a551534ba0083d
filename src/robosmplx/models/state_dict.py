"""State-dict checks, the ground floor of checkpoint I/O: every missing, unexpected or
shape-mismatched key named before anything is loaded. Imports no network module."""

from __future__ import annotations

from torch import Tensor, nn

from robosmplx.errors import CheckpointError

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
