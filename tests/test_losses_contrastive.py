"""L_con (eq. 2): agreement gives zero, divergence grows it, twins are pulled together."""

import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.geometry.rotations import axis_angle_to_matrix, matrix_to_rot6d
from robosmplx.losses import (
    build_representation,
    contrastive_loss,
    keypoint_representation,
    pairwise_distance,
    pose_representation,
)

torch.manual_seed(0)


def _twins(n: int) -> torch.Tensor:
    """pair_index as collate_twins makes it: the batch position of each sample's twin."""
    return torch.cat((torch.arange(n) + n, torch.arange(n)))


@pytest.mark.parametrize("distance", ["l1", "smooth_l1", "mse"])
def test_zero_when_distance_matrices_agree(distance):
    p = torch.randn(8, 12)
    # a common offset leaves every pairwise distance unchanged
    z = p + torch.randn(1, 12)
    loss = contrastive_loss(z, p, _twins(4), distance=distance)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_grows_as_predictions_diverge():
    p = torch.randn(6, 9)
    noise = torch.randn(6, 9)
    losses = [contrastive_loss(p + a * noise, p, _twins(3)).item() for a in (0.0, 0.1, 0.5, 2.0)]
    assert losses[0] == pytest.approx(0.0, abs=1e-7)
    assert losses == sorted(losses) and losses[-1] > losses[1] > 0


def test_hand_computed_small_batch():
    # N = 2: anchors 0, 1; twins 2, 3. 1-D representations, L1 distance = |a - b|.
    p = torch.tensor([[0.0], [1.0], [0.0], [1.0]])
    z = torch.tensor([[0.0], [2.0], [0.5], [2.0]])
    # positives (0,2): |0 - 0.5| = 0.5; (1,3): |0 - 0| = 0 -> mean 0.25
    # negatives of 0: k=1 |1-2|=1, k=3 |1-2|=1; of 1: k=0 |1-2|=1, k=2 |1-1.5|=0.5 -> mean 0.875
    loss = contrastive_loss(z, p, _twins(2), tau_pos=2.0, tau_neg=1.0)
    assert loss.item() == pytest.approx(2.0 * 0.25 + 0.875)


def test_positive_term_pulls_twins_together():
    n = 4
    kp = torch.randn(n, 30)
    p = torch.cat((kp, kp))  # a twin has the anchor's 3D pose
    z = (p + 0.3 * torch.randn_like(p)).requires_grad_(True)
    gap0 = (z[:n] - z[n:]).abs().mean().item()
    opt = torch.optim.SGD([z], lr=2.0)
    for _ in range(60):
        opt.zero_grad()
        contrastive_loss(z, p, _twins(n), tau_neg=0.0).backward()
        opt.step()
    assert (z[:n] - z[n:]).abs().mean().item() < 0.2 * gap0


def test_single_pair_has_no_negatives_and_no_twins_means_only_negatives():
    p = torch.zeros(2, 3)
    z = torch.tensor([[0.0, 0.0, 0.0], [0.3, 0.3, 0.3]])
    assert contrastive_loss(z, p, _twins(1)).item() == pytest.approx(0.3)
    assert contrastive_loss(z, p, _twins(1), tau_pos=0.0).item() == 0.0
    # without pair_index every sample is an anchor and every other one a negative
    assert contrastive_loss(z, p, None, tau_neg=1.0).item() == pytest.approx(0.3)
    assert contrastive_loss(z[:1], p[:1], None).item() == 0.0


def test_pair_index_from_collate_twins():
    from robosmplx.data.twins import collate_twins

    pairs = [({"x": torch.tensor(float(i))}, {"x": torch.tensor(float(i))}) for i in range(3)]
    pair_index = collate_twins(pairs)["pair_index"]
    assert torch.equal(pair_index, _twins(3))
    p = torch.randn(3, 4).repeat(2, 1)
    z = p.clone()
    z[3:] += 0.2  # every twin is off by 0.2 per entry from its anchor
    loss = contrastive_loss(z, p, pair_index, tau_neg=0.0)
    assert loss.item() == pytest.approx(0.2, abs=1e-6)


def test_masked_samples_give_zero_loss_and_gradient():
    p = torch.randn(4, 6)
    p[1] = float("nan")
    z = torch.randn(4, 6, requires_grad=True)
    loss = contrastive_loss(z, p, _twins(2), has=torch.tensor([1.0, 0.0, 1.0, 0.0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    assert z.grad[1].abs().sum() == 0 and z.grad[3].abs().sum() == 0
    z.grad = None
    loss = contrastive_loss(z, p, _twins(2), has=torch.zeros(4))
    loss.backward()
    assert loss.item() == 0.0 and z.grad.abs().sum() == 0


def test_keypoint_representation_is_root_and_scale_free():
    kp = torch.randn(3, 10, 3)
    rep = keypoint_representation(kp, root=(1, 2))
    moved = keypoint_representation(2.5 * kp + torch.tensor([1.0, -2.0, 0.5]), root=(1, 2))
    assert rep.shape == (3, 30)
    assert torch.allclose(rep, moved, atol=1e-5)
    mean_norm = rep.reshape(3, 10, 3).norm(dim=-1).mean(1)
    assert torch.allclose(mean_norm, torch.ones(3), atol=1e-5)


def test_pose_representations_and_go_plus_pose_sums_distances():
    go = axis_angle_to_matrix(torch.randn(4, 1, 3))
    pose = axis_angle_to_matrix(torch.randn(4, 5, 3))
    (single,) = pose_representation(go, pose)
    assert single.shape == (4, 36)
    assert torch.allclose(single[:, :6], matrix_to_rot6d(go).flatten(1))
    parts = build_representation("go+pose", global_orient_rotmat=go, body_pose_rotmat=pose)
    assert [t.shape for t in parts] == [(4, 6), (4, 30)]
    (mats,) = pose_representation(go, pose, form="rotmat")
    assert mats.shape == (4, 54)
    z = tuple(t + 0.1 * torch.randn_like(t) for t in parts)
    expected = contrastive_loss(z[0], parts[0], _twins(2), tau_neg=0.0)
    total = sum(pairwise_distance(t) for t in z) - sum(pairwise_distance(t) for t in parts)
    assert contrastive_loss(z, parts, _twins(2), tau_neg=0.0).item() == pytest.approx(
        0.5 * (total[0, 2].abs() + total[1, 3].abs()).item(), rel=1e-5
    )
    assert expected.item() > 0


def test_errors_name_the_problem():
    with pytest.raises(ShapeError, match="differ"):
        contrastive_loss(torch.zeros(4, 3), torch.zeros(4, 5))
    with pytest.raises(ShapeError, match="pair_index"):
        contrastive_loss(torch.zeros(4, 3), torch.zeros(4, 3), torch.arange(3))
    with pytest.raises(ShapeError, match="point at each other"):
        contrastive_loss(torch.zeros(4, 3), torch.zeros(4, 3), torch.tensor([2, 3, 1, 0]))
    with pytest.raises(ShapeError, match="keypoints3d"):
        build_representation("keypoints")


def test_per_joint_masks_ignore_missing_joints():
    """A joint one sample lacks changes neither distance of that sample; pairs that share no
    joint are left out."""
    from robosmplx.losses.contrastive import contrastive_loss, keypoint_representation

    g = torch.Generator().manual_seed(0)
    kp = torch.randn(4, 5, 3, generator=g)
    valid = torch.ones(4, 5)
    valid[1, 3] = 0
    pred = kp + 0.1 * torch.randn(4, 5, 3, generator=g)
    rep = lambda x: keypoint_representation(x, 0, valid=valid)  # noqa: E731
    entries = valid[:, :, None].expand(-1, -1, 3).flatten(1)
    base = contrastive_loss(rep(pred), rep(kp), valid=entries)
    wild = kp.clone()
    wild[1, 3] = 100.0  # the missing joint's value must not matter
    assert torch.allclose(contrastive_loss(rep(pred), rep(wild), valid=entries), base)
    none = torch.zeros_like(entries)
    assert float(contrastive_loss(rep(pred), rep(kp), valid=none)) == 0.0
