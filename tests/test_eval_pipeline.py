"""``robosmplx eval`` and ``robosmplx robustness`` end to end on the checked-in tiny synthetic
benchmark, with random-weight networks: the numbers mean nothing, the pipeline is real."""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from robosmplx.errors import CheckpointError, ConfigError, DataError
from robosmplx.eval import eval_cmd, robustness_cmd
from robosmplx.eval.evaluator import EvalOptions, Evaluator
from robosmplx.eval.robustness import POSITIONAL_COLUMNS

BENCH = Path(__file__).parent / "data" / "tiny_bench" / "humandata.npz"
PAPER_COLUMNS = [c[0] for c in POSITIONAL_COLUMNS]


def _tiny_wholebody(body, seed: int):
    """A whole-body network of the small design at a fraction of its width (fast on a CPU)."""
    import torch

    from robosmplx.models import BackboneConfig, BodySignature, wholebody_config
    from robosmplx.models.wholebody import WholeBodyNetwork

    torch.manual_seed(seed)
    sig = body if isinstance(body, BodySignature) else BodySignature.from_body_model(body)
    b = BackboneConfig(name="resnet18", width=0.25, out_channels=64, output_stride=8)
    o = {"input_size": 64, "heatmap_depth": 8, "hidden": 64, "segm_channels": 16}
    cfg = wholebody_config(
        sig, body_backbone=b, hand_backbone=b, face_backbone=b, body=o, hand=o, face=o
    )
    return WholeBodyNetwork(cfg)


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory, anny_small):
    from robosmplx.models import save_model

    d = tmp_path_factory.mktemp("ckpt")
    return [save_model(_tiny_wholebody(anny_small, s), d / f"net{s}") for s in (0, 1)]


def _args(module, argv):
    p = argparse.ArgumentParser()
    module.add_arguments(p)
    return p.parse_args(argv)


COMMON = ["--data", str(BENCH), "--body-model", "anny-small", "--workers", "0", "--no-progress"]


def test_bench_is_small_and_complete():
    files = [f for f in BENCH.parent.rglob("*") if f.is_file()]
    assert sum(f.stat().st_size for f in files) < 300_000
    with np.load(BENCH) as z:
        n = len(z["image_path"])
        for key in ("bbox_xywh", "lhand_bbox_xywh", "rhand_bbox_xywh", "face_bbox_xywh"):
            assert z[key].shape == (n, 5)
        assert any(k.startswith("anny.") for k in z.files)
    assert 2 <= n <= 8
    for p in np.load(BENCH)["image_path"]:
        assert (BENCH.parent / str(p)).is_file()


def test_oracle_gives_zero_everywhere(tmp_path, capsys):
    args = _args(
        eval_cmd, ["--oracle", "--protocol", "synthetic", "--json", "--out", str(tmp_path), *COMMON]
    )
    assert eval_cmd.run(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["oracle"] and res["num_samples"] >= 2 and res["excluded"] == 0
    assert set(res["metrics"]) == {"wholebody", "body", "lhand", "rhand", "face", "hands"}
    for part, values in res["metrics"].items():
        assert set(values) == {"mpjpe", "pa_mpjpe", "pve", "pa_pve"}
        for v in values.values():
            assert abs(v) < 1e-6, (part, values)
    assert res["box_iou"] == pytest.approx({"lhand": 1.0, "rhand": 1.0, "face": 1.0})
    assert "per_sample" not in res
    saved = json.loads((tmp_path / "eval.json").read_text())
    assert len(saved["per_sample"]["index"]) == res["num_samples"]
    assert (tmp_path / "eval.md").read_text().count("\n") >= 8


def test_rest_pose_baseline_keeps_the_true_orientation_only(capsys):
    import torch

    args = _args(eval_cmd, ["--baseline", "rest", "--protocol", "synthetic", "--json", *COMMON])
    assert eval_cmd.run(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["label"] == "rest-pose baseline" and not res["oracle"]
    assert res["box_iou"] == {}  # a constant prediction has no part boxes to score
    body = res["metrics"]["body"]
    assert body["pa_mpjpe"] > 5.0 and body["mpjpe"] >= body["pa_mpjpe"]
    ev = Evaluator(
        "synthetic", BENCH, baseline="rest", body_model="anny-small",
        options=EvalOptions(progress=False),
    )  # fmt: skip
    assert "global_orient" in ev.scored and "body_pose" in ev.scored
    batch = next(iter(torch.utils.data.DataLoader(ev.base, batch_size=2)))
    rest, gt = ev.params(batch)
    assert torch.equal(rest["global_orient_rotmat"], gt["global_orient_rotmat"])
    assert torch.equal(rest["body_pose_rotmat"], torch.eye(3).expand_as(gt["body_pose_rotmat"]))
    want = ev.body.vector_default("betas").expand_as(gt["betas"])
    assert torch.equal(rest["betas"], want)
    with pytest.raises(ConfigError, match="unknown baseline"):
        Evaluator("synthetic", BENCH, baseline="mean", body_model="anny-small")


def test_oracle_hand_protocol_under_rotation():
    ev = Evaluator(
        "synthetic-hand", BENCH, oracle=True, body_model="anny-small",
        options=EvalOptions(progress=False),
    )  # fmt: skip
    res = ev.run(("rotation", 30.0))
    assert res["scored_groups"] == [
        "global_orient",
        "right_hand_pose",
    ]  # the hand-frame orientation
    assert res["num_samples"] >= 2
    for v in res["metrics"]["rhand"].values():
        assert abs(v) < 1e-6 or abs(v - 1.0) < 1e-9  # errors 0, F-scores 1


def test_eval_random_checkpoint(ckpts, tmp_path, capsys):
    args = _args(
        eval_cmd,
        ["--checkpoint", str(ckpts[0]), "--protocol", "synthetic", "--json", "--per-sample",
         "--out", str(tmp_path), *COMMON],
    )  # fmt: skip
    assert eval_cmd.run(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["label"] == "net0" and not res["oracle"]
    assert set(res["scored_groups"]) == {
        "global_orient", "body_pose", "left_hand_pose", "right_hand_pose", "expression", "betas",
    }  # fmt: skip
    for part in ("wholebody", "body", "lhand", "rhand", "face"):
        for m, v in res["metrics"][part].items():
            assert np.isfinite(v) and v > 0, (part, m)
        pa, plain = res["metrics"][part]["pa_pve"], res["metrics"][part]["pve"]
        assert pa <= plain + 1e-6
    assert all(0.0 <= v <= 1.0 for v in res["box_iou"].values())
    per = res["per_sample"]
    assert len(per["wholebody.pa_pve"]) == res["num_samples"]
    assert np.mean(per["wholebody.pa_pve"]) == pytest.approx(res["metrics"]["wholebody"]["pa_pve"])
    assert {"json", "csv", "markdown"} == set(res["files"])


def _is_png(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        return im.size


def test_robustness_two_checkpoints(ckpts, tmp_path, capsys):
    out = tmp_path / "rob"
    args = _args(
        robustness_cmd,
        ["--checkpoint", str(ckpts[0]), "--checkpoint", str(ckpts[1]), "--label", "ours",
         "--label", "other", "--protocol", "synthetic", "--out", str(out), "--json",
         "--perturbations", "translate_x", "translate_y", "scale",
         "--magnitudes", "translate_x=0.2", "translate_y=0.2", "scale=0.3",
         *COMMON],
    )  # fmt: skip
    assert robustness_cmd.run(args) == 0
    res = json.loads(capsys.readouterr().out)
    mags = {k: v["magnitudes"] for k, v in res["perturbations"].items()}
    assert mags == {
        "translate_x": [-0.2, 0.0, 0.2],
        "translate_y": [-0.2, 0.0, 0.2],
        "scale": [-0.3, 0.0, 0.3],
    }
    assert [r["label"] for r in res["runs"]] == ["ours", "other"]
    for run in res["runs"]:
        zero = next(e for e in run["sweep"]["scale"] if e["magnitude"] == 0.0)
        assert zero["metrics"] == run["normal"]["metrics"]
    a, b = (r["normal"]["metrics"]["wholebody"]["pa_pve"] for r in res["runs"])
    assert a != b  # two different networks

    header, *rows = (out / "robustness_positional.csv").read_text().strip().split("\n")
    assert header.split(",") == ["Part", "Method"] + PAPER_COLUMNS
    assert [r.split(",")[:2] for r in rows] == [
        [f"{g} (PA-PVE)", m] for g in ("Hands", "Face", "Wholebody") for m in ("ours", "other")
    ]
    normal = float(rows[-2].split(",")[2])
    assert normal == pytest.approx(a, abs=0.006)
    sweep = (out / "robustness_sweep.csv").read_text().strip().split("\n")
    assert sweep[0] == "Perturbation,Magnitude,ours,ours change,other,other change"
    assert len(sweep) - 1 == sum(len(v) for v in mags.values())
    md = (out / "robustness.md").read_text()
    assert "| Part | Method | Normal | Transx +0.2x | Transx -0.2x |" in md
    w, h = _is_png(out / "robustness_summary.png")
    assert w > 300 and h > 200
    _is_png(out / "robustness_curves.png")
    assert set(res["files"]) >= {"json", "positional_csv", "sweep_csv", "summary_png", "curves_png"}


class _NoWork:
    """Makes any sample read fail loudly: errors must come before the work."""

    def __enter__(self):
        from robosmplx.data import datasets

        self._orig = datasets.HumanDataset.__getitem__

        def boom(*a, **k):
            raise AssertionError("a sample was read before the input check failed")

        datasets.HumanDataset.__getitem__ = boom

    def __exit__(self, *exc):
        from robosmplx.data import datasets

        datasets.HumanDataset.__getitem__ = self._orig


def _copy_bench(tmp_path: Path, drop: tuple[str, ...], **extra) -> Path:
    """A copy of the bench in ``tmp_path`` without the keys starting with ``drop``."""
    shutil.copytree(BENCH.parent, tmp_path)
    with np.load(BENCH) as z:
        data = {k: z[k] for k in z.files if not k.startswith(drop)}
    np.savez(tmp_path / BENCH.name, **data, **extra)
    return tmp_path / BENCH.name


def test_checkpoint_for_another_body_model_is_refused(tmp_path):
    from robosmplx.models import save_model, smplx_signature

    path = save_model(_tiny_wholebody(smplx_signature(), 0), tmp_path / "smplx_net")
    with _NoWork(), pytest.raises(CheckpointError, match="another body model"):
        Evaluator(
            "synthetic", BENCH, path, body_model="anny-small", options=EvalOptions(progress=False)
        )


def test_bad_inputs_fail_before_work(ckpts, tmp_path):
    opts = EvalOptions(progress=False)
    with _NoWork():
        with pytest.raises(ConfigError, match="--body-model smplx"):
            Evaluator("ehf", BENCH, ckpts[0], body_model="anny-small", options=opts)
        with pytest.raises(CheckpointError, match="cannot be scored on protocol 'synthetic-hand'"):
            Evaluator("synthetic-hand", BENCH, ckpts[0], body_model="anny-small", options=opts)
        no_params = _copy_bench(tmp_path / "a", ("anny.",))
        with pytest.raises(DataError, match="no ground-truth parameters"):
            Evaluator("synthetic", no_params, ckpts[0], body_model="anny-small", options=opts)
        no_boxes = _copy_bench(tmp_path / "b", ("lhand_bbox",))
        with pytest.raises(DataError, match="lhand_bbox_xywh"):
            Evaluator("synthetic", no_boxes, ckpts[0], body_model="anny-small", options=opts)
        no_image = _copy_bench(tmp_path / "c", ())
        first = np.load(no_image)["image_path"][0]
        (tmp_path / "c" / str(first)).unlink()
        with pytest.raises(DataError, match="image file not found"):
            Evaluator("synthetic", no_image, ckpts[0], body_model="anny-small", options=opts)
        with pytest.raises(ConfigError, match="not a device name"):
            bad = EvalOptions(progress=False, device="gpu0")
            Evaluator("synthetic", BENCH, ckpts[0], body_model="anny-small", options=bad)
        with pytest.raises(ConfigError, match="give one of: a checkpoint"):
            both = ["--checkpoint", str(ckpts[0]), "--baseline", "rest", *COMMON]
            eval_cmd.run(_args(eval_cmd, both))
        with pytest.raises(CheckpointError, match="missing: checkpoint not found"):
            Evaluator(
                "synthetic", BENCH, tmp_path / "missing", body_model="anny-small", options=opts
            )


def test_face_scan_rmse(tmp_path):
    """The Stirling path as the FG2018 script (landmark alignment, face mask, point to surface)
    on a FLAME stand-in, scans made from the truth in millimetres and in metres."""
    import math

    import torch
    import trimesh
    from torch.utils.data import DataLoader

    from robosmplx.body import load_body_model
    from robosmplx.eval.official import FG2018_LANDMARKS
    from support.standin import write_standin_model_files

    models = tmp_path / "models"
    write_standin_model_files(models, ("flame",))
    flame = load_body_model("flame", model_dir=models)
    with np.load(BENCH) as z:
        n = len(z["image_path"])
    rng = np.random.default_rng(0)
    go = np.zeros((n, 3), np.float32)
    go[:, 0] = np.pi
    params = {
        "flame.global_orient": go,
        "flame.jaw_pose": rng.normal(0, 0.1, (n, 1, 3)).astype(np.float32),
        "flame.expression": rng.normal(0, 0.5, (n, 50)).astype(np.float32),
        "flame.betas": rng.normal(0, 0.5, (n, 100)).astype(np.float32),
    }
    names = np.array([f"scan{i}.ply" for i in range(n)])
    drop = ("anny.", "body_model", "segm")
    path = _copy_bench(tmp_path / "s", drop, scan_path=names, **params)
    opts = EvalOptions(progress=False, model_dir=str(models))
    with _NoWork(), pytest.raises(DataError, match="scan_landmarks"):
        Evaluator("stirling", path, oracle=True, options=opts)
    ids = [flame.keypoint_layout.names.index(k) for k in FG2018_LANDMARKS]
    lm = np.zeros((n, 7, 3))
    np.savez(path, **dict(np.load(path)), scan_landmarks=lm)
    for name in names:  # placeholders until the truth is known
        trimesh.PointCloud(np.eye(3)).export(tmp_path / "s" / name)
    ev = Evaluator("stirling", path, oracle=True, options=opts)  # to pose the truth
    batch = next(iter(DataLoader(ev.base, batch_size=n)))
    _, gt = ev.params(batch)
    with torch.no_grad():
        out = ev.scorer(**gt)
    a = math.radians(20)
    turn = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    for unit, scale in (("mm", 1000.0), ("m", 1.0)):
        for i in range(n):
            v = (out.vertices[i].double().numpy() @ turn.T + [0.01, 0.02, 0.5]) * scale
            lm[i] = (out.keypoints[i, ids].double().numpy() @ turn.T + [0.01, 0.02, 0.5]) * scale
            trimesh.PointCloud(v).export(tmp_path / "s" / names[i])
        np.savez(path, **{**dict(np.load(path)), "scan_landmarks": lm})
        res = Evaluator("stirling", path, oracle=True, options=opts).run()
        assert res["metrics"]["face"]["rmse3d"] < 1e-3, unit  # mm either way
        assert len(res["per_sample"]["face.rmse3d"]) == n
    (tmp_path / "s" / names[-1]).unlink()
    with _NoWork(), pytest.raises(DataError, match="scan files not found"):
        Evaluator("stirling", path, oracle=True, options=opts)


def test_cli_exit_codes(tmp_path, capsys):
    from robosmplx.cli import main

    argv = ["--oracle", "--body-model", "anny-small", "--workers", "0", "--no-progress"]
    assert main(["eval", "--data", str(BENCH), *argv]) == 0
    assert main(["eval", "--data", str(tmp_path / "none.npz"), *argv]) == 2
    err = capsys.readouterr().err
    assert "robosmplx eval: error:" in err and "none.npz" in err


def test_prediction_spread_script(ckpts, capsys):
    """scripts/prediction_spread.py: a random network's poses barely vary across images, the
    true ones do; orientation errors are angles."""
    import importlib.util

    path = Path(__file__).parents[1] / "scripts" / "prediction_spread.py"
    spec = importlib.util.spec_from_file_location("prediction_spread", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import torch

    from robosmplx.geometry.rotations import axis_angle_to_matrix

    same = axis_angle_to_matrix(torch.tensor([0.3, 0.0, 0.0])).expand(5, 2, 3, 3)
    assert mod.spread_deg(same) == pytest.approx(0.0, abs=1e-3)
    two = axis_angle_to_matrix(torch.tensor([[[0.2, 0, 0]], [[-0.2, 0, 0]]]))  # (2, 1, 3, 3)
    assert mod.spread_deg(two) == pytest.approx(float(np.degrees(0.2)), rel=1e-3)

    res = mod.main([str(ckpts[0]), str(BENCH), "--limit", "4", "--body-model", "anny-small"])
    assert res["samples"] >= 2
    assert 0.0 <= res["global_orient_error_deg"]["median"] <= 180.0
    assert res["body_pose_spread_deg"]["truth"] > res["body_pose_spread_deg"]["network"]
    assert json.loads(capsys.readouterr().out)["samples"] == res["samples"]
    hm = res["heatmap_joints_px"]
    assert hm["keypoints"] > 0 and hm["network"] > 0 and hm["mean_layout"] > 0

    # the heatmap check itself: joints at the truth score 0, the constant layout does not
    gt = torch.rand(6, 3, 3) * 2 - 1
    gt[..., 2] = 1.0
    exact = mod.heatmap_errors(gt[..., :2], gt, 128)
    assert exact["network"] == pytest.approx(0.0, abs=1e-5) and exact["mean_layout"] > 1.0
    gt[0, 0, 2] = 0.0  # a missing keypoint is left out
    assert mod.heatmap_errors(gt[..., :2], gt, 128)["keypoints"] == 6 * 3 - 1
