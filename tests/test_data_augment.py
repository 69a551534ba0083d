"""Crops and augmentation: pixels, keypoints, 3D ground truth and part maps stay together."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from robosmplx.data.augment import (
    STAGE_AUGMENT,
    AugmentConfig,
    AugParams,
    apply_color,
    sample_augment,
    stage_augment,
    strongaug,
)
from robosmplx.data.crop import (
    apply_affine,
    crop_affine,
    invert_affine,
    square_box,
    warp_image,
)
from robosmplx.data.datasets import BodyDataset
from robosmplx.data.pipeline import denormalize_image
from robosmplx.errors import ConfigError
from robosmplx.geometry.camera import project
from robosmplx.geometry.rotations import mirror_rotation
from test_data_support import NAMES, TinyBody, marker_centroid, write_scene

LW, RW = NAMES.index("L_wrist"), NAMES.index("R_wrist")
RED, BLUE = (255, 0, 0), (0, 0, 255)


def reproject(model, s):
    """Keypoints of the sample's GT parameters, (K, 3) camera and (K, 2) crop pixels."""
    params = {k[3:]: v[None] for k, v in s.items() if k.startswith("gt_") and k.endswith("_rotmat")}
    params.update({k: s["gt_" + k][None] for k in ("betas", "expression", "transl")})
    with torch.no_grad():
        kp = model(**params).keypoints
    return kp[0], project(kp, s["gt_K"][None])[0]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    model = TinyBody()
    folder = tmp_path_factory.mktemp("scene")
    path = write_scene(folder, model, n=3, markers={"L_wrist": RED, "R_wrist": BLUE}, segm=True)
    return model, path


def test_inverse_crop_maps_back_within_half_a_pixel():
    rng = np.random.default_rng(0)
    img = np.zeros((300, 400, 3), np.uint8)
    for _ in range(20):
        center, side = square_box(
            np.array([rng.uniform(50, 250), rng.uniform(40, 150), 80, 120]), 1.25
        )
        a = crop_affine(
            center, side * rng.uniform(0.8, 1.2), 256, rng.uniform(-60, 60), bool(rng.integers(2))
        )
        p = np.array([center[0] + rng.uniform(-30, 30), center[1] + rng.uniform(-30, 30)])
        img[:] = 0
        import cv2

        cv2.circle(
            img, (round(p[0] * 16), round(p[1] * 16)), 5 * 16, (255, 255, 255), -1, cv2.LINE_AA, 4
        )
        crop = warp_image(img, a, 256)
        found = marker_centroid(crop, (255, 255, 255))
        back = apply_affine(found, invert_affine(a))
        assert np.abs(back - p).max() < 0.5
        np.testing.assert_allclose(apply_affine(apply_affine(p, a), invert_affine(a)), p, atol=1e-9)


def test_crop_box_maps_onto_the_crop_edges():
    center, side = np.array([100.0, 80.0]), 50.0
    a = crop_affine(center, side, 256)
    # pixel-centre convention: the box's left/top edge is at pixel -0.5 of the crop
    np.testing.assert_allclose(apply_affine(center - side / 2 - 0.5, a), [-0.5, -0.5], atol=1e-9)
    np.testing.assert_allclose(apply_affine(center - 0.5, a), [127.5, 127.5], atol=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_every_augmentation_keeps_keypoints_on_their_marker(scene, seed):
    model, path = scene
    cfg = stage_augment("body", rot_prob=1.0, flip_prob=0.5, color_factor=0.0, center_jitter=0.2)
    ds = BodyDataset(path, model, augment=cfg, seed=seed)
    s = ds[seed % len(ds)]
    img = denormalize_image(s["img"])
    flipped = float(s["crop_affine"][0, 0] * s["crop_affine"][1, 1] - s["crop_affine"][0, 1] * s["crop_affine"][1, 0]) < 0  # fmt: skip
    # the red marker sits on the person's left wrist; after a mirror it is the right wrist
    red_at = RW if flipped else LW
    checked = 0
    for color, k in ((RED, red_at), (BLUE, LW if red_at == RW else RW)):
        want = s["gt_keypoints2d"][k, :2].numpy()
        if (want < 8).any() or (want > 255 - 8).any():
            continue  # a marker cut by the crop border has a shifted centroid
        found = marker_centroid(img, color)
        assert found is not None
        np.testing.assert_allclose(found, want, atol=1.0)
        checked += 1
    assert checked >= 1


def test_rotation_flip_scale_shift_keep_3d_consistent(scene):
    model, path = scene
    cfg = stage_augment("body", rot_prob=1.0, flip_prob=1.0, center_jitter=0.3, scale_factor=0.4)
    ds = BodyDataset(path, model, augment=cfg, seed=3)
    for i in range(len(ds)):
        s = ds[i]
        kp3, uv = reproject(model, s)
        np.testing.assert_allclose(kp3.numpy(), s["gt_keypoints3d"][:, :3].numpy(), atol=1e-4)
        np.testing.assert_allclose(uv.numpy(), s["gt_keypoints2d"][:, :2].numpy(), atol=1e-2)
        k = s["gt_K"]
        assert k[0, 1] == 0 and k[1, 0] == 0  # intrinsics stay upper-triangular


def test_rotation_centre_from_file_matches_the_model(scene, tmp_path):
    model, _ = scene
    path = write_scene(tmp_path, model, n=2, root_cam=True)
    cfg = stage_augment("body", rot_prob=1.0, flip_prob=1.0)
    s = BodyDataset(path, model, augment=cfg, seed=1)[1]
    kp3, _ = reproject(model, s)
    np.testing.assert_allclose(kp3.numpy(), s["gt_keypoints3d"][:, :3].numpy(), atol=1e-4)


def test_flip_swaps_left_and_right_everything(scene):
    model, path = scene
    plain = BodyDataset(path, model, train=False)[0]
    cfg = AugmentConfig(scale_factor=0.0, rot_prob=0.0, flip_prob=1.0, color_factor=0.0)
    ds = BodyDataset(path, model, augment=cfg, seed=0)
    s = ds[0]
    assert float(s["crop_affine"][0, 0]) < 0
    # keypoints: the new right wrist is the old left wrist, mirrored in the crop
    np.testing.assert_allclose(
        s["gt_keypoints2d"][RW, 0], 255 - plain["gt_keypoints2d"][LW, 0], atol=1e-3
    )
    np.testing.assert_allclose(
        s["gt_keypoints2d"][RW, 1], plain["gt_keypoints2d"][LW, 1], atol=1e-3
    )
    np.testing.assert_allclose(
        s["gt_keypoints3d"][RW, 0], -plain["gt_keypoints3d"][LW, 0], atol=1e-5
    )
    # hand poses swap and mirror; body pose joints L_hip <-> R_hip
    for a, b in (("left_hand_pose", "right_hand_pose"), ("right_hand_pose", "left_hand_pose")):
        torch.testing.assert_close(s[f"gt_{a}_rotmat"], mirror_rotation(plain[f"gt_{b}_rotmat"]))
    body = plain["gt_body_pose_rotmat"]
    torch.testing.assert_close(s["gt_body_pose_rotmat"], mirror_rotation(body[[1, 0, 2]]))
    torch.testing.assert_close(
        s["gt_global_orient_rotmat"], mirror_rotation(plain["gt_global_orient_rotmat"])
    )
    # Left/Right-named expression controls swap, others stay
    torch.testing.assert_close(s["gt_expression"], plain["gt_expression"][[1, 0, 2, 3]])
    torch.testing.assert_close(s["gt_betas"], plain["gt_betas"])


def test_part_map_follows_the_crop_and_swaps_labels_on_flip(scene):
    model, path = scene
    for flip in (0.0, 1.0):
        cfg = stage_augment("body", flip_prob=flip, rot_prob=1.0, color_factor=0.0)
        s = BodyDataset(path, model, augment=cfg, seed=5)[0]
        assert s["has_segm"] == 1 and s["gt_part_segm"].shape == (64, 64)
        flipped = float(s["crop_affine"][0, 0] * s["crop_affine"][1, 1] - s["crop_affine"][0, 1] * s["crop_affine"][1, 0]) < 0  # fmt: skip
        assert flipped == bool(flip)
        for k, label in ((LW, 2), (RW, 3)):
            # the file labels the person's left arm 2 and right arm 3 (parts L_arm, R_arm)
            x, y = ((s["gt_keypoints2d"][k, :2].numpy() + 0.5) / 4 - 0.5).round().astype(int)
            assert int(s["gt_part_segm"][y, x]) == label


def test_sampled_scale_and_rotation_follow_the_recipe():
    cfg = stage_augment("body")
    rng = np.random.default_rng(0)
    draws = [sample_augment(cfg, rng) for _ in range(3000)]
    scales = np.array([d.scale for d in draws])
    rots = np.array([d.rotation for d in draws])
    assert scales.min() >= 0.75 - 1e-9 and scales.max() <= 1.25 + 1e-9
    assert abs((rots != 0).mean() - 0.6) < 0.03
    assert np.abs(rots).max() <= 60.0 + 1e-9
    assert abs(np.mean([d.flip for d in draws]) - 0.5) < 0.03
    assert sample_augment(dataclasses.replace(cfg, enabled=False), rng) == AugParams()


def test_stage_defaults_match_the_upstream_table():
    b, h, f, w = (STAGE_AUGMENT[k] for k in ("body", "hand", "face", "wholebody"))
    assert (b.flip_prob, b.rot_factor, b.scale_factor, b.center_jitter) == (0.5, 30, 0.25, 0)
    assert (h.flip_prob, h.rot_factor, h.scale_factor, h.center_jitter) == (0.0, 30, 0.2, 0.2)
    assert (f.flip_prob, f.rot_factor, f.scale_factor, f.center_jitter) == (0.5, 30, 0.2, 0.2)
    assert (w.flip_prob, w.scale_factor, w.crop_size) == (0.5, 0.25, 512)
    assert all(c.rot_prob == 0.6 for c in STAGE_AUGMENT.values())
    strong = strongaug(h)
    assert strong.scale_factor > h.scale_factor and strong.center_jitter > h.center_jitter
    with pytest.raises(ConfigError):
        stage_augment("feet")
    with pytest.raises(ConfigError):
        AugmentConfig(flip_prob=1.5)


def test_colour_jitter_multiplies_channels_and_leaves_geometry():
    img = np.full((4, 4, 3), 100, np.uint8)
    out = apply_color(img, AugParams(color=(0.8, 1.0, 1.2)))
    np.testing.assert_allclose(out[0, 0], [80, 100, 120], atol=1e-4)
    gray = apply_color(img, AugParams(saturation=0.0, color=(0.8, 1.0, 1.2)))
    assert np.ptp(gray[0, 0]) < 1.0
    low = apply_color(np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5, AugParams(contrast=0.5))
    assert low.std() < (np.arange(48) * 5).std()


def test_numpy_rodrigues_matches_the_geometry_module():
    from robosmplx.data.records import rodrigues
    from robosmplx.geometry.rotations import axis_angle_to_matrix

    rng = np.random.default_rng(0)
    aa = np.concatenate(
        (rng.normal(0, 1.5, (50, 3)), rng.normal(0, 1e-7, (5, 3)), np.zeros((1, 3)))
    )
    want = axis_angle_to_matrix(torch.from_numpy(aa)).numpy()
    np.testing.assert_allclose(rodrigues(aa), want, atol=1e-10)


def test_anny_mirror_tables_reproduce_the_mirrored_body():
    """Mirrored Anny parameters pose the mirror image of the body (left/right swapped)."""
    from robosmplx.body import load_body_model
    from robosmplx.data.annotation import mirror_params
    from robosmplx.data.flip import flip_spec
    from robosmplx.data.records import rodrigues

    model = load_body_model("anny-small")
    spec = flip_spec(model)
    assert spec.problem is None
    rng = np.random.default_rng(0)
    rots = {
        g.name: rodrigues(rng.normal(0, 0.3, (g.size, 3))).astype(np.float32)
        for g in model.spec.groups
        if g.kind == "rotation"
    }
    vecs = {"betas": rng.uniform(0.2, 0.8, 6).astype(np.float32)}
    vecs["expression"] = rng.uniform(0, 0.5, model.spec["expression"].size).astype(np.float32)
    has = dict.fromkeys(list(rots) + list(vecs), 1.0)
    mrots, mvecs, _ = mirror_params(rots, vecs, has, spec)

    def pose(r, v):
        p = {f"{k}_rotmat": torch.from_numpy(x)[None] for k, x in r.items()}
        p.update({k: torch.from_numpy(x)[None] for k, x in v.items()})
        with torch.no_grad():
            return model(**p).keypoints[0].numpy()

    mirrored = pose(rots, vecs) * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(pose(mrots, mvecs), mirrored[list(spec.keypoints)], atol=5e-3)
