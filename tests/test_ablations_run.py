"""`robosmplx ablate` end to end at a micro budget: two rows x one seed train, score, skip on a
rerun, refuse a changed config, and write a document whose tables hold numbers."""

import argparse
import json
import re

import pytest

from robosmplx.ablate import cli
from robosmplx.ablate.runner import check_held_out
from robosmplx.errors import ConfigError, DataError
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate

TINY = [
    "model.overrides.input_size=64", "model.overrides.width=0.25",
    "model.overrides.out_channels=64", "model.overrides.heatmap_depth=8",
    "model.overrides.hidden=64", "model.overrides.segm_channels=16", "augment.crop_size=64",
    "data.num_workers=0",
]  # fmt: skip
NUMBER = re.compile(r"^-?\d+\.\d\d$")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Four training and three test hand crops of 64 px, from different synth seeds."""
    root = tmp_path_factory.mktemp("synth")
    for name, seed, count in (("train", 0, 4), ("test", 1, 3)):
        cfg = SynthConfig(task="hand", size=64, body_model="anny-small", frame_size=256, seed=seed)
        generate(cfg, count, root / name, progress=False)
    return root


def _args(data, out, *extra):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(
        ["--data", str(data / "train"), "--test", str(data / "test"), "--steps", "2",
         "--seeds", "0", "--rows", "hmr", "full", "--out", str(out), "--doc", str(out / "abl.md"),
         "--body-model", "anny-small", "--batch-size", "2", "--quiet", "--set", *TINY, *extra]
    )  # fmt: skip


def _cells(doc: str, heading: str, row: str) -> list[str]:
    section = doc[doc.index(f"## {heading}") :]
    line = next(x for x in section.splitlines() if x.startswith("| ") and f"(`{row}`)" in x)
    return [c.strip() for c in line.strip("|").split("|")]


def test_two_rows_train_score_skip_and_document(data, tmp_path, capsys):
    out = tmp_path / "abl"
    assert cli.run(_args(data, out)) == 0
    log = capsys.readouterr().out
    assert log.count("ablate: training") == 2 and "2 of 22 runs scored" in log
    finals = {r: out / r / "seed0" / "final" / "model.safetensors" for r in ("hmr", "full")}
    assert all(f.is_file() for f in finals.values())
    stamps = {r: (f.stat().st_mtime_ns, (f.parent.parent / "eval.json").stat().st_mtime_ns)
              for r, f in finals.items()}  # fmt: skip

    doc = (out / "abl.md").read_text()
    header = _cells(doc, "Table 11", "hmr")
    assert len(header) == 7
    for row in ("hmr", "full"):
        cells = _cells(doc, "Table 11", row)
        assert all(NUMBER.match(c) for c in cells[2:6]), cells
    assert _cells(doc, "Table 11", "lf-all")[2] == "not yet measured"
    t4 = _cells(doc, "Table 4", "full")
    assert len(t4) == 8 and all(re.match(r"^\d+\.\d\d / \d+\.\d\d$", c) for c in t4[1:]), t4
    assert "**Verdict:** mean error rise" in doc

    results = json.loads((out / "results.json").read_text())
    hmr = next(r for r in results["runs"] if r["row"] == "hmr")
    assert hmr["state"] == "done" and set(hmr["eval"]["metrics"]) >= {
        "pa_mpjpe",
        "mpjpe",
        "pa_pve",
        "pve",
    }
    assert hmr["train"]["global_step"] == 2 and hmr["eval"]["num_samples"] == 3

    assert cli.run(_args(data, out)) == 0  # the rerun trains and scores nothing
    assert "ablate: training" not in capsys.readouterr().out
    for r, f in finals.items():
        assert (f.stat().st_mtime_ns, (f.parent.parent / "eval.json").stat().st_mtime_ns) == stamps[
            r
        ]

    assert cli.run(_args(data, out, "--dry-run")) == 0
    plan = capsys.readouterr().out
    assert "hmr seed 0 [done]" in plan and "full seed 0 [done]" in plan

    with pytest.raises(ConfigError, match="another config"):
        cli.run(_args(data, out, "optim.lr=1e-3"))


def test_test_set_must_be_held_out(data, tmp_path):
    train = data / "train"
    with pytest.raises(DataError, match="is the training data"):
        check_held_out(train, train / "humandata.npz")
    same = tmp_path / "same_seed"
    same.mkdir()
    (same / "synth_config.json").write_text((train / "synth_config.json").read_text())
    with pytest.raises(DataError, match="seed 0"):
        check_held_out(train, same / "humandata.npz")
    check_held_out(train, data / "test" / "humandata.npz")
