"""The benchmarks' official conventions (robosmplx.eval.official) on small fixtures whose
answers are worked out by hand or with the official formulas written out here."""

import math

import numpy as np
import pytest

from robosmplx.errors import DataError
from robosmplx.eval import official as O


def _rot(axis, deg):
    a = np.radians(deg)
    c, s = math.cos(a), math.sin(a)
    i, j = [k for k in range(3) if k != axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


# -- FreiHAND ---------------------------------------------------------------------------------
def test_freihand_alignment_undoes_a_similarity_and_a_mirror():
    g = np.random.default_rng(0).normal(size=(21, 3))
    p = 1.7 * g @ _rot(2, 40).T + np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(O.freihand_align(g, p), g, atol=1e-6)
    mirrored = g * np.array([-1.0, 1.0, 1.0])  # scipy's orthogonal_procrustes allows reflections
    np.testing.assert_allclose(O.freihand_align(g, mirrored), g, atol=1e-6)


def test_freihand_curve_by_hand():
    d = np.full((3, 2), 0.01)  # every point 10 mm off
    mean, median, auc, curve = O.freihand_curve(d)
    assert mean == pytest.approx(0.01) and median == pytest.approx(0.01)
    t = np.linspace(0.0, 0.05, 100)
    pck = (t >= 0.01).astype(float)  # d <= t
    area = sum((pck[i] + pck[i + 1]) / 2 * (t[i + 1] - t[i]) for i in range(99))
    assert auc == pytest.approx(area / 0.05)
    np.testing.assert_allclose(curve, pck)
    # per-point means, then their mean: two points, one seen twice as far
    d = np.array([[0.01, 0.02], [0.03, 0.02]])
    assert O.freihand_curve(d)[0] == pytest.approx(((0.01 + 0.03) / 2 + 0.02) / 2)


def test_freihand_scores_absolute_and_aligned():
    rng = np.random.default_rng(1)
    gx = rng.normal(scale=0.05, size=(2, 21, 3))
    gv = np.stack([np.mgrid[0:3, 0:3, 0:2].reshape(3, -1).T * 0.05] * 2)  # points 50 mm apart
    shift = np.array([0.010, 0.0, 0.0])  # the whole hand 10 mm to the side
    s = O.freihand_scores(gx, gx + shift, gv, gv + shift)
    assert s["xyz_mean3d"] == pytest.approx(10.0) and s["mesh_mean3d"] == pytest.approx(10.0)
    # 0 but for the 1e-8 the official alignment adds to each norm
    assert s["xyz_al_mean3d"] == pytest.approx(0.0, abs=1e-4)
    assert s["mesh_al_mean3d"] == pytest.approx(0.0, abs=1e-4)
    assert s["f_score_5"] == 0.0 and s["f_score_15"] == 1.0  # raw: every point 10 mm off
    assert s["f_al_score_5"] == 1.0 and s["f_al_score_15"] == 1.0
    assert O.FREIHAND_TIP_VERTICES == {
        "thumb": 744, "index": 320, "middle": 443, "ring": 555, "pinky": 672,
    }  # fmt: skip


# -- AGORA --------------------------------------------------------------------------------------
def _person(x0, y0, size=10.0, k=24):
    t = np.linspace(0, 1, k)
    return np.stack([x0 + size * t, y0 + size * t[::-1]], 1)


def test_agora_box_iou_counts_whole_pixels():
    a = np.array([[0.0, 0.0], [9.0, 9.0]])
    b = np.array([[5.0, 0.0], [14.0, 9.0]])
    assert O.agora_box_iou(a, b) == pytest.approx(50.0 / 150.0)  # (5 x 10) / (100 + 100 - 50)


def test_agora_matching_pairs_misses_and_false_positives():
    gt = np.stack([_person(0, 0), _person(100, 0), _person(300, 0)])
    pred = np.stack([_person(101, 1), _person(1, 0), _person(500, 500)])
    m = O.agora_match(pred, gt)
    assert sorted(m.pairs) == [(0, 1), (1, 0)]
    assert m.false_positives == (2,) and m.misses == (2,) and m.invalid == ()
    v = O.agora_match(pred, gt, valid=[True, False, True])
    assert v.pairs == ((1, 0),) and 1 in v.invalid and v.misses == (2,)
    assert set(v.false_positives) == {0, 2}


def test_agora_f1_normalisation_and_full_body():
    # 10 people, 2 missed, 3 false positives: TP 8, F1 = 8 / (8 + 0.5 * 5) = 0.7619 -> 0.76
    assert O.agora_prf1(10, 2, 3) == (0.73, 0.8, 0.76)
    assert O.agora_normalised(100.0, 0.76) == pytest.approx(131.6)
    # full body as the script adds it: body + (lhand + rhand + face) / 3
    assert O.agora_fullbody(60.0, 40.0, 42.0, 30.0) == pytest.approx(60.0 + 112.0 / 3, abs=0.05)
    assert O.AGORA_LHAND_JOINTS[0] == 20 and len(O.AGORA_LHAND_JOINTS) == 16
    assert O.AGORA_FACE_JOINTS[0] == 12 and len(O.AGORA_FACE_JOINTS) == 52


# -- Stirling / FG2018 -----------------------------------------------------------------------
LM = np.array(
    [[-40.0, 0, 0], [-15, 0, 0], [15, 0, 0], [40, 0, 0], [0, -40, 0], [-20, -60, 0], [20, -60, 0]]
)


def test_fg2018_procrustes_recovers_scale_rotation_translation_and_mirrors():
    src = (LM @ _rot(1, 25).T) / 1000.0 + 0.05  # metres, turned, moved
    s, r, t = O.fg2018_procrustes(LM, src)
    np.testing.assert_allclose(s * src @ r + t, LM, atol=1e-9)
    assert s == pytest.approx(1000.0)
    mirrored = LM * np.array([1.0, 1.0, -1.0]) + 3.0
    s, r, t = O.fg2018_procrustes(LM + [0, 0, 5.0], mirrored)  # 'best': a reflection is allowed
    assert s * mirrored @ r + t == pytest.approx(LM + [0, 0, 5.0])


def test_fg2018_face_mask_by_hand():
    # bridge (0, 0, 0), nose bottom (0, -40, 0): centre (0, -28, 0), nose length 40
    pts = np.array([[0.0, -28 + 29, 0], [0, -28 + 31, 0], [0, -28 - 71, 0], [0, -28 - 73, 0]])
    # the script's radius: 1.5 * (|l0 + l3| + 40) / 2 = 1.5 * (0 + 40) / 2 = 30
    assert O.fg2018_face_mask(pts, LM).tolist() == [True, False, False, False]
    # mmhuman3d's: 1.2 * (|l0 - l3| + 40) / 2 = 1.2 * (80 + 40) / 2 = 72
    assert O.fg2018_face_mask(pts, LM, "mmhuman3d").tolist() == [True, True, True, False]


def test_point_to_mesh_distance_by_hand():
    v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    f = np.array([[0, 1, 2]])
    pts = np.array([[0.2, 0.2, 0.5], [2, 0, 0], [0.5, -1, 0], [1, 1, 0]])
    want = [0.5, 1.0, 1.0, math.sqrt(0.5)]  # face, vertex, edge, hypotenuse
    np.testing.assert_allclose(O.point_to_mesh_distance(pts, v, f), want, atol=1e-12)


def _grid_mesh(n=41, step=2.4):
    """A flat square of (n x n) vertices in the z = 0 plane, mm, centred on (0, -28)."""
    xs = (np.arange(n) - (n - 1) / 2) * step
    xx, yy = np.meshgrid(xs, xs - 28.0)
    v = np.stack([xx.ravel(), yy.ravel(), np.zeros(n * n)], 1)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    return v, np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)])


def test_stirling_distances_units_and_alignment():
    v, f = _grid_mesh()
    scan = v.copy()
    scan[:, 2] += 2.0 * (np.arange(len(scan)) % 2)  # every other scan point 2 mm off the plane
    pred_v = (v @ _rot(0, 30).T) / 1000.0  # prediction in metres, turned
    pred_lm = (LM @ _rot(0, 30).T) / 1000.0
    d = O.stirling_distances(scan, LM, pred_v, f, pred_lm)
    inside = O.fg2018_face_mask(scan, LM)
    np.testing.assert_allclose(d, 2.0 * (np.flatnonzero(inside) % 2), atol=1e-6)
    assert O.stirling_error(d) == pytest.approx(math.sqrt(np.mean(d**2)))
    assert O.stirling_error(d, "mean") == pytest.approx(d.mean())
    # the same scan in metres: distances still in millimetres
    d_m = O.stirling_distances(scan / 1000.0, LM / 1000.0, pred_v, f, pred_lm)
    np.testing.assert_allclose(d_m, d, atol=1e-6)
    with pytest.raises(DataError, match="neither a face in millimetres"):
        O.scan_unit_scale(scan * 100.0)


def test_ehf_camera_rotation_is_a_rotation():
    r = O.ehf_camera_rotation()
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
    angle = math.degrees(math.acos((np.trace(r) - 1) / 2))
    assert angle == pytest.approx(math.degrees(np.linalg.norm(O.EHF_CAMERA_ROTVEC)), abs=1e-6)
