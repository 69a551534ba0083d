"""Limb directions from the world landmarks: an inverse-kinematics start for the fit.

Both families rotate every joint in axes that match the canonical frame at rest, so a joint's
global rotation is its parent's times its own, ``G_j = G_parent(j) R_j`` (``G`` of the root is
``global_orient``). For each limb segment (upper arm, forearm, thigh, shin) the segment's
direction ``v`` is turned onto the world landmarks' direction ``u`` by the smallest rotation
``Q`` (no twist), applied in the parent's frame: ``R_j <- G_p^T Q G_p R_j``. Proximal segments
go first, so a forearm is turned after its upper arm moved.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

from robosmplx.body.base import BodyModel
from robosmplx.landmarks.types import BODY33

# (keypoint at the joint that turns the segment, keypoint at the segment's end, landmarks)
SEGMENTS = tuple(
    (f"{s}_{a}", f"{s}_{b}", f"{side}_{la}", f"{side}_{lb}")
    for s, side in (("L", "left"), ("R", "right"))
    for a, b, la, lb in (
        ("Shoulder", "Elbow", "shoulder", "elbow"),
        ("Elbow", "Wrist", "elbow", "wrist"),
        ("Hip", "Knee", "hip", "knee"),
        ("Knee", "Ankle", "knee", "ankle"),
    )
)


@dataclass(frozen=True)
class BodyChain:
    """parent (N,): per ``body_pose`` entry the nearest ``body_pose`` ancestor, -1 the root;
    order: entries parents first; levels: segment rows (joint entry, keypoint from, keypoint
    to, landmark from, landmark to) grouped by depth, proximal first."""

    parent: tuple[int, ...]
    order: tuple[int, ...]
    levels: tuple[tuple[tuple[int, int, int, int, int], ...], ...]


def _anny_joints(body: BodyModel) -> tuple[list[int], list[int]]:
    """(parents in body_pose, body_pose entry of each keypoint or -1) for Anny."""
    from robosmplx.body.anny_model import BODY_BONES

    labels = body.bone_labels
    parents = body.anny.bone_parents
    entry = {labels.index(b): i for i, b in enumerate(BODY_BONES)}
    out = []
    for b in BODY_BONES:
        p = parents[labels.index(b)]
        while p >= 0 and p not in entry:
            p = parents[p]
        out.append(entry.get(p, -1))
    nb = len(labels)
    kp_entry = [entry.get(int(i), -1) if int(i) < nb else -1 for i in body.kp_index]
    return out, kp_entry


def _smplx_joints(body: BodyModel) -> tuple[list[int], list[int]]:
    """The same for the SMPL-X family: body_pose entry j is model joint j + 1."""
    n = body.spec["body_pose"].size
    parents = [int(p) for p in body.parents[1 : n + 1]]
    out = [p - 1 if p >= 1 else -1 for p in parents]
    nj = len(body.parents)
    kp_entry = [
        int(s) - 1 if 1 <= int(s) <= n and int(s) < nj else -1 for s in body.keypoint_sources
    ]
    return out, kp_entry


@functools.lru_cache(maxsize=8)
def body_chain(body: BodyModel) -> BodyChain | None:
    """The chain of ``body``'s ``body_pose`` and its limb segments; None if it has none."""
    if "body_pose" not in body.spec:
        return None
    if body.family == "anny":
        parent, kp_entry = _anny_joints(body)
    elif hasattr(body, "keypoint_sources"):
        parent, kp_entry = _smplx_joints(body)
    else:
        return None
    names = body.keypoint_layout.names
    depth = []
    for j in range(len(parent)):
        d, p = 0, parent[j]
        while p >= 0:
            d, p = d + 1, parent[p]
        depth.append(d)
    order = tuple(sorted(range(len(parent)), key=lambda j: depth[j]))
    rows = []
    for a, b, la, lb in SEGMENTS:
        if a not in names or b not in names or kp_entry[names.index(a)] < 0:
            continue
        j = kp_entry[names.index(a)]
        rows.append((j, names.index(a), names.index(b), BODY33.index(la), BODY33.index(lb)))
    levels = {}
    for r in rows:
        levels.setdefault(depth[r[0]], []).append(r)
    return BodyChain(tuple(parent), order, tuple(tuple(levels[d]) for d in sorted(levels)))


def global_rotations(orient: Tensor, rot: Tensor, chain: BodyChain) -> Tensor:
    """(B, 3, 3) root and (B, N, 3, 3) joint rotations -> (B, N, 3, 3) global rotations."""
    glob: list[Tensor | None] = [None] * rot.shape[1]
    for j in chain.order:
        p = chain.parent[j]
        glob[j] = (orient if p < 0 else glob[p]) @ rot[:, j]
    return torch.stack(glob, 1)


def min_rotation(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 3) directions -> (B, 3, 3) smallest rotation turning a onto b, and (B,) whether it
    is well defined (neither short nor opposite)."""
    na, nb = a.norm(dim=-1), b.norm(dim=-1)
    ua, ub = a / na.clamp_min(1e-9)[:, None], b / nb.clamp_min(1e-9)[:, None]
    v = torch.cross(ua, ub, dim=-1)
    c = (ua * ub).sum(-1)
    zero = torch.zeros_like(c)
    vx = torch.stack(
        (zero, -v[:, 2], v[:, 1], v[:, 2], zero, -v[:, 0], -v[:, 1], v[:, 0], zero), -1
    ).view(-1, 3, 3)
    eye = torch.eye(3, dtype=a.dtype, device=a.device).expand_as(vx)
    ok = (na > 1e-4) & (nb > 1e-4) & (c > -0.95)
    r = eye + vx + vx @ vx / (1.0 + c).clamp_min(0.05)[:, None, None]
    return torch.where(ok[:, None, None], r, eye), ok


def turn_limbs(
    chain: BodyChain,
    forward,
    orient: Tensor,
    rot: Tensor,
    world: Tensor,
    conf: Tensor,
    min_conf: float = 0.5,
) -> Tensor:
    """New (B, N, 3, 3) ``body_pose`` rotations with the limbs along the world landmarks.

    forward(rot) -> (B, K, 3) keypoints for body rotations ``rot``; orient (B, 3, 3) the global
    orientation; world (B, 33, 3) landmarks in camera axes; conf (B, 33), 0 without world
    landmarks. Segments whose two landmarks are below ``min_conf`` keep their rotation."""
    rot = rot.clone()
    for level in chain.levels:
        kps = forward(rot)  # (B, K, 3)
        glob = global_rotations(orient, rot, chain)
        for j, ka, kb, la, lb in level:
            q, ok = min_rotation(kps[:, kb] - kps[:, ka], world[:, lb] - world[:, la])
            ok = ok & (conf[:, la] >= min_conf) & (conf[:, lb] >= min_conf)
            p = chain.parent[j]
            gp = orient if p < 0 else glob[:, p]  # (B, 3, 3)
            new = gp.transpose(1, 2) @ q @ gp @ rot[:, j]
            rot[:, j] = torch.where(ok[:, None, None], new, rot[:, j])
    return rot
