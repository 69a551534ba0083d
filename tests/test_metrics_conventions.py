"""Masked PA-MPJPE both ways, 3D PCK/AUC and acceleration error against hand-made answers and
the formulas of mmhuman3d's eval_utils.py, written out here."""

import numpy as np
import pytest

from robosmplx.eval.metrics import (
    accel_error,
    auc_3d,
    joint_errors,
    keypoint_error,
    pa_mpjpe,
    pck_3d,
)


def _umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """src aligned onto dst by the similarity transform (numpy, one sample)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, s, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.ones(3)
    d[-1] = np.sign(np.linalg.det(u @ vt))
    r = u @ np.diag(d) @ vt
    scale = (s * d).sum() / (a**2).sum(1).mean()
    return scale * a @ r.T + md


def test_masked_pa_mpjpe_two_conventions():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(2, 6, 3))
    pred = gt + rng.normal(scale=0.05, size=gt.shape)
    valid = np.ones((2, 6))
    valid[0, 3:] = 0  # sample 0 has three valid joints, sample 1 six
    # mmhuman3d: fit on all joints, mean over the batch's valid joints (9 of them)
    d = [np.linalg.norm(_umeyama(p, g) - g, axis=1) for p, g in zip(pred, gt)]
    want_mm = np.concatenate([d[0][:3], d[1]]).mean() * 1000
    assert keypoint_error(pred, gt, valid, "procrustes", "mmhuman3d") == pytest.approx(want_mm)
    # per sample: fit on the valid joints, mean per sample, then over samples
    d0 = np.linalg.norm(_umeyama(pred[0, :3], gt[0, :3]) - gt[0, :3], axis=1).mean()
    want_ps = (d0 + d[1].mean()) / 2 * 1000
    assert keypoint_error(pred, gt, valid, "procrustes", "per-sample") == pytest.approx(want_ps)
    np.testing.assert_allclose(pa_mpjpe(pred, gt, valid), [d0 * 1000, d[1].mean() * 1000])
    np.testing.assert_allclose(
        pa_mpjpe(pred, gt, valid, fit="all"), [d[0][:3].mean() * 1000, d[1].mean() * 1000]
    )
    assert want_mm != pytest.approx(want_ps)


def test_scale_alignment_and_no_alignment():
    gt = np.array([[[1.0, 0, 0], [0, 2.0, 0]]])
    pred = 0.5 * gt  # least-squares scale = <p, g> / <p, p> = 2
    np.testing.assert_allclose(joint_errors(pred, gt, "scale"), 0.0, atol=1e-9)
    np.testing.assert_allclose(joint_errors(pred, gt, "none"), [[500.0, 1000.0]])


def test_pck_and_auc_by_hand():
    gt = np.zeros((1, 4, 3))
    pred = np.zeros((1, 4, 3))
    pred[0, :, 0] = [0.0, 0.1, 0.15, 0.3]  # 0, 100, 150, 300 mm
    valid = np.array([[1, 1, 1, 0]])
    # PCK@150 counts d < 150 among the valid: 0 and 100 of 0, 100, 150
    assert pck_3d(pred, gt, valid) == pytest.approx(200.0 / 3)
    # AUC: thresholds 0, 5, ..., 150; share below t: 0 at t=0, 1/3 for 0<t<=100, 2/3 above
    t = np.linspace(0, 150, 31)
    share = [(np.array([0.0, 100.0, 150.0]) < x).mean() for x in t]
    assert auc_3d(pred, gt, valid) == pytest.approx(np.mean(share) * 100)
    assert auc_3d(pred, gt, valid) == pytest.approx((20 * (1 / 3) + 10 * (2 / 3)) / 31 * 100)


def test_acceleration_error_by_hand():
    t = np.arange(5, dtype=np.float64)
    gt = np.zeros((5, 1, 3))
    gt[:, 0, 0] = t**2 / 1000  # constant acceleration 2 mm / frame^2
    pred = np.zeros((5, 1, 3))  # none
    np.testing.assert_allclose(accel_error(pred, gt), [2.0, 2.0, 2.0])
    pred[2, 0, 1] = 0.001  # a 1 mm jump at frame 2: y second differences 1, -2, 1 mm
    want = [np.hypot(2, 1), np.hypot(2, 2), np.hypot(2, 1)]
    np.testing.assert_allclose(accel_error(pred, gt), want)
    valid = np.array([1, 1, 1, 0, 1])  # frame 3 invalid: only the triple (0, 1, 2) is kept
    np.testing.assert_allclose(accel_error(pred, gt, valid), want[:1])
