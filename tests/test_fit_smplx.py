"""The SMPL-X family (stand-in files) fits through the same code as Anny."""

from fit_support import pa_mpjpe_mm, rest_start
from robosmplx.fit import FitConfig, fit_people
from robosmplx.fit.synthetic import synthetic_people


def test_smplx_standin_recovers_a_pose(tmp_path):
    from robosmplx.body import load_body_model
    from support.standin import write_standin_model_files

    write_standin_model_files(tmp_path, names=("smplx",))
    body = load_body_model("smplx", model_dir=tmp_path)
    syn = synthetic_people(body, n=1, seed=1, masks=False)
    start, transl = rest_start(body, 1)
    res = fit_people(body, start, transl, syn.K, syn.evidence, syn.image_size,
                     FitConfig(silhouette=False))  # fmt: skip
    before = pa_mpjpe_mm(body, start, syn.params)
    after = pa_mpjpe_mm(body, res.params, syn.params)
    print(f"SMPL-X stand-in PA-MPJPE: {before.tolist()} -> {after.tolist()} mm")
    assert res.ok == [True]
    assert float(after[0]) < 0.3 * float(before[0])
    assert "jaw_pose_rotmat" in res.params and "expression" in res.params
