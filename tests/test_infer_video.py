"""Videos: per-frame people with identities, One-Euro smoothing (less jitter), one fixed camera
per track, an overlay video, broken frames skipped."""

import json

import cv2
import numpy as np
import pytest
import torch

from infer_support import small_checkpoint, write_clip
from robosmplx.cli import main
from robosmplx.geometry.camera import project
from robosmplx.infer.predictor import Predictor
from robosmplx.infer.video import VideoReader


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    return Predictor(
        small_checkpoint(tmp_path_factory.getbasetemp()), rounds=1, batch_size=4, refine="none"
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clip") / "walk.avi", frames=8, noise=20.0)


def jitter(track) -> float:
    """Mean frame-to-frame change of the pose parameters and translation."""
    x = np.concatenate([np.stack(track.params["body_pose"]), np.stack(track.transl)], 1)
    return float(np.abs(np.diff(x, axis=0)).mean())


def test_smoothing_lowers_jitter(predictor, clip):
    raw = predictor.predict_video(clip, smooth=False)
    smooth = predictor.predict_video(clip, smooth=True, keep_vertices=True)
    assert len(raw.frames) == 8 and not raw.broken_frames
    assert list(raw.tracks) == [0] and list(smooth.tracks) == [0]
    t_raw, t_smooth = raw.tracks[0], smooth.tracks[0]
    assert t_raw.frames == list(range(8))
    assert jitter(t_smooth) < jitter(t_raw)
    # the first frame passes through the filter unchanged
    assert np.allclose(t_smooth.params["body_pose"][0], t_raw.params["body_pose"][0], atol=1e-4)
    # smoothed people are posed consistently: vertices = body(params) + transl in the track camera
    p0 = smooth.frames[3].people[0]
    params = {k: torch.as_tensor(v)[None] for k, v in p0.params.items()}
    with torch.no_grad():
        v = predictor.body(**params).vertices[0].numpy() + p0.transl
    assert np.abs(v - t_smooth.vertices[3]).max() < 1e-4
    assert np.allclose(p0.K, t_smooth.K)


def test_track_camera_reexpression_stays_on_the_network(predictor, clip):
    """A track keeps its first frame's K; later frames' meshes still land within a pixel of
    where the per-frame camera put them."""
    reader = VideoReader(clip)
    frames = [f for _, f in reader]
    exact = [predictor.predict_image(f)[0] for f in frames[:4]]
    video = predictor.predict_video(clip, smooth=False, keep_vertices=True)
    for i, e in enumerate(exact):
        uv_exact = project(torch.as_tensor(e.vertices)[None], torch.as_tensor(e.K)[None])[0]
        v = torch.as_tensor(video.tracks[0].vertices[i])[None]
        uv_track = project(v, torch.as_tensor(video.tracks[0].K)[None])[0]
        assert float((uv_exact - uv_track).abs().max()) < 1.0


def test_cli_video_outputs(predictor, clip, tmp_path, capsys):
    code = main([
        "predict", "--refine", "none",
        str(clip), "--out", str(tmp_path), "--checkpoint", str(predictor.info.weights),
        "--rounds", "1", "--batch-size", "3", "--json",
    ])  # fmt: skip
    assert code == 0
    rep = json.loads(capsys.readouterr().out)["inputs"][0]
    assert rep["frames"] == 8 and rep["tracks"] == 1 and rep["people"] == 1
    assert rep["person_frames"] == 8
    folder = tmp_path / "walk"
    assert sorted(p.name for p in folder.iterdir()) == [
        "overlay.mp4", "result.json", "track_0.json", "track_0.npz",
    ]  # fmt: skip
    cap = cv2.VideoCapture(str(folder / "overlay.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 8
    z = np.load(folder / "track_0.npz")
    assert z["body_pose"].shape == (8, predictor.body.spec["body_pose"].dim_aa)
    assert (
        z["transl"].shape == (8, 3)
        and z["K"].shape == (3, 3)
        and z["frame_index"].tolist() == list(range(8))
    )
    js = json.loads((folder / "track_0.json").read_text())
    assert js["fps"] == pytest.approx(10.0) and "camera_convention" in js
    res = json.loads((folder / "result.json").read_text())
    assert res["smoothed"] is True and res["tracks"]["0"]["frames"] == 8
