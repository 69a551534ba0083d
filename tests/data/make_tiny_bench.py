"""Regenerate tests/data/tiny_bench: a few synthetic whole-body samples with full ground truth.

    python tests/data/make_tiny_bench.py

Uses the synthetic engine (robosmplx.synth) with the small Anny model at 128 px and copies what
the benchmark needs (the HumanData file, JPEG images, part maps, the synth settings) next to this
script; the per-sample records are left behind. The result stays under 300 KB.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "tiny_bench"
COUNT, SIZE, SEED = 4, 128, 0
KEEP = ("humandata.npz", "synth_config.json", "images", "parts")
LIMIT_BYTES = 300_000


def main() -> int:
    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import generate

    cfg = SynthConfig(task="wholebody", size=SIZE, seed=SEED, body_model="anny-small")
    with tempfile.TemporaryDirectory() as tmp:
        generate(cfg, COUNT, tmp, workers=1, progress=False)
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        for name in KEEP:
            src = Path(tmp) / name
            if src.is_dir():
                shutil.copytree(src, OUT / name)
            else:
                shutil.copy(src, OUT / name)
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"{OUT}: {COUNT} samples, {total / 1000:.0f} KB")
    if total > LIMIT_BYTES:
        print(f"too large: keep the tiny benchmark under {LIMIT_BYTES // 1000} KB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
