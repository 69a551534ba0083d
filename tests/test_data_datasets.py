"""Datasets per stage, the mixer, positive twins, worker seeding and bad data handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from robosmplx.data import (
    BodyDataset,
    FaceDataset,
    HandDataset,
    MixedDataset,
    WholeBodyDataset,
    collate_twins,
    make_loader,
    visualize,
)
from robosmplx.data.humandata import load_humandata, save_humandata
from robosmplx.data.pipeline import denormalize_image
from robosmplx.errors import ConfigError, DataError
from robosmplx.geometry.rotations import mirror_rotation
from test_data_support import NAMES, TinyBody, marker_centroid, write_scene


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    model = TinyBody()
    folder = tmp_path_factory.mktemp("ds")
    markers = {"L_wrist": (255, 0, 0), "R_wrist": (0, 0, 255), "nose": (0, 255, 0)}
    return model, write_scene(folder, model, n=4, markers=markers, segm=True)


def test_body_sample_has_the_contract_keys_and_shapes(scene):
    model, path = scene
    s = BodyDataset(path, model)[1]
    k = len(NAMES)
    assert s["img"].shape == (3, 256, 256) and s["img"].dtype == torch.float32
    assert s["gt_keypoints2d"].shape == (k, 3) and s["gt_keypoints3d"].shape == (k, 4)
    for g in model.spec.groups:
        if g.kind == "rotation":
            assert s[f"gt_{g.name}_rotmat"].shape == (g.size, 3, 3)
        else:
            assert s[f"gt_{g.name}"].shape == (g.size,)
        assert s[f"has_{g.name}"] == 1.0
    assert s["gt_transl"].shape == (3,) and s["gt_K"].shape == (3, 3)
    assert s["gt_part_segm"].shape == (64, 64) and s["gt_part_segm"].dtype == torch.long
    for key in ("has_keypoints3d", "has_segm", "has_transl"):
        assert s[key].shape == () and s[key] == 1.0
    assert s["bbox_xywh"].shape == (4,) and s["crop_affine"].shape == (2, 3)
    assert s["sample_index"] == 1 and s["sample_index"].dtype == torch.long


def test_hand_dataset_mirrors_left_hands_into_right_hands(scene):
    model, path = scene
    ds = HandDataset(path, model, train=False)
    assert len(ds) == 8  # both hands of 4 people
    sides = [side for _, side in ds.entries]
    right = ds[sides.index("right")]
    left = ds[sides.index("left")]
    assert set(k for k in right if k.endswith("_rotmat")) == {"gt_global_orient_rotmat", "gt_right_hand_pose_rotmat"}  # fmt: skip
    # the hand frame comes from the model's rhand view; this stand-in has no lhand view to say it
    assert right["has_global_orient"] == 1 and left["has_global_orient"] == 0
    assert right["gt_keypoints2d"].shape == (3, 3) and right["img"].shape == (3, 256, 256)
    # the left hand's crop is mirrored: its red wrist marker lands on the right-wrist keypoint
    found = marker_centroid(denormalize_image(left["img"]), (255, 0, 0))
    np.testing.assert_allclose(found, left["gt_keypoints2d"][0, :2].numpy(), atol=1.0)
    body = BodyDataset(path, model, train=False)[ds.entries[sides.index("left")][0]]
    torch.testing.assert_close(left["gt_right_hand_pose_rotmat"], mirror_rotation(body["gt_left_hand_pose_rotmat"]))  # fmt: skip


def test_face_and_wholebody_datasets(scene):
    model, path = scene
    f = FaceDataset(path, model, train=False)[0]
    assert f["gt_keypoints2d"].shape == (4, 3)
    assert {k for k in f if k.startswith("gt_") and not k.startswith("gt_key")} >= {"gt_jaw_pose_rotmat", "gt_expression"}  # fmt: skip
    found = marker_centroid(denormalize_image(f["img"]), (0, 255, 0))
    np.testing.assert_allclose(found, f["gt_keypoints2d"][0, :2].numpy(), atol=1.0)
    w = WholeBodyDataset(path, model, train=False)[0]
    assert w["img"].shape == (3, 512, 512) and w["gt_part_segm"].shape == (128, 128)
    for part, kp in (("lhand", "L_wrist"), ("rhand", "R_wrist")):
        assert w[f"has_{part}_bbox"] == 1
        x, y, bw, bh = w[f"gt_{part}_bbox"].tolist()
        u, v = w["gt_keypoints2d"][NAMES.index(kp), :2].tolist()
        assert x < u < x + bw and y < v < y + bh


def test_mixer_follows_ratios_and_is_deterministic(scene):
    model, path = scene
    a, b = BodyDataset(path, model), BodyDataset(path, model)
    mix = MixedDataset([a, b], [0.7, 0.3], length=4000, seed=1)
    picks = np.array([mix.pick(i)[0] for i in range(len(mix))])
    assert abs((picks == 0).mean() - 0.7) < 0.03
    again = MixedDataset([a, b], [7, 3], length=4000, seed=1)
    assert [again.pick(i)[:2] for i in range(50)] == [mix.pick(i)[:2] for i in range(50)]
    other = MixedDataset([a, b], [7, 3], length=4000, seed=2)
    assert [other.pick(i)[:2] for i in range(50)] != [mix.pick(i)[:2] for i in range(50)]
    torch.testing.assert_close(mix[5]["img"], again[5]["img"])
    assert MixedDataset([a, b], [1, 0], length=100).pick(7)[0] == 0
    with pytest.raises(ConfigError, match="one ratio per dataset"):
        MixedDataset([a, b], [1.0], length=10)
    with pytest.raises(ConfigError, match="different sample layouts"):
        MixedDataset([a, HandDataset(path, model)], [1, 1], length=10)


def test_twins_share_pose_and_differ_in_colour_or_location(scene):
    model, path = scene
    ds = BodyDataset(path, model, twins=True, seed=0)
    pairs = [ds[i] for i in range(len(ds))]
    for anchor, twin in pairs:
        torch.testing.assert_close(
            anchor["gt_global_orient_rotmat"], twin["gt_global_orient_rotmat"]
        )
        torch.testing.assert_close(anchor["gt_keypoints3d"], twin["gt_keypoints3d"])
        assert not torch.equal(anchor["img"], twin["img"])
        assert anchor["sample_index"] == twin["sample_index"]
        # same mirror state: the affines' determinants have the same sign
        assert torch.sign(torch.det(torch.cat((anchor["crop_affine"], torch.tensor([[0, 0, 1.0]])))) ) == torch.sign(torch.det(torch.cat((twin["crop_affine"], torch.tensor([[0, 0, 1.0]])))))  # fmt: skip
    batch = collate_twins(pairs)
    n = len(pairs)
    assert batch["img"].shape == (2 * n, 3, 256, 256)
    assert batch["pair_index"].tolist() == [n + i for i in range(n)] + list(range(n))
    torch.testing.assert_close(batch["img"][n], pairs[0][1]["img"])


def test_loader_is_deterministic_for_a_seed_with_workers(scene):
    model, path = scene
    ds = BodyDataset(path, model, seed=7)
    runs = []
    for workers in (0, 2):
        loader = make_loader(ds, batch_size=2, num_workers=workers, seed=3)
        runs.append([b["img"].sum().item() for b in loader] + [b["sample_index"].tolist() for b in loader])  # fmt: skip
    assert runs[0] == runs[1]
    ds.set_epoch(1)
    assert not torch.equal(ds[0]["img"], BodyDataset(path, model, seed=7)[0]["img"])


def test_visualize_draws_on_the_crop(scene):
    model, path = scene
    s = WholeBodyDataset(path, model, train=False)[0]
    img = visualize(s)
    assert img.shape == (512, 512, 3) and img.dtype == np.uint8
    plain = denormalize_image(s["img"])
    x, y = s["gt_keypoints2d"][NAMES.index("neck"), :2].round().int().tolist()
    assert tuple(img[y, x]) == (0, 255, 0) and tuple(plain[y, x]) != (0, 255, 0)


def _copy_with(path, tmp_path, **changes):
    hd = load_humandata(path)
    data = {k: v.copy() for k, v in hd.items()}
    data["image_path"] = np.asarray([str(path.parent / p) for p in hd["image_path"]])
    data["segm_path"] = np.asarray([str(path.parent / p) for p in hd["segm_path"]])
    for k, fn in changes.items():
        fn(data[k]) if callable(fn) else data.__setitem__(k, fn)
    return save_humandata(tmp_path / "changed.npz", data)


def test_nan_keypoints_error_or_counted_skip(scene, tmp_path):
    model, path = scene

    def poison(kp):
        kp[2, 3, 0] = np.nan

    bad = _copy_with(path, tmp_path, keypoints2d_tiny=poison)
    with pytest.raises(DataError, match=r"sample 2 .*keypoints2d has NaN"):
        BodyDataset(bad, model)
    ds = BodyDataset(bad, model, on_bad="skip")
    assert len(ds) == 3 and ds.report() == {"keypoints2d has NaN or infinite values": 1}
    assert 2 not in [i for i, _ in ds.entries]


def test_missing_key_and_missing_image(scene, tmp_path):
    model, path = scene
    hd = load_humandata(path)
    data = {k: v for k, v in hd.items() if k != "bbox_xywh"}
    with pytest.raises(DataError, match="bbox_xywh"):
        save_humandata(tmp_path / "x.npz", data)
    paths = list(hd["image_path"])
    paths[1] = "missing.png"
    bad = _copy_with(path, tmp_path, image_path=np.asarray([str(path.parent / p) for p in paths]))
    with pytest.raises(DataError, match="image file not found"):
        BodyDataset(bad, model)
    assert len(BodyDataset(bad, model, on_bad="skip")) == 3


def test_unreadable_image_and_box_outside_the_image(scene, tmp_path):
    model, path = scene
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG garbage")
    paths = [str(path.parent / p) for p in load_humandata(path)["image_path"]]
    paths[0] = str(junk)

    def outside(b):
        b[1, :2] = (5000, 5000)

    bad = _copy_with(path, tmp_path, image_path=np.asarray(paths), bbox_xywh=outside)
    ds = BodyDataset(bad, model)
    with pytest.raises(DataError, match="unreadable"):
        ds[0]
    with pytest.raises(DataError, match="box outside the image"):
        ds[1]
    skip = BodyDataset(bad, model, on_bad="skip")
    s = skip[0]  # falls through to the next good sample
    assert int(s["sample_index"]) == 2
    assert skip.report() == {"image missing or unreadable": 1, "box outside the image": 1}


def test_twin_draw_keeps_rotation_and_flip():
    from robosmplx.data.augment import AugParams
    from robosmplx.data.twins import TwinConfig, sample_twin

    anchor = AugParams(scale=1.1, rotation=20.0, flip=True, shift=(0.1, 0.0))
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(200):
        t = sample_twin(anchor, TwinConfig(), rng)
        assert t.rotation == 20.0 and t.flip
        moved = (t.scale, t.shift) != (anchor.scale, anchor.shift)
        recoloured = t.color != anchor.color
        assert moved or recoloured
        kinds.add((moved, recoloured))
    assert kinds == {(True, False), (False, True), (True, True)}
    with pytest.raises(ConfigError):
        TwinConfig(scale_factor=1.5)


def test_missing_values_are_zero_not_nan_and_boxless_samples_are_counted(scene, tmp_path):
    model, path = scene

    def hide_keypoint(kp):
        kp[0, 3] = (np.nan, np.nan, 0.0)  # a missing keypoint may hold NaN in real files

    def no_box(b):
        b[3, 4] = 0.0

    changed = _copy_with(path, tmp_path, keypoints2d_tiny=hide_keypoint, bbox_xywh=no_box)
    ds = BodyDataset(changed, model)
    assert len(ds) == 3 and ds.report() == {"no body box (confidence 0)": 1}
    s = ds[0]
    assert torch.isfinite(s["gt_keypoints2d"]).all() and s["gt_keypoints2d"][3].abs().sum() == 0
