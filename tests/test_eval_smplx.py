"""The SMPL-X family path of the benchmarks (EHF, 3DPW) on stand-in model files written in the
official format: vertex maps read from the model folder, J14 from an H36M regressor."""

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from robosmplx.errors import ConfigError, ModelFileError
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


def _bench_images(folder: Path) -> dict:
    """The tiny bench's images copied into ``folder`` and its annotations without the Anny
    ground truth."""
    folder.mkdir()
    with np.load(BENCH) as z:
        drop = ("anny.", "keypoints", "body_model", "segm")
        data = {k: z[k] for k in z.files if not k.startswith(drop)}
    for p in data["image_path"]:
        (folder / str(p)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BENCH.parent / str(p), folder / str(p))
    return data


def _smplx_bench(folder: Path, model) -> Path:
    """The tiny bench's images and boxes with random SMPL-X ground truth."""
    data = _bench_images(folder)
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


def _write_j14(model_dir: Path, model) -> np.ndarray:
    reg = np.random.default_rng(1).uniform(size=(14, model.num_vertices))
    reg /= reg.sum(1, keepdims=True)
    with open(model_dir / "smplx" / "SMPLX_to_J14.pkl", "wb") as f:
        pickle.dump(reg, f)
    return reg


def _batch_gt(ev):
    """The evaluator's first batch and its true posed meshes (camera frame, no translation)."""
    from torch.utils.data import DataLoader

    batch = next(iter(DataLoader(ev.base, batch_size=len(ev.base))))
    _, gt = ev.params(batch)
    with torch.no_grad():
        return batch, ev.scorer(**gt)


def test_ehf_oracle_reads_vertex_maps_and_j14_from_the_model_folder(
    tmp_path, model_dir, smplx_model
):
    path = _smplx_bench(tmp_path / "ehf", smplx_model)
    opts = EvalOptions(progress=False, model_dir=str(model_dir))
    for f in ("MANO_SMPLX_vertex_ids.pkl", "SMPL-X__FLAME_vertex_ids.npy", "SMPLX_to_J14.pkl"):
        (model_dir / "smplx" / f).unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match="MANO_SMPLX_vertex_ids.pkl"):
        Evaluator("ehf", path, oracle=True, options=opts)
    _write_maps(model_dir, smplx_model)
    with pytest.raises(ModelFileError, match="SMPLX_to_J14.pkl: the SMPL-X J14 regressor"):
        Evaluator("ehf", path, oracle=True, options=opts)
    _write_j14(model_dir, smplx_model)
    ev = Evaluator("ehf", path, oracle=True, options=opts)
    assert ev.body.name == "smplx"
    assert "jaw_pose" in ev.scored and "left_hand_pose" in ev.scored
    res = ev.run()
    assert set(res["metrics"]["wholebody"]) == {"pve", "pa_pve"}
    assert set(res["metrics"]["body"]) == {"pa_mpjpe"}
    assert set(res["metrics"]["lhand"]) == {"pve", "pa_pve", "pa_mpjpe"}
    for part in ("wholebody", "body", "lhand", "rhand", "face", "hands"):
        for v in res["metrics"][part].values():
            assert abs(v) < 1e-6
    assert res["box_iou"] == pytest.approx({"lhand": 1.0, "rhand": 1.0, "face": 1.0})


def test_ehf_scores_the_aligned_meshes_as_hand4whole(tmp_path, model_dir, smplx_model):
    import trimesh

    from robosmplx.eval.official import ehf_camera_rotation

    _write_maps(model_dir, smplx_model)
    j14 = _write_j14(model_dir, smplx_model)
    path = _smplx_bench(tmp_path / "ehf", smplx_model)
    opts = EvalOptions(progress=False, model_dir=str(model_dir))
    _, out = _batch_gt(Evaluator("ehf", path, oracle=True, options=opts))
    v_cam = out.vertices.double().numpy()  # (N, V, 3) what the oracle predicts
    r = ehf_camera_rotation()
    lh = np.asarray(smplx_model.part_views["lhand"].vertices)
    move = np.zeros_like(v_cam[0])
    move[lh] = [0.005, 0.0, 0.0]  # the true left hand 5 mm along x in the camera frame
    with np.load(path) as z:
        data = dict(z)
    names = []
    for i, v in enumerate(v_cam):
        mesh = (v + move + [0.1, 0.2, 3.0]) @ r  # the ply frame: camera = R @ ply
        f = f"meshes/{i:02d}_align.ply"
        (tmp_path / "ehf" / "meshes").mkdir(exist_ok=True)
        trimesh.Trimesh(mesh, smplx_model.faces.numpy(), process=False).export(tmp_path / "ehf" / f)
        names.append(f)
    data["mesh_path"] = np.array(names)
    np.savez(path, **data)
    res = Evaluator("ehf", path, oracle=True, options=opts).run()
    assert res["ground_truth"] == "EHF's aligned meshes (mesh_path)"
    # Hand4Whole's MPVPE of the left hand: both meshes moved by their own wrist (J_regressor
    # row 20 on the mesh); the truth differs from the prediction by ``move`` + a translation
    jreg = smplx_model.J_regressor.double().numpy()
    want = np.linalg.norm(move[lh] - jreg[20] @ move, axis=1).mean() * 1000
    assert res["metrics"]["lhand"]["pve"] == pytest.approx(want, rel=1e-3)
    assert res["metrics"]["rhand"]["pve"] == pytest.approx(0.0, abs=1e-3)  # translation only
    assert res["metrics"]["face"]["pa_pve"] == pytest.approx(0.0, abs=1e-3)
    # body PA-MPJPE on the J14 regressor (Hand4Whole's rigid_align, written out)
    errs = []
    for v in v_cam:
        a, b = j14 @ v, j14 @ (v + move)
        ca, cb = a - a.mean(0), b - b.mean(0)
        u, sv, vt = np.linalg.svd(cb.T @ ca)
        d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
        rot = u @ d @ vt
        scale = np.trace(np.diag(sv) @ d) / (ca**2).sum()
        errs.append(np.linalg.norm(scale * ca @ rot.T + b.mean(0) - b, axis=1).mean() * 1000)
    assert res["metrics"]["body"]["pa_mpjpe"] == pytest.approx(np.mean(errs), rel=1e-3)


def _gendered_smpl(model_dir: Path) -> None:
    """SMPL_MALE = the neutral stand-in, SMPL_FEMALE = another one (other shape space)."""
    from support.standin import write_standin_model_files

    folder = model_dir / "smpl"
    shutil.copy(folder / "SMPL_NEUTRAL.pkl", folder / "SMPL_MALE.pkl")
    other = write_standin_model_files(model_dir / "other", ("smpl",), seed=5)["smpl"]
    shutil.copy(other, folder / "SMPL_FEMALE.pkl")
    for g in ("MALE", "FEMALE"):
        shutil.copy(folder / "SMPL_NEUTRAL.vertex_ids.json", folder / f"SMPL_{g}.vertex_ids.json")


def _smpl_bench(folder: Path, model, genders) -> Path:
    data = _bench_images(folder)
    n = len(data["image_path"])
    rng = np.random.default_rng(2)
    go = np.zeros((n, 3), np.float32)
    go[:, 0] = np.pi
    data["smpl.global_orient"] = go
    data["smpl.body_pose"] = rng.normal(0, 0.2, (n, 23, 3)).astype(np.float32)
    data["smpl.betas"] = rng.normal(0, 1.0, (n, 10)).astype(np.float32)
    if genders is not None:
        data["meta.gender"] = np.array(genders[:n])
    np.savez(folder / "pw3d.npz", **data)
    return folder / "pw3d.npz"


def test_3dpw_needs_the_h36m_regressor_and_scores_gendered_ground_truth(tmp_path, model_dir):
    from robosmplx.body import load_body_model
    from robosmplx.errors import DataError

    smpl = load_body_model("smpl", model_dir=model_dir)
    with pytest.raises(ModelFileError, match="J_regressor_h36m.npy: the H36M joint regressor"):
        resolve_parts(get_protocol("3dpw"), smpl, model_dir)
    reg = np.random.default_rng(0).uniform(size=(17, smpl.num_vertices))
    reg /= reg.sum(1, keepdims=True)
    np.save(model_dir / "J_regressor_h36m.npy", reg)
    _gendered_smpl(model_dir)
    try:
        sel = resolve_parts(get_protocol("3dpw"), smpl, model_dir)["body"]
        assert [j[0] for j in sel.joints] == list(H36M_TO_J14) and sel.root == (0,)
        opts = EvalOptions(progress=False, model_dir=str(model_dir))
        with pytest.raises(DataError, match="meta.gender"):
            Evaluator("3dpw", _smpl_bench(tmp_path / "a", smpl, None), oracle=True, options=opts)
        n = 2
        path = _smpl_bench(tmp_path / "b", smpl, ["m", "f"] * 8)
        ev = Evaluator("3dpw", path, oracle=True, options=opts)
        ev.options = EvalOptions(progress=False, model_dir=str(model_dir), limit=n)
        res = ev.run()
        batch, pred = _batch_gt(ev)
        _, gt = ev.params(batch)
        female = load_body_model("smpl", model_dir=model_dir, gender="female")
        with torch.no_grad():
            true_f = female(**{k: v[1:2] for k, v in gt.items()}).vertices[0].double().numpy()
    finally:
        (model_dir / "J_regressor_h36m.npy").unlink()
    vals = res["per_sample"]
    assert vals["body.pve"][0] == pytest.approx(0.0, abs=1e-4)  # male = the neutral stand-in
    p = pred.vertices[1].double().numpy()
    # mmhuman3d's 3DPW PVE: raw meshes, no root; MPJPE at the H36M pelvis on J14
    assert vals["body.pve"][1] == pytest.approx(
        np.linalg.norm(p - true_f, axis=1).mean() * 1000, rel=1e-4
    )
    jp, jt = reg @ p, reg @ true_f
    jp, jt = jp - jp[0], jt - jt[0]
    d = np.linalg.norm(jp[list(H36M_TO_J14)] - jt[list(H36M_TO_J14)], axis=1) * 1000
    assert vals["body.mpjpe"][1] == pytest.approx(d.mean(), rel=1e-4)
    # 3D PCK (< 150 mm) and AUC (thresholds 0, 5, ..., 150 mm) in percent, as mmhuman3d
    assert vals["body.pck3d"][1] == pytest.approx((d < 150).mean() * 100)
    auc = np.mean([(d < t).mean() for t in np.linspace(0, 150, 31)]) * 100
    assert vals["body.auc3d"][1] == pytest.approx(auc)


def test_agora_parts_vertices_genders_and_full_body(tmp_path, model_dir, smplx_model):
    from robosmplx.eval.official import agora_fullbody

    _write_maps(model_dir, smplx_model)
    folder = model_dir / "smplx"
    for g in ("MALE", "FEMALE"):
        shutil.copy(folder / "SMPLX_NEUTRAL.npz", folder / f"SMPLX_{g}.npz")
        shutil.copy(folder / "SMPLX_NEUTRAL.vertex_ids.json", folder / f"SMPLX_{g}.vertex_ids.json")
    path = _smplx_bench(tmp_path / "agora", smplx_model)
    with np.load(path) as z:
        data = dict(z)
    data["meta.gender"] = np.array(["f", "m"] * (len(data["image_path"]) // 2))
    np.savez(path, **data)
    opts = EvalOptions(progress=False, model_dir=str(model_dir))
    (folder / "body_verts_smplx.npy").unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match="body_verts_smplx.npy: AGORA's SMPL-X body vertex"):
        Evaluator("agora", path, baseline="rest", options=opts)
    body_ids = np.arange(0, smplx_model.num_vertices, 3)
    np.save(folder / "body_verts_smplx.npy", body_ids)
    ev = Evaluator("agora", path, baseline="rest", options=opts)
    sel = ev.parts
    assert sel["body"].vertices == tuple(body_ids.tolist()) and sel["body"].root == (1, 2)
    joints = torch.randn(2, 144, 3)
    v = torch.zeros(2, smplx_model.num_vertices, 3)
    assert torch.equal(sel["body"].joint_points(v, None, joints), joints[:, :22])
    want = joints[:, [21, *range(40, 55)]]
    assert torch.equal(sel["rhand"].joint_points(v, None, joints), want)
    assert torch.equal(sel["face"].root_point(v, None, joints), joints[:, 12])
    res = ev.run()
    m = res["metrics"]
    for k in ("mpjpe", "pve"):
        r = [round(m[p][k], 1) for p in ("body", "lhand", "rhand", "face")]
        assert m["fullbody"][k] == pytest.approx(round(r[0] + (r[1] + r[2] + r[3]) / 3, 1))
        assert m["fullbody"][k] == agora_fullbody(
            *(m[p][k] for p in ("body", "lhand", "rhand", "face"))
        )
    # AGORA's calculate_v2v_error.py written out: body MVE at the mean of joints 1 and 2 over
    # its body vertices; face MPJPE over neck + landmarks 76-126 at the neck (joint 12)
    batch, _ = _batch_gt(ev)
    pred_p, gt_p = ev.params(batch)  # the rest-pose baseline; gendered stand-ins = neutral
    with torch.no_grad():
        po, go = ev.scorer(**pred_p), ev.scorer(**gt_p)
    pj, gj = po.extras["smplx_joints"].double().numpy(), go.extras["smplx_joints"].double().numpy()
    pv, gv = po.vertices.double().numpy(), go.vertices.double().numpy()
    mve, face = [], []
    for i in range(len(pv)):
        a = pv[i, body_ids] - pj[i, [1, 2]].mean(0)
        b = gv[i, body_ids] - gj[i, [1, 2]].mean(0)
        mve.append(np.linalg.norm(a - b, axis=1).mean() * 1000)
        f = [12, *range(76, 127)]
        face.append(
            np.linalg.norm((pj[i, f] - pj[i, 12]) - (gj[i, f] - gj[i, 12]), axis=1).mean() * 1000
        )
    assert m["body"]["pve"] == pytest.approx(np.mean(mve), rel=1e-4) and m["body"]["pve"] > 0
    assert m["face"]["mpjpe"] == pytest.approx(np.mean(face), rel=1e-4)


def test_freihand_takes_its_fingertips_from_its_own_vertex_ids():
    from types import SimpleNamespace

    from robosmplx.body.smplx_family import _layout
    from robosmplx.eval.parts import _freihand_tips

    names = _layout("mano").keypoints
    mano = SimpleNamespace(
        name="mano", num_vertices=778, keypoint_layout=SimpleNamespace(names=names)
    )
    joints = tuple((i,) for i in range(len(names)))
    tips = dict(_freihand_tips(mano, joints))
    assert {names[p]: v for p, v in tips.items()} == {
        "R_Thumb_4": 744, "R_Index_4": 320, "R_Middle_4": 443, "R_Ring_4": 555, "R_Pinky_4": 672,
    }  # fmt: skip
    from robosmplx.eval.parts import PartSelection

    sel = PartSelection("rhand", joints, (0,), None, tips=tuple(tips.items()))
    v, k = torch.randn(1, 778, 3), torch.randn(1, len(names), 3)
    pts = sel.joint_points(v, k)
    assert torch.equal(pts[0, names.index("R_Ring_4")], v[0, 555])
    assert torch.equal(pts[0, names.index("R_Wrist")], k[0, names.index("R_Wrist")])
    assert _freihand_tips(SimpleNamespace(**{**vars(mano), "num_vertices": 128}), joints) == ()


def _rigid_align_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance (mm) of ``a`` similarity-aligned onto ``b`` (Hand4Whole's rigid_align)."""
    ca, cb = a - a.mean(0), b - b.mean(0)
    u, sv, vt = np.linalg.svd(cb.T @ ca)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = np.trace(np.diag(sv) @ d) / (ca**2).sum()
    return float(np.linalg.norm(scale * ca @ rot.T + b.mean(0) - b, axis=1).mean() * 1000)


def test_3dpw_scores_an_smplx_body_network_on_the_smplx_h36m_regressor(
    tmp_path, model_dir, smplx_model
):
    from robosmplx.body import load_body_model
    from robosmplx.models import build_model, load_model, save_model
    from robosmplx.models.signature import BodySignature

    smpl = load_body_model("smpl", model_dir=model_dir)
    rng = np.random.default_rng(3)
    reg = rng.uniform(size=(17, smpl.num_vertices))
    reg_x = rng.uniform(size=(17, smplx_model.num_vertices))
    reg /= reg.sum(1, keepdims=True)
    reg_x /= reg_x.sum(1, keepdims=True)
    np.save(model_dir / "J_regressor_h36m.npy", reg)
    _gendered_smpl(model_dir)
    torch.manual_seed(0)
    net = build_model("small-body", body=BodySignature.from_body_model(smplx_model))
    ckpt = save_model(net, tmp_path / "body_smplx")
    path = _smpl_bench(tmp_path / "pw3d", smpl, ["m", "f"] * 8)
    opts = EvalOptions(progress=False, model_dir=str(model_dir), limit=2)
    reg_file = model_dir / "smplx" / "J_regressor_h36m_smplx.npy"
    try:
        with pytest.raises(ModelFileError, match="J_regressor_h36m_smplx.npy: .*Hand4Whole"):
            Evaluator("3dpw", path, ckpt, body_model="smplx", options=opts)
        np.save(reg_file, reg_x)
        with pytest.raises(ConfigError, match="drop --body-model smplx"):
            Evaluator("3dpw", path, oracle=True, body_model="smplx", options=opts)
        ev = Evaluator("3dpw", path, ckpt, body_model="smplx", options=opts)
        assert (ev.body.name, ev.pred_body.name) == ("smpl", "smplx")
        res = ev.run()
        batch = next(iter(torch.utils.data.DataLoader(ev.base, batch_size=2)))
        _, gt = ev.params(batch)
        male = load_body_model("smpl", model_dir=model_dir, gender="male")
        female = load_body_model("smpl", model_dir=model_dir, gender="female")
        with torch.no_grad():
            pred = load_model(ckpt).eval().forward_source(batch["img"]).pred_params
            pred_v = smplx_model(**pred).vertices.double().numpy()
            true_v = [
                m(**{k: v[i : i + 1] for k, v in gt.items()}).vertices[0].double().numpy()
                for i, m in enumerate((male, female))
            ]
    finally:
        (model_dir / "J_regressor_h36m.npy").unlink()
        reg_file.unlink(missing_ok=True)
    assert res["prediction_body_model"] == "smplx"
    assert set(res["metrics"]["body"]) == {"mpjpe", "pa_mpjpe", "pck3d", "auc3d"}  # no PVE
    j14 = list(H36M_TO_J14)
    for i in range(2):
        jp, jt = reg_x @ pred_v[i], reg @ true_v[i]  # H36M joints of each mesh
        jp, jt = jp - jp[0], jt - jt[0]  # pelvis root
        d = np.linalg.norm(jp[j14] - jt[j14], axis=1) * 1000
        assert res["per_sample"]["body.mpjpe"][i] == pytest.approx(d.mean(), rel=1e-4)
        want = _rigid_align_error(jp[j14], jt[j14])
        assert res["per_sample"]["body.pa_mpjpe"][i] == pytest.approx(want, rel=1e-3)
