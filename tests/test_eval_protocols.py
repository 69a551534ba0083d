"""Protocols, part tables and per-part scoring: known answers on the small Anny model."""

import pickle

import numpy as np
import pytest
import torch

from robosmplx.errors import ConfigError, ModelFileError
from robosmplx.eval.parts import part_vertex_ids, resolve_parts, smplx_part_vertex_ids
from robosmplx.eval.protocols import PROTOCOLS, get_protocol
from robosmplx.eval.scoring import score_part, score_parts


def test_every_protocol_is_complete():
    for name, p in PROTOCOLS.items():
        assert p.name == name
        assert p.parts and p.table
        part, metric = p.headline
        assert part in p.part_names + p.derived_parts
        assert metric in p.metrics or (metric == "rmse3d" and p.rmse3d)
        for row in p.table:
            assert row.part in p.part_names + p.derived_parts
    assert get_protocol("EHF").body_model == "smplx"
    assert get_protocol("3dpw").parts[0].joints == "j14"
    with pytest.raises(ConfigError, match="unknown protocol"):
        get_protocol("coco")


def test_anny_parts_roots_and_vertex_subsets(anny_small):
    layout = anny_small.keypoint_layout
    parts = resolve_parts(get_protocol("synthetic"), anny_small)
    assert set(parts) == {"wholebody", "body", "lhand", "rhand", "face"}
    assert len(parts["wholebody"].joints) == len(layout)
    assert parts["wholebody"].root == (layout.index("Pelvis"),)
    assert parts["lhand"].root == (layout.index("L_Wrist"),)
    assert parts["rhand"].root == (layout.index("R_Wrist"),)
    assert parts["face"].root == (layout.index("Neck"),)
    assert [j[0] for j in parts["rhand"].joints] == list(layout.subsets["rhand"])
    ids = part_vertex_ids(anny_small)
    for p in ("lhand", "rhand", "face"):
        assert parts[p].vertices == tuple(anny_small.part_views[p].vertices)
    body = set(ids["body"].tolist())
    others = set().union(*(set(ids[p].tolist()) for p in ("lhand", "rhand", "face")))
    assert body.isdisjoint(others) and body | others == set(range(anny_small.num_vertices))
    assert parts["wholebody"].vertices is None


def test_j14_by_name_and_hip_root(anny_small):
    proto = get_protocol("3dpw")
    rule = proto.parts[0]
    from dataclasses import replace

    any_model = replace(proto, body_model=None)
    sel = resolve_parts(any_model, anny_small)["body"]
    layout = anny_small.keypoint_layout
    assert len(sel.joints) == 14 and rule.root == "h36m"  # Anny: by name, hips root
    assert sel.joints[0] == (layout.index("R_Ankle"),)
    assert sel.joints[-1] == (layout.index("L_Ear"), layout.index("R_Ear"))  # head top stand-in
    assert sel.root == (layout.index("L_Hip"), layout.index("R_Hip"))
    kp = torch.randn(2, len(layout), 3)
    j = sel.joint_points(torch.zeros(2, 5, 3), kp)
    assert torch.allclose(j[:, -1], kp[:, [layout.index("L_Ear"), layout.index("R_Ear")]].mean(1))
    assert torch.allclose(sel.root_point(None, kp), kp[:, list(sel.root)].mean(1))


def test_smplx_vertex_maps_read_from_model_folder(tmp_path):
    folder = tmp_path / "smplx"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="MANO_SMPLX_vertex_ids.pkl"):
        smplx_part_vertex_ids(tmp_path)
    maps = {"left_hand": np.arange(10, 20), "right_hand": np.arange(20, 30)}
    with open(folder / "MANO_SMPLX_vertex_ids.pkl", "wb") as f:
        pickle.dump(maps, f)
    with pytest.raises(ModelFileError, match="SMPL-X__FLAME_vertex_ids.npy"):
        smplx_part_vertex_ids(tmp_path)
    np.save(folder / "SMPL-X__FLAME_vertex_ids.npy", np.arange(40, 60))
    ids = smplx_part_vertex_ids(tmp_path)
    assert ids["lhand"].tolist() == list(range(10, 20))
    assert ids["rhand"].tolist() == list(range(20, 30))
    assert ids["face"].tolist() == list(range(40, 60))


def test_vertex_map_pickle_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    (tmp_path / "smplx").mkdir()
    with open(tmp_path / "smplx" / "MANO_SMPLX_vertex_ids.pkl", "wb") as f:
        pickle.dump({"left_hand": Evil(), "right_hand": np.arange(3)}, f)
    np.save(tmp_path / "smplx" / "SMPL-X__FLAME_vertex_ids.npy", np.arange(3))
    with pytest.raises(ModelFileError, match="cannot read"):
        smplx_part_vertex_ids(tmp_path)


def test_score_part_known_answers(anny_small):
    sel = resolve_parts(get_protocol("synthetic"), anny_small)["rhand"]
    with torch.no_grad():
        out = anny_small(**anny_small.neutral_params(2))
    v, k = out.vertices.double(), out.keypoints.double()
    metrics = ("mpjpe", "pa_mpjpe", "pve", "pa_pve", "f5")
    # A rigid shift of everything: root-aligned and Procrustes errors vanish, F-score is one.
    s = score_part(sel, v + 0.3, k + 0.3, v, k, metrics)
    for m in ("mpjpe", "pa_mpjpe", "pve", "pa_pve"):
        np.testing.assert_allclose(s[m], 0.0, atol=1e-6)
    np.testing.assert_allclose(s["f5"], 1.0)
    # One scored joint (not the wrist root) moved by 21 mm: MPJPE = 21 / 21 joints = 1 mm.
    j = sel.joints[5][0]
    k2 = k.clone()
    k2[:, j, 0] += 0.021
    s = score_part(sel, v, k2, v, k, ("mpjpe", "pve"))
    np.testing.assert_allclose(s["mpjpe"], 1.0, atol=1e-9)
    np.testing.assert_allclose(s["pve"], 0.0, atol=1e-9)
    # The whole mesh scaled about the root: PA-PVE is zero, PVE is not.
    root = sel.root_point(v, k)[:, None]
    s = score_part(sel, root + 1.5 * (v - root), root + 1.5 * (k - root), v, k, ("pve", "pa_pve"))
    np.testing.assert_allclose(s["pa_pve"], 0.0, atol=1e-6)
    assert (s["pve"] > 1.0).all()


def test_hands_is_the_mean_of_both_hands(anny_small):
    parts = resolve_parts(get_protocol("synthetic"), anny_small)
    with torch.no_grad():
        gt = anny_small(**anny_small.neutral_params(3))
        p = anny_small.neutral_params(3)
        p.pop("left_hand_pose_rotmat")
        p["left_hand_pose"] = 0.3 * torch.randn(3, 45)
        pred = anny_small(**p)
    s = score_parts(parts, pred.vertices, pred.keypoints, gt.vertices, gt.keypoints, ("pve",))
    np.testing.assert_allclose(s["hands"]["pve"], (s["lhand"]["pve"] + s["rhand"]["pve"]) / 2)
    np.testing.assert_allclose(s["rhand"]["pve"], 0.0, atol=1e-4)


def test_network_configs_answer_for_themselves(anny_small):
    from robosmplx.geometry.pixels import resize_affine
    from robosmplx.models import preset_config

    a = resize_affine(64 / 128)  # (2, 3) source px -> body-crop px
    corners = np.array([[-0.5, -0.5, 1.0], [127.5, 127.5, 1.0]])
    np.testing.assert_allclose(corners @ a.T, [[-0.5, -0.5], [63.5, 63.5]])
    wb = preset_config("small", anny_small)
    assert wb.task == "wholebody"
    assert wb.crop_size == wb.source_size == 2 * wb.body.input_size
    assert {g.name for g in wb.predicted_groups} == set(anny_small.spec.names)
    assert wb.body_model_problems(anny_small) == []
    hand = preset_config("small-hand", anny_small)
    assert hand.task == "hand" and hand.crop_size == hand.input_size
    assert "right_hand_pose" in {g.name for g in hand.predicted_groups}
    assert hand.body_model_problems(anny_small) == []
    hmr = preset_config("hmr-small", anny_small)
    assert hmr.task == "body" and hmr.body_model_problems(anny_small) == []
