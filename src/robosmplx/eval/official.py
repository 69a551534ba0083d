"""The benchmarks' own evaluation conventions, as functions (numpy in, numpy or floats out).

Each block restates what one benchmark's official evaluation code computes, so that numbers
come out comparable with published ones; docs/evaluation.md compares them with the rest of
robosmplx. Sources (read for the facts, not copied):

- FreiHAND: lmb-freiburg/freihand ``eval.py`` (``align_w_scale``, ``calculate_fscore``,
  ``main``), ``utils/eval_util.py`` (``EvalUtil.get_measures``), ``utils/mano_utils.py``
  (fingertip vertex ids).
- AGORA: pixelite1201/agora_evaluation ``agora_evaluation/matching.py`` (``match_2d_greedy``,
  ``get_bbx_overlap``), ``utils.py`` (``l2_error``), ``compute_average_error.py``
  (``compute_prf1``, NMJE/NMVE, full body), ``calculate_v2v_error.py`` (part joints, roots).
- Stirling/ESRC3D (FG2018 challenge): ``compute_vertices_to_mesh_distances.py`` of the
  challenge (7-landmark Procrustes, face mask, point-to-surface distances) and its port in
  open-mmlab/mmhuman3d ``core/evaluation/eval_utils.py`` (``fg_vertices_to_mesh_distance``).
- EHF: mks0601/Hand4Whole_RELEASE ``data/EHF/EHF.py`` (``evaluate``; camera rotation applied
  to the ``*_align.ply`` meshes) and ``common/utils/human_models.py`` (J14 regressor, roots).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import torch

from robosmplx.errors import DataError, ShapeError

# -- FreiHAND ---------------------------------------------------------------------------------
# MANO vertex ids FreiHAND takes its five fingertip keypoints from (utils/mano_utils.py); the
# smplx package's MANO tips are 554 (ring) and 671 (pinky), one lower.
FREIHAND_TIP_VERTICES = {"thumb": 744, "index": 320, "middle": 443, "ring": 555, "pinky": 672}
FREIHAND_F_THRESHOLDS = (0.005, 0.015)  # metres


def _as3(name: str, x) -> np.ndarray:
    a = np.asarray(x, np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ShapeError(f"{name}: got shape {a.shape}, expected (N, 3) points")
    return a


def freihand_align(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """pred (N, 3) aligned onto gt (N, 3) as FreiHAND's ``align_w_scale``: both centred and
    scaled to unit Frobenius norm, the orthogonal Procrustes rotation (reflections allowed,
    as scipy's ``orthogonal_procrustes``) and its scale (sum of singular values), then put
    into gt's scale and centre."""
    g, p = _as3("gt", gt), _as3("pred", pred)
    tg, tp = g.mean(0), p.mean(0)
    sg = np.linalg.norm(g - tg) + 1e-8
    sp = np.linalg.norm(p - tp) + 1e-8
    gn, pn = (g - tg) / sg, (p - tp) / sp
    u, w, vt = np.linalg.svd(gn.T @ pn)
    r = u @ vt  # minimises |gn r - pn|
    return (pn @ r.T) * w.sum() * sg + tg


def freihand_curve(
    distances: np.ndarray, lo: float = 0.0, hi: float = 0.05, steps: int = 100
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """FreiHAND's ``EvalUtil.get_measures`` on distances (N samples, K points), metres:
    (mean, median, AUC, PCK curve). Mean and median are per point over the samples, then
    averaged over the points; the PCK counts ``d <= t``; the AUC is the trapezoid area under
    each point's curve over ``linspace(lo, hi, steps)``, normalised, averaged over points."""
    d = np.asarray(distances, np.float64)
    if d.ndim != 2:
        raise ShapeError(f"distances: got shape {d.shape}, expected (N, K)")
    t = np.linspace(lo, hi, steps)
    norm = np.trapezoid(np.ones_like(t), t)
    curves = np.stack([(d <= x).mean(0) for x in t], 0)  # (T, K)
    auc = np.trapezoid(curves, t, axis=0) / norm  # (K,)
    return (
        float(d.mean(0).mean()),
        float(np.median(d, 0).mean()),
        float(auc.mean()),
        curves.mean(1),
    )


def _nearest_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from robosmplx.eval.metrics import _nearest

    return _nearest(torch.as_tensor(a), torch.as_tensor(b)).numpy()


def freihand_fscore(gt: np.ndarray, pred: np.ndarray, threshold: float) -> float:
    """FreiHAND's ``calculate_fscore``: F of the share of gt points within ``threshold`` of a
    predicted point and of predicted points within it of a gt point (strictly less)."""
    d_gt, d_pred = _nearest_dist(gt, pred), _nearest_dist(pred, gt)
    a, b = float((d_gt < threshold).mean()), float((d_pred < threshold).mean())
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def freihand_scores(
    gt_xyz: np.ndarray, pred_xyz: np.ndarray, gt_verts: np.ndarray, pred_verts: np.ndarray
) -> dict[str, float]:
    """FreiHAND's ``eval.py`` over a set: keypoints (N, 21, 3) and MANO vertices (N, 778, 3),
    camera frame, metres. Returns mm for the errors (the script prints cm):
    ``xyz_mean3d``/``mesh_mean3d`` absolute (no alignment at all), ``xyz_al_mean3d``/
    ``mesh_al_mean3d`` after :func:`freihand_align` of each set on its own points, the AUCs
    over 0-50 mm, and F@5/F@15 mm on raw (``f_score_5``) and aligned (``f_al_score_5``)
    vertices."""
    gx, px = np.asarray(gt_xyz, np.float64), np.asarray(pred_xyz, np.float64)
    gv, pv = np.asarray(gt_verts, np.float64), np.asarray(pred_verts, np.float64)
    if gx.shape != px.shape or gv.shape != pv.shape or len(gx) != len(gv):
        raise ShapeError(
            f"freihand_scores: keypoints {gx.shape}/{px.shape}, vertices {gv.shape}/{pv.shape}"
        )
    px_al = np.stack([freihand_align(g, p) for g, p in zip(gx, px)])
    pv_al = np.stack([freihand_align(g, p) for g, p in zip(gv, pv)])
    out: dict[str, float] = {}
    for key, g, p in (
        ("xyz", gx, px), ("xyz_al", gx, px_al), ("mesh", gv, pv), ("mesh_al", gv, pv_al)
    ):  # fmt: skip
        mean, _, auc, _ = freihand_curve(np.linalg.norm(g - p, axis=-1))
        out[f"{key}_mean3d"] = mean * 1000.0
        out[f"{key}_auc3d"] = auc
    for t in FREIHAND_F_THRESHOLDS:
        mm = round(t * 1000)
        out[f"f_score_{mm}"] = float(np.mean([freihand_fscore(g, p, t) for g, p in zip(gv, pv)]))
        out[f"f_al_score_{mm}"] = float(
            np.mean([freihand_fscore(g, p, t) for g, p in zip(gv, pv_al)])
        )
    return out


# -- AGORA ------------------------------------------------------------------------------------
# SMPL-X joint sets of AGORA's per-part errors (calculate_v2v_error.py): body = the 22 body
# joints, aligned at the mean of the hips (joints 1, 2); hands = wrist + the 15 hand joints,
# aligned at the wrist; face = neck + the 51 face landmarks (joints 76-126), at the neck.
AGORA_BODY_JOINTS = tuple(range(22))
AGORA_BODY_ROOT = (1, 2)
AGORA_LHAND_JOINTS = (20, *range(25, 40))
AGORA_RHAND_JOINTS = (21, *range(40, 55))
AGORA_FACE_JOINTS = (12, *range(76, 127))
AGORA_MATCH_KEYPOINTS = 24


def agora_box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """AGORA's ``get_bbx_overlap``: IoU of the keypoints' extents (K, >=2), areas counted in
    whole pixels (``x2 - x1 + 1``)."""
    a, b = np.asarray(a, np.float64)[:, :2], np.asarray(b, np.float64)[:, :2]
    lo_a, hi_a, lo_b, hi_b = a.min(0), a.max(0), b.min(0), b.max(0)
    inter = np.prod(np.maximum(0.0, np.minimum(hi_a, hi_b) - np.maximum(lo_a, lo_b) + 1))
    area_a, area_b = np.prod(hi_a - lo_a + 1), np.prod(hi_b - lo_b + 1)
    return float(inter / (area_a + area_b - inter))


@dataclass(frozen=True)
class AgoraMatch:
    """Result of AGORA's matching of one image: ``pairs`` (pred, gt), unmatched predictions
    (``false_positives``), unmatched valid people (``misses``), people left out (``invalid``)."""

    pairs: tuple[tuple[int, int], ...]
    false_positives: tuple[int, ...]
    misses: tuple[int, ...]
    invalid: tuple[int, ...]


def agora_match(
    pred_kp2d: np.ndarray,
    gt_kp2d: np.ndarray,
    valid: Sequence[bool] | None = None,
    iou_thresh: float = 0.1,
    num_keypoints: int = AGORA_MATCH_KEYPOINTS,
) -> AgoraMatch:
    """AGORA's greedy 2D matching (``match_2d_greedy``) of predictions (P, K, 2) to people
    (G, K, 2): pairs are taken in order of the matrix 2-norm (largest singular value, as
    ``np.linalg.norm(d, 2)``) of the first ``num_keypoints`` keypoints' difference; a pair is
    kept when both are free and their keypoint-box IoU is at least ``iou_thresh``; a cheapest
    pair below the IoU threshold counts one false positive; it stops when every person is
    assigned or every prediction is assigned or counted."""
    pred, gt = np.asarray(pred_kp2d, np.float64), np.asarray(gt_kp2d, np.float64)
    n_p, n_g = len(pred), len(gt)
    combs = list(product(range(n_p), range(n_g)))
    err = np.array(
        [np.linalg.norm(pred[p][:num_keypoints, :2] - gt[g][:num_keypoints, :2], 2) for p, g in combs],
        np.float64,
    )  # fmt: skip
    gt_done, pred_done = np.zeros(n_g, bool), np.zeros(n_p, bool)
    pairs: list[tuple[int, int]] = []
    excluded: list[int] = []
    fp_count = 0
    while gt_done.sum() < n_g and pred_done.sum() + fp_count < n_p:
        false_positive = False
        while True:
            if np.isinf(err).all():
                raise DataError("AGORA matching: every candidate pair was used up")
            k = int(np.argmin(err))
            p, g = combs[k]
            iou = agora_box_iou(pred[p], gt[g])
            err[k] = np.inf
            if not pred_done[p] and not gt_done[g] and iou >= iou_thresh:
                break
            if iou < iou_thresh:
                false_positive = True
                fp_count += 1
                break
        if valid is not None and not valid[g]:
            gt_done[g] = True
            excluded.append(g)
        elif not false_positive:
            pairs.append((p, g))
            pred_done[p] = gt_done[g] = True
    matched_p = {p for p, _ in pairs}
    matched_g = {g for _, g in pairs}
    fps = tuple(p for p in range(n_p) if p not in matched_p)
    left = [g for g in range(n_g) if g not in matched_g]
    misses = tuple(g for g in left if valid is None or valid[g])
    invalid = tuple(excluded) + tuple(
        g for g in left if valid is not None and not valid[g] and g not in excluded
    )
    return AgoraMatch(tuple(pairs), fps, misses, invalid)


def agora_prf1(count: int, miss: int, false_positives: int) -> tuple[float, float, float]:
    """AGORA's ``compute_prf1``: precision, recall and F1 of the detections, each rounded to
    two decimals as the official script does (``count``: valid people, ``miss``: missed)."""
    if count == 0:
        return 0.0, 0.0, 0.0
    tp, fp, fn = count - miss, false_positives, miss
    f1 = round(tp / (tp + 0.5 * (fp + fn)), 2)
    recall = round(tp / (tp + fn), 2)
    precision = round(tp / (tp + fp), 2) if tp + fp else 0.0
    return precision, recall, f1


def agora_normalised(error_mm: float, f1: float) -> float:
    """NMVE / NMJE: an error divided by the detection F1, rounded to 0.1 mm as AGORA's."""
    return round(error_mm / f1, 1)


def agora_fullbody(body: float, lhand: float, rhand: float, face: float) -> float:
    """AGORA's full-body MVE/MPJPE as its script adds them: ``body + (lhand + rhand + face)/3``
    (each part rounded to 0.1 mm first)."""
    r = [round(x, 1) for x in (body, lhand, rhand, face)]
    return round(r[0] + (1 / 3) * r[1] + (1 / 3) * r[2] + (1 / 3) * r[3], 1)


# -- Stirling / ESRC3D (FG2018) ------------------------------------------------------------
# The seven annotated points, in the challenge's order, as keypoint names of the face layout.
FG2018_LANDMARKS = (
    "R_Eye_Outer", "R_Eye_Inner", "L_Eye_Inner", "L_Eye_Outer", "Nose_Bottom",
    "R_Mouth_Corner", "L_Mouth_Corner",
)  # fmt: skip
FACE_MASKS = ("fg2018", "mmhuman3d")


def fg2018_procrustes(
    target: np.ndarray, source: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """(s, R, t) with ``s * source @ R + t`` ~= target: the challenge's ``procrustes`` (MATLAB's,
    scaling on, ``reflection='best'``, so a reflection is allowed)."""
    x, y = _as3("target", target), _as3("source", source)
    mx, my = x.mean(0), y.mean(0)
    x0, y0 = x - mx, y - my
    nx, ny = np.sqrt((x0**2).sum()), np.sqrt((y0**2).sum())
    u, s, vt = np.linalg.svd((x0 / nx).T @ (y0 / ny), full_matrices=False)
    r = vt.T @ u.T
    b = s.sum() * nx / ny
    return float(b), r, mx - b * my @ r


def fg2018_face_mask(
    scan: np.ndarray, landmarks: np.ndarray, variant: str = "fg2018"
) -> np.ndarray:
    """(M,) bool: the scan points inside the sphere the challenge measures in. Centre: from the
    nose bottom 0.3 of the way to the midpoint of the inner eye corners. Radius ``fg2018``:
    1.5 x the mean of |outer eye corner 1 + outer eye corner 2| (a sum, as the challenge's
    script has it) and the nose length; ``mmhuman3d``: 1.2 x, with the corners' distance."""
    lm = _as3("landmarks", landmarks)
    if lm.shape[0] != 7:
        raise ShapeError(f"landmarks: expected the 7 FG2018 points, got {lm.shape[0]}")
    bridge = (lm[1] + lm[2]) / 2.0
    centre = lm[4] + 0.3 * (bridge - lm[4])
    nose = np.linalg.norm(bridge - lm[4])
    if variant == "fg2018":
        radius = 1.5 * (np.linalg.norm(lm[0] + lm[3]) + nose) / 2.0
    elif variant == "mmhuman3d":
        radius = 1.2 * (np.linalg.norm(lm[0] - lm[3]) + nose) / 2.0
    else:
        raise ValueError(f"face mask must be one of {FACE_MASKS}, got {variant!r}")
    return np.linalg.norm(_as3("scan", scan) - centre, axis=1) <= radius


def _point_triangle(p: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor):
    """Squared distance (...,) from points p to triangles (a, b, c), all (..., 3): the closest
    point by the triangle's Voronoi regions (Ericson, Real-Time Collision Detection 5.1.5)."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = (ab * ap).sum(-1), (ac * ap).sum(-1)
    bp = p - b
    d3, d4 = (ab * bp).sum(-1), (ac * bp).sum(-1)
    cp = p - c
    d5, d6 = (ab * cp).sum(-1), (ac * cp).sum(-1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    tiny = torch.finfo(p.dtype).tiny
    denom = (va + vb + vc).clamp_min(tiny)
    q = a + ab * (vb / denom)[..., None] + ac * (vc / denom)[..., None]  # inside the face
    e_ab = a + ab * (d1 / (d1 - d3).clamp_min(tiny))[..., None]
    q = torch.where(((vc <= 0) & (d1 >= 0) & (d3 <= 0))[..., None], e_ab, q)
    e_ac = a + ac * (d2 / (d2 - d6).clamp_min(tiny))[..., None]
    q = torch.where(((vb <= 0) & (d2 >= 0) & (d6 <= 0))[..., None], e_ac, q)
    w_bc = ((d4 - d3) / ((d4 - d3) + (d5 - d6)).clamp_min(tiny))[..., None]
    e_bc = b + (c - b) * w_bc
    q = torch.where(((va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0))[..., None], e_bc, q)
    q = torch.where(((d1 <= 0) & (d2 <= 0))[..., None], a, q)
    q = torch.where(((d3 >= 0) & (d4 <= d3))[..., None], b, q)
    q = torch.where(((d6 >= 0) & (d5 <= d6))[..., None], c, q)
    return ((p - q) ** 2).sum(-1)


def point_to_mesh_distance(
    points: np.ndarray, vertices: np.ndarray, faces: np.ndarray, candidates: int = 16
) -> np.ndarray:
    """(M,) exact distance from each point to the nearest point of a triangle mesh's surface.

    For speed each point is first tested against the ``candidates`` triangles whose bounding
    spheres come closest; a point whose best distance is not below every other triangle's
    sphere bound is then tested against all triangles, so the result is exact.
    """
    p = torch.as_tensor(_as3("points", points))
    v = torch.as_tensor(_as3("vertices", vertices))
    f = torch.as_tensor(np.asarray(faces, np.int64))
    if f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
        raise ShapeError(f"faces: got shape {tuple(f.shape)}, expected (F, 3) triangles")
    tri = v[f]  # (F, 3, 3)
    centre = tri.mean(1)  # (F, 3)
    radius = (tri - centre[:, None]).norm(dim=-1).amax(1)  # (F,)
    k = min(candidates, len(f))
    out = torch.empty(len(p), dtype=p.dtype)
    for i in range(0, len(p), 2048):
        q = p[i : i + 2048]
        bound = (torch.cdist(q, centre) - radius).clamp_min(0)  # (m, F) lower bounds
        low, idx = bound.topk(k, dim=1, largest=False)
        t = tri[idx]  # (m, k, 3, 3)
        d2 = _point_triangle(q[:, None], t[..., 0, :], t[..., 1, :], t[..., 2, :]).amin(1)
        d = d2.sqrt()
        rest = bound.clone()
        rest.scatter_(1, idx, float("inf"))
        redo = torch.nonzero(rest.amin(1) < d)[:, 0]
        for j in redo.tolist():
            d[j] = _point_triangle(q[j][None], tri[:, 0], tri[:, 1], tri[:, 2]).amin().sqrt()
        out[i : i + len(q)] = d
    return out.numpy()


def scan_unit_scale(scan: np.ndarray, where: str = "scan") -> float:
    """Millimetres per scan unit, read from the face scan's size: a face spans 0.05-1 in
    metres, 50-1000 in millimetres (Stirling ships millimetres); anything else is an error."""
    pts = _as3(where, scan)
    extent = float((pts.max(0) - pts.min(0)).max())
    if 50.0 <= extent <= 1000.0:
        return 1.0
    if 0.05 <= extent <= 1.0:
        return 1000.0
    raise DataError(
        f"{where}: spans {extent:g} units, neither a face in millimetres (50-1000) nor in "
        "metres (0.05-1); rescale the scan"
    )


def stirling_distances(
    scan: np.ndarray,
    scan_landmarks: np.ndarray,
    pred_vertices: np.ndarray,
    pred_faces: np.ndarray,
    pred_landmarks: np.ndarray,
    mask: str = "fg2018",
) -> np.ndarray:
    """Distances (mm) from the scan points inside the face mask to the predicted surface after
    the 7-landmark similarity alignment of the prediction onto the scan, the FG2018 script's
    per-point output. Units come from the scan (:func:`scan_unit_scale`); the prediction's are
    undone by the alignment's scale."""
    unit = scan_unit_scale(scan)
    s, r, t = fg2018_procrustes(scan_landmarks, pred_landmarks)
    aligned = s * _as3("pred_vertices", pred_vertices) @ r + t
    inside = fg2018_face_mask(scan, scan_landmarks, mask)
    if not inside.any():
        raise DataError("Stirling: no scan point lies inside the face mask; check the landmarks")
    return point_to_mesh_distance(np.asarray(scan)[inside], aligned, pred_faces) * unit


def stirling_error(distances: np.ndarray, reduce: str = "rmse") -> float:
    """One scan's error from its distances: ``rmse`` (3D RMSE, the paper's name) or ``mean``
    (mmhuman3d's ``fg_vertices_to_mesh_distance``)."""
    d = np.asarray(distances, np.float64)
    if reduce == "rmse":
        return float(np.sqrt(np.mean(d**2)))
    if reduce == "mean":
        return float(d.mean())
    raise ValueError(f"reduce must be 'rmse' or 'mean', got {reduce!r}")


# -- EHF ---------------------------------------------------------------------------------------
# Hand4Whole turns EHF's ``*_align.ply`` meshes by this camera rotation (axis-angle) into the
# camera frame of the images (data/EHF/EHF.py).
EHF_CAMERA_ROTVEC = (-2.98747896, 0.01172457, -0.05704687)


def ehf_camera_rotation() -> np.ndarray:
    """(3, 3) rotation matrix of :data:`EHF_CAMERA_ROTVEC` (Rodrigues)."""
    import cv2

    r, _ = cv2.Rodrigues(np.asarray(EHF_CAMERA_ROTVEC, np.float64))
    return r
