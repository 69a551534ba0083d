"""The fit recovers known poses from their own (noisy) landmarks, batched over people."""

import torch

from fit_support import pa_mpjpe_mm, rest_start
from robosmplx.fit import TERMS, FitConfig, fit_people
from robosmplx.fit.synthetic import synthetic_people
from robosmplx.geometry.rotations import axis_angle_to_matrix

FAST = FitConfig(silhouette=False)


def test_recovers_a_pose_from_the_rest_pose(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=1, masks=False)
    start, transl = rest_start(anny_small, 1)
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, FAST)
    before = pa_mpjpe_mm(anny_small, start, syn.params)
    after = pa_mpjpe_mm(anny_small, res.params, syn.params)
    print(f"PA-MPJPE from rest: {before.tolist()} -> {after.tolist()} mm")
    assert res.ok == [True] and res.notes == [None]
    assert float(after[0]) < 0.3 * float(before[0])
    assert (res.transl - syn.transl).norm() < 0.15  # metres, from 5 m away
    assert set(TERMS) <= set(res.losses[0]) and res.losses[0]["body2d"] < 0.1
    assert res.losses[0]["total"] < res.losses_before[0]["total"]


def test_recovers_perturbed_poses_of_three_people(anny_small):
    syn = synthetic_people(anny_small, n=3, seed=2, masks=False)
    start = {k: v.clone() for k, v in syn.params.items()}
    g = torch.Generator().manual_seed(0)
    noise = axis_angle_to_matrix(0.35 * torch.randn(3, 25, 3, generator=g))
    start["body_pose_rotmat"] = noise @ start["body_pose_rotmat"]
    transl = syn.transl + torch.tensor([0.2, -0.1, 0.5])
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, FAST)
    before = pa_mpjpe_mm(anny_small, start, syn.params)
    after = pa_mpjpe_mm(anny_small, res.params, syn.params)
    print(f"PA-MPJPE from perturbed: {before.tolist()} -> {after.tolist()} mm")
    assert res.ok == [True, True, True]
    assert bool((after < 0.5 * before).all())
    assert len(res.losses) == 3 and res.params["body_pose_rotmat"].shape == (3, 25, 3, 3)


def test_parameters_come_back_in_the_body_models_format(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=3, masks=False)
    aa = {"global_orient": torch.zeros(1, 3), "body_pose": torch.zeros(1, 75)}
    cfg = FitConfig(steps=2, rigid_steps=2, silhouette=False)
    res = fit_people(anny_small, aa, torch.tensor([[0.0, 0.0, 4.0]]), syn.K, syn.evidence,
                     syn.image_size, cfg)  # fmt: skip
    expected = {f"{g.name}_rotmat" if g.kind == "rotation" else g.name
                for g in anny_small.spec.groups}  # fmt: skip
    assert set(res.params) == expected
    out = anny_small(**res.params)  # the model takes them as they are
    assert torch.isfinite(out.vertices).all()


def test_body_landmarks_alone_suffice(anny_small):
    """No world landmarks, hands, face or mask: the 2D body landmarks still pull the fit in."""
    syn = synthetic_people(anny_small, n=1, seed=4, masks=False, max_yaw_deg=20.0)
    ev = syn.evidence[0]
    ev.body3d, ev.hands, ev.face2d = None, {}, None
    start, transl = rest_start(anny_small, 1)
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, FAST)
    before = pa_mpjpe_mm(anny_small, start, syn.params)
    after = pa_mpjpe_mm(anny_small, res.params, syn.params)
    print(f"PA-MPJPE from 2D only: {before.tolist()} -> {after.tolist()} mm")
    assert res.ok == [True] and res.losses[0]["body3d"] == 0.0
    assert res.losses[0]["body2d"] < 0.5 * res.losses_before[0]["body2d"]
    assert float(after[0]) < float(before[0])


def test_translation_re_solve_puts_a_person_back_at_their_depth(anny_small):
    """The closed-form re-solve moves a person placed 30 % too far back to their true place at
    once (the fit's steps would need many iterations along the depth/size valley), and never
    takes a translation that raises the 2D error."""
    from robosmplx.fit.evidence import pack_evidence
    from robosmplx.fit.optimize import _Problem, _resolve_translation, _State

    syn = synthetic_people(anny_small, n=2, seed=5, masks=False, noise_px=0.0)
    canon, _ = anny_small.canonicalize(syn.params)
    transl0 = syn.transl + canon.pop("transl")
    cfg = FitConfig(silhouette=False)
    prob = _Problem(
        anny_small,
        pack_evidence(syn.evidence, cfg.min_confidence),
        syn.K[None].expand(2, 3, 3),
        cfg,
    )
    far = transl0 * torch.tensor([1.0, 1.0, 1.3])
    state = _State(anny_small, canon, far)
    _resolve_translation(state, prob)
    assert (state.t - transl0).norm(dim=1).max() < 0.05, state.t - transl0
    state = _State(anny_small, canon, transl0.clone())
    _resolve_translation(state, prob)  # already right: stays (within the solve's precision)
    assert (state.t - transl0).norm(dim=1).max() < 0.05


def test_re_solving_is_configurable_and_validated():
    import pytest

    from robosmplx.errors import ConfigError

    assert FitConfig().resolve_every == 8 and FitConfig(resolve_every=0).resolve_every == 0
    with pytest.raises(ConfigError, match="resolve_every"):
        FitConfig(resolve_every=-1)


def test_the_fit_stops_once_every_term_has_settled():
    from robosmplx.fit.optimize import _settled

    cfg = FitConfig(settle_window=4, settle_tol=0.01)
    flat = [[1.0, 0.2, 0.1, 0.05]] * 6
    assert _settled(flat, cfg)
    assert not _settled(flat[:4], cfg)  # not enough history yet
    # the body is flat but the face term still falls by a tenth: keep going
    moving_face = [[1.0, 0.2, 0.1, 0.05 - 0.002 * i] for i in range(6)]
    assert not _settled(moving_face, cfg)
    # a term at zero (no hands found) does not hold the fit
    no_hands = [[1.0, 0.2, 0.0, 0.05]] * 6
    assert _settled(no_hands, cfg)
    assert not _settled(flat, FitConfig(settle_window=0))  # 0: never early


def test_an_early_stop_changes_nothing_for_a_fit_that_keeps_moving(anny_small):
    """Same start, same evidence: with early stopping allowed, a person whose terms keep
    falling gets the same steps (and result) as without."""
    syn = synthetic_people(anny_small, n=1, seed=7, masks=False)
    start, transl = rest_start(anny_small, 1)
    kw = dict(steps=10, rigid_steps=5, silhouette=False)
    a = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size,
                   FitConfig(settle_window=0, **kw))  # fmt: skip
    b = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size,
                   FitConfig(settle_window=4, settle_tol=1e-9, **kw))  # fmt: skip
    assert torch.allclose(a.transl, b.transl) and a.losses[0]["total"] == b.losses[0]["total"]
