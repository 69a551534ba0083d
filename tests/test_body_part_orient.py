"""Part-frame global orientation: what hand and face subnetworks are supervised with."""

from pathlib import Path

import numpy as np
import torch

from robosmplx.data.datasets import HandDataset
from robosmplx.data.humandata import load_humandata
from robosmplx.data.records import build_table
from robosmplx.geometry.rotations import axis_angle_to_matrix, geodesic_distance

TINY = Path(__file__).parent / "data" / "tiny_bench" / "humandata.npz"


def _centred(points: torch.Tensor, root: int) -> torch.Tensor:
    return points - points[:, root : root + 1]


def test_part_orient_turns_the_rest_part_like_the_whole_body(anny_small):
    torch.manual_seed(0)
    params = {
        "global_orient": torch.tensor([[0.3, -2.0, 0.5]]),
        "body_pose": 0.3 * torch.randn(1, 75),
        "right_hand_pose": 0.3 * torch.randn(1, 45),
        "left_hand_pose": 0.3 * torch.randn(1, 45),
        "betas": torch.rand(1, 6),
    }
    full = anny_small(**params)
    for view, group in (("rhand", "right_hand_pose"), ("lhand", "left_hand_pose")):
        pv = anny_small.part_views[view]
        r = anny_small.part_global_orient(view, **params)
        assert r.shape == (1, 3, 3)
        torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(3)[None], atol=1e-5, rtol=0)
        part = anny_small(
            global_orient_rotmat=r[:, None], betas=params["betas"], **{group: params[group]}
        )
        idx = list(pv.keypoints)
        root = idx.index(pv.root)
        err = (
            _centred(full.keypoints[:, idx], root) - _centred(part.keypoints[:, idx], root)
        ).norm(dim=-1)
        assert err.max() < 1e-3  # the hand's joints are rigid w.r.t. the wrist
    # with the body at rest the part frame is the global orientation itself
    rest = {"global_orient": params["global_orient"], "betas": params["betas"]}
    g = axis_angle_to_matrix(params["global_orient"])
    for view in ("rhand", "lhand", "face"):
        r = anny_small.part_global_orient(view, **rest)
        assert geodesic_distance(r, g).max() < 1e-4


def test_hand_samples_carry_the_hand_frame_orientation(anny_small):
    ds = HandDataset(TINY, anny_small, train=False)
    table = build_table(load_humandata(TINY), anny_small)
    pv = anny_small.part_views["rhand"]
    idx = list(pv.keypoints)
    root = idx.index(pv.root)
    sides = [side for _, side in ds.entries]
    for j in (sides.index("right"), sides.index("left")):
        s = ds[j]
        assert s["has_global_orient"] == 1
        i = ds.entries[j][0]
        betas = torch.from_numpy(np.asarray(table.vectors["betas"][i], np.float32))[None]
        posed = anny_small(
            global_orient_rotmat=s["gt_global_orient_rotmat"][None],
            right_hand_pose_rotmat=s["gt_right_hand_pose_rotmat"][None],
            betas=betas,
        ).keypoints[:, idx]
        gt = s["gt_keypoints3d"][None, :, :3]  # the rhand subset, left hands mirrored
        err = (_centred(posed, root) - _centred(gt, root)).norm(dim=-1)
        assert err.max() < 2e-3, (sides[j], err.max())


def test_part_orient_on_the_smplx_standin(tmp_path):
    from robosmplx.body import load_body_model
    from support.standin import write_standin_model_files

    write_standin_model_files(tmp_path, names=("smplx",))
    model = load_body_model("smplx", model_dir=tmp_path)
    torch.manual_seed(0)
    params = {
        "global_orient": torch.tensor([[0.3, -2.0, 0.5]]),
        "body_pose": 0.3 * torch.randn(1, 63),
        "right_hand_pose": 0.3 * torch.randn(1, 45),
        "betas": torch.randn(1, 10),
    }
    pv = model.part_views["rhand"]
    r = model.part_global_orient("rhand", **params)
    full = model(**params).keypoints
    part = model(global_orient_rotmat=r[:, None], betas=params["betas"],
                 right_hand_pose=params["right_hand_pose"]).keypoints  # fmt: skip
    idx = list(pv.keypoints)
    root = idx.index(pv.root)
    err = (_centred(full[:, idx], root) - _centred(part[:, idx], root)).norm(dim=-1)
    assert err.max() < 3e-3  # SMPL-X's pose correctives move the hand a little
