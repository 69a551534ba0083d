"""HumanData reading/writing: both layouts, the trust flag, validation messages, conventions."""

from __future__ import annotations

import numpy as np
import pytest

from robosmplx.data.conventions import map_keypoints, normalize_name, swap_side
from robosmplx.data.humandata import (
    HumanData,
    _member_dtypes,
    intrinsics_of,
    load_humandata,
    save_humandata,
)
from robosmplx.data.records import build_table
from robosmplx.errors import DataError
from test_data_support import NAMES, TinyBody, write_scene


def minimal(n=3, **extra):
    d = {
        "image_path": np.asarray([f"im{i}.jpg" for i in range(n)]),
        "bbox_xywh": np.tile(np.array([10, 20, 100, 200, 1.0], np.float32), (n, 1)),
    }
    d.update(extra)
    return d


def test_round_trip_flattens_dicts_without_pickles(tmp_path):
    rng = np.random.default_rng(0)
    smplx = {
        "body_pose": rng.normal(size=(3, 21, 3)).astype(np.float32),
        "betas": np.zeros((3, 10)),
    }
    data = minimal(smplx=smplx, meta={"gender": np.asarray(["f", "m", "n"])})
    path = save_humandata(tmp_path / "a.npz", data)
    assert not any(dt.hasobject for dt in _member_dtypes(path).values())
    hd = load_humandata(path)
    assert len(hd) == 3 and hd.data_len == 3
    np.testing.assert_array_equal(hd.group("smplx")["body_pose"], smplx["body_pose"])
    assert list(hd["meta.gender"]) == ["f", "m", "n"]
    assert list(hd["image_path"]) == ["im0.jpg", "im1.jpg", "im2.jpg"]


def test_mmhuman3d_object_dicts_need_trust(tmp_path):
    path = write_scene(tmp_path, TinyBody(), n=2, layout="mmhuman3d")
    with pytest.raises(DataError) as e:
        load_humandata(path)
    msg = str(e.value)
    assert str(path) in msg and "trusted=True" in msg and "--trust-pickle" in msg
    assert "smplx" in msg and "meta" in msg
    hd = load_humandata(path, trusted=True)
    assert hd["smplx.body_pose"].shape == (2, 9)
    assert list(hd["meta.gender"]) == ["neutral", "neutral"]
    # re-saved in our layout, it reads back the same without trust
    again = load_humandata(save_humandata(tmp_path / "ours.npz", hd))
    for k, v in hd.items():
        np.testing.assert_array_equal(again[k], v)


def test_both_layouts_give_the_same_samples(tmp_path):
    model = TinyBody()
    ours = load_humandata(write_scene(tmp_path / "a", model, n=2, layout="ours"))
    theirs = load_humandata(
        write_scene(tmp_path / "b", model, n=2, layout="mmhuman3d"), trusted=True
    )
    ta, tb = build_table(ours, model), build_table(theirs, model)
    np.testing.assert_array_equal(ta.keypoints2d, tb.keypoints2d)
    for g in ta.rotations:
        np.testing.assert_array_equal(ta.rotations[g], tb.rotations[g])
    np.testing.assert_array_equal(ta.transl, tb.transl)


@pytest.mark.parametrize(
    "extra, key, expected",
    [
        ({"bbox_xywh": np.zeros((3, 3))}, "bbox_xywh", "(N, 5)"),
        ({"keypoints2d": np.zeros((3, 5, 2))}, "keypoints2d", "(N, *, 3)"),
        ({"keypoints3d": np.zeros((2, 5, 4))}, "keypoints3d", "3 rows"),
        ({"smplx": {"transl": np.zeros((3, 2))}}, "smplx.transl", "(N, 3)"),
        ({"smplx": {"body_pose": np.zeros((3, 20))}}, "smplx.body_pose", "axis-angle"),
        ({"K": np.zeros((3, 3))}, "K", "(N, 3, 3)"),
        (
            {"keypoints2d": np.zeros((3, 5, 3)), "keypoints2d_mask": np.ones(4)},
            "keypoints2d_mask",
            "(5,)",
        ),
    ],
)
def test_validation_names_file_key_expected_and_got(tmp_path, extra, key, expected):
    path = tmp_path / "bad.npz"
    np.savez(path, **{**minimal(), **{k: v for k, v in extra.items() if not isinstance(v, dict)}},
             **{f"{k}.{s}": a for k, v in extra.items() if isinstance(v, dict) for s, a in v.items()})  # fmt: skip
    with pytest.raises(DataError) as e:
        load_humandata(path)
    msg = str(e.value)
    assert str(path) in msg and repr(key) in msg and expected in msg and "got" in msg


def test_missing_required_keys_and_files(tmp_path):
    with pytest.raises(DataError, match="image_path"):
        HumanData({"bbox_xywh": np.zeros((2, 5))})
    with pytest.raises(DataError, match="bbox_xywh"):
        HumanData({"image_path": np.asarray(["a"])})
    with pytest.raises(DataError, match="not found"):
        load_humandata(tmp_path / "nope.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable"):
        load_humandata(tmp_path / "junk.npz")


def test_compressed_keypoints_are_expanded():
    mask = np.array([1, 0, 1, 1, 0])
    kp = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    hd = HumanData(minimal(2, keypoints2d=kp, keypoints2d_mask=mask, __keypoints_compressed__=True))
    full = hd.keypoints("keypoints2d")
    assert full.shape == (2, 5, 3)
    np.testing.assert_array_equal(full[:, [0, 2, 3]], kp)
    assert (full[:, [1, 4]] == 0).all()


def test_mask_folds_into_confidence():
    kp = np.ones((2, 4, 3), np.float32)
    hd = HumanData(minimal(2, keypoints2d=kp, keypoints2d_mask=np.array([1, 0, 1, 0])))
    np.testing.assert_array_equal(hd.keypoints("keypoints2d")[0, :, 2], [1, 0, 1, 0])


def test_intrinsics_from_cam_param():
    hd = HumanData(minimal(2, cam_param={"focal": np.array([[500, 510], [600, 600]], np.float32),
                                         "principal_point": np.array([[10, 20], [30, 40]], np.float32)}))  # fmt: skip
    k = intrinsics_of(hd)
    np.testing.assert_allclose(k[0], [[500, 0, 10], [0, 510, 20], [0, 0, 1]])
    np.testing.assert_allclose(k[1], [[600, 0, 30], [0, 600, 40], [0, 0, 1]])


def test_coco_keypoints_map_to_the_model_layout_by_name():
    model = TinyBody()
    coco = np.zeros((1, 17, 3), np.float32)
    coco[0, 9] = (11, 12, 1)  # left_wrist
    coco[0, 0] = (5, 6, 1)  # nose
    hd = HumanData(minimal(1, keypoints2d_coco=coco))
    t = build_table(hd, model)
    np.testing.assert_array_equal(t.keypoints2d[0, NAMES.index("L_wrist")], (11, 12, 1))
    np.testing.assert_array_equal(t.keypoints2d[0, NAMES.index("nose")], (5, 6, 1))
    assert t.keypoints2d[0, NAMES.index("pelvis"), 2] == 0  # COCO has no pelvis: confidence 0


def test_unknown_convention_is_a_clear_error():
    hd = HumanData(minimal(1, keypoints2d_mystery=np.zeros((1, 7, 3))))
    with pytest.raises(DataError, match="register_convention"):
        build_table(hd, TinyBody())


def test_name_helpers():
    assert normalize_name("L_Wrist") == "left_wrist" == normalize_name("left-wrist")
    assert swap_side("L_thigh") == "R_thigh" and swap_side("upperleg01.R") == "upperleg01.L"
    assert swap_side("mouthSmileLeft") == "mouthSmileRight" and swap_side("nose") == "nose"
    out = map_keypoints(np.array([[1.0, 2, 1], [3, 4, 1]]), ["a", "b"], ["b", "c", "a"])
    np.testing.assert_array_equal(out, [[3, 4, 1], [0, 0, 0], [1, 2, 1]])


def test_rotation_group_size_mismatch_is_an_error():
    hd = HumanData(minimal(2, smplx={"body_pose": np.zeros((2, 21, 3))}))
    with pytest.raises(DataError, match="expected 3 joints"):
        build_table(hd, TinyBody())
