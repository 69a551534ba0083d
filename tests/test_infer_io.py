import json

import numpy as np
import pytest
from PIL import Image

from robosmplx.errors import InputError
from robosmplx.infer.export import load_params, person_record, save_mesh, save_params
from robosmplx.infer.images import expand_inputs, load_image
from robosmplx.infer.smoothing import OneEuroFilter, ParamSmoother
from robosmplx.infer.tracking import Tracker


def test_image_modes(tmp_path):
    rgb = (np.random.rand(20, 30, 3) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    assert np.array_equal(load_image(tmp_path / "a.png").pixels, rgb)
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.png")
    g = load_image(tmp_path / "g.png").pixels
    assert g.shape == (20, 30, 3) and np.array_equal(g[..., 1], rgb[..., 0])
    rgba = np.dstack([rgb, np.zeros((20, 30), np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    assert (load_image(tmp_path / "t.png").pixels == 255).all()  # transparent -> white
    sixteen = (np.arange(600).reshape(20, 30) * 100).astype(np.uint16)
    Image.fromarray(sixteen).save(tmp_path / "s.png")
    s = load_image(tmp_path / "s.png")
    assert s.pixels.dtype == np.uint8 and s.pixels.max() > 200 and "8-bit" in s.notes[0]


def test_exif_rotation(tmp_path):
    rgb = np.zeros((10, 40, 3), np.uint8)
    rgb[:, :5] = 255  # left band
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    im.save(tmp_path / "r.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "r.jpg").pixels
    assert out.shape[:2] == (40, 10)
    assert out[:5].mean() > 200 and out[-5:].mean() < 50  # left band now on top


def test_huge_image_downscaled(tmp_path):
    Image.fromarray(np.zeros((50, 200, 3), np.uint8)).save(tmp_path / "h.png")
    im = load_image(tmp_path / "h.png", max_side=100)
    assert im.pixels.shape == (25, 100, 3) and im.scale == 0.5 and "downscaled" in im.notes[0]


@pytest.mark.parametrize("content", [b"", b"not an image at all", None])
def test_bad_images(tmp_path, content):
    p = tmp_path / "bad.jpg"
    if content is None:  # truncated JPEG
        Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 128).save(p, quality=90)
        p.write_bytes(p.read_bytes()[:200])
    else:
        p.write_bytes(content)
    with pytest.raises(InputError, match="bad.jpg"):
        load_image(p)
    with pytest.raises(InputError, match="not found"):
        load_image(tmp_path / "missing.png")


def test_expand_inputs(tmp_path):
    (tmp_path / "d").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "d" / "x.png")
    (tmp_path / "empty").mkdir()
    files, errors = expand_inputs([tmp_path / "d", tmp_path / "empty", tmp_path / "nope.jpg"])
    assert [f.name for f in files] == ["x.png"]
    assert len(errors) == 2 and "no image" in errors[0] and "no such" in errors[1]


def test_one_euro_reduces_jitter():
    rng = np.random.default_rng(0)
    t = np.arange(200) / 30.0
    clean = np.sin(t)[:, None]
    noisy = clean + 0.05 * rng.standard_normal((200, 1))
    f = OneEuroFilter(min_cutoff=1.0, beta=0.5)
    out = np.stack([f(x, 1 / 30) for x in noisy])

    def jitter(x):  # second differences: frame-to-frame change with the motion removed
        return np.abs(np.diff(x, 2, axis=0)).mean()

    assert jitter(out) < 0.3 * jitter(noisy)
    assert np.abs(out - clean)[30:].mean() < 0.15  # follows the motion with little lag


def test_param_smoother_keeps_rotations_valid():
    sm = ParamSmoother(fps=30)
    rng = np.random.default_rng(1)
    for _ in range(5):
        r = np.linalg.qr(rng.standard_normal((3, 3)))[0]
        r *= np.sign(np.linalg.det(r))
        out = sm({"go": r[None]})["go"][0]
        assert np.allclose(out @ out.T, np.eye(3), atol=1e-5)
        assert np.isclose(np.linalg.det(out), 1.0, atol=1e-5)


def test_tracker_keeps_ids():
    tr = Tracker()
    a = tr.update(np.array([[0, 0, 10, 10], [50, 50, 10, 10]]), 0)
    b = tr.update(np.array([[51, 50, 10, 10], [1, 0, 10, 10]]), 1)
    assert a == [0, 1] and b == [1, 0]
    c = tr.update(np.array([[200, 200, 10, 10]]), 2)
    assert c == [2]


def test_save_params_and_mesh(tmp_path):
    import trimesh

    k = np.array([[1000, 0, 320], [0, 1000, 240], [0, 0, 1]], np.float32)
    rec = person_record({"body_pose": np.zeros(6)}, np.array([0, 0, 3.0]), k, (640, 480), "anny")
    paths = save_params(rec, tmp_path / "p0")
    back = load_params(paths[0])
    assert np.allclose(back["K"], k) and str(back["body_model"]) == "anny"
    js = json.loads(paths[1].read_text())
    assert js["focal_length"] == [1000.0, 1000.0] and "camera_convention" in js
    v = np.array([[0, 0, 1], [1, 0, 1], [0, 1, 1]], float)
    f = np.array([[0, 1, 2]])
    for ext in ("obj", "ply", "glb"):
        p = save_mesh(v, f, tmp_path / f"m.{ext}", color=(200, 100, 50))
        m = trimesh.load(p, force="mesh")
        assert len(m.vertices) == 3
    assert not list(tmp_path.glob(".*"))  # no temporary leftovers


def test_obj_text_matches_printf_formatting():
    from robosmplx.infer.export import obj_bytes

    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 3)) * np.array([0.5, 3.0, 40.0])
    v[:3] = [[0.0, 1e-7, -2e-7], [-0.25, 999.9999994, -123.4567891], [1.0000005, -0.0000015, 7.0]]
    f = rng.integers(0, 500, size=(300, 3))
    text = obj_bytes(v, f).decode("ascii").splitlines()
    # away from zero every line is exactly what "%.6f" prints; values that round to zero
    # print unsigned (printf would write "-0.000000")
    want = [f"v {a:.6f} {b:.6f} {c:.6f}".replace("-0.000000", "0.000000") for a, b, c in v]
    assert text[:500] == want
    assert text[500:] == [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in f]
    far = obj_bytes(np.array([[1e4, -2.5, np.inf]]), f[:1]).decode()  # Python's formatting
    assert far.startswith("v 10000.000000 -2.500000 inf\n")
