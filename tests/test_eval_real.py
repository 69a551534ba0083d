"""eval-real: the real-photo 2D keypoint scorer (known answers; agreement with the set's own
reference scorer where the development set is present beside the clone)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from robosmplx.eval import real
from robosmplx.landmarks.layout import WHOLEBODY65

REAL_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-dev"


def _write_pred(folder: Path, i: int, points: dict[str, tuple[float, float]], box, **extra):
    k2 = np.full((137, 2), np.nan)
    for name, xy in points.items():
        k2[WHOLEBODY65.index(name)] = xy
    doc = {"keypoints2d": [[None if np.isnan(v) else v for v in r] for r in k2.tolist()],
           "keypoint_box_xywh": box, "bbox_xywh": box, "box_source": "landmarks",
           "body_model": "anny", **extra}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"person_{i}.json").write_text(json.dumps(doc))


def _tiny_set(root: Path) -> Path:
    """Two images: one with two people (one found well, one missed), one with a person whose
    prediction is mirrored, plus a crowd region and a person with too few joints."""
    a = {"left_shoulder": [60, 40, 2], "right_shoulder": [40, 40, 2], "left_hip": [58, 80, 2],
         "right_hip": [42, 80, 2], "nose": [50, 20, 1]}  # fmt: skip
    b = {k: [v[0] + 200, v[1], 2] for k, v in a.items()}
    c = {"left_wrist": [80, 50, 2], "right_wrist": [20, 50, 2], "left_knee": [70, 90, 2],
         "right_knee": [30, 90, 2]}  # fmt: skip
    gt = {"images": [
        {"file": "images/one.jpg", "dataset": "toy", "people": [
            {"id": 1, "bbox_xywh": [30, 10, 40, 100], "keypoints2d": a, "head_size": 20.0},
            {"id": 2, "bbox_xywh": [230, 10, 40, 100], "keypoints2d": b},
            {"id": 3, "bbox_xywh": [0, 0, 9, 9], "keypoints2d": {"nose": [1, 1, 2]}},
            {"id": 4, "bbox_xywh": [0, 0, 300, 300], "keypoints2d": a, "iscrowd": 1}]},
        {"file": "images/two.png", "dataset": "other", "people": [
            {"id": 5, "bbox_xywh": [10, 10, 80, 100], "keypoints2d": c}]},
    ]}  # fmt: skip
    (root / "gt.json").write_text(json.dumps(gt))
    pred = root / "pred"
    # person 1: shoulders exact, hips 5 px off (< 0.2 * 100), nose 15 px off (> 0.1 * 100)
    _write_pred(pred / "one", 0, {"L_Shoulder": (60, 40), "R_Shoulder": (40, 40),
                                  "L_Hip": (58, 85), "R_Hip": (42, 85), "Nose": (50, 35)},
                [30, 10, 40, 100])  # fmt: skip
    # person 5: left and right swapped
    _write_pred(pred / "two", 0, {"L_Wrist": (20, 50), "R_Wrist": (80, 50), "L_Knee": (30, 90),
                                  "R_Knee": (70, 90)}, [200, 200, 10, 10])  # fmt: skip
    return root


def test_known_answers(tmp_path):
    root = _tiny_set(tmp_path)
    rep = real.evaluate(root, root / "pred")  # figures rounded to 4 decimals
    persons = rep["summary"]["persons"]
    assert persons["n_gt_people"] == 3  # crowd and too-few-joints people are not eligible
    one = rep["per_image"][0]["people"]
    assert one[0]["pck@0.2"] == 1.0 and one[0]["pck@0.1"] == pytest.approx(0.8)
    assert one[0]["err_px"] == pytest.approx(25 / 5, abs=1e-4)
    assert one[0]["pckh@0.5"] == pytest.approx(0.8)  # 0.5 * 20 px head
    assert one[0]["found"] and not one[1]["matched"] and not one[1]["found"]
    two = rep["per_image"][1]["people"][0]
    assert two["pck@0.2"] == 0.0 and two["pck@0.2_lr_free"] == 1.0 and not two["found"]
    assert persons["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert persons["pck@0.2_all"] == pytest.approx(1 / 3, abs=1e-4)
    assert persons["pck@0.2"] == pytest.approx(0.5, abs=1e-4)  # over matched people
    assert rep["per_dataset"]["other"]["recall"] == 0.0
    assert rep["summary"]["images"]["recall"] == pytest.approx(0.25, abs=1e-4)


def test_cli_json_and_bad_paths(tmp_path, capsys):
    from robosmplx.cli import main

    root = _tiny_set(tmp_path)
    assert main(["eval-real", str(root), str(root / "pred"), "--json", "--brief"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "people" not in out["per_image"][0]
    assert main(["eval-real", str(root), str(tmp_path / "nope")]) == 2
    assert "robosmplx predict" in capsys.readouterr().err


def test_similarity_alignment_recovers_a_scaled_rotation():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(12, 3))
    c, s = np.cos(0.7), np.sin(0.7)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    np.testing.assert_allclose(real.similarity_align(2.5 * gt @ rot + 3.0, gt), gt, atol=1e-9)


def _numbers(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _numbers(v, f"{path}/{k}")
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _numbers(v, f"{path}/{i}")
    else:
        yield path, o


def _jittered_predictions(set_dir: Path, out: Path) -> None:
    """Predictions for the development set made from its own annotations: jittered, some
    people left out, some mirrored, an extra person, one image as .npz."""
    rng = np.random.default_rng(7)
    gt = json.loads((set_dir / "gt.json").read_text())
    for k, im in enumerate(gt["images"]):
        folder = out / Path(im["file"]).stem
        folder.mkdir(parents=True)
        people = [p for j, p in enumerate(im["people"]) if (j + k) % 4 != 3]
        for i, p in enumerate(people):
            k2 = np.full((137, 2), np.nan)
            for n, v in p["keypoints2d"].items():
                pn = real.pred_name(n)
                if pn in WHOLEBODY65:
                    k2[WHOLEBODY65.index(pn)] = (
                        np.asarray(v[:2]) + rng.normal(0, 0.1, 2) * (p["bbox_xywh"][3])
                    )
            if i % 3 == 2:
                k2 = k2[
                    [WHOLEBODY65.index(real.mirrored(n)) for n in WHOLEBODY65]
                    + list(range(65, 137))
                ]
            box = (np.asarray(p["bbox_xywh"]) * rng.uniform(0.8, 1.2, 4)).tolist()
            doc = {"keypoints2d": k2, "keypoint_box_xywh": box, "bbox_xywh": box,
                   "box_source": "given" if i == 1 else "network", "body_model": "anny",
                   "keypoints3d": np.zeros((137, 3))}  # fmt: skip
            if k % 5 == 4:
                np.savez(folder / f"person_{i}.npz", **{a: np.asarray(b) for a, b in doc.items()})
            else:
                doc = {a: (np.where(np.isnan(b), None, b).tolist() if isinstance(b, np.ndarray)
                           else b) for a, b in doc.items()}  # fmt: skip
                (folder / f"person_{i}.json").write_text(json.dumps(doc))


@pytest.mark.skipif(not REAL_DEV.is_dir(), reason=f"development set not present at {REAL_DEV}")
def test_agrees_with_the_reference_scorer(tmp_path):
    pred = tmp_path / "pred"
    _jittered_predictions(REAL_DEV, pred)
    ref_out = tmp_path / "ref.json"
    subprocess.run([sys.executable, str(REAL_DEV / "score_real.py"), str(REAL_DEV), str(pred),
                    "--out", str(ref_out)], check=True, capture_output=True)  # fmt: skip
    want = dict(_numbers(json.loads(ref_out.read_text())))
    got = dict(_numbers(json.loads(json.dumps(real.evaluate(REAL_DEV, pred)))))
    assert set(want) == set(got)
    for key, value in want.items():
        if key in ("/what", "/set"):
            continue
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, abs=1e-9), key
        else:
            assert got[key] == value, key
