"""Shared helpers of the inference tests: one random-weight ``small`` checkpoint for anny-small
per test session, synthetic pictures and clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "src" / "robosmplx" / "assets" / "examples"


def small_checkpoint(base: Path, body: str = "anny-small", preset: str = "small") -> Path:
    """A random-weight checkpoint (``.safetensors`` + ``.yaml`` naming its body model), made
    once per ``base`` folder and body model."""
    import torch

    from robosmplx.models import build_model, save_model

    stem = base / f"ckpt_{preset}_{body}"
    weights = stem.with_suffix(".safetensors")
    if weights.is_file():
        return weights
    torch.manual_seed(0)
    sized_for = body
    if body == "smplx":
        from robosmplx.models.signature import smplx_signature

        sized_for = smplx_signature()
    net = build_model(preset, body=sized_for)
    save_model(net, stem)
    cfg = stem.with_suffix(".yaml")
    doc = yaml.safe_load(cfg.read_text())
    doc["body_model"] = body
    cfg.write_text(yaml.safe_dump(doc, sort_keys=False))
    return weights


def example_png(dest: Path, index: int = 0, size: int | None = None) -> Path:
    """A bundled synthetic example re-saved losslessly (optionally resized to ``size``)."""
    from PIL import Image

    im = Image.open(EXAMPLES / f"example_{index}.jpg").convert("RGB")
    if size is not None:
        im = im.resize((size, size), Image.BILINEAR)
    dest.parent.mkdir(parents=True, exist_ok=True)
    im.save(dest)
    return dest


def write_clip(
    path: Path, frames: int = 6, size: int = 128, seed: int = 0, noise: float = 12.0
) -> Path:
    """A short MJPG clip of a bundled example drifting sideways, with per-frame noise."""
    import cv2
    from PIL import Image

    base = np.asarray(Image.open(EXAMPLES / "example_0.jpg").convert("RGB").resize((size, size)))
    rng = np.random.default_rng(seed)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (size, size))
    for i in range(frames):
        shifted = np.roll(base, i, axis=1).astype(np.float64) + rng.normal(0, noise, base.shape)
        writer.write(cv2.cvtColor(np.clip(shifted, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def break_frame(src: Path, dst: Path, frame: int) -> Path:
    """Copy an MJPG clip with one frame's JPEG data zeroed (the decoder cannot read it)."""
    data = bytearray(src.read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    lo, hi = starts[frame], starts[frame + 1]
    data[lo : hi - 8] = bytes(hi - 8 - lo)
    dst.write_bytes(bytes(data))
    return dst
