"""The ten controlled perturbations: identity at 0, the paper's signs, ground truth follows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from robosmplx.data.annotation import Annotation
from robosmplx.data.datasets import BodyDataset
from robosmplx.data.perturb import PERTURBATIONS, Scene, check_perturbation, perturb
from robosmplx.data.pipeline import denormalize_image
from robosmplx.errors import ConfigError
from robosmplx.geometry.camera import project
from test_data_support import NAMES, TinyBody, marker_centroid, render_markers, write_scene

W, H = 200, 160
P = np.array([[120.0, 50.0]])


def marker_scene(point=P[0]) -> Scene:
    img = render_markers((W, H), [point], [(255, 255, 255)], radius=3, background=40)
    kp = np.zeros((1, 3), np.float32)
    kp[0, :2], kp[0, 2] = point, 1.0
    ann = Annotation(keypoints2d=kp, keypoints3d=np.zeros((1, 4), np.float32))
    return Scene(img, np.array([60.0, 30.0, 80.0, 100.0]), ann)


def textured(seed=0) -> Scene:
    rng = np.random.default_rng(seed)
    img = (rng.uniform(0, 1, (H // 8, W // 8, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    img = (img * 0.6 + np.array([90, 30, 10])).astype(np.uint8)  # reddish, not saturated
    return Scene(img, np.array([60.0, 30.0, 80.0, 100.0]), None)


def test_registry_has_the_ten_with_sweeps_inside_their_range():
    assert {n for n, p in PERTURBATIONS.items() if p.default} == {
        "translate_x", "translate_y", "scale", "lowres", "rotation", "hue", "sharpness",
        "grayness", "contrast", "brightness",
    }  # fmt: skip
    assert set(PERTURBATIONS) - {n for n, p in PERTURBATIONS.items() if p.default} == {
        "hard_erasing"
    }
    for p in PERTURBATIONS.values():
        assert 0.0 in p.sweep and len(p.sweep) >= 4
        assert all(p.range[0] <= m <= p.range[1] for m in p.sweep)
        cats = ("location", "pose", "image", "occlusion")
        assert p.frame in ("full", "crop") and p.category in cats
    with pytest.raises(ConfigError, match="outside"):
        check_perturbation("translate_x", 0.9)
    with pytest.raises(ConfigError, match="unknown perturbation"):
        check_perturbation("blur", 0.1)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_magnitude_zero_is_the_identity(name):
    s = marker_scene()
    out = perturb(name, 0.0, s)
    np.testing.assert_array_equal(out.image, s.image)
    np.testing.assert_array_equal(out.box, s.box)
    np.testing.assert_array_equal(out.ann.keypoints2d, s.ann.keypoints2d)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_non_zero_magnitudes_change_something(name):
    s = textured()
    m = max(PERTURBATIONS[name].sweep)
    out = perturb(name, m, s)
    same = np.array_equal(out.image, s.image) and np.array_equal(out.box, s.box)
    assert not (same and out.crop_rotation == s.crop_rotation)


@pytest.mark.parametrize("m", [0.1, -0.2, 0.25])
def test_translations_move_content_right_and_up_and_keypoints_follow(m):
    s = marker_scene()
    x = perturb("translate_x", m, s)
    found = marker_centroid(x.image, (255, 255, 255))
    np.testing.assert_allclose(found, [P[0, 0] + round(m * W), P[0, 1]], atol=0.3)
    np.testing.assert_allclose(found, x.ann.keypoints2d[0, :2], atol=0.3)
    y = perturb("translate_y", m, s)
    found = marker_centroid(y.image, (255, 255, 255))
    np.testing.assert_allclose(found, [P[0, 0], P[0, 1] - round(m * H)], atol=0.3)  # + = up
    np.testing.assert_allclose(found, y.ann.keypoints2d[0, :2], atol=0.3)
    np.testing.assert_array_equal(x.box, s.box)


def test_translation_wraps_at_the_border():
    s = marker_scene()
    out = perturb("translate_x", 0.3, s)  # 120 + 60 = 180: inside
    out = perturb("translate_x", 0.3, out)  # 240 -> wraps to 40
    np.testing.assert_allclose(out.ann.keypoints2d[0, :2], [40, 50], atol=1e-6)
    np.testing.assert_allclose(marker_centroid(out.image, (255, 255, 255)), [40, 50], atol=0.3)


def test_scale_plus_means_a_tighter_box():
    s = marker_scene()
    for m, k in ((0.1, 0.9), (-0.1, 1.1), (0.5, 0.5)):
        b = perturb("scale", m, s).box
        np.testing.assert_allclose(b[2:], s.box[2:] * k)
        np.testing.assert_allclose(b[:2] + b[2:] / 2, s.box[:2] + s.box[2:] / 2)


def test_rotation_turns_the_crop_warp():
    s = marker_scene()
    out = perturb("rotation", 30.0, s)  # the image stays; the crop turns (one warp)
    np.testing.assert_array_equal(out.image, s.image)
    assert out.crop_rotation == 30.0 and perturb("rotation", -15.0, out).crop_rotation == 15.0


def test_lowres_blurs_but_keeps_the_mean():
    s = textured()
    out = perturb("lowres", 3.0, s)
    assert abs(out.image.mean() - s.image.mean()) < 2.0
    assert np.abs(np.diff(out.image.astype(float), axis=1)).mean() < np.abs(np.diff(s.image.astype(float), axis=1)).mean()  # fmt: skip


def test_colour_perturbations_go_the_stated_way():
    s = textured()
    img = s.image.astype(float)
    sat = lambda a: (a.max(-1) - a.min(-1)).mean()  # noqa: E731
    hf = lambda a: np.abs(np.diff(a.astype(float), axis=1)).mean()  # noqa: E731
    assert perturb("brightness", 0.5, s).image.mean() > img.mean() > perturb("brightness", -0.5, s).image.mean()  # fmt: skip
    assert perturb("contrast", -0.5, s).image.std() < img.std() < perturb("contrast", 0.5, s).image.std()  # fmt: skip
    assert sat(perturb("grayness", -0.5, s).image.astype(float)) < sat(img)
    assert (
        hf(perturb("sharpness", -1.0, s).image) < hf(img) < hf(perturb("sharpness", 1.0, s).image)
    )
    red = Scene(np.full((4, 4, 3), (200, 20, 20), np.uint8), s.box)
    green = perturb("hue", 1.0 / 3.0, red).image[0, 0]
    assert green[1] > 150 and green[0] < 40 and green[2] < 40
    np.testing.assert_array_equal(perturb("hue", 0.5, red).image, perturb("hue", -0.5, red).image)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    model = TinyBody()
    folder = tmp_path_factory.mktemp("pert")
    return model, write_scene(folder, model, n=2, markers={"L_wrist": (255, 0, 0)})


@pytest.mark.parametrize("name, m", [("rotation", 40.0), ("rotation", -25.0), ("scale", 0.3), ("translate_x", 0.2), ("translate_y", -0.1), ("lowres", 1.0)])  # fmt: skip
def test_dataset_perturbations_keep_ground_truth_on_the_image(scene, name, m):
    model, path = scene
    ds = BodyDataset(path, model, train=False, perturbation=(name, m))
    base = BodyDataset(path, model, train=False)[0]
    s = ds[0]
    k = NAMES.index("L_wrist")
    want = s["gt_keypoints2d"][k, :2].numpy()
    found = marker_centroid(denormalize_image(s["img"]), (255, 0, 0))
    np.testing.assert_allclose(found, want, atol=1.0)
    if name == "translate_x":
        np.testing.assert_allclose(
            want[0] - base["gt_keypoints2d"][k, 0], round(m * 256), atol=1e-3
        )
    if name in ("rotation", "scale"):  # 3D ground truth and camera still reproject exactly
        params = {
            q[3:]: v[None] for q, v in s.items() if q.startswith("gt_") and q.endswith("_rotmat")
        }
        params.update({q: s["gt_" + q][None] for q in ("betas", "expression", "transl")})
        with torch.no_grad():
            uv = project(model(**params).keypoints, s["gt_K"][None])[0]
        np.testing.assert_allclose(uv.numpy(), s["gt_keypoints2d"][:, :2].numpy(), atol=1e-2)
