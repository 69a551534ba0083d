"""SMPL-X family backend against the official smplx forward, on stand-in model files."""

import json

import pytest
import smplx
import torch

from robosmplx.body.smplx_family import load_smplx_family
from robosmplx.geometry.rotations import axis_angle_to_matrix
from support.standin import write_standin_model_files

B = 3
# smplx's order of the extra keypoint vertices it appends to the SMPL-X / SMPL joints.
SELECTOR_KEYS = ["nose", "reye", "leye", "rear", "lear", "LBigToe", "LSmallToe", "LHeel"]
SELECTOR_KEYS += ["RBigToe", "RSmallToe", "RHeel"]
SELECTOR_KEYS += [s + f for s in "lr" for f in ("thumb", "index", "middle", "ring", "pinky")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("smplx_models")
    write_standin_model_files(d)
    return d


def _vertex_ids(model_dir, rel):
    return json.loads((model_dir / rel).read_text())


def _reference(name, model_dir, flat_hand_mean=False):
    """smplx's own model on the same files (extra vertices set for the stand-in topology)."""
    if name == "smplx":
        ref = smplx.create(
            str(model_dir), "smplx", use_pca=False, flat_hand_mean=flat_hand_mean,
            use_face_contour=True, num_betas=10, num_expression_coeffs=10, batch_size=B,
        )  # fmt: skip
        ids = _vertex_ids(model_dir, "smplx/SMPLX_NEUTRAL.vertex_ids.json")
        ref.vertex_joint_selector.extra_joints_idxs = torch.tensor([ids[k] for k in SELECTOR_KEYS])
        return ref
    if name == "smpl":
        ids = _vertex_ids(model_dir, "smpl/SMPL_NEUTRAL.vertex_ids.json")
        return smplx.create(str(model_dir), "smpl", vertex_ids=ids, batch_size=B)
    if name == "mano":
        return smplx.create(
            str(model_dir), "mano", use_pca=False, flat_hand_mean=flat_hand_mean, batch_size=B
        )
    return smplx.create(
        str(model_dir), "flame", use_face_contour=True, num_betas=100, num_expression_coeffs=50,
        batch_size=B,
    )  # fmt: skip


def _random_params(model, scale=0.5):
    out = {}
    for g in model.spec.groups:
        s = scale if g.kind == "rotation" else 1.0
        out[g.name] = torch.randn(B, g.dim_aa) * s
    out["transl"] = torch.randn(B, 3) * 0.3
    return out


def _call_reference(ref, name, p):
    if name == "mano":
        return ref(
            global_orient=p["global_orient"], hand_pose=p["right_hand_pose"],
            betas=p["betas"], transl=p["transl"],
        )  # fmt: skip
    return ref(**p)


@pytest.mark.parametrize("name", ["smplx", "smpl", "mano", "flame"])
def test_matches_smplx_forward(model_dir, name):
    model = load_smplx_family(name, model_dir)
    ref = _reference(name, model_dir)
    for _ in range(2):
        p = _random_params(model)
        ours = model(**p)
        theirs = _call_reference(ref, name, p)
        torch.testing.assert_close(ours.vertices, theirs.vertices, atol=2e-6, rtol=0)
        torch.testing.assert_close(ours.extras["smplx_joints"], theirs.joints, atol=2e-6, rtol=0)
        n_joints = len(model._lay.joints)
        torch.testing.assert_close(ours.joints, theirs.joints[:, :n_joints], atol=2e-6, rtol=0)


def test_contour_landmarks_follow_head_yaw(model_dir):
    """Large neck yaw selects other contour rows; still identical to smplx."""
    model = load_smplx_family("smplx", model_dir)
    ref = _reference("smplx", model_dir)
    body = torch.zeros(B, 21, 3)
    body[:, 11, 1] = torch.tensor([0.6, -0.6, 0.2])  # neck (joint 12) about Y
    p = {"body_pose": body.reshape(B, -1), "betas": torch.randn(B, 10)}
    ours, theirs = model(**p), ref(**p)
    torch.testing.assert_close(ours.extras["smplx_joints"], theirs.joints, atol=2e-6, rtol=0)
    contour = ours.keypoints[:, -17:]
    assert not torch.allclose(contour[0], contour[1], atol=1e-4)


@pytest.mark.parametrize("name", ["smplx", "mano"])
def test_flat_hand_mean_option_matches_smplx(model_dir, name):
    model = load_smplx_family(name, model_dir, flat_hand_mean=True)
    ref = _reference(name, model_dir, flat_hand_mean=True)
    p = _random_params(model)
    torch.testing.assert_close(
        model(**p).vertices, _call_reference(ref, name, p).vertices, atol=2e-6, rtol=0
    )
    default = load_smplx_family(name, model_dir)
    assert not torch.allclose(default(**p).vertices, model(**p).vertices, atol=1e-4)


@pytest.mark.parametrize("name", ["smplx", "flame"])
def test_axis_angle_and_rotmat_inputs_agree(model_dir, name):
    model = load_smplx_family(name, model_dir)
    p = _random_params(model)
    as_mats = {}
    for k, v in p.items():
        if k in model.spec and model.spec[k].kind == "rotation":
            as_mats[f"{k}_rotmat"] = axis_angle_to_matrix(v.reshape(B, -1, 3))
        else:
            as_mats[k] = v
    a, b = model(**p), model(**as_mats)
    torch.testing.assert_close(a.vertices, b.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(a.keypoints, b.keypoints, atol=1e-6, rtol=0)


def test_gradients_reach_pose_shape_and_expression(model_dir):
    model = load_smplx_family("smplx", model_dir)
    p = {k: v.requires_grad_(True) for k, v in _random_params(model).items()}
    out = model(**p)
    (out.vertices.square().sum() + out.keypoints.square().sum()).backward()
    for k, v in p.items():
        assert v.grad is not None and torch.isfinite(v.grad).all(), k
        assert v.grad.abs().sum() > 0, k


def test_gradients_at_rest_pose_are_finite(model_dir):
    """The hand mean goes through log(R): at R = I its gradient must still be finite."""
    model = load_smplx_family("smplx", model_dir)
    p = {k: v.requires_grad_(True) for k, v in model.neutral_params(2).items()}
    model(**p).vertices.sum().backward()
    for k in ("left_hand_pose_rotmat", "right_hand_pose_rotmat", "body_pose_rotmat", "betas"):
        assert torch.isfinite(p[k].grad).all() and p[k].grad.abs().sum() > 0, k
