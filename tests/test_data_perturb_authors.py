"""The authors' benchmark transforms (``convention="authors"``) pinned pixel for pixel.

Every expected image is computed here from the authors' formulas (RoboSMPLX release,
mmhuman3d/data/datasets/pipelines/benchmarks.py, and mmcv's photometric functions), written
out independently of robosmplx.data.perturb.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from robosmplx.data.datasets import BodyDataset
from robosmplx.data.perturb import PERTURBATIONS, Scene, hard_erase, perturb
from robosmplx.data.pipeline import denormalize_image
from robosmplx.errors import ConfigError
from test_data_support import TinyBody, write_scene

H, W = 20, 30


def image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def scene(seed: int = 0) -> Scene:
    return Scene(image(seed), np.array([5.0, 4.0, 16.0, 12.0]))


def authors(name: str, m: float, s: Scene | None = None) -> Scene:
    return perturb(name, m, s or scene(), convention="authors")


def test_translations_are_one_nearest_warp_that_wraps_and_y_goes_down():
    img = image()
    out = authors("translate_y", 0.2).image  # 0.2 * 20 = 4 rows exactly
    np.testing.assert_array_equal(out, np.roll(img, 4, axis=0))  # content DOWN
    out = authors("translate_x", -0.2).image  # -6 columns
    np.testing.assert_array_equal(out, np.roll(img, -6, axis=1))
    m = 0.25  # 7.5 px: a fractional offset, nearest sampling
    want = cv2.warpAffine(
        img, np.float32([[1, 0, m * W], [0, 1, 0]]), (W, H),
        flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_WRAP,
    )  # fmt: skip
    np.testing.assert_array_equal(authors("translate_x", m).image, want)
    paper = perturb("translate_y", 0.2, scene()).image  # the paper's text: content up
    np.testing.assert_array_equal(paper, np.roll(img, -4, axis=0))


def test_scale_multiplies_the_box_by_one_plus_m():
    s = scene()
    out = authors("scale", 0.3)
    centre = s.box[:2] + s.box[2:] / 2
    np.testing.assert_allclose(out.box[2:], s.box[2:] * 1.3)
    np.testing.assert_allclose(out.box[:2] + out.box[2:] / 2, centre)
    np.testing.assert_allclose(perturb("scale", 0.3, s).box[2:], s.box[2:] * 0.7)


def test_lowres_is_bilinear_both_ways_with_floor_division():
    img = image(1)
    f = 1.0 + 2.0  # magnitude 2 = factor 3: 30 // 3 = 10, 20 // 3 = 6
    small = cv2.resize(img, (int(W // f), int(H // f)), interpolation=cv2.INTER_LINEAR)
    want = cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(authors("lowres", 2.0, Scene(img, np.zeros(4))).image, want)


def test_brightness_contrast_sharpness_blend_in_float_and_truncate():
    img = image(2)
    f = 1.0 - 0.25
    x = img.astype(np.float64)
    want = np.clip(x * f, 0, 255).astype(np.uint8)  # blend with black
    np.testing.assert_array_equal(authors("brightness", -0.25, Scene(img, np.zeros(4))).image, want)
    # one pixel by hand: 201 * 0.5 = 100.5 is truncated to 100 (PIL would give 101 or 100)
    one = np.full((1, 1, 3), 201, np.uint8)
    assert authors("brightness", -0.5, Scene(one, np.zeros(4))).image[0, 0, 0] == 100

    gray = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    g8 = np.floor(gray + 0.5)  # uint8 gray level
    mean = round(float(g8.sum()) / g8.size)
    f = 1.0 + 0.5
    want = np.clip(x * f + mean * (1 - f), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(authors("contrast", 0.5, Scene(img, np.zeros(4))).image, want)

    k = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float64) / 13.0
    pad = np.pad(x, ((1, 1), (1, 1), (0, 0)), mode="reflect")  # cv2's default border
    smooth = sum(k[i, j] * pad[i : i + H, j : j + W] for i in range(3) for j in range(3))
    smooth = np.rint(smooth)  # filter2D on uint8 rounds
    f = 1.0 + 1.0
    want = np.clip(x * f + smooth * (1 - f), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(authors("sharpness", 1.0, Scene(img, np.zeros(4))).image, want)


def test_grayness_and_hue_as_mmcv():
    img = image(3)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float64)[..., None]
    f = 1.0 + 0.5
    # uint8 blend, rounded half to even (cv2's saturate_cast)
    want = np.clip(np.rint(img * f + gray * (1 - f)), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(authors("grayness", 0.5, Scene(img, np.zeros(4))).image, want)
    for m in (0.25, -0.25):
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL)
        shift = int(m * 255) % 256  # -63 wraps to 193, as uint8 addition does
        hsv[..., 0] = ((hsv[..., 0].astype(int) + shift) % 256).astype(np.uint8)
        want = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)
        np.testing.assert_array_equal(authors("hue", m, Scene(img, np.zeros(4))).image, want)


def test_hard_erasing_places_the_noise_square_as_the_authors():
    img = image(4)
    rng = np.random.default_rng(7)
    out = hard_erase(img, np.array([10.3, 12.7]), 30.0, rng)
    side = math.sqrt(30.0)  # 5.477 -> 5 px
    x0, y0 = int(10.3 - side / 2 + 1), int(12.7 - side / 2 + 1)  # 8, 10
    assert (x0, y0) == (8, 10)
    want = img.copy()
    want[10:15, 8:13] = (np.random.default_rng(7).random((5, 5, 3)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(out, want)
    # a square that would leave the image is not drawn
    np.testing.assert_array_equal(hard_erase(img, np.array([1.0, 1.0]), 30.0, rng), img)
    s = Scene(img, np.zeros(4), focus=np.array([15.0, 10.0]))
    erased = perturb("hard_erasing", 0.05, s)  # 0.05 * 600 = 30 px
    changed = np.argwhere((erased.image != img).any(-1))
    assert changed.min(0).tolist() >= [8, 13] and changed.max(0).tolist() <= [12, 17]
    assert PERTURBATIONS["hard_erasing"].default is False


def test_unknown_convention_is_refused():
    with pytest.raises(ConfigError, match="convention"):
        perturb("hue", 0.1, scene(), convention="mine")


def _expected_crop(img, box, size, box_scale, angle):
    """One bilinear warp: the square box onto the crop, turned ``angle`` degrees
    counter-clockwise on screen about the crop centre (pixel centres at integers)."""
    centre = box[:2] + box[2:4] / 2.0
    side = max(box[2], box[3]) * box_scale
    k = size / side
    t = (0.5 - (centre - side / 2.0)) * k - 0.5
    a = np.array([[k, 0, t[0]], [0, k, t[1]], [0, 0, 1.0]])
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    r = np.array([[c, s], [-s, c]])
    p = np.full(2, (size - 1) / 2.0)
    rot = np.eye(3)
    rot[:2, :2], rot[:2, 2] = r, p - r @ p
    return cv2.warpAffine(img, (rot @ a)[:2], (size, size), flags=cv2.INTER_LINEAR)


def _mmhuman3d_linear(angle, side, size):
    """The 2x2 part of mmhuman3d's get_affine_transform for rotation ``angle``."""
    a = math.radians(angle)
    src_dir = np.array([0 * math.cos(a) + side * 0.5 * math.sin(a), -side * 0.5 * math.cos(a)])
    src = np.array([[0.0, 0.0], src_dir, [0, 0]])
    src[2] = src[1] + np.array([-(src[0] - src[1])[1], (src[0] - src[1])[0]])
    dst = np.array([[0.0, 0.0], [0.0, -size * 0.5], [0, 0]])
    dst[2] = dst[1] + np.array([-(dst[0] - dst[1])[1], (dst[0] - dst[1])[0]])
    return cv2.getAffineTransform(src.astype(np.float32), dst.astype(np.float32))[:, :2]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    model = TinyBody()
    return model, write_scene(tmp_path_factory.mktemp("authors"), model, n=1, seed=3)


def test_rotation_is_the_crop_warp_itself(bench):
    model, path = bench
    ds = BodyDataset(path, model, train=False, perturbation=("rotation", 30.0),
                     perturb_convention="authors")  # fmt: skip
    img = cv2.cvtColor(cv2.imread(str(ds.table.image_paths[0])), cv2.COLOR_BGR2RGB)
    box = ds.table.boxes["body"][0, :4].astype(np.float64)
    size, bs = ds.augment.crop_size, ds.augment.box_scale
    want = _expected_crop(img, box, size, bs, 30.0)
    got = denormalize_image(ds[0]["img"])
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    paper = BodyDataset(path, model, train=False, perturbation=("rotation", 30.0))[0]["img"]
    np.testing.assert_array_equal(denormalize_image(paper), got)  # one warp in both
    # the same turn as the authors' crop (mmhuman3d get_affine_transform): equal 2x2 parts
    side = max(box[2], box[3]) * bs
    k = size / side
    c, s = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    np.testing.assert_allclose(np.array([[c, s], [-s, c]]) * k, _mmhuman3d_linear(30.0, side, size), atol=1e-5)  # fmt: skip


def test_dataset_hard_erasing_centres_on_the_right_wrist(bench):
    model, path = bench
    base = BodyDataset(path, model, train=False)[0]
    s = BodyDataset(path, model, train=False, perturbation=("hard_erasing", 0.01))[0]
    a, b = denormalize_image(base["img"]), denormalize_image(s["img"])
    changed = np.argwhere((a != b).any(-1))  # (row, col)
    side = int(math.sqrt(0.01 * a.shape[0] * a.shape[1]))  # 25 px on a 256 crop
    names = [n.lower() for n in model.keypoint_layout.names]
    wrist = base["gt_keypoints2d"][names.index("r_wrist"), :2].numpy()
    half = math.sqrt(0.01 * a.shape[0] * a.shape[1]) / 2
    x0, y0 = int(wrist[0] - half + 1), int(wrist[1] - half + 1)
    assert changed.min(0).tolist() >= [y0, x0] and changed.max(0).tolist() <= [
        y0 + side - 1,
        x0 + side - 1,
    ]
    assert len(changed) > 0.8 * side * side  # uniform noise changes nearly every pixel
