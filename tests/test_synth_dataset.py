"""End to end: generated files, their ground truth's consistency, resuming, reading back."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from robosmplx.data.humandata import load_humandata
from robosmplx.errors import DataError
from robosmplx.render import rasterize
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate
from robosmplx.synth.writer import FINAL_NAME, prepare_output, record_path

SIZES = {"wholebody": 128, "body": 96, "hand": 96, "face": 96}
COUNT = 5


def _cfg(task: str, **kw) -> SynthConfig:
    return SynthConfig(task=task, size=SIZES[task], seed=3, body_model="anny-small", **kw)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    out = {}
    for task in SIZES:
        # more people and occluders than the defaults, so the tests meet them
        cfg = _cfg(task, extra_people_prob=0.6, occluder_prob=0.6, truncation_prob=0.4)
        generate(cfg, COUNT, root / task, workers=1, progress=False)
        out[task] = (cfg, root / task)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".jpg", ".png")}  # fmt: skip


def _same_humandata(a: Path, b: Path) -> None:
    x, y = load_humandata(a), load_humandata(b)
    assert sorted(x.keys()) == sorted(y.keys())
    for k in x.keys():
        assert np.array_equal(x[k], y[k]), k


def _params(hd, i, group="anny"):
    g = hd.group(group)
    return {k: torch.as_tensor(v[i], dtype=torch.float32)[None] for k, v in g.items()}


def test_layout_and_reader(datasets, anny_small):
    from robosmplx.data.datasets import BodyDataset, FaceDataset, HandDataset, WholeBodyDataset

    for task, (cfg, out) in datasets.items():
        hd = load_humandata(out / FINAL_NAME)
        assert len(hd) == COUNT and hd.body_model == "anny-small"
        assert hd["keypoints2d"].shape == (COUNT, 137, 3)
        for key in ("image_path", "segm_path", "segm_hand_path", "segm_face_path"):
            for p in hd[key]:
                img = cv2.imread(str(out / p), cv2.IMREAD_UNCHANGED)
                assert img.shape[:2] == (cfg.size, cfg.size)
        cls = {
            "body": BodyDataset,
            "hand": HandDataset,
            "face": FaceDataset,
            "wholebody": WholeBodyDataset,
        }[task]
        ds = cls(out / FINAL_NAME, anny_small, train=False)
        sample = ds[0]
        assert sample["img"].shape[0] == 3 and bool(sample["has_transl"])
        assert sample["gt_part_segm"].max() > 0


def test_projection_matches_stored_keypoints(datasets):
    for _cfg, out in datasets.values():
        hd = load_humandata(out / FINAL_NAME)
        kp3, kp2, k = hd["keypoints3d"], hd["keypoints2d"], hd["K"]
        uv = np.einsum("nij,nkj->nki", k, kp3[..., :3])
        uv = uv[..., :2] / uv[..., 2:]
        front = kp3[..., 2] > 0.05
        assert np.abs(uv - kp2[..., :2])[front].max() < 0.5


def test_parameters_reproduce_keypoints_and_silhouettes(datasets, anny_small):
    for task, (cfg, out) in datasets.items():
        hd = load_humandata(out / FINAL_NAME)
        for i in range(COUNT):
            with torch.no_grad():
                o = anny_small(**_params(hd, i))
            assert np.abs(o.keypoints[0].numpy() - hd["keypoints3d"][i, :, :3]).max() < 2e-4
            k = torch.as_tensor(hd["K"][i])
            mask = rasterize(o.vertices, anny_small.faces, k, (cfg.size, cfg.size)).mask[0].numpy()
            parts = cv2.imread(str(out / hd["segm_path"][i]), cv2.IMREAD_UNCHANGED) > 0
            x0, y0, x1, y1 = hd["meta.frame_xyxy"][i]  # outside the virtual frame: black, 0
            ys, xs = np.mgrid[0 : cfg.size, 0 : cfg.size]
            mask &= (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
            inter, union = (mask & parts).sum(), (mask | parts).sum()
            assert inter / max(union, 1) > 0.98, (task, i)
            for key in ("segm_hand_path", "segm_face_path"):
                sub = cv2.imread(str(out / hd[key][i]), cv2.IMREAD_UNCHANGED) > 0
                assert not (sub & ~parts).any()


def test_visibility_and_boxes(datasets):
    seen_hidden = 0
    for task, (_cfg, out) in datasets.items():
        hd = load_humandata(out / FINAL_NAME)
        kp, inside = hd["keypoints2d"], hd["keypoints_in_image"].astype(bool)
        vis = kp[..., 2] > 0
        assert not (vis & ~inside).any()
        seen_hidden += int((inside & ~vis).sum())
        lay = {"lhand": slice(25, 45), "rhand": slice(45, 65), "face": slice(65, 137)}
        for key, sub in (("bbox_xywh", slice(0, 137)), ("lhand_bbox_xywh", lay["lhand"]),
                         ("rhand_bbox_xywh", lay["rhand"]), ("face_bbox_xywh", lay["face"])):  # fmt: skip
            box = hd[key]
            for i in range(COUNT):
                if box[i, 4] <= 0:
                    continue
                pts = kp[i, sub, :2][inside[i, sub]]
                if key == "bbox_xywh" and task in ("hand", "face"):
                    continue  # the crop's own part box, checked below
                lo, hi = box[i, :2] - 1e-3, box[i, :2] + box[i, 2:4] + 1e-3
                assert ((pts >= lo) & (pts <= hi)).all(), (task, key, i)
        if task == "hand":
            on = (hd["lhand_bbox_xywh"][:, 4] > 0).astype(int) + (hd["rhand_bbox_xywh"][:, 4] > 0)
            assert (on == 1).all()
    assert seen_hidden > 0  # some keypoints in the image are occluded


def test_same_seed_same_files(datasets, tmp_path):
    cfg, out = datasets["body"]
    generate(cfg, COUNT, tmp_path / "again", workers=1, progress=False)
    assert _files(out) == _files(tmp_path / "again")
    _same_humandata(out / FINAL_NAME, tmp_path / "again" / FINAL_NAME)
    other = SynthConfig(**{**cfg.__dict__, "seed": 4})
    generate(other, 2, tmp_path / "other", workers=1, progress=False)
    assert _files(tmp_path / "other")["images/0000000.jpg"] != _files(out)["images/0000000.jpg"]


def test_resume_after_partial_run(datasets, tmp_path):
    cfg, out = datasets["wholebody"]
    work = tmp_path / "partial"
    shutil.copytree(out, work)
    for i in (1, 3):  # as if killed: records missing, an image half done, a stray temp file
        record_path(work, i).unlink()
    (work / "images" / "0000003.jpg").write_bytes(b"\xff\xd8 truncated")
    (work / "records" / ".0000004.npz.tmp123.npz").write_bytes(b"partial")
    (work / FINAL_NAME).unlink()
    generate(cfg, COUNT, work, workers=1, progress=False)
    assert _files(work) == _files(out)
    _same_humandata(out / FINAL_NAME, work / FINAL_NAME)
    assert not list((work / "records").glob(".*"))


def test_other_settings_are_refused(datasets):
    cfg, out = datasets["face"]
    with pytest.raises(DataError, match="other settings"):
        prepare_output(out, SynthConfig(**{**cfg.__dict__, "seed": 9}))


@pytest.mark.slow
def test_two_workers_give_the_same_dataset(datasets, tmp_path):
    cfg, out = datasets["hand"]
    generate(cfg, COUNT, tmp_path / "pool", workers=2, progress=False)
    assert _files(tmp_path / "pool") == _files(out)
    _same_humandata(out / FINAL_NAME, tmp_path / "pool" / FINAL_NAME)


def test_smplx_family_dataset(tmp_path):
    from robosmplx.body import load_body_model
    from support import standin

    standin.write_standin_smplx(tmp_path / "models")
    cfg = SynthConfig(task="body", size=64, seed=1, body_model="smplx")
    generate(cfg, 2, tmp_path / "data", progress=False, model_dir=str(tmp_path / "models"))
    hd = load_humandata(tmp_path / "data" / FINAL_NAME)
    assert hd.body_model == "smplx" and hd["smplx.body_pose"].shape == (2, 21, 3)
    model = load_body_model("smplx", model_dir=tmp_path / "models")
    for i in range(2):
        with torch.no_grad():
            o = model(**_params(hd, i, "smplx"))
        assert np.abs(o.keypoints[0].numpy() - hd["keypoints3d"][i, :, :3]).max() < 2e-4


@pytest.mark.slow
def test_killed_process_resumes_to_the_same_dataset(datasets, tmp_path):
    """A generator killed mid-run (SIGKILL, many samples to go) resumes to the same files."""
    cfg, out = datasets["body"]
    work = tmp_path / "killed"
    code = (
        "from robosmplx.synth.config import SynthConfig\n"
        "from robosmplx.synth.generate import generate\n"
        f"generate(SynthConfig(**{cfg.__dict__!r}), 500, {str(work)!r}, progress=False)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((work / "records").glob("0*.npz"))) < 3:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    assert not (work / FINAL_NAME).exists()
    generate(cfg, COUNT, work, workers=1, progress=False)
    done = _files(work)
    assert {k: done[k] for k in _files(out)} == _files(out)
    _same_humandata(out / FINAL_NAME, work / FINAL_NAME)


def test_cli_writes_dataset_and_preview(tmp_path, capsys):
    import argparse
    import json

    from robosmplx.synth import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(
        ["--task", "face", "--count", "2", "--out", str(tmp_path / "d"), "--size", "64",
         "--body-model", "anny-small", "--workers", "1", "--preview", "--json"]
    )  # fmt: skip
    assert cli.run(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["count"] == 2 and Path(summary["preview"]).is_file()
    assert len(load_humandata(summary["humandata"])) == 2
