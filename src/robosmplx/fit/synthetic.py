"""Landmark evidence of known poses, made through the fit's own correspondences: what the tests
and ``robosmplx bench fit`` fit against.

People are drawn by the synthetic engine's pose sampler (:mod:`robosmplx.synth.pose`, carried
to the SMPL-X family by :mod:`robosmplx.synth.retarget`), turned within ``max_yaw_deg`` of
facing the camera, placed side by side ``distance`` metres away; their correspondence points
are projected with Gaussian pixel noise (``noise_px``), their world landmarks are the exact
root-relative points plus ``noise_m``, their masks are the hard rasterized silhouettes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from robosmplx.body.base import BodyModel
from robosmplx.fit.correspondence import correspondence, gather_points
from robosmplx.fit.evidence import FACE_POINTS
from robosmplx.geometry.camera import CANONICAL_TO_CAMERA, project
from robosmplx.landmarks.types import BODY33, HAND21, PersonEvidence


@dataclass
class SyntheticPeople:
    """params (rotmats and vectors, B people), transl (B, 3), K (3, 3), evidence, image size."""

    params: dict[str, Tensor]
    transl: Tensor
    K: Tensor
    evidence: list[PersonEvidence]
    image_size: tuple[int, int]


def _yaw_tilt(rng: np.random.Generator, max_yaw_deg: float) -> np.ndarray:
    from robosmplx.synth.pose import rotation

    yaw = rotation("y", np.radians(rng.uniform(-max_yaw_deg, max_yaw_deg)))
    tilt = rotation("x", rng.normal(0, np.radians(5))) @ rotation("z", rng.normal(0, np.radians(5)))
    return yaw @ tilt


def sample_params(body: BodyModel, n: int, rng: np.random.Generator, max_yaw_deg: float = 60.0):
    """(params in rotation-matrix form, (B,) camera orientation) of ``n`` sampled people."""
    from robosmplx.synth.pose import sample_pose
    from robosmplx.synth.retarget import Retarget

    labels = tuple(getattr(body, "expression_labels", ("jawOpen",)))
    ret = Retarget(body)
    groups: dict[str, list] = {}
    for _ in range(n):
        pose = sample_pose(rng, labels)
        if body.family == "anny":
            betas = rng.uniform(0.3, 0.7, body.spec["betas"].size)
        else:
            betas = rng.normal(0.0, 0.5, body.spec["betas"].size)
        p = ret.params(pose, betas, rng)
        if body.family == "anny":
            p["expression"] = np.clip(p["expression"], 0.0, 1.0)
        go = CANONICAL_TO_CAMERA.double().numpy() @ _yaw_tilt(rng, max_yaw_deg)
        p["global_orient_rotmat"] = go[None]
        for k, v in p.items():
            groups.setdefault(k, []).append(np.asarray(v, np.float64))
    from robosmplx.geometry.rotations import axis_angle_to_matrix

    out: dict[str, Tensor] = {}
    for k, v in groups.items():
        t = torch.from_numpy(np.stack(v)).float()
        if k == "global_orient_rotmat":
            out[k] = t
        elif k in body.spec and body.spec[k].kind == "rotation":
            out[f"{k}_rotmat"] = axis_angle_to_matrix(t.reshape(n, -1, 3))
        else:
            out[k] = t.reshape(n, -1)
    return out


def synthetic_people(
    body: BodyModel,
    n: int = 1,
    seed: int = 0,
    image_size: tuple[int, int] = (512, 512),
    distance: float = 4.0,
    noise_px: float = 1.0,
    noise_m: float = 0.01,
    masks: bool = True,
    max_yaw_deg: float = 60.0,
) -> SyntheticPeople:
    """``n`` people with evidence made from their true parameters (see the module docstring)."""
    from robosmplx.render.raster import rasterize

    rng = np.random.default_rng(seed)
    params = sample_params(body, n, rng, max_yaw_deg)
    h, w = image_size
    f = 1.2 * max(h, w)
    K = torch.tensor([[f, 0.0, (w - 1) / 2], [0.0, f, (h - 1) / 2], [0.0, 0.0, 1.0]])
    spread = 0.9 * distance * w / f  # the image's width at that distance, most of it
    xs = np.linspace(-spread / 2, spread / 2, n + 2)[1:-1] if n > 1 else np.zeros(1)
    transl = torch.tensor([[x, 0.1, distance + rng.uniform(-0.3, 0.3)] for x in xs]).float()
    with torch.no_grad():
        out = body(**params)
    kps, verts = out.keypoints + transl[:, None], out.vertices + transl[:, None]
    corr = correspondence(body)
    kk = K.expand(n, 3, 3)
    g = corr.groups["body"]
    body_pts = gather_points(kps, verts, g)  # (B, M, 3)
    root = 0.5 * (body_pts[:, corr.hips[0]] + body_pts[:, corr.hips[1]])
    noise = torch.from_numpy(rng.normal(0.0, 1.0, (n, 40, 2))).float()

    def landmarks(group: str, count: int, j: int) -> np.ndarray:
        arr = np.zeros((count, 3))
        if group not in corr.groups:
            return arr
        gg = corr.groups[group]
        pts = gather_points(kps[j : j + 1], verts[j : j + 1], gg)
        uv = project(pts, kk[:1])[0] + noise_px * noise[j, : len(gg)]
        arr[gg.landmark.numpy(), :2] = uv.numpy()
        arr[gg.landmark.numpy(), 2] = 1.0
        return arr

    sil = None
    if masks:
        sil = rasterize(verts, body.faces, kk, image_size).mask.numpy()  # (B, H, W)
    evidence = []
    for j in range(n):
        body2d = landmarks("body", len(BODY33), j)
        world = np.zeros((len(BODY33), 3))
        rel = (body_pts[j] - root[j]).numpy() + rng.normal(0.0, noise_m, (len(g), 3))
        world[g.landmark.numpy()] = rel
        ok = body2d[:, 2] > 0
        lo, hi = body2d[ok, :2].min(0), body2d[ok, :2].max(0)
        evidence.append(
            PersonEvidence(
                box=np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]]),
                score=1.0,
                body2d=body2d,
                body3d=world,
                hands={"left": landmarks("lhand", len(HAND21), j),
                       "right": landmarks("rhand", len(HAND21), j)},
                face2d=landmarks("face", FACE_POINTS, j),
                mask=None if sil is None else sil[j].astype(np.float32),
            )
        )  # fmt: skip
    return SyntheticPeople(params, transl, K, evidence, image_size)
