import torch

from robosmplx.geometry.rotations import axis_angle_to_matrix


def _check(model, params):
    c = model.rotation_center(**params).float()
    g = axis_angle_to_matrix(torch.tensor([[0.4, -1.1, 0.7]]))
    v0 = model(**params).vertices[0]
    vg = model(global_orient_rotmat=g[:, None], **params).vertices[0]
    expected = (v0 - c) @ g[0].T + c
    assert (vg - expected).norm(dim=-1).max() < 1e-4


def test_rotation_center_anny(anny_small):
    _check(anny_small, {"betas": torch.rand(1, 6), "body_pose": 0.2 * torch.randn(1, 75)})


def test_rotation_center_smplx_standin(tmp_path):
    from robosmplx.body import load_body_model
    from support.standin import write_standin_model_files

    write_standin_model_files(tmp_path, names=("smplx",))
    model = load_body_model("smplx", model_dir=tmp_path)
    _check(model, {"betas": torch.randn(1, 10), "jaw_pose": 0.2 * torch.randn(1, 3)})
