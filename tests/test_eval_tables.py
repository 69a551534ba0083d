"""Sweep plans, the paper-style tables and the plots, on hand-made results (no network)."""

import csv
import io
import json
import math

import pytest

from robosmplx.errors import ConfigError
from robosmplx.eval.plots import write_robustness_plots
from robosmplx.eval.robustness import POSITIONAL_COLUMNS, sweep_plan, unique_labels
from robosmplx.eval.robustness_cmd import _magnitudes
from robosmplx.eval.tables import (
    eval_table,
    positional_table,
    sweep_table,
    to_csv,
    to_json,
    to_markdown,
    write_robustness_tables,
)


def test_default_plan_covers_all_ten_with_paper_columns():
    from robosmplx.data.perturb import PERTURBATIONS

    plan = sweep_plan()
    assert list(plan) == [n for n, p in PERTURBATIONS.items() if p.default] and len(plan) == 10
    for name, mags in plan.items():
        assert 0.0 in mags and list(mags) == sorted(mags)
        assert set(PERTURBATIONS[name].sweep) <= set(mags)
    for _, name, m in POSITIONAL_COLUMNS[1:]:
        assert m in plan[name]
    lo, hi = PERTURBATIONS["rotation"].range
    assert min(plan["rotation"]) == lo and max(plan["rotation"]) == hi


def test_plan_options_and_errors():
    from robosmplx.data.perturb import PERTURBATIONS

    plan = sweep_plan(["scale", "hue"], {"hue": [0.1]}, positional=False)
    assert plan == {"scale": tuple(sorted(PERTURBATIONS["scale"].sweep)), "hue": (0.0, 0.1)}
    assert sweep_plan(["scale"], {"scale": [0.5]})["scale"] == (-0.3, 0.0, 0.3, 0.5)
    with pytest.raises(ConfigError, match="unknown perturbation"):
        sweep_plan(["blur"])
    with pytest.raises(ConfigError, match="outside"):
        sweep_plan(["hue"], {"hue": [0.9]})
    with pytest.raises(ConfigError, match="not being swept"):
        sweep_plan(["hue"], {"scale": [0.1]})
    assert _magnitudes(["scale=0.3,-0.3", "hue=0.1"]) == {"scale": [0.3, -0.3], "hue": [0.1]}
    with pytest.raises(ConfigError, match="NAME=M1,M2"):
        _magnitudes(["scale:0.3"])
    assert [c.label for c in unique_labels(["a/m.safetensors", "b/m.safetensors"])] == ["m", "m-2"]
    with pytest.raises(ConfigError, match="one per checkpoint"):
        unique_labels(["a", "b"], ["x"])


def _entry(pa: float, plain: float) -> dict:
    return {"metrics": {"rhand": {"pa_pve": pa, "pve": plain}}, "box_iou": {}}


def _hand_result() -> dict:
    """Two methods on a hand protocol, values like the paper's Table 4."""
    plan = {
        "translate_x": (-0.2, 0.0, 0.2),
        "translate_y": (-0.2, 0.0, 0.2),
        "scale": (-0.3, 0.0, 0.3),
    }
    runs = []
    for label, base in (("Hand4Whole", 7.47), ("RoboSMPLX", 7.24)):
        sweep = {
            n: [
                {
                    "magnitude": m,
                    **_entry(base + 10 * abs(m) + (0.01 if m > 0 else 0), 2 * base + m),
                }
                for m in ms
            ]
            for n, ms in plan.items()
        }
        runs.append(
            {"label": label, "checkpoint": None, "normal": _entry(base, 2 * base), "sweep": sweep}
        )
    return {
        "protocol": "freihand",
        "data": "freihand_test.npz",
        "num_samples": 3960,
        "headline": {"part": "rhand", "metric": "pa_pve"},
        "perturbations": {n: {"magnitudes": list(ms)} for n, ms in plan.items()},
        "columns": [
            {"label": a, "perturbation": b, "magnitude": c} for a, b, c in POSITIONAL_COLUMNS
        ],
        "table_rows": [{"label": "Hand", "part": "rhand", "metrics": ["pa_pve", "pve"]}],
        "runs": runs,
    }


def test_positional_table_like_table_4():
    header, rows = positional_table(_hand_result())
    assert header == ["Method (PA-PVE/PVE)"] + [c[0] for c in POSITIONAL_COLUMNS]
    assert header[1:] == [
        "Normal", "Transx +0.2x", "Transx -0.2x", "Transy +0.2y", "Transy -0.2y", "Scale 1.3x",
        "Scale 0.7x",
    ]  # fmt: skip
    assert rows[1][0] == "RoboSMPLX"
    assert rows[1][1] == "7.24/14.48"  # Normal
    assert rows[1][2] == "9.25/14.68"  # translate_x +0.2: 7.24 + 2 + 0.01, 14.48 + 0.2
    assert rows[1][3] == "9.24/14.28"  # translate_x -0.2
    assert rows[1][6] == "10.25/14.78"  # scale +0.3 = "Scale 1.3x"
    assert rows[1][7] == "10.24/14.18"  # scale -0.3 = "Scale 0.7x"
    md = to_markdown((header, rows), "t")
    assert md.splitlines()[2].startswith("| Method (PA-PVE/PVE) | Normal | Transx +0.2x |")
    parsed = list(csv.reader(io.StringIO(to_csv((header, rows)))))
    assert parsed[0] == header and len(parsed) == 3


def test_sweep_table_changes_and_nan():
    result = _hand_result()
    result["runs"][0]["sweep"]["scale"][0]["metrics"]["rhand"]["pa_pve"] = float("nan")
    header, rows = sweep_table(result, "rhand", "pa_pve")
    assert header == [
        "Perturbation",
        "Magnitude",
        "Hand4Whole",
        "Hand4Whole change",
        "RoboSMPLX",
        "RoboSMPLX change",
    ]
    assert len(rows) == 9
    row = next(r for r in rows if r[:2] == ["translate_y", "0.2"])
    assert row[4:] == ["9.25", "2.01"]
    assert next(r for r in rows if r[:2] == ["scale", "-0.3"])[2:4] == ["-", "-"]
    assert json.loads(to_json({"x": float("nan")})) == {"x": None}


def test_eval_table_rows():
    res = {"metrics": {"body": {"mpjpe": 80.84, "pa_mpjpe": 49.8}}, "box_iou": {}}
    assert eval_table(res) == (["Part", "MPJPE", "PA-MPJPE"], [["Body", "80.84", "49.80"]])


def test_written_tables_and_plots(tmp_path):
    result = _hand_result()
    files = write_robustness_tables(result, tmp_path)
    files.update(write_robustness_plots(result, tmp_path))
    for key in ("json", "positional_csv", "sweep_csv", "long_csv", "markdown"):
        assert files[key].is_file()
    long = list(csv.reader(io.StringIO(files["long_csv"].read_text())))
    assert long[0] == [
        "method",
        "checkpoint",
        "perturbation",
        "magnitude",
        "part",
        "metric",
        "value",
    ]
    assert len(long) - 1 == 2 * (1 + 9) * 2  # runs x (normal + sweep entries) x metrics
    assert json.loads(files["json"].read_text())["runs"][1]["label"] == "RoboSMPLX"
    for key in ("summary_png", "curves_png"):
        assert files[key].read_bytes()[:4] == b"\x89PNG"
    assert not math.isnan(result["runs"][0]["normal"]["metrics"]["rhand"]["pa_pve"])
