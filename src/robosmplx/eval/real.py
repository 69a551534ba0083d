"""``robosmplx eval-real``: score ``robosmplx predict`` outputs on real photos against COCO-style
2D keypoint annotations (a ``gt.json`` set as in ``../shared/data/real-dev``).

Metrics (per eligible annotated person; a person is eligible when not a crowd region and with at
least ``min_joints`` labelled COCO-17 body joints; S = the long side of its box):

* matching: per image, greedy one-to-one on the cost mean(min(d / S, 1)) over the person's
  labelled body joints (a missing joint costs 1); every person gets the best free prediction;
* pck@0.1 / pck@0.2 (d <= 0.1 S / 0.2 S), err_px, err_norm, pckh@0.5 (head size), pck@0.2 of
  the better of the prediction and its left/right swap (``pck@0.2_lr_free``);
* found: a predicted box (``keypoint_box_xywh``; ``bbox_xywh`` unless ``box_source`` is
  ``given``) with IoU >= 0.5, or pck@0.2 >= 0.5 of its match; recall = found / eligible;
* hands (>= 6 labelled points): hand_pck@0.1/0.2 of the hand box side H, hand_err_norm,
  hand_pck@0.05_body (of S); face (SMPL-X predictions only, 300-W points): face_pck@0.1;
* 3D where the set has it: MPJPE and PA-MPJPE (similarity Procrustes) of the 12 limb joints,
  root = mid-hips, in millimetres;
* aggregates: mean over people ("persons", ``*_all`` counting a missed person as 0), mean of
  per-image means ("images"), per dataset, and pck@0.2 per COCO joint.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from robosmplx.errors import DataError
from robosmplx.landmarks.layout import FINGERS, WHOLEBODY65

COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
LIMB12 = COCO17[5:]
_GT_FINGERS = ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger")
_GT_SIMPLE = {"eye": "Eye", "ear": "Ear", "shoulder": "Shoulder", "elbow": "Elbow",
              "wrist": "Wrist", "hip": "Hip", "knee": "Knee", "ankle": "Ankle",
              "big_toe": "Big_toe", "small_toe": "Small_toe", "heel": "Heel"}  # fmt: skip
FACE_OFFSET = 65  # where the face points start in the 137-point set
PERSON_KEYS = ("pck@0.1", "pck@0.2", "pckh@0.5", "err_px", "err_norm", "pck@0.2_lr_free",
               "mpjpe_mm", "pa_mpjpe_mm")  # fmt: skip
HAND_KEYS = ("hand_pck@0.1", "hand_pck@0.2", "hand_err_norm", "hand_pck@0.05_body")
IMAGE_KEYS = ("recall", "pck@0.1", "pck@0.2", "pck@0.1_all", "pck@0.2_all", "err_norm",
              "pckh@0.5", "hand_pck@0.2", "mpjpe_mm", "pa_mpjpe_mm")  # fmt: skip


def pred_name(gt_name: str) -> str | None:
    """Annotation joint name -> the prediction's keypoint name (None: not predicted)."""
    if gt_name == "nose":
        return "Nose"
    side, _, rest = gt_name.partition("_")
    s = {"left": "L", "right": "R"}.get(side)
    if s is None:
        return None
    if rest == "hand_root":
        return f"{s}_Wrist"
    if rest in _GT_SIMPLE:
        return f"{s}_{_GT_SIMPLE[rest]}"
    for gt_f, f in zip(_GT_FINGERS, FINGERS):
        k = rest[len(gt_f) :]
        if rest.startswith(gt_f) and k.isdigit():
            return f"{s}_{f}_{k}"
    return None


def hand_names(side: str) -> list[str]:
    return [f"{side}_hand_root"] + [f"{side}_{f}{k}" for f in _GT_FINGERS for k in range(1, 5)]


def mirrored(name: str) -> str:
    return {"L_": "R_", "R_": "L_"}.get(name[:2], name[:2]) + name[2:]


def smplx_face_row(i300: int) -> int:
    """Row of 300-W point ``i300`` (0-based) in an SMPL-X prediction: the face block is
    (jaw, head, eyeballs) + points 18..68, then the 17 contour points."""
    return FACE_OFFSET + 4 + (i300 - 17 if i300 >= 17 else 51 + i300)


@dataclass
class Prediction:
    file: str
    k2: np.ndarray  # (K, 2)
    k3: np.ndarray | None  # (K, 3)
    index: dict[str, int]
    body_model: str
    boxes: list[list[float]] = field(default_factory=list)

    def swapped(self) -> Prediction:
        return Prediction(
            self.file,
            self.k2,
            self.k3,
            {mirrored(n): i for n, i in self.index.items()},
            self.body_model,
        )

    def distances(self, gt_points: dict, names: list[str]) -> np.ndarray:
        """Pixel distance per annotation name (nan where the prediction lacks the point)."""
        out = np.full(len(names), np.nan)
        for j, n in enumerate(names):
            pn = pred_name(n)
            i = self.index.get(pn) if pn else None
            if i is None or i >= len(self.k2) or not np.all(np.isfinite(self.k2[i])):
                continue
            g = gt_points[n]
            out[j] = float(np.hypot(self.k2[i][0] - g[0], self.k2[i][1] - g[1]))
        return out


def _scalar(v) -> str:
    return str(v.item() if hasattr(v, "item") else v)


def read_prediction(doc: dict, fname: str) -> Prediction:
    k2 = np.asarray(doc["keypoints2d"], float)
    names = doc.get("keypoint_names")
    if names is None:
        names = WHOLEBODY65 + tuple(f"face_{i}" for i in range(k2.shape[0] - len(WHOLEBODY65)))
    source = _scalar(doc.get("box_source", ""))
    boxes = [[float(v) for v in np.ravel(doc["keypoint_box_xywh"])]] if (
        "keypoint_box_xywh" in doc) else []  # fmt: skip
    if "bbox_xywh" in doc and source != "given":
        boxes.append([float(v) for v in np.ravel(doc["bbox_xywh"])])
    k3 = np.asarray(doc["keypoints3d"], float) if "keypoints3d" in doc else None
    return Prediction(
        fname,
        k2,
        k3,
        {n: i for i, n in enumerate(names)},
        _scalar(doc.get("body_model", "")),
        boxes,
    )


def load_predictions(pred_dir: Path, image_files: list[str]) -> dict[str, list[Prediction]]:
    """Image file name -> its predicted people (``person_*.json``, else ``person_*.npz``), from
    the folder ``summary.json`` names for it, else ``PRED_DIR/<image stem>``."""
    folders: dict[str, Path] = {}
    summary = pred_dir / "summary.json"
    if summary.exists():
        for rec in json.loads(summary.read_text()).get("inputs", []):
            if rec.get("folder"):
                f = Path(rec["folder"])
                if not f.is_absolute() and not f.exists():
                    f = pred_dir / f.name
                folders[Path(rec["input"]).name] = f
    out: dict[str, list[Prediction]] = {}
    for file in image_files:
        name = Path(file).name
        folder = folders.get(name, pred_dir / Path(name).stem)
        people = []
        if folder.is_dir():
            for pj in sorted(folder.glob("person_*.json")):
                people.append(read_prediction(json.loads(pj.read_text()), pj.name))
            if not people:
                for pz in sorted(folder.glob("person_*.npz")):
                    with np.load(pz, allow_pickle=False) as z:
                        people.append(read_prediction({k: z[k] for k in z.files}, pz.name))
        out[name] = people
    return out


def iou_xywh(a, b) -> float:
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - iw * ih
    return iw * ih / union if union > 0 else 0.0


def similarity_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``pred`` (N, 3) after the rotation, scale and translation that best fit it to ``gt``."""
    p, g = pred - pred.mean(0), gt - gt.mean(0)
    u, s, vt = np.linalg.svd(p.T @ g)
    sign = np.ones(3)
    sign[2] = np.sign(np.linalg.det(u @ vt))
    rot = (u * sign) @ vt
    var = (p**2).sum()
    scale = (s * sign).sum() / var if var > 0 else 1.0
    return scale * p @ rot + gt.mean(0)


def mean_of(values) -> float | None:
    """Mean over the values that are not None/NaN (None when none is left)."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(vals)) if vals else None


def body_points(person: dict) -> dict[str, list]:
    return {n: v for n, v in person["keypoints2d"].items() if n in COCO17 and v[2] > 0}


def box_side(person: dict) -> float:
    return max(person["bbox_xywh"][2], person["bbox_xywh"][3])


def match(people: list[dict], preds: list[Prediction]) -> list[int | None]:
    """Greedy one-to-one assignment by the truncated normalised error (ties: lower indices)."""
    costs = []
    for gi, p in enumerate(people):
        names, side = list(body_points(p)), box_side(p)
        for pi, pred in enumerate(preds):
            d = pred.distances(p["keypoints2d"], names)
            costs.append((float(np.mean(np.minimum(np.nan_to_num(d / side, nan=1.0), 1.0))),
                          gi, pi))  # fmt: skip
    assigned: list[int | None] = [None] * len(people)
    taken: set[int] = set()
    for _, gi, pi in sorted(costs):
        if assigned[gi] is None and pi not in taken:
            assigned[gi], _ = pi, taken.add(pi)
    return assigned


def _within(d: np.ndarray, limit: float) -> float:
    return float(np.mean(np.where(np.isfinite(d), d, np.inf) <= limit))


def gt_root_relative_3d(person: dict) -> dict[str, np.ndarray] | None:
    k3 = person.get("keypoints3d")
    if not k3:
        return None
    pts = {n: np.asarray(v, float) for n, v, ok in zip(k3["names"], k3["xyz_m"], k3["valid"])
           if ok}  # fmt: skip
    if "left_hip" not in pts or "right_hip" not in pts:
        return None
    root = (pts["left_hip"] + pts["right_hip"]) / 2
    return {n: pts[n] - root for n in LIMB12 if n in pts}


def score_person(p: dict, pred: Prediction, side: float) -> dict:
    names = list(body_points(p))
    d = pred.distances(p["keypoints2d"], names)
    hit = np.where(np.isfinite(d), d, np.inf) <= 0.2 * side
    any_d = bool(np.isfinite(d).any())
    r = {
        "n_joints": len(names),
        "pck@0.1": _within(d, 0.1 * side),
        "pck@0.2": _within(d, 0.2 * side),
        "err_px": float(np.nanmean(d)) if any_d else None,
        "err_norm": float(np.nanmean(d) / side) if any_d else None,
        "per_joint_hit@0.2": {n: bool(h) for n, h in zip(names, hit)},
    }
    mirror = pred.swapped().distances(p["keypoints2d"], names)
    r["pck@0.2_lr_free"] = max(r["pck@0.2"], _within(mirror, 0.2 * side))
    head = p.get("head_size")
    r["pckh@0.5"] = _within(d, 0.5 * head) if head else None
    hands = {}
    for s in ("left", "right"):
        hn = [n for n in hand_names(s) if n in p["keypoints2d"] and p["keypoints2d"][n][2] > 0]
        if len(hn) < 6:
            continue
        box = p.get(f"{s}_hand_box_xywh")
        if box and box[2] > 0 and box[3] > 0:
            hand = max(box[2], box[3])
        else:
            pts = np.array([p["keypoints2d"][n][:2] for n in hn])
            hand = float((pts.max(0) - pts.min(0)).max())
        dh = pred.distances(p["keypoints2d"], hn)
        dh_inf = np.where(np.isfinite(dh), dh, np.inf)
        hands[s] = {
            "n": len(hn), "hand_box_side_px": round(hand, 2),
            "hand_pck@0.1": _within(dh, 0.1 * hand), "hand_pck@0.2": _within(dh, 0.2 * hand),
            "hand_err_norm": float(np.mean(np.minimum(dh_inf / hand, 1e3))),
            "hand_pck@0.05_body": _within(dh, 0.05 * side),
        }  # fmt: skip
    if hands:
        r["hands"] = hands
    if pred.body_model.startswith("smplx") and p.get("face_box_xywh"):
        face = max(p["face_box_xywh"][2], p["face_box_xywh"][3])
        fd = []
        for i in range(68):
            g = p["keypoints2d"].get(f"face-{i}")
            row = smplx_face_row(i)
            if g is not None and g[2] > 0 and row < len(pred.k2):
                fd.append(float(np.hypot(*(pred.k2[row] - np.asarray(g[:2])))))
        if fd:
            r["face_pck@0.1"] = float(np.mean(np.asarray(fd) <= 0.1 * face))
    r.update(_score_3d(p, pred))
    return r


def _score_3d(p: dict, pred: Prediction) -> dict:
    gt3 = gt_root_relative_3d(p)
    if gt3 is None or pred.k3 is None:
        return {}
    names = [n for n in gt3 if pred_name(n) in pred.index]
    lh, rh = pred.index["L_Hip"], pred.index["R_Hip"]
    if not np.all(np.isfinite(pred.k3[[lh, rh]])):
        return {}
    root = (pred.k3[lh] + pred.k3[rh]) / 2
    P = np.array([pred.k3[pred.index[pred_name(n)]] - root for n in names])
    G = np.array([gt3[n] for n in names])
    ok = np.isfinite(P).all(1)
    P, G = P[ok], G[ok]
    if len(P) < 4:
        return {}
    return {
        "mpjpe_mm": float(np.linalg.norm(P - G, axis=1).mean() * 1000),
        "pa_mpjpe_mm": float(np.linalg.norm(similarity_align(P, G) - G, axis=1).mean() * 1000),
        "n_joints_3d": int(len(P)),
    }


def aggregate(persons: list[dict]) -> dict:
    matched = [q for q in persons if q.get("matched")]
    found = [q["found"] for q in persons if q.get("found") is not None]
    out: dict = {"n_gt_people": len(persons), "n_matched": len(matched),
                 "recall": float(np.mean(found)) if found else None}  # fmt: skip
    for k in PERSON_KEYS:
        out[k] = mean_of(q.get(k) for q in matched)
    for k in ("pck@0.1", "pck@0.2"):
        out[f"{k}_all"] = mean_of(q.get(k, 0.0) if q.get("matched") else 0.0 for q in persons)
    hands = [h for q in matched for h in q.get("hands", {}).values()]
    out["n_hands"] = len(hands)
    for k in HAND_KEYS:
        out[k] = mean_of(h[k] for h in hands)
    faces = [q["face_pck@0.1"] for q in matched if "face_pck@0.1" in q]
    if faces:
        out["face_pck@0.1"] = float(np.mean(faces))
    out["n_3d"] = sum("mpjpe_mm" in q for q in matched)
    return out


def _rounded(o, nd: int = 4):
    if isinstance(o, float):
        return round(o, nd)
    if isinstance(o, dict):
        return {k: _rounded(v, nd) for k, v in o.items()}
    if isinstance(o, list):
        return [_rounded(v, nd) for v in o]
    return o


def evaluate(
    set_dir: str | Path, pred_dir: str | Path, min_joints: int = 4, details: bool = True
) -> dict:
    """The whole report as one JSON-ready dict (floats rounded to 4 decimals)."""
    set_dir, pred_dir = Path(set_dir), Path(pred_dir)
    gt_path = set_dir / "gt.json"
    try:
        images = json.loads(gt_path.read_text())["images"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(
            f"{gt_path}: not a readable annotation set ({e}); SET_DIR must hold "
            "gt.json with an 'images' list"
        ) from e
    if not pred_dir.is_dir():
        raise DataError(
            f"{pred_dir}: no such folder; run robosmplx predict SET_DIR/images "
            f"--out {pred_dir} first"
        )
    preds = load_predictions(pred_dir, [im["file"] for im in images])
    per_image, everyone = [], []
    for im in images:
        name = Path(im["file"]).name
        gts = [p for p in im["people"]
               if not p.get("iscrowd") and len(body_points(p)) >= min_joints]  # fmt: skip
        pr = preds.get(name, [])
        assigned = match(gts, pr) if gts and pr else [None] * len(gts)
        persons = []
        for p, pi in zip(gts, assigned):
            side = box_side(p)
            q = {"gt_id": p.get("id"), "box_side_px": round(side, 2), "dataset": im["dataset"],
                 "matched": pi is not None}  # fmt: skip
            if pi is not None:
                q.update(score_person(p, pr[pi], side))
                q["pred"] = pr[pi].file
            best = max((iou_xywh(b, p["bbox_xywh"]) for x in pr for b in x.boxes), default=0.0)
            q["best_box_iou"] = best
            q["found"] = bool(best >= 0.5 or (pi is not None and q["pck@0.2"] >= 0.5))
            persons.append(q)
        everyone += persons
        rec = {"image": name, "dataset": im["dataset"], "n_pred": len(pr), **aggregate(persons)}
        if details:
            rec["people"] = persons
        per_image.append(rec)
    hits: dict[str, list[bool]] = {}
    for q in everyone:
        for n, h in q.get("per_joint_hit@0.2", {}).items():
            hits.setdefault(n, []).append(h)
    if not details:
        for q in everyone:
            q.pop("per_joint_hit@0.2", None)
    datasets = sorted({im["dataset"] for im in images})
    return _rounded(
        {
            "what": str(pred_dir),
            "set": str(set_dir),
            "n_images": len(images),
            "min_joints": min_joints,
            "summary": {
                "persons": aggregate(everyone),
                "images": {
                    k: mean_of(r.get(k) for r in per_image if r["n_gt_people"]) for k in IMAGE_KEYS
                },  # fmt: skip
            },
            "per_joint_pck@0.2": {n: float(np.mean(hits[n])) for n in COCO17 if n in hits},
            "per_dataset": {
                ds: aggregate([q for q in everyone if q["dataset"] == ds]) for ds in datasets
            },  # fmt: skip
            "per_image": per_image,
        }
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("set_dir", type=Path, help="folder with gt.json (and images/)")
    p.add_argument("pred_dir", type=Path, help="a robosmplx predict SET_DIR/images --out folder")
    p.add_argument(
        "--min-joints",
        type=int,
        default=4,
        help="labelled body joints a person needs to be scored (default 4)",
    )
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--brief", action="store_true", help="leave per-person details out")
    p.add_argument("--out", type=Path, default=None, help="also write the JSON report here")


def run(args) -> int:
    from robosmplx.io import atomic_write_text

    report = evaluate(args.set_dir, args.pred_dir, args.min_joints, details=not args.brief)
    text = json.dumps(report, indent=1)
    if args.out:
        atomic_write_text(args.out, text)
    if args.json:
        print(text)
        return 0
    s = report["summary"]["persons"]
    print(f"{report['set']}: {s['n_gt_people']} people in {report['n_images']} images")
    print("  " + "  ".join(f"{k} {_fmt(s[k])}" for k in
                           ("recall", "pck@0.1_all", "pck@0.2_all", "pck@0.2", "hand_pck@0.2",
                            "pa_mpjpe_mm")))  # fmt: skip
    for ds, a in report["per_dataset"].items():
        print(
            f"  {ds:<14} n={a['n_gt_people']:<3} recall {_fmt(a['recall'])}  "
            f"pck@0.2_all {_fmt(a['pck@0.2_all'])}"
        )
    return 0


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"
