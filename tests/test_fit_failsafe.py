"""A fit that cannot work says so (ok=False, a note) and returns the network's prediction."""

import numpy as np
import pytest
import torch

from fit_support import rest_start
from robosmplx.errors import ShapeError
from robosmplx.fit import FitConfig, fit_people
from robosmplx.fit.synthetic import synthetic_people


def test_no_confident_landmarks_keeps_the_prediction(anny_small):
    syn = synthetic_people(anny_small, n=2, seed=4, masks=False)
    syn.evidence[1].body2d[:, 2] = 0.0
    syn.evidence[1].body2d[0, :2] = np.nan
    start, transl = rest_start(anny_small, 2)
    cfg = FitConfig(steps=4, rigid_steps=4, silhouette=False)
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, cfg)
    assert res.ok == [True, False]
    assert "landmarks" in res.notes[1]
    assert torch.equal(res.transl[1], transl[1])
    assert torch.equal(res.params["body_pose_rotmat"][1], start["body_pose_rotmat"][1])


def test_divergence_gives_ok_false_not_an_exception(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=5, masks=False)
    start, transl = rest_start(anny_small, 1)
    cfg = FitConfig(steps=3, rigid_steps=0, lr=1e4, lr_transl=1e4, silhouette=False)
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, cfg)
    assert res.ok == [False]
    assert "kept the network's prediction" in res.notes[0]
    assert torch.equal(res.transl, transl)


def test_mismatched_evidence_is_a_shape_error(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=6, masks=False)
    start, transl = rest_start(anny_small, 2)
    with pytest.raises(ShapeError, match="evidence"):
        fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size)


def test_no_people_is_an_empty_result(anny_small):
    start, transl = rest_start(anny_small, 0)
    res = fit_people(anny_small, start, transl, torch.eye(3), [], (64, 64))
    assert res.ok == [] and res.transl.shape == (0, 3)


def test_config_rejects_unknown_keys_and_bad_values():
    from robosmplx.config import from_dict
    from robosmplx.errors import ConfigError

    cfg = from_dict(FitConfig, {"steps": 10, "weights": {"body3d": 0.5}})
    assert cfg.steps == 10 and cfg.weights.body3d == 0.5
    with pytest.raises(ConfigError):
        from_dict(FitConfig, {"weights": {"body_3d": 0.5}})
    with pytest.raises(ConfigError, match="lr_vectors"):
        FitConfig(lr_vectors=0.0)
    with pytest.raises(ConfigError, match="weights"):
        from_dict(FitConfig, {"weights": {"silhouette": -1.0}})


def test_robust_scale_narrows_from_start_to_final():
    from robosmplx.errors import ConfigError
    from robosmplx.fit.optimize import _annealed

    cfg = FitConfig(steps=5, robust_sigma_start=0.4, robust_sigma=0.1)
    scales = [_annealed(cfg, i) for i in range(cfg.steps)]
    assert scales[0] == pytest.approx(0.4) and scales[-1] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(scales, scales[1:]))
    assert scales[2] == pytest.approx(0.2)  # geometric: the middle is the geometric mean
    flat = FitConfig(robust_sigma_start=0.15, robust_sigma=0.15)
    assert [_annealed(flat, i) for i in range(3)] == pytest.approx([0.15] * 3)
    with pytest.raises(ConfigError, match="robust_sigma_start"):
        FitConfig(robust_sigma_start=0.0)
