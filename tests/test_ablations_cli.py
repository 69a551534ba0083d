"""`robosmplx ablate --dry-run`: inputs checked before anything runs, the training time
estimated from measured per-step costs, and the document never replacing a file it does not
own unless asked."""

import json

import pytest

from robosmplx.ablate.estimate import REFERENCE_SECONDS_PER_STEP, format_duration
from robosmplx.cli import main


@pytest.fixture
def sets(tmp_path):
    for name, seed in (("train", 0), ("test", 1)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "humandata.npz").write_bytes(b"")
        (tmp_path / name / "synth_config.json").write_text(json.dumps({"seed": seed}))
    return tmp_path


def _dry(sets, *extra):
    return ["ablate", "--data", str(sets / "train"), "--test", str(sets / "test"),
            "--out", str(sets / "runs"), "--rows", "hmr", "full", "--seeds", "0",
            "--dry-run", *extra]  # fmt: skip


def test_dry_run_estimates_from_the_reference_then_from_finished_runs(sets, capsys):
    assert main(_dry(sets, "--json")) == 0
    est = json.loads(capsys.readouterr().out)["estimate"]
    assert est["runs_to_train"] == 2 and est["steps_to_train"] == 600
    assert est["estimated_training_s"] == pytest.approx(600 * REFERENCE_SECONDS_PER_STEP, abs=0.1)
    run = sets / "runs" / "hmr" / "seed0"
    run.mkdir(parents=True)
    (run / "train_result.json").write_text(json.dumps({"seconds": 30.0, "global_step": 300}))
    assert main(_dry(sets, "--json")) == 0
    est = json.loads(capsys.readouterr().out)["estimate"]
    assert est["seconds_per_step"] == 0.1 and est["estimated_training_s"] == pytest.approx(60.0)
    assert main(_dry(sets)) == 0
    assert "estimated training time: 1 min for 2 runs (600 steps" in capsys.readouterr().out


def test_dry_run_checks_the_test_set_and_the_settings(sets, capsys):
    argv = _dry(sets)
    argv[argv.index("--test") + 1] = str(sets / "missing")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "missing: test set not found" in err and len(err.strip().splitlines()) == 1
    argv = _dry(sets)
    argv[argv.index("--test") + 1] = str(sets / "train")
    assert main(argv) == 2 and "training data" in capsys.readouterr().err
    assert main(_dry(sets, "--steps", "0")) == 2 and "--steps" in capsys.readouterr().err


def test_doc_outside_out_is_replaced_only_with_force(sets, capsys):
    doc = sets / "ablations.md"
    doc.write_text("committed\n")
    assert main(_dry(sets, "--doc", str(doc))) == 2
    assert "--force" in capsys.readouterr().err
    assert main(_dry(sets, "--doc", str(doc), "--force")) == 0
    assert f"document {doc}" in capsys.readouterr().out
    assert main(_dry(sets)) == 0  # the default is the run folder's own document
    assert f"document {sets / 'runs' / 'ablations.md'}" in capsys.readouterr().out


def test_format_duration():
    assert [format_duration(s) for s in (40, 840, 11520)] == ["40 s", "14 min", "3 h 12 min"]
