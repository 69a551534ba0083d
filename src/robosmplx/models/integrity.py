"""Checkpoint integrity: the weights file's SHA-256 in the YAML beside it, and finite weights.

:func:`save_model` and the training checkpoint writer record ``sha256: HEX`` of the
``.safetensors`` file; every load verifies it (checkpoints without one, older ones, skip
that check) and then refuses weights holding NaN or infinity, so a damaged file is refused
before any prediction instead of producing nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml
from torch import Tensor

from robosmplx.errors import CheckpointError
from robosmplx.io import file_digest

DIGEST_KEY = "sha256"


def _damaged(weights: Path, why: str) -> CheckpointError:
    return CheckpointError(
        f"{weights}: checkpoint is damaged ({why}); copy or download it again, or retrain it"
    )


def verify_digest(weights: Path) -> None:
    """Compare ``weights`` with the digest its YAML records (nothing to do when none is)."""
    try:
        doc = yaml.safe_load(weights.with_suffix(".yaml").read_text())
    except (OSError, yaml.YAMLError):
        return  # the config reader reports those
    want = doc.get(DIGEST_KEY) if isinstance(doc, dict) else None
    if not want:
        return
    try:
        have = file_digest(weights)
    except OSError:
        return  # the weights reader reports it
    if have != str(want):
        raise _damaged(weights, f"its SHA-256 is not the {DIGEST_KEY} recorded in its .yaml")


def _finite(v: Tensor) -> bool:
    if v.device.type == "cpu" and v.dtype != torch.bfloat16:  # numpy: ~50x faster for float16
        return bool(np.isfinite(v.numpy()).all())
    return bool(torch.isfinite(v).all())


def check_finite(state: dict[str, Tensor], weights: Path) -> None:
    """Refuse weights with NaN or infinite values, naming the first bad tensors."""
    bad = sorted(k for k, v in state.items() if v.is_floating_point() and not _finite(v))
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise _damaged(weights, f"{len(bad)} weight tensors hold NaN or infinity: {shown}")


def read_weights(weights: str | Path, device: str = "cpu") -> dict[str, Tensor]:
    """The tensors of a checkpoint's ``.safetensors`` file, after the digest check and before
    the finite check; :class:`CheckpointError` when the file is unreadable or damaged."""
    from safetensors.torch import load_file

    weights = Path(weights)
    verify_digest(weights)
    try:
        state = load_file(str(weights), device=device)
    except OSError as e:
        raise CheckpointError(f"{weights}: cannot read weights ({type(e).__name__}: {e})") from None
    except Exception as e:  # safetensors raises its own error types for a malformed file
        raise _damaged(weights, f"not a readable safetensors file: {e}") from None
    check_finite(state, weights)
    return state
