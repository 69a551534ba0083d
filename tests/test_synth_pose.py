"""Pose, hand, expression and shape samplers: limits, known directions, determinism."""

import numpy as np
import pytest
import torch

from robosmplx.body.anny_model import BODY_BONES
from robosmplx.synth import limits as L
from robosmplx.synth.activities import ACTIVITIES
from robosmplx.synth.expression import sample_expression
from robosmplx.synth.hands import GRIPS, sample_hand
from robosmplx.synth.pose import mirror_coords, sample_body_coords, sample_pose
from robosmplx.synth.shape import sample_anny_phenotype


def _keypoints(model, **params):
    t = {k: torch.as_tensor(np.asarray(v), dtype=torch.float32)[None] for k, v in params.items()}
    with torch.no_grad():
        k = model(**t).keypoints[0].double().numpy()
    return {n: k[i] for i, n in enumerate(model.keypoint_layout.names)}


def test_frames_are_rotations():
    for table in (L.BODY, L.LEFT_HAND):
        f = table.frames
        assert np.allclose(f @ f.transpose(0, 2, 1), np.eye(3), atol=1e-9)
        assert np.allclose(np.linalg.det(f), 1.0)
        assert (table.lo < table.hi).all()


def test_rest_directions_match_the_model(anny_small):
    k = _keypoints(anny_small)

    def unit(a, b):
        d = k[b] - k[a]
        return d / np.linalg.norm(d)

    assert unit("L_Shoulder", "L_Elbow") @ np.array(L.UPPER_ARM) > 0.999
    assert unit("L_Elbow", "L_Wrist") @ np.array(L.FOREARM) > 0.999
    assert unit("L_Wrist", "L_Middle_1") @ np.array(L.HAND_FORWARD) > 0.999
    for finger, dirs in L.FINGER_DIRECTIONS.items():
        for s in (1, 2):  # the small topology's fingertips differ a little
            assert unit(f"L_{finger}_{s}", f"L_{finger}_{s + 1}") @ np.array(dirs[s - 1]) > 0.99


def _single(coords_row: int, value: np.ndarray, lim) -> np.ndarray:
    c = np.zeros((len(lim.lo), 3))
    c[coords_row] = value
    return L.from_joint_space(c, lim)


def test_flexion_signs(anny_small):
    """Positive flexion bends knees backward, elbows and fingers toward the palm, both sides."""
    rest = _keypoints(anny_small)
    for side in "LR":
        knee = BODY_BONES.index(f"lowerleg01.{side}")
        k = _keypoints(anny_small, body_pose=_single(knee, np.radians([60.0, 0, 0]), L.BODY))
        assert k[f"{side}_Ankle"][2] < rest[f"{side}_Ankle"][2] - 0.2
        elbow = BODY_BONES.index(f"lowerarm01.{side}")
        k = _keypoints(anny_small, body_pose=_single(elbow, np.radians([60.0, 0, 0]), L.BODY))
        assert k[f"{side}_Wrist"][1] > rest[f"{side}_Wrist"][1] + 0.1  # the hand comes up
    palm = -np.array(L.HAND_DORSAL)
    hand = _single(3, np.radians([80.0, 0, 0]), L.LEFT_HAND)  # index MCP
    k = _keypoints(anny_small, left_hand_pose=hand)
    move = k["L_Index_4"] - rest["L_Index_4"]
    assert move @ palm > 0.03
    mirrored = _single(3, np.radians([80.0, 0, 0]), L.RIGHT_HAND)
    kr = _keypoints(anny_small, right_hand_pose=mirrored)
    move_r = kr["R_Index_4"] - rest["R_Index_4"]
    assert np.allclose(move_r, move * np.array([-1.0, 1.0, 1.0]), atol=2e-3)


def test_clip_to_limits():
    rng = np.random.default_rng(0)
    rv = rng.normal(0, 1.5, (len(BODY_BONES), 3))
    clipped = L.clip_to_limits(rv, L.BODY)
    assert L.limit_violation(clipped, L.BODY).max() < 1e-9
    assert np.allclose(L.clip_to_limits(clipped, L.BODY), clipped)
    assert L.limit_violation(rv, L.BODY).max() > 0.1


def test_sampled_poses_respect_limits(anny_small):
    labels = tuple(anny_small.expression_labels)
    rng = np.random.default_rng(1)
    acts, grips, n_expr = set(), set(), []
    for _ in range(300):
        p = sample_pose(rng, labels)
        assert L.limit_violation(p.body, L.BODY).max() < 1e-9
        assert L.limit_violation(p.left_hand, L.LEFT_HAND).max() < 1e-9
        assert L.limit_violation(p.right_hand, L.RIGHT_HAND).max() < 1e-9
        assert ((p.expression >= 0) & (p.expression <= 1)).all()
        assert np.allclose(p.world_orient @ p.world_orient.T, np.eye(3), atol=1e-9)
        acts.add(p.activity)
        grips.update(p.grips)
        n_expr.append(int((p.expression > 0).sum()))
    assert len(acts) >= 12 and len(grips) >= 7
    assert np.mean(n_expr) < 5 and max(n_expr) > 1  # sparse, not always neutral


def test_world_orientations_cover_back_views_and_lying():
    rng = np.random.default_rng(2)
    facing, up = [], []
    for _ in range(400):
        p = sample_pose(rng, ())
        facing.append(p.world_orient[2, 2])  # body forward . world z
        up.append(p.world_orient[1, 1])  # body up . world up
    assert min(facing) < -0.9 and max(facing) > 0.9
    assert min(np.abs(up)) < 0.3  # someone lies down


def test_mirror_and_determinism():
    rng = np.random.default_rng(3)
    coords = sample_body_coords(rng)[0]
    assert np.allclose(mirror_coords(mirror_coords(coords)), coords)
    walk = ACTIVITIES["walk"].keyframes[0]
    assert np.allclose(walk.mirrored().to_coords(), mirror_coords(walk.to_coords()))
    a = sample_pose(np.random.default_rng(5), ("jawOpen",))
    b = sample_pose(np.random.default_rng(5), ("jawOpen",))
    assert np.array_equal(a.body, b.body) and np.array_equal(a.right_hand, b.right_hand)


@pytest.mark.parametrize("grip", sorted(GRIPS))
def test_grips_within_limits(grip):
    rng = np.random.default_rng(4)
    for side, lim in (("L", L.LEFT_HAND), ("R", L.RIGHT_HAND)):
        aa, name = sample_hand(rng, side, grip)
        assert name == grip and aa.shape == (15, 3)
        assert L.limit_violation(aa, lim).max() < 1e-9


def test_fist_bends_more_than_open_hand():
    rng = np.random.default_rng(6)
    fist = np.linalg.norm(sample_hand(rng, "L", "fist")[0][3:], axis=1).mean()
    flat = np.linalg.norm(sample_hand(rng, "L", "open")[0][3:], axis=1).mean()
    assert fist > flat + 0.6


def test_expression_presets_use_named_actions(anny_small):
    labels = tuple(anny_small.expression_labels)
    rng = np.random.default_rng(7)
    jaw = labels.index("jawOpen")
    opened = sum(sample_expression(rng, labels)[jaw] > 0 for _ in range(300))
    assert 40 < opened < 200


def test_phenotypes_cover_children_and_both_genders(anny_small):
    labels = tuple(anny_small.phenotype_labels)
    rng = np.random.default_rng(8)
    draws = [sample_anny_phenotype(rng, labels) for _ in range(400)]
    values = np.stack([d[0] for d in draws])
    groups = {d[1] for d in draws}
    assert ((values >= 0) & (values <= 1)).all()
    assert groups == {"adult", "child", "toddler"}
    age = values[:, labels.index("age")]
    gender = values[:, labels.index("gender")]
    assert age.min() < 0.25 and age.max() > 0.9
    assert gender.min() < 0.1 and gender.max() > 0.9
