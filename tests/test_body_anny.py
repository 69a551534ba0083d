import pytest
import torch

from robosmplx.body.anny_model import BODY_BONES
from robosmplx.body.parts import BODY_PARTS, FACE_PARTS, HAND_PARTS
from robosmplx.errors import ShapeError
from robosmplx.geometry.rotations import axis_angle_to_matrix, mirror_rotation


def test_sizes_and_layout(anny_small, anny_full):
    for m in (anny_small, anny_full):
        lay = m.keypoint_layout
        assert len(lay) == 137
        assert {k: len(v) for k, v in lay.subsets.items()} == {
            "body": 25, "lhand": 21, "rhand": 21, "face": 72,
        }  # fmt: skip
        assert sorted(lay.flip) == list(range(137))
        assert all(lay.flip[lay.flip[i]] == i for i in range(137))
        assert m.part_layout.counts == {"body": 24, "hand": 16, "face": 15}
        assert m.spec["body_pose"].size == len(BODY_BONES)
        assert m.spec["left_hand_pose"].size == 15
        assert m.spec["expression"].size == 52
        assert m.spec["betas"].size == 6
    assert anny_full.num_vertices == 13718 and anny_full.num_faces == 27420


def test_every_vertex_has_a_body_part(anny_small, anny_full):
    for m in (anny_small, anny_full):
        lab = m.body_part_labels
        assert lab.shape == (m.num_vertices,)
        assert int(lab.min()) >= 0 and int(lab.max()) < len(BODY_PARTS)
        assert len(torch.unique(lab)) == len(BODY_PARTS)  # every part is present
        hand = m.hand_part_labels
        assert set(torch.unique(hand[hand >= 0]).tolist()) == set(range(len(HAND_PARTS)))
        face = m.face_part_labels
        assert set(torch.unique(face[face >= 0]).tolist()) == set(range(len(FACE_PARTS)))


def test_part_views(anny_small):
    v = anny_small.part_views
    assert v["rhand"].param_groups == ("right_hand_pose",)
    assert v["lhand"].mirrored and not v["rhand"].mirrored
    lay = anny_small.keypoint_layout
    assert lay.names[v["rhand"].root] == "R_Wrist"
    assert lay.names[v["face"].root] == "Neck"
    rest = anny_small(**anny_small.neutral_params(1)).vertices[0]
    assert (rest[list(v["lhand"].vertices), 0] > 0).all()  # left is +X
    assert (rest[list(v["rhand"].vertices), 0] < 0).all()


def test_canonical_frame(anny_small):
    k = anny_small(**anny_small.neutral_params(1)).keypoints[0]
    lay = anny_small.keypoint_layout
    assert k[lay.index("Neck"), 1] > k[lay.index("Pelvis"), 1] > k[lay.index("L_Ankle"), 1]
    assert k[lay.index("L_Shoulder"), 0] > 0 > k[lay.index("R_Shoulder"), 0]
    assert k[lay.index("Nose"), 2] > k[lay.index("Neck"), 2]  # faces +Z
    assert torch.allclose(k[lay.index("Pelvis")], torch.zeros(3), atol=1e-5)


def test_axis_angle_equals_rotmat_and_transl(anny_small):
    aa = 0.3 * torch.randn(2, 25 * 3)
    go = 0.5 * torch.randn(2, 3)
    t = torch.randn(2, 3)
    a = anny_small(body_pose=aa, global_orient=go, transl=t)
    b = anny_small(
        body_pose_rotmat=axis_angle_to_matrix(aa.view(2, 25, 3)),
        global_orient_rotmat=axis_angle_to_matrix(go)[:, None],
    )
    assert torch.allclose(a.vertices, b.vertices + t[:, None], atol=1e-5)


def test_mirror_pose_gives_mirrored_mesh(anny_small):
    """Rotations are in canonical axes: M R M on the other side mirrors the mesh."""
    m = anny_small
    p = m.neutral_params(1)
    bp = p["body_pose_rotmat"].clone()
    r = axis_angle_to_matrix(torch.tensor([[0.3, 0.8, 0.5]]))
    bp[:, BODY_BONES.index("upperarm01.L")] = r
    bp[:, BODY_BONES.index("upperarm01.R")] = mirror_rotation(r)
    p["body_pose_rotmat"] = bp
    lh = axis_angle_to_matrix(0.4 * torch.randn(1, 15, 3))
    p["left_hand_pose_rotmat"] = lh
    p["right_hand_pose_rotmat"] = mirror_rotation(lh)
    out = m(**p)
    k = out.keypoints[0]
    flipped = k[list(m.keypoint_layout.flip)] * torch.tensor([-1.0, 1.0, 1.0])
    assert (flipped - k).norm(dim=-1).max() < 5e-3


def test_gradients_reach_pose_shape_expression(anny_small):
    p = {
        "body_pose": (0.1 * torch.randn(2, 75)).requires_grad_(),
        "betas": torch.rand(2, 6).requires_grad_(),
        "expression": torch.rand(2, 52).requires_grad_(),
        "right_hand_pose": (0.1 * torch.randn(2, 45)).requires_grad_(),
    }
    out = anny_small(**p)
    (out.vertices.square().sum() + out.keypoints.square().sum()).backward()
    for k, v in p.items():
        assert v.grad is not None and v.grad.abs().sum() > 0, k


def test_expression_moves_face_keypoints(anny_small):
    m = anny_small
    e = torch.zeros(1, 52)
    e[0, m.expression_labels.index("jawOpen")] = 1.0
    k0 = m(expression=torch.zeros(1, 52)).keypoints[0, list(m.keypoint_layout.subsets["face"])]
    k1 = m(expression=e).keypoints[0, list(m.keypoint_layout.subsets["face"])]
    assert (k1 - k0).norm(dim=-1).max() > 0.005


def test_wrong_shapes_raise(anny_small):
    with pytest.raises(ShapeError, match="body_pose"):
        anny_small(body_pose=torch.zeros(1, 10))
    with pytest.raises(ShapeError, match="betas"):
        anny_small(betas=torch.zeros(1, 3))
    with pytest.raises(ShapeError, match="unknown"):
        anny_small(jaw_pose=torch.zeros(1, 3))
    with pytest.raises(ShapeError, match="batch"):
        anny_small(body_pose=torch.zeros(2, 75), betas=torch.zeros(3, 6))
