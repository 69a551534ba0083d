"""``robosmplx demo`` on the bundled synthetic examples, and the examples' ground truth."""

import json

import numpy as np
import pytest
import torch

from infer_support import small_checkpoint
from robosmplx.cli import main
from robosmplx.geometry.camera import project
from robosmplx.infer import loading
from robosmplx.infer.examples import EXAMPLES_DIR, load_examples, true_mesh


def test_bundled_examples_are_small_and_consistent(anny_small):
    files = list(EXAMPLES_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 500_000
    examples = load_examples()
    assert len(examples) >= 3 and examples[0].body_model == "anny"
    for e in examples:  # the true mesh projects onto the true person box
        v, _ = true_mesh(anny_small, e)
        uv = project(torch.as_tensor(v)[None], torch.as_tensor(e.K)[None])[0].numpy()
        x, y, w, h = e.bbox
        inside = (
            (uv[:, 0] > x - 5)
            & (uv[:, 0] < x + w + 5)
            & (uv[:, 1] > y - 5)
            & (uv[:, 1] < y + h + 5)
        )
        assert inside.mean() > 0.95


def test_demo_runs_and_reports_errors(tmp_path, capsys):
    ckpt = small_checkpoint(tmp_path)
    out = tmp_path / "demo"
    code = main(["demo", "--refine", "none",
                 "--checkpoint", str(ckpt), "--out", str(out), "--rounds", "1",
                 "--mesh-format", "none", "--json"])  # fmt: skip
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    n = len(load_examples())
    assert len(rep["per_example"]) == n and all(e["matched"] for e in rep["per_example"])
    assert rep["pa_pve_mm"] > 0 and rep["pve_mm"] >= rep["pa_pve_mm"]
    assert np.isclose(rep["pa_pve_mm"], np.mean([e["pa_pve_mm"] for e in rep["per_example"]]))
    assert len(rep["pictures"]) == 2 * n and all(p.endswith(".png") for p in rep["pictures"])
    assert all((tmp_path / "demo").joinpath(p).exists() or p for p in rep["outputs"])
    assert sorted(p.name for p in out.iterdir())[:n] == [f"example_{i}" for i in range(n)]


def test_demo_without_default_checkpoint_names_it(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "assets" / "default" / "model.safetensors"
    monkeypatch.setattr(loading, "DEFAULT_CHECKPOINT", missing)
    code = main(["demo", "--refine", "none", "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2 and str(missing) in err and "--checkpoint" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "d").exists()
    with pytest.raises(Exception, match="missing"):
        loading.resolve_checkpoint(None)


def test_examples_regenerate_with_the_synth_engine(tmp_path, anny_small):
    from robosmplx.infer.examples import make_examples

    written = make_examples(tmp_path, count=1, size=128)
    assert [p.name for p in written] == ["example_0.jpg", "ground_truth.npz"]
    (e,) = load_examples(tmp_path)
    v, _ = true_mesh(anny_small, e)
    uv = project(torch.as_tensor(v)[None], torch.as_tensor(e.K)[None])[0].numpy()
    centre = e.bbox[:2] + e.bbox[2:] / 2
    assert np.abs(uv.mean(0) - centre).max() < 0.25 * e.bbox[2:].max()
