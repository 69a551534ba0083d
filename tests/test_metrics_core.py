"""Evaluation metrics: zero for identical inputs, PA invariance, hand-computed values."""

import math

import numpy as np
import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.eval.metrics import (
    box_iou,
    f_score,
    face_rmse,
    face_rmse_single,
    mpjpe,
    pa_mpjpe,
    pa_pve,
    part_box_iou,
    precision_recall,
    projected_vertex_error,
    pve,
)
from robosmplx.geometry.rotations import axis_angle_to_matrix

RNG = np.random.default_rng(0)


def _similarity(x: np.ndarray, seed: int) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    r = axis_angle_to_matrix(torch.randn(3, generator=g, dtype=torch.float64) * 2).numpy()
    return 1.7 * x @ r.T + np.array([0.3, -1.2, 4.0])


def _grid(n: int, spacing: float = 1.0) -> np.ndarray:
    """n points at least ``spacing`` apart (so nearest neighbours are unambiguous)."""
    return np.stack([np.arange(n) * spacing, np.zeros(n), np.zeros(n)], -1)


def test_identical_inputs_give_zero_error():
    x = RNG.normal(size=(3, 20, 3))
    for fn in (mpjpe, pa_mpjpe, pve, pa_pve):
        assert np.allclose(fn(x, x), 0.0, atol=1e-9)
    assert np.allclose(mpjpe(torch.tensor(x), x, root=0), 0.0)
    assert np.allclose(face_rmse(x, x), 0.0, atol=1e-9)
    assert np.allclose(f_score(x, x, 0.005), 1.0)


def test_mpjpe_hand_computed_in_mm():
    gt = np.zeros((1, 2, 3))
    pred = gt.copy()
    pred[0, 1] = [0.003, 0.004, 0.0]  # 5 mm off on one of two joints
    assert mpjpe(pred, gt) == pytest.approx([2.5])
    assert mpjpe(pred, gt, unit_scale=1.0) == pytest.approx([0.0025])
    assert mpjpe(pred, gt, valid=np.array([[1, 0]])) == pytest.approx([0.0])
    assert np.isnan(mpjpe(pred, gt, valid=np.zeros((1, 2)))[0])


def test_root_alignment_removes_translation_only():
    gt = RNG.normal(size=(2, 10, 3))
    pred = gt + np.array([0.1, 0.2, -0.3])
    assert np.allclose(mpjpe(pred, gt, root=0), 0.0, atol=1e-9)
    assert np.allclose(mpjpe(pred, gt, root=(1, 2)), 0.0, atol=1e-9)
    assert mpjpe(pred, gt).min() == pytest.approx(1000 * math.sqrt(0.14))
    verts = RNG.normal(size=(2, 50, 3))
    shifted = verts + np.array([0.1, 0.2, -0.3])  # moved with the skeleton
    assert np.allclose(pve(shifted, verts, pred[:, 0], gt[:, 0]), 0.0, atol=1e-9)
    assert pve(shifted, verts) == pytest.approx([1000 * math.sqrt(0.14)] * 2)
    with pytest.raises(ShapeError, match="both"):
        pve(verts, verts, pred[:, 0])


def test_pa_variants_zero_after_random_similarity_transform():
    gt = RNG.normal(size=(4, 30, 3))
    pred = np.stack([_similarity(g, i) for i, g in enumerate(gt)])
    assert mpjpe(pred, gt, root=0).min() > 10
    assert np.allclose(pa_mpjpe(pred, gt), 0.0, atol=1e-6)
    assert np.allclose(pa_pve(torch.tensor(pred), torch.tensor(gt)), 0.0, atol=1e-6)
    # invalid joints carry garbage and must not affect the fit
    pred[:, 0] = 100.0
    valid = np.ones((4, 30))
    valid[:, 0] = 0
    assert np.allclose(pa_mpjpe(pred, gt, valid=valid), 0.0, atol=1e-6)


def test_f_score_at_known_distances():
    gt = _grid(10)[None]
    near = gt + np.array([0.004, 0.0, 0.0])  # 4 mm off
    far = gt + np.array([0.0, 0.010, 0.0])  # 10 mm off
    assert f_score(near, gt, 0.005, align=False) == pytest.approx([1.0])
    assert f_score(far, gt, 0.005, align=False) == pytest.approx([0.0])
    assert f_score(far, gt, 0.015, align=False) == pytest.approx([1.0])
    mixed = gt.copy()
    mixed[0, :3] += [0.0, 0.01, 0.0]  # 3 of 10 points 10 mm off
    prec, rec = precision_recall(mixed, gt, 0.005, align=False)
    assert prec == pytest.approx([0.7]) and rec == pytest.approx([0.7])
    assert f_score(mixed, gt, 0.005, align=False) == pytest.approx([0.7])
    # unequal sets: one extra far prediction lowers precision only
    extra = np.concatenate((gt, [[[0.5, 3.0, 0.0]]]), 1)
    prec, rec = precision_recall(extra, gt, 0.005, align=False)
    assert prec == pytest.approx([10 / 11]) and rec == pytest.approx([1.0])
    assert f_score(extra, gt, 0.005, align=False) == pytest.approx([2 * (10 / 11) / (21 / 11)])


def test_f_score_aligns_by_default():
    gt = RNG.normal(size=(2, 40, 3)) * 0.05
    pred = np.stack([_similarity(g, i) for i, g in enumerate(gt)])
    assert np.allclose(f_score(pred, gt, 0.005), 1.0)
    assert f_score(pred, gt, 0.005, align=False).max() < 0.5


def test_face_rmse_hand_computed_and_alignment():
    pred = _grid(20, 0.1)
    scan = pred.copy()
    scan[5, 1] += 0.003  # one scan point 3 mm from its vertex
    ident = pred[[0, 7, 19]]
    rmse = face_rmse_single(pred, scan, ident, ident, icp_iters=0)
    assert rmse == pytest.approx(3.0 / math.sqrt(20))
    # a similarity-moved prediction is brought back by its landmarks
    face = RNG.normal(size=(200, 3)) * 0.05
    moved = _similarity(face, 3)
    lm = [0, 10, 20, 30, 40, 50, 60]
    assert face_rmse_single(moved, face, moved[lm], face[lm], icp_iters=0) < 1e-6
    # a rigid-only alignment cannot undo the scale
    assert face_rmse_single(moved, face, moved[lm], face[lm], with_scale=False) > 1.0
    # ICP recovers from a small misalignment without landmarks, on a sparse subset of the scan
    shifted = face + np.array([0.002, -0.001, 0.0])
    assert face_rmse_single(shifted, face[::4], icp_iters=20) < 0.05


def test_face_rmse_batched_over_uneven_scans():
    preds = [_grid(10, 0.1), _grid(12, 0.1)]
    scans = [preds[0][:8], preds[1].copy()]  # scans of different sizes
    scans[1][0, 2] += 0.004
    lms = [p[[0, 4, 7]] for p in preds]
    out = face_rmse(preds, scans, lms, lms, icp_iters=0)
    assert out.shape == (2,)
    assert out == pytest.approx([0.0, 4.0 / math.sqrt(12)], abs=1e-9)
    with pytest.raises(ShapeError, match="scans"):
        face_rmse(preds, scans[:1])


def test_box_iou_known_boxes():
    a = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0]])
    b = np.array([[1.0, 1.0, 2.0, 2.0], [2.0, 2.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0]])
    assert box_iou(a, b) == pytest.approx([1 / 7, 0.0, 1.0])
    out = part_box_iou(
        {"face": a, "lhand": a, "rhand": a},
        {"face": b, "lhand": b, "rhand": b},
        valid={"face": np.array([1, 0, 1]), "lhand": np.zeros(3)},
    )
    assert out["face"] == pytest.approx((1 / 7 + 1.0) / 2)
    assert math.isnan(out["lhand"])
    assert out["rhand"] == pytest.approx((1 / 7 + 1.0) / 3)


def test_projected_vertex_error_in_pixels():
    k = np.array([[[500.0, 0.0, 128.0], [0.0, 500.0, 128.0], [0.0, 0.0, 1.0]]])
    gt = np.array([[[0.0, 0.0, 5.0], [0.1, 0.2, 4.0]]])
    pred = gt + np.array([0.01, 0.0, 0.0])  # 1 cm sideways: 500 * 0.01 / z px
    expected = (500 * 0.01 / 5.0 + 500 * 0.01 / 4.0) / 2
    assert projected_vertex_error(pred, gt, k) == pytest.approx([expected])
    assert projected_vertex_error(gt, gt, k, k) == pytest.approx([0.0])
    with pytest.raises(ShapeError, match="pred_k"):
        projected_vertex_error(pred, gt, k[0])
