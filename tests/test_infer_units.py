"""Known-answer tests of the inference building blocks: crops and cameras, box files, detector
plugins, atomic output folders, checkpoint resolution."""

import json
import sys
import textwrap

import numpy as np
import pytest
import torch

from robosmplx.data.crop import scale_shift_affine, warp_image
from robosmplx.errors import CheckpointError, ConfigError, InputError
from robosmplx.geometry.camera import project
from robosmplx.geometry.pixels import resize_affine, scale_intrinsics, scale_pixels
from robosmplx.infer import cropping as C


def test_crop_region_and_whole_image():
    assert np.allclose(C.crop_region([10, 20, 40, 80]), [-20, 10, 100, 100])
    assert np.allclose(C.whole_image_region(200, 100), [0, -50, 200, 200])


def test_pyramid_crop_matches_direct_warp_and_antialiases():
    rng = np.random.default_rng(0)
    img = (rng.random((64, 96, 3)) * 255).astype(np.uint8)
    pyr = C.ImagePyramid(img)
    region = np.array([10.0, 5.0, 40.0, 40.0])
    direct = warp_image(img, scale_shift_affine(region[:2] + 20, 40.0, 32), 32)
    assert np.array_equal(pyr.crop(region, 32), direct)  # < 2x: no pyramid level used
    # 8x downsampling of a fine checkerboard: the pyramid crop is its mean grey
    board = np.indices((256, 256)).sum(0) % 2 * 255
    board = np.repeat(board[..., None], 3, 2).astype(np.uint8)
    small = C.ImagePyramid(board).crop(np.array([0.0, 0.0, 256.0, 256.0]), 32)
    assert abs(small.astype(float).mean() - 127.5) < 3 and small.std() < 10


def test_crop_camera_reprojects_the_crop_projection():
    cam = torch.tensor([[0.9, 0.05, -0.1]])
    region = torch.tensor([[30.0, 40.0, 100.0, 100.0]])
    s = 64
    pts = torch.tensor([[[0.1, -0.3, 0.05], [-0.2, 0.4, -0.1]]])
    transl, k = C.crop_camera(cam, region, s)
    full = project(pts + transl[:, None], k)
    f = C.virtual_focal(s)
    kc = torch.tensor([[[f, 0, (s - 1) / 2], [0, f, (s - 1) / 2], [0, 0, 1.0]]])
    crop = project(pts + transl[:, None], kc)
    expect = region[:, None, :2] + (crop + 0.5) * 100 / s - 0.5
    assert torch.allclose(full, expect, atol=1e-4)
    assert float(transl[0, 2]) == pytest.approx(2 * f / (s * 0.9))


def test_scaling_helpers():
    k = np.array([[100.0, 0, 49.5], [0, 100.0, 29.5], [0, 0, 1]])
    k2 = scale_intrinsics(k, 0.5)
    assert np.allclose(k2, [[50, 0, 24.5], [0, 50, 14.5], [0, 0, 1]])
    assert torch.allclose(scale_intrinsics(torch.tensor(k), 0.5), torch.tensor(k2))
    assert np.allclose(scale_pixels(np.array([0.0, 9.0]), 2.0), [0.5, 18.5])
    a = resize_affine(2.0)  # the same map as a (2, 3) affine
    assert np.allclose(a @ [0.0, 9.0, 1.0], [0.5, 18.5])
    box = C.crop_boxes_to_image(
        torch.tensor([[0.0, 0.0, 64.0, 32.0]]), torch.tensor([[10.0, 20.0, 128.0, 128.0]]), 64
    )
    assert torch.allclose(box, torch.tensor([[10.0, 20.0, 128.0, 64.0]]))


def test_reexpress_translation_is_exact_at_the_root():
    root = torch.tensor([[0.1, -0.2, 0.3]])
    t = torch.tensor([[0.5, 0.2, 40.0]])
    k1 = torch.tensor([[[4000.0, 0, 300], [0, 4000.0, 200], [0, 0, 1]]])
    k2 = torch.tensor([[[6000.0, 0, 250], [0, 6000.0, 260], [0, 0, 1]]])
    t2 = C.reexpress_translation(t, root, k1, k2)
    assert torch.allclose(
        project((root + t)[:, None], k1), project((root + t2)[:, None], k2), atol=1e-3
    )
    assert float((root + t2)[0, 2]) == pytest.approx(float((root + t)[0, 2]) * 1.5)


def test_keypoint_agreement():
    s = 64
    hm = torch.zeros(1, 3, 3)  # crop centre
    centre = torch.full((1, 3, 2), (s - 1) / 2)
    assert float(C.keypoint_agreement(hm, centre, s)) == pytest.approx(1.0)
    assert float(C.keypoint_agreement(hm, centre + 40, s)) < 1e-3


def test_box_file_forms(tmp_path):
    from robosmplx.infer.boxes_io import load_boxes

    p = tmp_path / "b.json"
    p.write_text(json.dumps({
        "format": "xyxy",
        "images": {"dir/a.jpg": [[10, 20, 50, 120]], "clip.mp4": {"0": [[0, 0, 10, 10, 0.5]], "3": []}},
    }))  # fmt: skip
    t = load_boxes(p)
    assert np.allclose(t.for_image(tmp_path / "a.jpg"), [[10, 20, 40, 100, 1.0]])
    v = t.for_video("clip.mp4")
    assert sorted(v) == [0, 3] and v[3].shape == (0, 5) and v[0][0, 4] == 0.5
    assert t.for_image("other.png") is None
    with pytest.raises(InputError, match="per frame"):
        t.for_image("clip.mp4")
    p.write_text(json.dumps({"x/a.jpg": [], "y/a.jpg": []}))
    with pytest.raises(InputError, match="several entries"):
        load_boxes(p).for_image("a.jpg")
    assert load_boxes(p).for_image("x/a.jpg").shape == (0, 5)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "fakedet.py").write_text(
        textwrap.dedent("""
        import numpy as np

        class Boxes:
            def __init__(self, weights="none", count="2"):
                self.weights, self.count = weights, int(count)

            def detect(self, image):
                h, w = image.shape[:2]
                rows = [[1, 2, w / 2, h / 2, 0.9], [0, 0, 5, 5, 0.2], [3, 3, 0, 4, 0.99]]
                return np.array(rows[: self.count + 1])

        def broken(**kw):
            return object()
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fakedet"
    sys.modules.pop("fakedet", None)


def test_detector_plugins(plugin, monkeypatch):
    from robosmplx.infer import detector as D

    det = D.load_detector(f"{plugin}:Boxes", D.parse_options(["weights=/w.pt", "count=2"]))
    assert det.weights == "/w.pt"
    boxes = D.run_detector(det, np.zeros((40, 60, 3), np.uint8), threshold=0.5)
    assert boxes.tolist() == [[1, 2, 30, 20, 0.9]]  # low score and zero width dropped
    assert isinstance(D.load_detector(f"{plugin}.Boxes"), D.Detector)
    for spec, msg in (("nodet", "not found"), ("nomod.x:Y", "cannot import"),
                      (f"{plugin}:Nope", "no attribute"), (f"{plugin}:broken", "no detect")):  # fmt: skip
        with pytest.raises(ConfigError, match=msg):
            D.load_detector(spec)
    with pytest.raises(ConfigError, match="bad --detector-option"):
        D.load_detector(f"{plugin}:Boxes", {"colour": "red"})
    with pytest.raises(ConfigError, match="key=value"):
        D.parse_options(["weights"])

    class EP:
        name = "mydet"

        def load(self):
            return sys.modules[plugin].Boxes

    monkeypatch.setattr(D, "entry_points", lambda: {"mydet": EP()})
    assert D.load_detector("mydet").count == 2


def test_output_folder_is_all_or_nothing(tmp_path):
    from robosmplx.infer.writer import OutputFolder, unique_names

    with OutputFolder(tmp_path, "a") as tmp:
        (tmp / "x.txt").write_text("1")
    assert (tmp_path / "a" / "x.txt").read_text() == "1"
    with pytest.raises(RuntimeError):
        with OutputFolder(tmp_path, "a") as tmp:
            (tmp / "y.txt").write_text("2")
            raise RuntimeError("fails half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # old result kept, no leftovers
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.txt"]
    with OutputFolder(tmp_path, "a") as tmp:
        (tmp / "z.txt").write_text("3")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["z.txt"]  # replaced whole
    from pathlib import Path

    names = unique_names([Path("a/img.jpg"), Path("b/img.png"), Path("c/img.png"), Path("d.mp4")])
    assert names == ["img_jpg", "img_png", "img_png_1", "d"]


def test_checkpoint_resolution(tmp_path):
    from robosmplx.infer.loading import resolve_checkpoint

    ck = tmp_path / "runs" / "checkpoints" / "step=00000010"
    ck.mkdir(parents=True)
    (ck / "model.safetensors").write_bytes(b"x")
    (ck / "model.yaml").write_text("format: robosmplx-model\n")
    (tmp_path / "runs" / "checkpoints" / "last.json").write_text(
        json.dumps({"checkpoint": ck.name})
    )
    assert resolve_checkpoint(tmp_path / "runs") == ck / "model.safetensors"
    assert resolve_checkpoint(ck) == ck / "model.safetensors"
    assert resolve_checkpoint(ck / "model.yaml") == ck / "model.safetensors"
    assert resolve_checkpoint(ck / "model") == ck / "model.safetensors"
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no single checkpoint"):
        resolve_checkpoint(tmp_path / "empty")
    (ck / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="weights file missing"):
        resolve_checkpoint(ck / "model.yaml")
