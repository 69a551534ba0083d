"""Bad inputs: each gets one line naming it, the others go on, the exit code says something
failed, and no partial output is left behind."""

import json

import numpy as np
import pytest
import yaml
from PIL import Image

from infer_support import break_frame, example_png, small_checkpoint, write_clip
from robosmplx.cli import main


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return small_checkpoint(tmp_path_factory.getbasetemp())


def run_cli(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_bad_files_fail_one_line_each_others_go_on(ckpt, tmp_path, capsys):
    d = tmp_path / "in"
    good = example_png(d / "good.png", 0, 128)
    (d / "empty.jpg").write_bytes(b"")
    (d / "text.png").write_text("this is not an image")
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(d / "trunc.jpg", quality=90)
    (d / "trunc.jpg").write_bytes((d / "trunc.jpg").read_bytes()[:150])
    (d / "notes.txt").write_text("no picture here")
    (d / "video.mp4").write_bytes(b"\x00" * 2000)
    # unusual but valid: grayscale, RGBA, 16-bit, EXIF-rotated
    base = np.asarray(Image.open(good))
    Image.fromarray(base[..., 0]).save(d / "gray.png")
    Image.fromarray(np.dstack([base, np.full(base.shape[:2], 200, np.uint8)]), "RGBA").save(
        d / "rgba.png"
    )
    Image.fromarray(base[..., 1].astype(np.uint16) * 257).save(d / "deep.png")
    rot = Image.fromarray(base[:, :96])
    exif = rot.getexif()
    exif[0x0112] = 6
    rot.save(d / "exif.jpg", exif=exif, quality=95)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        ["predict", "--refine", "none", str(d / "missing.png"), *sorted(map(str, d.glob("*.*"))),
         "--out", str(out), "--checkpoint", str(ckpt), "--rounds", "1", "--no-render",
         "--mesh-format", "none", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 1
    summary = json.loads(stdout)
    status = {r["input"].rsplit("/", 1)[-1]: r for r in summary["inputs"]}
    for name in ("good.png", "gray.png", "rgba.png", "deep.png", "exif.jpg"):
        assert status[name]["status"] == "ok" and status[name]["people"] == 1, name
        assert (out / name.split(".")[0] / "result.json").is_file()
    assert any("8-bit" in n for n in status["deep.png"]["notes"])
    exif_js = json.loads((out / "exif" / "result.json").read_text())
    assert exif_js["image_size"] == [128, 96]  # turned upright: width 128, height 96
    bad = ("empty.jpg", "text.png", "trunc.jpg", "notes.txt", "video.mp4")
    lines = [ln for ln in err.splitlines() if ln.startswith("robosmplx predict: error:")]
    assert len(lines) == len(bad) + 1  # + the missing file
    for name in (*bad, "missing.png"):
        assert sum(name in ln for ln in lines) == 1, name
    for name in bad:
        assert status[name]["status"] == "failed"
    left = {p.name for p in out.iterdir()}
    assert left == {"good", "gray", "rgba", "deep", "exif", "summary.json"}  # nothing partial


def test_broken_video_frames_are_skipped(ckpt, tmp_path, capsys):
    clip = break_frame(write_clip(tmp_path / "c.avi", frames=5), tmp_path / "broken.avi", 2)
    code, stdout, _ = run_cli(
        ["predict", "--refine", "none",
         str(clip), "--out", str(tmp_path / "o"), "--checkpoint", str(ckpt),
         "--rounds", "1", "--no-render", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0
    rep = json.loads(stdout)["inputs"][0]
    assert rep["frames"] == 5 and rep["broken_frames"] == 1 and rep["people"] == 1
    assert rep["person_frames"] == 4
    res = json.loads((tmp_path / "o" / "broken" / "result.json").read_text())
    assert res["broken_frames"] == [2]
    track = np.load(tmp_path / "o" / "broken" / "track_0.npz")
    assert track["frame_index"].tolist() == [0, 1, 3, 4]


def test_nobody_rule(ckpt, tmp_path, capsys):
    from robosmplx.infer.cropping import person_box_problem

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((96, 128, 3), 127, np.uint8)).save(blank)
    code, stdout, _ = run_cli(
        ["predict", "--refine", "none",
         str(blank), "--out", str(tmp_path / "o"), "--checkpoint", str(ckpt),
         "--rounds", "1", "--min-score", "0.999", "--json"],
        capsys,
    )  # fmt: skip
    assert code == 0  # nobody is a result, not a failure
    rep = json.loads(stdout)["inputs"][0]
    assert rep["people"] == 0 and "no person found" in rep["notes"]
    assert any("below the minimum" in n for n in rep["notes"])
    assert sorted(p.name for p in (tmp_path / "o" / "blank").iterdir()) == ["result.json"]
    assert "smaller" in person_box_problem([10, 10, 3, 5], 100, 100)
    assert "inside" in person_box_problem([90, 90, 50, 50], 100, 100)
    assert "finite" in person_box_problem([np.nan, 0, 20, 20], 100, 100)
    assert person_box_problem([10, 10, 30, 60], 100, 100) is None


def test_checkpoint_problems(ckpt, tmp_path, capsys, monkeypatch):
    img = str(example_png(tmp_path / "x.png", 0, 64))
    common = ["predict", "--refine", "none", img, "--out", str(tmp_path / "o"), "--rounds", "1"]
    code, _, err = run_cli([*common, "--checkpoint", str(tmp_path / "nope.safetensors")], capsys)
    assert code == 2 and "nope" in err and "checkpoint not found" in err
    # a body subnetwork checkpoint is not a whole-body network
    sub = small_checkpoint(tmp_path, "anny-small", preset="small-body")
    code, _, err = run_cli([*common, "--checkpoint", str(sub)], capsys)
    assert code == 2 and "whole-body" in err and str(sub) in err
    # sized for SMPL-X: its files are missing here, and it does not fit Anny
    smplx = small_checkpoint(tmp_path, "smplx")
    monkeypatch.setenv("ROBOSMPLX_MODEL_DIR", str(tmp_path / "no_models"))
    code, _, err = run_cli([*common, "--checkpoint", str(smplx)], capsys)
    assert code == 2 and "smplx" in err.lower() and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(
        [*common, "--checkpoint", str(smplx), "--body-model", "anny-small"], capsys
    )
    assert code == 2 and "does not fit body model 'anny-small'" in err
    # the YAML describes another architecture than the weights hold
    other = tmp_path / "other.safetensors"
    other.write_bytes(ckpt.read_bytes())
    doc = yaml.safe_load(ckpt.with_suffix(".yaml").read_text())
    doc["config"]["body"]["hidden"] = 128
    other.with_suffix(".yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    code, _, err = run_cli([*common, "--checkpoint", str(other)], capsys)
    assert code == 2 and "weights do not match" in err and len(err.strip().splitlines()) == 1
    # the YAML is gone
    lone = tmp_path / "lone.safetensors"
    lone.write_bytes(ckpt.read_bytes()[:100])
    code, _, err = run_cli([*common, "--checkpoint", str(lone)], capsys)
    assert code == 2 and "lone.yaml" in err
    assert not (tmp_path / "o").exists()


def test_bad_box_files(ckpt, tmp_path, capsys):
    from robosmplx.errors import InputError
    from robosmplx.infer.boxes_io import load_boxes

    cases = {
        "broken.json": '{"a.png": [[1, 2, 3, 4]',
        "neg.json": '{"a.png": [[1, 2, -3, 4]]}',
        "short.json": '{"format": "xywh", "images": {"a.png": [[1, 2, 3]]}}',
        "fmt.json": '{"format": "cxcy", "images": {}}',
        "frame.json": '{"v.mp4": {"first": [[1, 2, 3, 4]]}}',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=name):
            load_boxes(tmp_path / name)
    img = str(example_png(tmp_path / "a.png", 0, 64))
    code, _, err = run_cli(
        ["predict", "--refine", "none",
         img, "--out", str(tmp_path / "o"), "--checkpoint", str(ckpt),
         "--boxes", str(tmp_path / "neg.json")],
        capsys,
    )  # fmt: skip
    assert code == 2 and "neg.json" in err and not (tmp_path / "o").exists()
