"""The README's "What else it does" block runs as written, in order, from an empty folder: each
command is parsed from the README and run with options appended that only shrink it (fewer and
smaller samples, one training step, the small Anny mesh)."""

import shlex
from pathlib import Path

import pytest

from robosmplx.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

# appended to each command (argparse keeps the last value of a repeated option)
TINY = {
    "synth": ["--count", "2", "--size", "64", "--workers", "1", "--body-model", "anny-small",
              "--no-progress", "--json"],
    "train": ["body_model=anny-small", "trainer.max_steps=1", "data.batch_size=1",
              "data.num_workers=0", "trainer.limit_val_batches=1", "model.overrides.width=0.25",
              "model.overrides.out_channels=32", "model.overrides.heatmap_depth=4",
              "model.overrides.hidden=32", "model.overrides.segm_channels=8", "--json"],
    "eval": ["--limit", "2", "--workers", "0", "--batch-size", "2", "--no-progress", "--json"],
    "robustness": ["--limit", "2", "--workers", "0", "--batch-size", "2", "--no-progress",
                   "--perturbations", "translate_x", "--magnitudes", "translate_x=0.2",
                   "--no-positional", "--no-plots"],
    "ablate": ["--steps", "1", "--seeds", "0", "--rows", "full", "--body-model", "anny-small",
               "--batch-size", "1", "--no-robustness", "--test-limit", "2", "--quiet",
               "--set", "data.num_workers=0"],
    "export-onnx": ["--json"],
    "bench": ["--runs", "1", "--warmup", "0", "--batch", "1", "--body", "anny-small",
              "--threads", "1"],
}  # fmt: skip


def readme_commands() -> list[list[str]]:
    """The ``robosmplx`` lines of the README's "What else it does" block, comments removed."""
    text = README.read_text()
    section = text[text.index("## What else it does") :]
    block = section[section.index("```bash") + len("```bash") : section.index("```\n", 8)]
    return [shlex.split(line, comments=True) for line in block.strip().splitlines()]


def test_readme_block_names_every_command():
    commands = readme_commands()
    assert all(c[0] == "robosmplx" for c in commands)
    assert [c[1] for c in commands[:2]] == ["synth", "train"]
    assert {c[1] for c in commands} <= set(TINY)


@pytest.mark.slow  # 15-30 s: nine commands, five training stages
def test_readme_walkthrough_runs_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for argv in readme_commands():
        rc = main([*argv[1:], *TINY[argv[1]]])
        out = capsys.readouterr()
        assert rc == 0, f"{shlex.join(argv)} failed: {out.err[-2000:]}"
    assert Path("runs/cpu/wholebody_finetune/final/model.safetensors").is_file()
    assert Path("wholebody.onnx").is_file() and list(Path("robustness").iterdir())


def test_schedule_datasets_are_what_train_reads(tmp_path, monkeypatch, capsys):
    from robosmplx.synth.cli import SCHEDULES
    from robosmplx.synth.schedule import schedule_datasets
    from robosmplx.train.stages import SCHEDULE_SETS

    assert SCHEDULES == SCHEDULE_SETS
    sets = schedule_datasets("cpu")
    assert [(d.path, d.count, d.seed) for d in sets[:2]] == [
        ("data/synth/hand", 200, 0),
        ("data/synth/hand_val", 32, 1),
    ]
    assert {d.task for d in sets} == {"hand", "face", "body", "wholebody"} and len(sets) == 8
    assert schedule_datasets("default")[0].command() == (
        "robosmplx synth --task hand --count 2000 --out data/synth/hand --seed 1001"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--schedule", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "8 dataset(s)" in err
    assert err.endswith("robosmplx synth --schedule cpu")
    assert main(["synth", "--schedule", "paper"]) == 2
    assert "real datasets" in capsys.readouterr().err
