"""Priors of the fit (known answers) and the limb start from world landmarks."""

import numpy as np
import torch

from robosmplx.fit import priors
from robosmplx.fit.kinematics import body_chain, min_rotation, turn_limbs
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA
from robosmplx.landmarks.types import BODY33
from robosmplx.synth.limits import BODY, from_joint_space


def test_limit_penalty_is_zero_inside_and_grows_outside():
    table = priors._anny_limits()["body_pose"]
    inside = from_joint_space(0.5 * (BODY.lo + BODY.hi), BODY)  # box centres
    assert float(table.penalty(torch.from_numpy(inside).float()[None])) < 1e-10
    coords = 0.5 * (BODY.lo + BODY.hi)
    coords[3, 0] = BODY.hi[3, 0] + 0.5  # the left knee 0.5 rad past its limit
    out = torch.from_numpy(from_joint_space(coords, BODY)).float()[None]
    assert abs(float(table.penalty(out)) - 0.25 / len(coords)) < 1e-5


def test_gaussian_prior_is_zero_at_its_mean_and_whitens():
    rng = np.random.default_rng(0)
    g = priors._gaussian(rng.normal([1.0, -2.0], [0.1, 2.0], (4000, 2)))
    assert float(g.energy(g.mean[None])) < 1e-10
    one_sd = g.mean + torch.tensor([0.1, 0.0])
    expected = 0.5 * 0.01 / (0.01 + priors.RIDGE)  # 1 sd in 1 of 2 dimensions, with the ridge
    assert abs(float(g.energy(one_sd[None])) - expected) < 0.03


def test_anny_prior_is_cached_on_disk(tmp_path, monkeypatch, anny_small):
    monkeypatch.setenv("ROBOSMPLX_CACHE_DIR", str(tmp_path))
    first = priors._anny_prior(anny_small.expression_labels)
    assert priors._cache_path().is_file()
    second = priors._anny_prior(anny_small.expression_labels)
    for k in priors.POSE_GROUPS:
        assert torch.equal(first[k].mean, second[k].mean)
        assert torch.equal(first[k].whiten, second[k].whiten)
    assert first["body_pose"].mean.shape == (75,)


def test_min_rotation_turns_a_onto_b():
    a = torch.tensor([[1.0, 0.0, 0.0], [0.3, 2.0, -1.0]])
    b = torch.tensor([[0.0, 2.0, 0.0], [-1.0, 0.2, 0.5]])
    r, ok = min_rotation(a, b)
    assert ok.all()
    turned = (r @ a[..., None])[..., 0]
    assert torch.allclose(
        turned / turned.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True), atol=1e-5
    )
    assert torch.allclose(r @ r.transpose(1, 2), torch.eye(3).expand(2, 3, 3), atol=1e-5)


def test_limbs_turn_along_world_landmarks(anny_small):
    """Known answer: after the turn every limb points where its world landmarks point."""
    chain = body_chain(anny_small)
    assert sum(len(lv) for lv in chain.levels) == 8  # arms and legs, both sides
    orient = CANONICAL_TO_CAMERA[None]
    rot = torch.eye(3).expand(1, 25, 3, 3).clone()
    names = anny_small.keypoint_layout.names
    world = torch.zeros(1, 33, 3)
    targets = {"left_shoulder": (0.2, -0.4, 0.0), "left_elbow": (0.2, -0.1, -0.25),
               "left_wrist": (0.45, -0.1, -0.3), "left_hip": (0.1, 0.0, 0.0),
               "left_knee": (0.15, 0.2, -0.35), "left_ankle": (0.15, 0.6, -0.3)}  # fmt: skip
    for k, v in targets.items():
        world[0, BODY33.index(k)] = torch.tensor(v)
    conf = torch.zeros(1, 33)
    conf[0, [BODY33.index(k) for k in targets]] = 1.0

    def forward(r):
        p = anny_small.neutral_params(1)
        p["global_orient_rotmat"] = orient[:, None]
        p["body_pose_rotmat"] = r
        return anny_small(**p).keypoints

    new = turn_limbs(chain, forward, orient, rot, world, conf)
    kps = forward(new)[0]
    for a, b, la, lb in (("L_Shoulder", "L_Elbow", "left_shoulder", "left_elbow"),
                         ("L_Elbow", "L_Wrist", "left_elbow", "left_wrist"),
                         ("L_Knee", "L_Ankle", "left_knee", "left_ankle")):  # fmt: skip
        d = kps[names.index(b)] - kps[names.index(a)]
        t = world[0, BODY33.index(lb)] - world[0, BODY33.index(la)]
        assert torch.nn.functional.cosine_similarity(d, t, dim=0) > 0.999, (a, b)
    right = [row[0] for lv in chain.levels for row in lv if BODY33[row[3]].startswith("right")]
    assert torch.equal(new[0, right], rot[0, right])
