"""Cameras and rest corrections: known answers for look-at, placement, crops and retargeting."""

import numpy as np
import pytest
import torch

from robosmplx.data.crop import apply_affine
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
from robosmplx.synth import scene as S
from robosmplx.synth.retarget import min_rotation


def test_look_at_front_view_is_the_canonical_flip():
    r = S.look_at(np.array([0.0, 0.0, -1.0]))
    assert np.allclose(r, CANONICAL_TO_CAMERA.numpy(), atol=1e-12)


@pytest.mark.parametrize("forward", [(1.0, -0.5, 0.2), (0.0, -1.0, 0.01), (-0.3, 0.2, 1.0)])
def test_look_at_is_a_rotation_along_forward(forward):
    f = np.asarray(forward) / np.linalg.norm(forward)
    r = S.look_at(f, roll=0.3)
    assert np.allclose(r @ r.T, np.eye(3), atol=1e-12) and np.isclose(np.linalg.det(r), 1.0)
    assert np.allclose(r @ f, [0.0, 0.0, 1.0], atol=1e-12)


def test_place_hits_centre_and_extent():
    rng = np.random.default_rng(0)
    pts = rng.normal(0, 1, (500, 3)) * np.array([0.3, 0.8, 0.2])
    k = S.intrinsics(300.0, 256, 256)
    t = S.place(pts, k, np.array([100.0, 140.0]), 180.0)
    uv = S.project(pts + t, k)
    centre = (uv.max(0) + uv.min(0)) / 2
    assert np.allclose(centre, [100.0, 140.0], atol=0.5)
    assert abs(np.ptp(uv, axis=0).max() - 180.0) < 2.0


def test_crop_intrinsics_equal_cropping_the_frame():
    """Rendering through A K equals projecting with K and applying the pipeline's affine."""
    rng = np.random.default_rng(1)
    pts = rng.normal(0, 0.3, (50, 3)) + np.array([0.0, 0.0, 3.0])
    k = S.intrinsics(500.0, 512, 512)
    k_img, a = S.crop_camera(k, np.array([150.0, 80.0, 120.0, 300.0]), 1.25, 256)
    assert np.allclose(S.project(pts, k_img), apply_affine(S.project(pts, k), a), atol=1e-9)


def test_min_rotation():
    rng = np.random.default_rng(2)
    for _ in range(20):
        a, b = rng.normal(size=3), rng.normal(size=3)
        r = min_rotation(a, b)
        assert np.allclose(r @ r.T, np.eye(3), atol=1e-9)
        assert np.allclose(r @ (a / np.linalg.norm(a)), b / np.linalg.norm(b), atol=1e-9)
    r = min_rotation(np.array([1.0, 0, 0]), np.array([-1.0, 0, 0]))
    assert np.allclose(r @ [1.0, 0, 0], [-1.0, 0, 0])


def test_close_up_sees_the_target_from_outside_the_body(anny_small):
    from robosmplx.synth.people import ModelTables, sample_person

    tables = ModelTables(anny_small)
    rng = np.random.default_rng(3)
    p = sample_person(tables, rng)
    idx = tables.subsets["rhand"]
    target = p.keypoints[idx].mean(0)
    k, r, t = S.close_up(rng, p.verts, target, np.array([0.0, 0.0, 1.0]), (0.3, 0.5), 20.0,
                         tables.arm_end("R"))  # fmt: skip
    cam = p.verts @ r.T + t
    assert cam[:, 2].min() > 0.08
    centre = S.project((target @ r.T + t)[None], k)[0]
    assert np.allclose(centre, k[:2, 2], atol=1e-6)


def test_retarget_to_smplx_standin_matches_directions(tmp_path):
    from robosmplx.body import load_body_model
    from robosmplx.synth.people import ModelTables
    from robosmplx.synth.pose import sample_pose
    from support import standin

    standin.write_standin_smplx(tmp_path)
    smplx = load_body_model("smplx", model_dir=tmp_path)
    anny = load_body_model("anny-small")
    tables = ModelTables(smplx)
    rng = np.random.default_rng(4)
    segments = [("L_Shoulder", "L_Elbow"), ("R_Elbow", "R_Wrist"), ("L_Hip", "L_Knee"),
                ("R_Knee", "R_Ankle"), ("L_Index_1", "L_Index_2"), ("R_Wrist", "R_Middle_1"),
                ("L_Thumb_2", "L_Thumb_3")]  # fmt: skip
    for _ in range(4):
        pose = sample_pose(rng, tuple(anny.expression_labels))
        params = tables.retarget.params(pose, np.zeros(smplx.spec["betas"].size), rng)
        with torch.no_grad():
            km = smplx(**{k: torch.tensor(v, dtype=torch.float32)[None] for k, v in params.items()})
            ka = anny(body_pose=torch.tensor(pose.body, dtype=torch.float32)[None],
                      left_hand_pose=torch.tensor(pose.left_hand, dtype=torch.float32)[None],
                      right_hand_pose=torch.tensor(pose.right_hand, dtype=torch.float32)[None])  # fmt: skip
        lm, la = smplx.keypoint_layout, anny.keypoint_layout
        for a, b in segments:
            dm = km.keypoints[0, lm.index(b)] - km.keypoints[0, lm.index(a)]
            da = ka.keypoints[0, la.index(b)] - ka.keypoints[0, la.index(a)]
            assert torch.nn.functional.cosine_similarity(dm, da, dim=0) > 0.99
