"""The SMPL-X family path of the benchmarks (EHF, 3DPW) on stand-in model files written in the
official format: vertex maps read from the model folder, J14 from an H36M regressor."""

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from robosmplx.errors import ModelFileError
from robosmplx.eval.evaluator import EvalOptions, Evaluator
from robosmplx.eval.parts import H36M_TO_J14, resolve_parts
from robosmplx.eval.protocols import get_protocol

BENCH = Path(__file__).parent / "data" / "tiny_bench" / "humandata.npz"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from support.standin import write_standin_model_files

    d = tmp_path_factory.mktemp("models")
    write_standin_model_files(d, ("smplx", "smpl"))
    return d


@pytest.fixture(scope="module")
def smplx_model(model_dir):
    from robosmplx.body import load_body_model

    return load_body_model("smplx", model_dir=model_dir)


def _write_maps(model_dir: Path, model) -> None:
    v = model.part_views
    maps = {
        "left_hand": np.asarray(v["lhand"].vertices),
        "right_hand": np.asarray(v["rhand"].vertices),
    }
    with open(model_dir / "smplx" / "MANO_SMPLX_vertex_ids.pkl", "wb") as f:
        pickle.dump(maps, f)
    np.save(model_dir / "smplx" / "SMPL-X__FLAME_vertex_ids.npy", np.asarray(v["face"].vertices))


def _smplx_bench(folder: Path, model) -> Path:
    """The tiny bench's images and boxes with random SMPL-X ground truth."""
    folder.mkdir()
    with np.load(BENCH) as z:
        drop = ("anny.", "keypoints", "body_model", "segm")
        data = {k: z[k] for k in z.files if not k.startswith(drop)}
    for p in data["image_path"]:
        (folder / str(p)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BENCH.parent / str(p), folder / str(p))
    n = len(data["image_path"])
    rng = np.random.default_rng(0)
    go = np.zeros((n, 3), np.float32)
    go[:, 0] = np.pi
    params = {"global_orient": go}
    for g in model.spec.groups:
        if g.name != "global_orient":
            shape = (n, g.size, 3) if g.kind == "rotation" else (n, g.size)
            params[g.name] = rng.normal(0, 0.2, shape).astype(np.float32)
    data.update({f"smplx.{k}": v for k, v in params.items()})
    np.savez(folder / "ehf.npz", **data)
    return folder / "ehf.npz"


def test_ehf_oracle_reads_vertex_maps_from_the_model_folder(tmp_path, model_dir, smplx_model):
    path = _smplx_bench(tmp_path / "ehf", smplx_model)
    opts = EvalOptions(progress=False, model_dir=str(model_dir))
    for f in ("MANO_SMPLX_vertex_ids.pkl", "SMPL-X__FLAME_vertex_ids.npy"):
        (model_dir / "smplx" / f).unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match="MANO_SMPLX_vertex_ids.pkl"):
        Evaluator("ehf", path, oracle=True, options=opts)
    _write_maps(model_dir, smplx_model)
    ev = Evaluator("ehf", path, oracle=True, options=opts)
    assert ev.body.name == "smplx"
    assert "jaw_pose" in ev.scored and "left_hand_pose" in ev.scored
    res = ev.run()
    for part in ("wholebody", "body", "lhand", "rhand", "face", "hands"):
        for v in res["metrics"][part].values():
            assert abs(v) < 1e-6
    assert res["box_iou"] == pytest.approx({"lhand": 1.0, "rhand": 1.0, "face": 1.0})


def test_3dpw_j14_from_h36m_regressor(tmp_path, model_dir):
    from robosmplx.body import load_body_model

    smpl = load_body_model("smpl", model_dir=model_dir)
    parts = resolve_parts(get_protocol("3dpw"), smpl, model_dir)
    assert parts["body"].regressor is None and len(parts["body"].joints) == 14  # by name
    reg = np.random.default_rng(0).uniform(size=(17, smpl.num_vertices))
    np.save(model_dir / "J_regressor_h36m.npy", reg / reg.sum(1, keepdims=True))
    try:
        sel = resolve_parts(get_protocol("3dpw"), smpl, model_dir)["body"]
    finally:
        (model_dir / "J_regressor_h36m.npy").unlink()
    assert sel.regressor.shape == (17, smpl.num_vertices)
    assert [j[0] for j in sel.joints] == list(H36M_TO_J14)
    with torch.no_grad():
        out = smpl(**smpl.neutral_params(2))
    j = sel.joint_points(out.vertices, out.keypoints)
    regressed = torch.einsum("rv,bvc->brc", sel.regressor, out.vertices)
    assert torch.allclose(j, regressed[:, list(H36M_TO_J14)])
    assert torch.allclose(sel.root_point(out.vertices, out.keypoints), j[:, 2:4].mean(1))
