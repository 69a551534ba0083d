"""What a hostile or careless user does: each case gets one line naming the file and what to
do, the right exit code, and leaves nothing behind after a rerun."""

from __future__ import annotations

import os
from pathlib import Path

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


# 3. processes committing the same output folder at once


def _commit_many(out: str, tag: str, n: int, errors) -> None:
    from pathlib import Path

    from robosmplx.infer.writer import OutputFolder

    for i in range(n):
        try:
            with OutputFolder(Path(out), "photo") as tmp:
                (tmp / "result.json").write_text(f"{tag} {i}")
        except Exception as e:  # counted, reported by the test
            errors.put(f"{type(e).__name__}: {e}")


def test_concurrent_commits_do_not_race(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_commit_many, args=(str(tmp_path), t, 300, errors)) for t in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert not found, f"{len(found)} failed commits, e.g. {found[0]}"
    assert [p.name for p in tmp_path.iterdir()] == ["photo"]
    assert (tmp_path / "photo" / "result.json").read_text() in ("a 299", "b 299")


def test_failed_commit_keeps_the_previous_folder(tmp_path):
    from robosmplx.io import commit_folder

    final = tmp_path / "photo"
    final.mkdir()
    (final / "result.json").write_text("before")
    with pytest.raises(FileNotFoundError):
        commit_folder(tmp_path / ".photo.partial-gone", final)
    assert [p.name for p in tmp_path.iterdir()] == ["photo"]
    assert (final / "result.json").read_text() == "before"


# 6. what a killed run left behind is cleaned by the rerun


def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_predict_rerun_removes_killed_leftovers(ckpt, tmp_path, capsys):
    img = example_png(tmp_path / "in" / "x.png", 0, 64)
    out = tmp_path / "o"
    dead = _dead_pid()
    stale = out / f".x.partial-{dead}-abcd1234"
    stale.mkdir(parents=True)
    (stale / "overlay.mp4").write_bytes(b"\0" * 1000)
    (out / f".summary.json.partial-{dead}-abcd.json").write_text("{")
    running = out / f".x.partial-{os.getpid()}-live"  # a live writer's: kept
    running.mkdir()
    code, _, _ = run_cli(
        ["predict", img, "--out", out, "--checkpoint", ckpt, "--rounds", 1, "--no-render",
         "--mesh-format", "none", "--quiet"], capsys,
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["x", "summary.json", running.name])


def test_training_checkpoint_save_removes_killed_leftovers(tmp_path):
    import torch

    from robosmplx.train.checkpoint import SafetensorsCheckpointIO, read_checkpoint

    ckdir = tmp_path / "checkpoints"
    stale = ckdir / f".step=00000010.partial-{_dead_pid()}-abcd1234"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"\0" * 1000)
    io = SafetensorsCheckpointIO({"format": "robosmplx-model", "kind": "hmr"})
    state = {"state_dict": {"net.w": torch.ones(3)}, "global_step": 20}
    io.save_checkpoint(state, ckdir / "step=00000020")
    io.save_checkpoint(state, ckdir / "step=00000020")  # replaced in place
    assert sorted(p.name for p in ckdir.iterdir()) == ["step=00000020"]
    assert read_checkpoint(ckdir / "step=00000020")["state_dict"]["net.w"].tolist() == [1, 1, 1]


# 4. eval and robustness take what predict takes, and default to the bundled model


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, anny_small):
    """A training run's layout around one tiny whole-body network."""
    import json

    from robosmplx.models import save_model
    from test_eval_pipeline import _tiny_wholebody

    run = tmp_path_factory.mktemp("run")
    net = _tiny_wholebody(anny_small, 0)
    save_model(net, run / "checkpoints" / "step=00000010" / "model")
    save_model(net, run / "final" / "model")
    (run / "checkpoints" / "last.json").write_text(json.dumps({"checkpoint": "step=00000010"}))
    return run


def test_eval_takes_checkpoint_folders(run_folder):
    from robosmplx.eval.evaluator import EvalOptions, Evaluator
    from test_eval_pipeline import BENCH

    for given in (run_folder, run_folder / "checkpoints" / "step=00000010", run_folder / "final"):
        ev = Evaluator(
            "synthetic", BENCH, given, body_model="anny-small",
            options=EvalOptions(progress=False, num_workers=0),
        )  # fmt: skip
        assert ev.checkpoint.name == "model.safetensors" and ev.net is not None
        assert ev.label == given.name


@pytest.mark.parametrize("command", ["eval", "robustness"])
def test_eval_and_robustness_default_to_the_bundled_model(
    run_folder, tmp_path, capsys, monkeypatch, command
):
    import json

    from robosmplx.infer import loading
    from test_eval_pipeline import BENCH

    monkeypatch.setattr(loading, "DEFAULT_CHECKPOINT", run_folder / "final" / "model.safetensors")
    args = [command, "--data", BENCH, "--body-model", "anny-small", "--workers", 0,
            "--no-progress", "--limit", 1, "--json"]  # fmt: skip
    if command == "robustness":
        args += ["--out", tmp_path / "r", "--perturbations", "rotation", "--magnitudes",
                 "rotation=30", "--no-positional", "--no-plots"]  # fmt: skip
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    res = json.loads(out[out.index("{") :])
    label = res["label"] if command == "eval" else res["runs"][0]["label"]
    assert label == "default"


def test_unreadable_and_pickled_checkpoints_are_named(ckpt, tmp_path, capsys, monkeypatch):
    from robosmplx.infer import loading

    img = example_png(tmp_path / "x.png", 0, 64)
    pth = tmp_path / "model.pth"
    pth.write_bytes(b"\x80\x04not really")
    code, _, err = run_cli(["predict", img, "--out", tmp_path / "o", "--checkpoint", pth], capsys)
    line = _one_line(err)
    assert code == 2 and str(pth) in line and "not a robosmplx checkpoint" in line
    locked = _copy_checkpoint(ckpt, tmp_path / "locked.safetensors")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads chmod-000 files: simulate a user who cannot
        monkeypatch.setattr(loading.os, "access", lambda p, mode: Path(p) != locked)
    code, _, err = run_cli(
        ["predict", img, "--out", tmp_path / "o", "--checkpoint", locked], capsys
    )
    line = _one_line(err)
    assert code == 2 and str(locked) in line and "permission denied" in line


# 8. arguments are checked before anything runs


def _parse_error(args, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    assert e.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.endswith("--help)")
    return line


def test_bad_arguments_are_refused_when_parsed(tmp_path, capsys):
    img = example_png(tmp_path / "x.png", 0, 64)
    afile = tmp_path / "taken"
    afile.write_text("a file")
    line = _parse_error(["predict", img, "--out", afile], capsys)
    assert "--out" in line and "is a file" in line
    for value in ("0", "-3", "big"):
        line = _parse_error(["predict", img, "--out", tmp_path / "o", "--max-side", value], capsys)
        assert "--max-side" in line and value in line
    line = _parse_error(["predict", img, "--out", tmp_path / "o", "--min-score", "2"], capsys)
    assert "--min-score" in line and "between 0 and 1" in line
    line = _parse_error(["eval", "--data", "x.npz", "--out", afile], capsys)
    assert "--out" in line and "is a file" in line
    line = _parse_error(["synth", "--count", "0", "--out", tmp_path / "s"], capsys)
    assert "--count" in line
    assert not (tmp_path / "o").exists()


def test_deeply_nested_box_file(tmp_path):
    from robosmplx.errors import InputError
    from robosmplx.infer.boxes_io import load_boxes

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="deep.json: JSON nested too deeply"):
        load_boxes(deep)
    nan = tmp_path / "nan.json"
    nan.write_text('{"a.png": [[1, 2, NaN, 4]]}')
    with pytest.raises(InputError, match="nan.json.*not a finite number"):
        load_boxes(nan)


def test_model_yaml_with_a_negative_size(ckpt, tmp_path, capsys):
    bad = _copy_checkpoint(ckpt, tmp_path / "neg.safetensors")
    doc = yaml.safe_load(bad.with_suffix(".yaml").read_text())
    doc["config"]["body"]["input_size"] = -5
    bad.with_suffix(".yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    img = example_png(tmp_path / "x.png", 0, 64)
    code, _, err = run_cli(["predict", img, "--out", tmp_path / "o", "--checkpoint", bad], capsys)
    line = _one_line(err)
    assert code == 2 and "neg.yaml" in line and "input_size: -5 must be positive" in line


# 5. a HumanData file without samples


def _empty_humandata(path):
    from robosmplx.data.humandata import load_humandata, save_humandata
    from test_eval_pipeline import BENCH

    hd = load_humandata(BENCH)
    n = hd.data_len
    data = {k: (v[:0] if v.ndim and v.shape[0] == n else v) for k, v in hd.items()}
    data["__data_len__"] = np.asarray(0)
    return save_humandata(path, data)


def _train_config(tmp_path, data) -> str:
    from test_train_cli import _config

    return str(_config(tmp_path, data))


def test_zero_sample_file_is_refused_by_eval_and_train(tmp_path, capsys):
    empty = _empty_humandata(tmp_path / "empty.npz")
    code, _, err = run_cli(
        ["eval", "--data", empty, "--oracle", "--body-model", "anny-small", "--workers", 0,
         "--no-progress"], capsys,
    )  # fmt: skip
    line = _one_line(err)
    assert code == 2 and str(empty) in line and "holds no samples" in line
    code, _, err = run_cli(["train", _train_config(tmp_path, empty)], capsys)
    line = _one_line(err)
    assert code == 2 and str(empty) in line and "holds no samples" in line


# 9. messages that say what happened and what to do


def test_train_names_its_own_settings(tmp_path, capsys):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, smplx=np.array({"body_pose": np.zeros((1, 63))}, dtype=object))
    code, _, err = run_cli(["train", _train_config(tmp_path, pickled)], capsys)
    line = _one_line(err)
    assert code == 2 and "trusted: true" in line and "data.train" in line
    assert "--trust-pickle" not in line


def test_eval_counts_what_skip_bad_left_out(tmp_path, capsys):
    import json
    import shutil

    from test_eval_pipeline import BENCH

    bench = tmp_path / "bench"
    shutil.copytree(BENCH.parent, bench)
    first = sorted((bench / "images").iterdir())[0]
    first.unlink()
    args = ["eval", "--data", bench / "humandata.npz", "--oracle", "--body-model", "anny-small",
            "--workers", 0, "--no-progress", "--json"]  # fmt: skip
    code, _, err = run_cli(args, capsys)
    assert code == 2 and first.name in _one_line(err) and "--skip-bad" in err
    code, out, _ = run_cli([*args, "--skip-bad"], capsys)
    res = json.loads(out[out.index("{") :])
    n = len(np.load(BENCH)["image_path"])
    assert code == 0 and res["num_samples"] == n - 1 and res["excluded"] == 1
    assert sum(res["skipped"].values()) == 1


# 7. synth checks its records before trusting them


def test_synth_rerun_remakes_damaged_samples(tmp_path):
    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import generate

    cfg = SynthConfig(task="hand", size=64, body_model="anny-small", frame_size=256)
    out = tmp_path / "synth"
    generate(cfg, 3, out, progress=False)
    images = {p.name: p.read_bytes() for p in (out / "images").iterdir()}
    record = out / "records" / "0000001.npz"
    record.write_bytes(record.read_bytes()[:100])  # truncated by a crash
    (out / "images" / "0000002.jpg").unlink()  # an image gone, its record left
    final = generate(cfg, 3, out, progress=False)
    with np.load(final) as z:
        paths = [str(p) for p in z["image_path"]]
    assert all((out / p).is_file() for p in paths) and len(paths) == 3
    assert {p.name: p.read_bytes() for p in (out / "images").iterdir()} == images


# 9. image messages: permissions, huge images, GIF


def _png_header(path, w: int, h: int):
    """A PNG that declares ``w`` x ``h`` pixels and holds no pixel data."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_image_messages(tmp_path, monkeypatch):
    import warnings

    from PIL import Image

    from robosmplx.errors import InputError
    from robosmplx.infer.images import expand_inputs, load_image

    bomb = _png_header(tmp_path / "bomb.png", 20_000, 10_000)
    with pytest.raises(InputError, match="bomb.png: image too large .*179 megapixels.*downscale"):
        load_image(bomb)
    big = _png_header(tmp_path / "big.png", 10_000, 10_000)  # warned by Pillow, within our limit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputError, match="big.png: cannot be decoded"):
            load_image(big)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]

    gif = tmp_path / "anim.gif"
    Image.new("RGB", (32, 24), (200, 10, 10)).save(gif)
    files, errors = expand_inputs([tmp_path])
    assert gif in files and not errors
    assert load_image(gif).pixels.shape == (24, 32, 3)

    locked = tmp_path / "locked.png"
    Image.new("RGB", (8, 8)).save(locked)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(locked))

    monkeypatch.setattr(Image, "open", denied)  # root reads chmod-000 files: simulate
    with pytest.raises(InputError, match="locked.png: permission denied; make the file readable"):
        load_image(locked)
