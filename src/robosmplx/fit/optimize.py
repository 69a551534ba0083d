"""Test-time pixel alignment: fit each person's body-model parameters to landmark evidence.

Schedule (batched over people; every person's terms are independent, Adam is per element):

0. start: the network's prediction. Where world landmarks exist, the orientation that aligns
   the model's root-relative points with them (weighted Kabsch) is tried too; for each
   candidate the translation comes from a linear least-squares solve of the 2D landmarks, and
   the candidate with the lower robust 2D error is kept.
1. ``rigid_steps`` of Adam on orientation and translation against torso landmarks (shoulders,
   hips) and the world landmarks, moving the posed points rigidly (no body-model forward).
2. ``steps`` of Adam on every group: orientation and translation, body and hand poses, jaw,
   shape, expression, with every term of :class:`~robosmplx.fit.config.FitWeights`; the
   silhouette joins for the last ``silhouette_steps``.

Rotations are optimised as rotation vectors (``global_orient`` as a residual rotation on the
start). A person whose terms or parameters turn non-finite, or whose 2D error ends above
``diverged_ratio`` times its start, gets ``ok=False`` and keeps the network's prediction.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from robosmplx.body.base import BodyModel
from robosmplx.errors import RoboSMPLXError, ShapeError
from robosmplx.fit import terms as T
from robosmplx.fit.config import TERMS, FitConfig
from robosmplx.fit.correspondence import Correspondence, correspondence, gather_points
from robosmplx.fit.evidence import EvidenceBatch, add_masks, pack_evidence
from robosmplx.fit.kinematics import body_chain, turn_limbs
from robosmplx.fit.priors import joint_limits, pose_prior
from robosmplx.geometry.procrustes import similarity_transform
from robosmplx.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from robosmplx.landmarks.types import BODY33, PersonEvidence

TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


@dataclass
class FitResult:
    """Fitted parameters of B people (rotations ``<group>_rotmat`` (B, N, 3, 3), vectors
    (B, D)) and translations (B, 3) in the camera frame; per person the final value of every
    term (``losses``, with ``total``) and the values at the start (``losses_before``), whether
    the fit is usable (``ok``) and a note where not."""

    params: dict[str, Tensor]
    transl: Tensor
    losses: list[dict[str, float]]
    ok: list[bool]
    seconds: float
    losses_before: list[dict[str, float]] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)


def fitting_model(body: BodyModel, config: FitConfig) -> BodyModel:
    """The model the optimisation runs on: Anny's small topology stands in for the full one
    (same bones, joints and parameters) when ``config.proxy``."""
    if config.proxy and body.family == "anny" and body.name == "anny":
        from robosmplx.body import load_body_model

        return load_body_model("anny-small", device=body.device)
    return body


class _Problem:
    """Evidence, correspondences and priors of one call; evaluates the terms."""

    def __init__(self, model: BodyModel, ev: EvidenceBatch, K: Tensor, cfg: FitConfig):
        self.model, self.ev, self.K, self.cfg = model, ev, K, cfg
        self.corr: Correspondence = correspondence(model)
        self.prior = pose_prior(model)
        self.limits = joint_limits(model)
        g = self.corr.groups["body"]
        self.body_target = ev.body2d.index_select(1, g.landmark)  # (B, M, 3)
        self.body3d_target = ev.body3d.index_select(1, g.landmark)
        self.body3d_conf = self.body_target[..., 2] * ev.has3d[:, None]
        torso = torch.tensor([BODY33.index(n) for n in TORSO], device=g.landmark.device)
        self.torso_weight = torch.isin(g.landmark, torso).to(g.weight.dtype)
        self.use_mask = ev.mask is not None and bool(ev.has_mask.any())
        self.sigma = cfg.robust_sigma_start  # the body term's robust scale, narrowed by the fit

    def root(self, body_points: Tensor) -> Tensor:
        hl, hr = self.corr.hips
        return 0.5 * (body_points[:, hl] + body_points[:, hr])  # (B, 3)

    def body2d(self, body_points: Tensor, torso: bool = False) -> Tensor:
        g = self.corr.groups["body"]
        w = g.weight * self.torso_weight if torso else g.weight
        return T.reprojection(body_points, self.K, self.body_target, w, self.ev.scale, self.sigma)

    def body3d(self, body_points: Tensor) -> Tensor:
        g = self.corr.groups["body"]
        return T.world_landmarks(
            body_points, self.root(body_points), self.body3d_target, self.body3d_conf, g.weight,
            self.cfg.robust_sigma_3d,
        )  # fmt: skip

    def data_terms(self, kps: Tensor, verts: Tensor, silhouette: bool) -> dict[str, Tensor]:
        """Every data term (B,) from camera-frame keypoints and vertices."""
        groups, ev, cfg = self.corr.groups, self.ev, self.cfg
        body_pts = gather_points(kps, verts, groups["body"])
        out = {"body2d": self.body2d(body_pts), "body3d": self.body3d(body_pts)}
        hands = torch.zeros_like(out["body2d"])
        for k, side in enumerate(("lhand", "rhand")):
            if side in groups:
                g = groups[side]
                pts = gather_points(kps, verts, g)
                tgt = ev.hands[:, k].index_select(1, g.landmark)
                hands = hands + T.reprojection(
                    pts, self.K, tgt, g.weight, ev.hand_scale[:, k], cfg.robust_sigma_parts
                )
        out["hands2d"] = hands
        if "face" in groups:
            g = groups["face"]
            pts = gather_points(kps, verts, g)
            tgt = ev.face.index_select(1, g.landmark)
            out["face2d"] = T.reprojection(
                pts, self.K, tgt, g.weight, ev.face_scale, cfg.robust_sigma_parts
            )
        else:
            out["face2d"] = torch.zeros_like(hands)
        if silhouette and self.use_mask:
            sil = T.silhouette(verts, self.model.faces, ev.K_mask, ev.mask, cfg.silhouette_sigma)
            out["silhouette"] = sil * ev.has_mask
        else:
            out["silhouette"] = torch.zeros_like(hands)
        return out

    def prior_terms(self, state: _State) -> dict[str, Tensor]:
        b = state.t.shape[0]
        zero = state.t.new_zeros(b)
        limits, prior, init = zero, zero, zero
        for g, theta in state.theta.items():
            if g in self.limits:
                limits = limits + self.limits[g].penalty(theta)
            if g in self.prior:
                prior = prior + self.prior[g].energy(theta.reshape(b, -1))
            init = init + (theta - state.theta0[g]).square().sum(-1).mean(-1)
        out = {"limits": limits, "pose_prior": prior, "init": init}
        neutral = self.model.neutral_params(1)
        out["shape"] = zero
        out["expression"] = zero
        for name in ("betas", "expression"):
            if name in state.vec:
                d = (state.vec[name] - neutral[name].to(state.t.dtype)).square().mean(-1)
                out["shape" if name == "betas" else "expression"] = d
        return out


class _State:
    """The optimised variables: residual orientation (B, 3) on ``go0``, translation (B, 3),
    rotation vectors (B, N, 3) per pose group, vectors (B, D)."""

    def __init__(self, model: BodyModel, canon: dict[str, Tensor], transl: Tensor):
        self.model = model
        self.go0 = canon["global_orient_rotmat"][:, 0].detach()  # (B, 3, 3)
        self.d_go = torch.zeros_like(transl)
        self.t = transl.detach().clone()
        self.theta: dict[str, Tensor] = {}
        self.vec: dict[str, Tensor] = {}
        for g in model.spec.groups:
            if g.kind == "rotation" and g.name != "global_orient":
                self.theta[g.name] = matrix_to_axis_angle(canon[f"{g.name}_rotmat"].detach())
            elif g.kind == "vector":
                self.vec[g.name] = canon[g.name].detach().clone()
        self.theta0 = {k: v.clone() for k, v in self.theta.items()}

    def orientation(self) -> Tensor:
        return axis_angle_to_matrix(self.d_go) @ self.go0  # (B, 3, 3)

    def params(self) -> dict[str, Tensor]:
        p = {"global_orient_rotmat": self.orientation()[:, None]}
        p.update({f"{k}_rotmat": axis_angle_to_matrix(v) for k, v in self.theta.items()})
        p.update(self.vec)
        return p

    def forward(self) -> tuple[Tensor, Tensor]:
        """Camera-frame keypoints (B, K, 3) and vertices (B, V, 3)."""
        out = self.model(**self.params())
        return out.keypoints + self.t[:, None], out.vertices + self.t[:, None]

    def variables(self, cfg: FitConfig) -> list[dict]:
        for v in (self.d_go, self.t, *self.theta.values(), *self.vec.values()):
            v.requires_grad_(True)
        return [
            {"params": [self.d_go, *self.theta.values()], "lr": cfg.lr},
            {"params": list(self.vec.values()), "lr": cfg.lr_vectors},
            {"params": [self.t], "lr": cfg.lr_transl},
        ]

    def clamp_(self) -> None:
        """Anny's phenotype and expression controls live in [0, 1]."""
        if self.model.family == "anny":
            with torch.no_grad():
                for v in self.vec.values():
                    v.clamp_(0.0, 1.0)

    def finite(self) -> Tensor:
        b = self.t.shape[0]
        flat = [self.d_go, self.t] + [v.reshape(b, -1) for v in (*self.theta.values(), *self.vec.values())]  # fmt: skip
        return torch.isfinite(torch.cat(flat, 1)).all(1)  # (B,)


def solve_translation(points: Tensor, K: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """(B, 3) translation t minimising the algebraic reprojection error of ``points + t``
    (B, M, 3) against ``target`` (B, M, 3: x, y px, confidence), weighted by (B, M) ``weight``
    (linear least squares: f (X + t_x) + (c - u) (Z + t_z) = 0 per axis)."""
    f = K[:, None, [0, 1], [0, 1]]  # (B, 1, 2)
    c = K[:, None, :2, 2]  # (B, 1, 2)
    u = target[..., :2]  # (B, M, 2)
    xy, z = points[..., :2], points[..., 2:3]
    b, m = points.shape[:2]
    a = points.new_zeros(b, m, 2, 3)
    a[..., 0, 0] = f[..., 0]
    a[..., 1, 1] = f[..., 1]
    a[..., 2] = c - u
    rhs = (u - c) * z - f * xy  # (B, M, 2)
    w = (weight * target[..., 2])[..., None, None]  # (B, M, 1, 1)
    ata = (a.transpose(-1, -2) @ (w * a)).sum(1) + 1e-6 * torch.eye(3, dtype=a.dtype)  # (B, 3, 3)
    atb = (a.transpose(-1, -2) @ (w * rhs[..., None])).sum(1)  # (B, 3, 1)
    return torch.linalg.solve(ata, atb)[..., 0]


def _float_terms(values: dict[str, Tensor], weights: dict[str, float]) -> list[dict[str, float]]:
    b = next(iter(values.values())).shape[0]
    out = []
    for i in range(b):
        d = {k: float(values[k][i]) for k in TERMS}
        d["total"] = float(sum(weights[k] * d[k] for k in TERMS))
        out.append(d)
    return out


def fit_people(
    body: BodyModel,
    params: dict[str, Tensor],
    transl: Tensor,
    K: Tensor,
    evidence: list[PersonEvidence],
    image_size: tuple[int, int],
    config: FitConfig = FitConfig(),
) -> FitResult:
    """Fit B people's parameters (the network's prediction, camera of the full image with
    intrinsics K (3, 3) or (B, 3, 3); ``vertices = body(**params).vertices + transl``) to their
    evidence (``evidence[i]`` belongs to person i). ``image_size`` (H, W) of the image the
    evidence's pixels refer to."""
    start = time.perf_counter()
    canon, b = body.canonicalize(params) if params else (body.neutral_params(0), 0)
    if len(evidence) != b or transl.shape != (b, 3):
        raise ShapeError(
            f"fit_people: {len(evidence)} evidence entries and transl {tuple(transl.shape)} "
            f"for {b} people; pass one PersonEvidence and one (3,) translation per person"
        )
    dtype = canon["global_orient_rotmat"].dtype
    transl0 = (transl.to(dtype) + canon.pop("transl")).detach()
    canon = {k: v.detach() for k, v in canon.items()}
    if b == 0:
        return FitResult(canon, transl0, [], [], time.perf_counter() - start)
    K = K.to(device=transl0.device, dtype=dtype)
    K = (K if K.dim() == 3 else K[None]).expand(b, 3, 3)
    weights = config.weights.as_dict()
    threads = torch.get_num_threads()
    try:
        if config.threads is not None and config.threads != threads:
            torch.set_num_threads(config.threads)
        with torch.enable_grad():
            state, before, after, notes = _optimise(body, canon, transl0, K, evidence, config)
    except RoboSMPLXError:
        raise
    except (
        RuntimeError,
        ValueError,
        ArithmeticError,
    ) as e:  # numerical failure: keep the network's
        note = f"fit failed ({type(e).__name__}: {str(e).splitlines()[0][:120]}); kept the network's prediction"  # fmt: skip
        nan = {k: float("nan") for k in (*TERMS, "total")}
        return FitResult(canon, transl0, [dict(nan) for _ in range(b)], [False] * b,
                         time.perf_counter() - start, [dict(nan) for _ in range(b)], [note] * b)  # fmt: skip
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    ok = [n is None for n in notes]
    keep = torch.tensor(ok, device=transl0.device)
    with torch.no_grad():
        fitted = state.params()
        out_params = {}
        for k, v in canon.items():
            new = fitted[k].to(v.dtype)
            out_params[k] = torch.where(keep.view(-1, *([1] * (v.dim() - 1))), new, v)
        out_transl = torch.where(keep[:, None], state.t.to(dtype), transl0)
    return FitResult(
        out_params, out_transl, _float_terms(after, weights), ok, time.perf_counter() - start,
        _float_terms(before, weights), notes,
    )  # fmt: skip


def _optimise(body, canon, transl0, K, evidence, cfg: FitConfig):
    model = fitting_model(body, cfg)
    ev = pack_evidence(evidence, cfg.min_confidence, transl0.device, cfg.min_body_confidence)
    use_sil = cfg.silhouette and cfg.weights.silhouette > 0 and cfg.silhouette_steps > 0
    if use_sil and any(e.mask is not None for e in evidence):
        ev = add_masks(ev, evidence, K[0], cfg.silhouette_size)
    prob = _Problem(model, ev, K, cfg)
    state = _State(model, canon, transl0)
    w = cfg.weights.as_dict()

    def evaluate(silhouette: bool) -> dict[str, Tensor]:
        kps, verts = state.forward()
        return {**prob.data_terms(kps, verts, silhouette), **prob.prior_terms(state)}

    def total(values: dict[str, Tensor]) -> Tensor:
        return sum(w[k] * values[k] for k in TERMS if w[k] > 0)

    with torch.no_grad():
        prob.sigma = cfg.robust_sigma  # losses are reported at the final scale
        before = evaluate(prob.use_mask)
        prob.sigma = cfg.robust_sigma_start
    _rigid_stage(state, prob, cfg)
    if cfg.limbs_from_3d and bool(ev.has3d.any()):
        _limb_stage(state, prob)
    opt = torch.optim.Adam(state.variables(cfg))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: _cosine(i, cfg.steps, cfg.lr_final))
    history: list[list[float]] = []
    stop = cfg.steps  # once the loss settles: the silhouette steps, then stop
    for step in range(cfg.steps):
        if step >= stop:
            break
        prob.sigma = _annealed(cfg, step)
        sil = prob.use_mask and step >= stop - cfg.silhouette_steps
        values = evaluate(sil)
        loss = total(values).sum()
        opt.zero_grad(set_to_none=True)
        if not bool(torch.isfinite(loss)):
            break  # the per-person check below says who
        history.append([float(values[k].detach().sum()) for k in _SETTLE_TERMS])
        if stop == cfg.steps and not sil and _settled(history, cfg):
            stop = step + 1 + (cfg.silhouette_steps if prob.use_mask else 0)
        loss.backward()
        for grp in opt.param_groups:  # a non-finite person must not poison the others
            for p in grp["params"]:
                if p.grad is not None:
                    p.grad.nan_to_num_(0.0, 0.0, 0.0)
        opt.step()
        sched.step()
        state.clamp_()
        if cfg.resolve_every and (step + 1) % cfg.resolve_every == 0 and step + 1 < cfg.steps:
            _resolve_translation(state, prob)
    for v in (state.d_go, state.t, *state.theta.values(), *state.vec.values()):
        v.requires_grad_(False)
    with torch.no_grad():
        prob.sigma = cfg.robust_sigma
        after = evaluate(prob.use_mask)
    finite = state.finite() & torch.stack([torch.isfinite(v) for v in after.values()]).all(0)
    n_conf = (ev.body2d[..., 2] >= cfg.min_confidence).sum(1)
    notes: list[str | None] = []
    for i in range(len(evidence)):
        if int(n_conf[i]) < cfg.min_landmarks:
            notes.append(f"fit skipped: {int(n_conf[i])} confident body landmarks "
                         f"(< {cfg.min_landmarks}); kept the network's prediction")  # fmt: skip
        elif not bool(finite[i]):
            notes.append("fit diverged (non-finite values); kept the network's prediction")
        elif float(after["body2d"][i]) > cfg.diverged_ratio * float(before["body2d"][i]) + 0.02:
            notes.append(
                f"fit diverged (2D error {float(after['body2d'][i]):.3f}, start "
                f"{float(before['body2d'][i]):.3f}); kept the network's prediction"
            )
        else:
            notes.append(None)
    return state, before, after, notes


def _solved_translation(prob: _Problem, points: Tensor, fallback: Tensor) -> Tensor:
    """(B, 3) :func:`solve_translation` of the body landmarks for model points (B, M, 3)
    without translation; ``fallback`` per person where the solve is not finite or puts them
    behind the camera."""
    g = prob.corr.groups["body"]
    w2d = g.weight[None] * torch.ones_like(prob.body_target[..., 2])
    t = solve_translation(points, prob.K, prob.body_target, w2d)
    ok = torch.isfinite(t).all(1) & (t[:, 2] >= 0.1)
    return torch.where(ok[:, None], t, fallback)


def _resolve_translation(state: _State, prob: _Problem) -> None:
    """Re-solve the translation in closed form for the current pose and shape, kept per
    person where it lowers the robust 2D error. Depth and body size trade off along a long,
    flat valley of the 2D term that first-order steps cross slowly: as the shape grows the
    person, the solve moves them back at once."""
    g = prob.corr.groups["body"]
    with torch.no_grad():
        out = state.model(**state.params())
        p0 = gather_points(out.keypoints, out.vertices, g)  # (B, M, 3), no translation
        t = _solved_translation(prob, p0, state.t)
        better = prob.body2d(p0 + t[:, None]) < prob.body2d(p0 + state.t[:, None])
        state.t.copy_(torch.where(better[:, None], t, state.t))


def _limb_stage(state: _State, prob: _Problem) -> None:
    """Turn the limbs along the world landmarks (:mod:`robosmplx.fit.kinematics`); with joint
    limits also a copy with the elbows and knees clipped back into their range. Per person
    the candidate (or the start) with the lowest 2D + world + limits error is kept."""
    chain = body_chain(state.model)
    if chain is None or "body_pose" not in state.theta:
        return
    g = prob.corr.groups["body"]
    w = prob.cfg.weights
    limits = prob.limits.get("body_pose")

    def run(rot: Tensor):
        p = state.params()
        p["body_pose_rotmat"] = rot
        out = state.model(**p)
        return out.keypoints, out.vertices

    def error(rot: Tensor) -> Tensor:
        kps, verts = run(rot)
        pts = gather_points(kps, verts, g) + state.t[:, None]
        e = w.body2d * prob.body2d(pts) + w.body3d * prob.body3d(pts)
        if limits is not None:
            e = e + w.limits * limits.penalty(matrix_to_axis_angle(rot))
        return e

    with torch.no_grad():
        start = state.theta["body_pose"]
        rot = axis_angle_to_matrix(start)
        conf = prob.ev.body2d[..., 2] * prob.ev.has3d[:, None]  # (B, 33)
        new = turn_limbs(chain, lambda r: run(r)[0], state.orientation(), rot, prob.ev.body3d, conf)
        cands = [start, matrix_to_axis_angle(new)]
        if limits is not None:  # a turn may leave a hinge's range
            hinges = sorted({row[0] for level in chain.levels[1:] for row in level})
            clipped = cands[1].clone()
            clipped[:, hinges] = limits.clip(cands[1])[:, hinges]
            cands.append(clipped)
        errors = torch.stack([error(axis_angle_to_matrix(c)) for c in cands])  # (C, B)
        best = errors.argmin(0)  # (B,)
        state.theta["body_pose"] = torch.stack(cands)[best, torch.arange(len(best))]


_SETTLE_TERMS = ("body2d", "body3d", "hands2d", "face2d")


def _settled(history: list[list[float]], cfg: FitConfig) -> bool:
    """Whether every data term stopped falling: over the last ``settle_window`` steps each
    fell by less than ``settle_tol`` of itself (each on its own: a small term such as the
    face's still moving the jaw keeps the fit going however flat the body's is). The robust
    scale keeps narrowing, so a fit that still moves keeps going to ``steps``."""
    w = cfg.settle_window
    if not w or len(history) <= w:
        return False
    old, new = history[-1 - w], history[-1]
    return all(o - n < cfg.settle_tol * abs(o) for o, n in zip(old, new) if abs(o) > 1e-6)


def _annealed(cfg: FitConfig, step: int) -> float:
    """The body term's robust scale at ``step``: ``robust_sigma_start`` at the first step,
    ``robust_sigma`` at the last, geometric in between."""
    t = step / max(cfg.steps - 1, 1)
    return cfg.robust_sigma_start * (cfg.robust_sigma / cfg.robust_sigma_start) ** t


def _cosine(step: int, steps: int, final: float) -> float:
    """Learning-rate factor: 1 at the first step, ``final`` at the last, cosine in between."""
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * step / max(steps - 1, 1)))


def _rigid_stage(state: _State, prob: _Problem, cfg: FitConfig) -> None:
    """Stages 0 and 1: the start orientation (network or world-landmark Kabsch) and
    translation (linear solve), then Adam on the rigid motion of the posed points."""
    g = prob.corr.groups["body"]
    with torch.no_grad():
        out = state.model(**state.params())
        p0 = gather_points(out.keypoints, out.vertices, g)  # (B, M, 3), no translation
        cands = [torch.eye(3, dtype=p0.dtype, device=p0.device).expand(p0.shape[0], 3, 3)]
        if cfg.orient_from_3d and bool(prob.ev.has3d.any()):
            src = p0 - prob.root(p0)[:, None]
            wk = prob.body3d_conf * g.weight[None]
            _, r, _ = similarity_transform(src, prob.body3d_target, wk)
            usable = (prob.ev.has3d > 0) & ((wk > 0).sum(1) >= 4) & torch.isfinite(r).all((1, 2))
            eye = cands[0]
            cands.append(torch.where(usable[:, None, None], r, eye))
        best_r, best_t, best_e = None, None, None
        for r in cands:
            pts = p0 @ r.transpose(1, 2)
            t = _solved_translation(prob, pts, state.t)
            e = prob.body2d(pts + t[:, None])
            if best_e is None:
                best_r, best_t, best_e = r, t, e
            else:
                better = e < best_e
                best_r = torch.where(better[:, None, None], r, best_r)
                best_t = torch.where(better[:, None], t, best_t)
                best_e = torch.minimum(e, best_e)
    d = torch.zeros_like(state.t, requires_grad=True)
    t = best_t.clone().requires_grad_(True)
    opt = torch.optim.Adam([{"params": [d], "lr": cfg.lr_rigid}, {"params": [t], "lr": cfg.lr_transl}])  # fmt: skip
    wt = cfg.weights
    for _ in range(cfg.rigid_steps):
        r = axis_angle_to_matrix(d) @ best_r
        pts = p0 @ r.transpose(1, 2) + t[:, None]
        loss = wt.body2d * prob.body2d(pts, torso=True) + wt.body3d * prob.body3d(pts)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        for p in (d, t):
            p.grad.nan_to_num_(0.0, 0.0, 0.0)
        opt.step()
    with torch.no_grad():
        r = axis_angle_to_matrix(d) @ best_r
        moved = p0 @ r.transpose(1, 2) + t[:, None]  # where the rigid stage put the points
        old = state.go0
        state.go0 = r @ old
        out = state.model(**state.params())
        p1 = gather_points(out.keypoints, out.vertices, g)  # the model's rotation centre differs
        shift = (moved - p1).mean(1)
        ok = torch.isfinite(shift).all(1) & torch.isfinite(state.go0).all((1, 2))
        state.t = torch.where(ok[:, None], shift, state.t)
        state.go0 = torch.where(ok[:, None, None], state.go0, old)
