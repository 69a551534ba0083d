"""What a hostile or careless user does: each case gets one line naming the file and what to
do, the right exit code, and leaves nothing behind after a rerun."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from infer_support import example_png, small_checkpoint
from robosmplx.cli import main


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return small_checkpoint(tmp_path_factory.getbasetemp())


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _copy_checkpoint(ckpt, dest):
    dest.write_bytes(ckpt.read_bytes())
    dest.with_suffix(".yaml").write_bytes(ckpt.with_suffix(".yaml").read_bytes())
    return dest


def _overwrite(path, offset: int, data: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))


# 2. a damaged checkpoint is refused before any prediction


def test_saved_checkpoint_records_its_digest(ckpt):
    from robosmplx.models.integrity import file_digest

    doc = yaml.safe_load(ckpt.with_suffix(".yaml").read_text())
    assert doc["sha256"] == file_digest(ckpt)


@pytest.mark.parametrize("digest", [True, False])
def test_damaged_checkpoint_is_refused(ckpt, tmp_path, capsys, digest):
    bad = _copy_checkpoint(ckpt, tmp_path / "bad.safetensors")
    if not digest:  # an older checkpoint (or the bundled one): only the finite check applies
        doc = yaml.safe_load(bad.with_suffix(".yaml").read_text())
        doc.pop("sha256")
        bad.with_suffix(".yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    _overwrite(bad, bad.stat().st_size // 2, b"\xff" * 4096)  # NaN weights
    img = example_png(tmp_path / "x.png", 0, 64)
    out = tmp_path / "o"
    code, _, err = run_cli(["predict", img, "--out", out, "--checkpoint", bad], capsys)
    line = _one_line(err)
    assert code == 2 and "damaged" in line and str(bad) in line
    assert ("SHA-256" in line) == digest and not out.exists()


def test_unparseable_checkpoint_is_damaged(ckpt, tmp_path):
    from robosmplx.errors import CheckpointError
    from robosmplx.models import load_model

    bad = _copy_checkpoint(ckpt, tmp_path / "cut.safetensors")
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 3])
    with pytest.raises(CheckpointError, match="damaged"):
        load_model(bad)


def test_bundled_checkpoint_still_loads():
    from robosmplx.infer.loading import default_checkpoint
    from robosmplx.models import load_model

    assert load_model(default_checkpoint()).kind == "wholebody"
