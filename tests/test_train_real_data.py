"""Real-data training: mmhuman3d HumanData files supervise every loss term of the body stage.

The files are written in mmhuman3d's own layout (tests/mmhuman3d_fixtures.py): 190-point
``human_data`` keypoints, compressed, pickled parameter dicts, no part maps and no camera.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from mmhuman3d_fixtures import to_mmhuman3d
from robosmplx.data import BodyDataset, collate_twins
from robosmplx.data.augment import stage_augment
from robosmplx.data.humandata import load_humandata
from robosmplx.errors import DataError
from robosmplx.losses.weights import stage_losses
from robosmplx.models.presets import build_model
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.generate import generate
from robosmplx.synth.writer import FINAL_NAME
from robosmplx.train.objective import Objective

N = 3


def _clean_synth(root, task: str):
    """N clean synthetic samples of ``task`` (one person, no occluder or truncation)."""
    cfg = SynthConfig(
        task=task, size=128, seed=5, body_model="anny-small", extra_people_prob=0.0,
        occluder_prob=0.0, truncation_prob=0.0,
    )  # fmt: skip
    generate(cfg, N, root / "synth", workers=1, progress=False)
    return root / "synth" / FINAL_NAME


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    return root, _clean_synth(root, "body")


def _agreement(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(IoU of the person masks, share of shared person pixels with the same part label)."""
    fa, fb = a > 0, b > 0
    iou = float((fa & fb).sum()) / max(float((fa | fb).sum()), 1.0)
    same = float(((a == b) & fa & fb).sum()) / max(float((fa & fb).sum()), 1.0)
    return iou, same


def test_rendered_part_maps_match_the_synthetic_ones(synth, anny_small, tmp_path):
    root, path = synth
    ref = BodyDataset(path, anny_small, train=False)
    placed = to_mmhuman3d(path, tmp_path / "placed.npz", anny_small, drop=("segm_path",))
    fitted = to_mmhuman3d(
        path, tmp_path / "fitted.npz", anny_small, drop=("segm_path", "K", "transl", "root_cam")
    )
    # the fit uses the virtual camera (focal 5000 @ 256), not the picture's own: a looser match
    for file, min_iou, min_same in ((placed, 0.9, 0.85), (fitted, 0.6, 0.7)):
        ds = BodyDataset(file, anny_small, train=False, trusted=True)
        for i in range(N):
            want, got = ref[i], ds[i]
            assert got["has_segm"] == 1.0
            iou, same = _agreement(want["gt_part_segm"], got["gt_part_segm"])
            assert iou > min_iou and same > min_same, (file.name, i, iou, same)
    off = BodyDataset(placed, anny_small, train=False, trusted=True, render_segm=False)
    assert off[0]["has_segm"] == 0.0


def test_mmhuman3d_file_needs_trust_and_reads_the_190_point_convention(synth, anny_small, tmp_path):
    root, path = synth
    mm = to_mmhuman3d(path, tmp_path / "mm.npz", anny_small, drop=("segm_path",))
    with pytest.raises(DataError, match="trust"):
        load_humandata(mm)
    hd = load_humandata(mm, trusted=True)
    assert hd["keypoints2d"].shape[1] == 190
    ref = load_humandata(path)
    ds = BodyDataset(mm, anny_small, train=False, trusted=True)
    body = [anny_small.keypoint_layout.names.index(n) for n in ("Pelvis", "L_Wrist", "R_Big_toe")]
    want = ref["keypoints2d"][:, body]
    want = np.where(want[..., 2:] > 0, want, 0.0)  # a missing point is all zeros once read
    np.testing.assert_allclose(ds.table.keypoints2d[:, body], want, atol=1e-5)


def _check(capsys, path, *extra) -> dict:
    from robosmplx.cli import main

    argv = ["data", "check", str(path), "--stage", "body", "--body-model", "anny-small"]
    assert main([*argv, "--trust-pickle", "--json", *extra]) == 0
    out = capsys.readouterr()
    return json.loads(out.out) | {"stderr": out.err}


def test_every_body_term_is_supervised_and_nonzero_after_one_step(
    synth, anny_small, tmp_path, capsys
):
    root, path = synth
    mm = to_mmhuman3d(
        path, tmp_path / "mm.npz", anny_small, drop=("segm_path", "K", "transl", "root_cam")
    )
    report = _check(capsys, mm)
    weights, options = stage_losses("body")
    on = [n for n, t in report["terms"].items() if t["weight"] > 0]
    assert {"segm", "proj", "contrastive"} <= set(on)
    assert all(report["terms"][n]["fraction"] == 1.0 for n in on), report["terms"]
    assert report["warnings"] == [] and report["stderr"] == ""

    aug = dataclasses.replace(stage_augment("body"), crop_size=128)
    ds = BodyDataset(mm, anny_small, trusted=True, augment=aug, twins=True)
    batch = collate_twins([ds[i] for i in range(N)])
    net = build_model("small-body", body=anny_small)
    total, terms = Objective(anny_small, "body", weights, options)(net(batch["img"]), batch)
    assert set(on) <= set(terms)
    values = {n: float(v.detach()) for n, v in terms.items()}
    assert all(values[n] > 0 for n in on), values
    total.backward()
    first = next(p for p in net.parameters() if p.dim() == 4)  # the first convolution
    assert first.grad is not None and float(first.grad.abs().sum()) > 0


def test_a_term_nothing_supervises_is_named(synth, anny_small, tmp_path, capsys):
    root, path = synth
    bare = to_mmhuman3d(path, tmp_path / "bare.npz", anny_small, drop=("segm_path",) + _ALL)
    report = _check(capsys, bare, "--max-samples", "2")
    assert report["samples"] == 2
    named = {w.split("'")[1] for w in report["warnings"]}
    assert {"segm", "proj", "rotation"} <= named
    assert "loss term 'segm' has weight 10" in report["stderr"]


_ALL = ("global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "expression", "betas",
        "transl")  # fmt: skip


def test_box_loss_compares_tight_boxes(anny_small):
    """Perfect part keypoints cost nothing in L_box, whatever the crop enlargement; a file box
    stands in where the part's keypoints are not visible."""
    from robosmplx.geometry.camera import pixels_to_ndc
    from robosmplx.losses.weights import LossOptions, LossWeights
    from robosmplx.models.outputs import Prediction

    s, b = 64, 2
    w = LossWeights(**{k: 0.0 for k in vars(LossWeights())})
    obj = Objective(anny_small, "wholebody", dataclasses.replace(w, box=1.0), LossOptions())
    g = torch.Generator().manual_seed(1)
    kp = torch.rand(b, 137, 2, generator=g) * 40 + 10
    gt2 = torch.cat((kp, torch.ones(b, 137, 1)), -1)
    joints = torch.cat((pixels_to_ndc(kp, s), torch.zeros(b, 137, 1)), -1)
    enlarged = {"rhand": torch.tensor([[0.0, 0.0, 60.0, 60.0]] * b)}  # the crop box: not compared
    pred = Prediction(pred_params={}, pred_joints_hm=joints, pred_boxes=enlarged)
    batch = {"img": torch.zeros(b, 3, s, s), "gt_keypoints2d": gt2,
             "gt_rhand_bbox": torch.zeros(b, 4), "has_rhand_bbox": torch.zeros(b)}  # fmt: skip
    assert float(obj._box_terms(pred, batch, s)["box_rhand"]) < 1e-5
    hidden = gt2.clone()
    hidden[:, anny_small.keypoint_layout.subsets["rhand"], 2] = 0
    idx = anny_small.keypoint_layout.subsets["rhand"]
    lo, hi = kp[:, idx].amin(1), kp[:, idx].amax(1)
    file_box = torch.cat((lo + 4.0, hi - lo), -1)  # 4 px off in x and y
    batch.update(gt_keypoints2d=hidden, gt_rhand_bbox=file_box, has_rhand_bbox=torch.ones(b))
    assert abs(float(obj._box_terms(pred, batch, s)["box_rhand"]) - 4.0 / s / 2) < 1e-4


def test_training_warns_at_start_about_unsupervised_terms(synth, anny_small, tmp_path, capsys):
    from robosmplx.train.config import config_from_dict
    from robosmplx.train.runner import warn_unsupervised

    root, path = synth
    bare = to_mmhuman3d(path, tmp_path / "bare.npz", anny_small, drop=("segm_path",) + _ALL)
    cfg = config_from_dict({"stage": "body", "body_model": "anny-small"})
    ds = BodyDataset(bare, anny_small, trusted=True)
    lines = warn_unsupervised(cfg, [ds], max_samples=2)
    err = capsys.readouterr().err
    assert lines and all(f"robosmplx train: warning: {line}" in err for line in lines)
    assert any("'proj'" in line for line in lines)
    full = BodyDataset(
        to_mmhuman3d(path, tmp_path / "mm.npz", anny_small), anny_small, trusted=True
    )
    assert warn_unsupervised(cfg, [full], max_samples=2) == []


def test_mmhuman3d_conventions_are_slices_of_human_data(anny_small):
    from robosmplx.data.conventions import map_keypoints, resolve_names
    from robosmplx.data.human_data import human_data_names

    names = tuple(anny_small.keypoint_layout.names)
    full = np.random.default_rng(0).uniform(1, 50, (2, 190, 3)).astype(np.float32)
    via_all = map_keypoints(full, resolve_names(None, None, 190, "f"), names)
    for conv, n in (("smplx", 144), ("smpl_54", 54), ("smpl_45", 45), ("smpl", 24)):
        src = resolve_names(conv, None, n, "f")
        pick = [human_data_names().index(x) if x in human_data_names() else None for x in src]
        assert None not in pick, conv
        got = map_keypoints(full[:, pick], src, names)
        shared = got[0, :, 2] > 0
        assert shared.sum() >= 10, conv
        np.testing.assert_array_equal(got[:, shared], via_all[:, shared])
    tips = resolve_names("smpl_45", None, 45, "f")
    assert tips[24:29] == ("Nose", "R_Eye", "L_Eye", "R_Ear", "L_Ear") and tips[35] == "L_Thumb_4"


@pytest.fixture(scope="module")
def synth_hand(tmp_path_factory):
    return _clean_synth(tmp_path_factory.mktemp("real_hand"), "hand")


def test_hand_stage_part_maps_are_rendered_and_supervise_segm_and_proj(
    synth_hand, anny_small, tmp_path, capsys
):
    """A hand file with parameters but no part maps and no camera: the hand part maps are
    rendered (the right-hand view alone, placed on its keypoints) and match the synthetic ones;
    data check counts segm and proj as supervised and one step gives both a value."""
    from robosmplx.cli import main
    from robosmplx.data import HandDataset

    with np.load(synth_hand) as z:
        camera = ("K", "anny.transl", "root_cam", "cam_param.focal", "cam_param.principal_point")
        data = {k: z[k] for k in z.files if not k.startswith("segm") and k not in camera}
    bare = tmp_path / "hand.npz"
    np.savez(bare, **{**data, "image_path": np.array(
        [str(synth_hand.parent / p) for p in data["image_path"]]
    )})  # fmt: skip
    ref = HandDataset(synth_hand, anny_small, train=False)
    ds = HandDataset(bare, anny_small, train=False)
    for i in range(len(ds)):
        want, got = ref[i], ds[i]
        assert want["has_segm"] == 1.0 and got["has_segm"] == 1.0
        iou, same = _agreement(want["gt_part_segm"], got["gt_part_segm"])
        assert iou > 0.6 and same > 0.65, (i, iou, same)
        assert int(got["gt_part_segm"].max()) <= anny_small.part_layout.counts["hand"]

    argv = ["data", "check", str(bare), "--stage", "hand", "--body-model", "anny-small", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    for term in ("segm", "proj"):
        assert report["terms"][term]["weight"] > 0
        assert report["terms"][term]["fraction"] == 1.0, report["terms"]

    weights, options = stage_losses("hand")
    aug = dataclasses.replace(stage_augment("hand"), crop_size=128)
    batch = collate_twins(
        [HandDataset(bare, anny_small, augment=aug, twins=True)[i] for i in range(N)]
    )
    net = build_model("small-hand", body=anny_small)
    _, terms = Objective(anny_small, "hand", weights, options)(net(batch["img"]), batch)
    assert float(terms["segm"].detach()) > 0 and float(terms["proj"].detach()) > 0
