"""L_con (eq. 2): pose- and shape-aware contrastive loss over anchors and positive twins.

For every anchor i the distance between predicted representations d(z_i, z_k) is pulled towards
the distance between their ground truths d(p_i, p_k): the positive twin j (the same sample under
a location/colour augmentation, so d(p_i, p_j) is about 0) is pulled together, every other sample
keeps the distance its true pose warrants. Terms: tau_pos |d(p_i,p_j) - d(z_i,z_j)| and
tau_neg |d(p_i,p_k) - d(z_i,z_k)| for the 2N - 2 negatives k.

Normalisation (eq. 2 is a plain sum): the positive terms are averaged over the positive pairs and
the negative terms over the negative pairs, then weighted by tau_pos and tau_neg, so the loss
does not grow with the batch and the taus set the balance directly. With N = 1 there are no
negatives and only the positive term remains; without twins only negatives remain.

Representations (Table 9): ``keypoints`` - root-aligned 3D keypoints regressed from the body
model, divided by their mean distance to the root (scale-free, keeps proportions: the paper's
"normalized space"); ``pose`` - global orientation and body pose concatenated (6D or matrix
entries); ``go+pose`` - the same two as separate parts whose distances are summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.geometry.rotations import matrix_to_rot6d
from robosmplx.losses.masking import RootSpec, masked_mean, root_point, sample_flags, sanitize

RepresentationKind = Literal["keypoints", "pose", "go+pose"]
DistanceKind = Literal["l1", "smooth_l1", "mse"]
Representation = Tensor | Sequence[Tensor]


def keypoint_representation(
    keypoints3d: Tensor,
    root: RootSpec,
    normalize: bool = True,
    eps: float = 1e-3,
    valid: Tensor | None = None,
) -> Tensor:
    """(B, K, 3) keypoints -> (B, K*3): root-aligned, divided by the mean keypoint distance
    to the root (clamped at ``eps`` metres) when ``normalize``. valid: (B, K) 0/1, points to
    leave out (zeroed, and out of the scale's mean)."""
    centred = keypoints3d
    if root is not None:
        centred = keypoints3d - root_point(keypoints3d, root)[:, None]  # (B, K, 3)
    if valid is not None:
        centred = centred * valid[..., None].to(centred.dtype)
    if normalize:
        dist = centred.norm(dim=-1)  # (B, K)
        if valid is None:
            scale = dist.mean(1)
        else:
            scale = dist.sum(1) / valid.to(dist.dtype).sum(1).clamp_min(1.0)
        centred = centred / scale.clamp_min(eps)[:, None, None]
    return centred.flatten(1)


def pose_representation(
    global_orient_rotmat: Tensor,
    body_pose_rotmat: Tensor,
    separate: bool = False,
    form: Literal["6d", "rotmat"] = "6d",
) -> tuple[Tensor, ...]:
    """(B, 1, 3, 3) and (B, N, 3, 3) -> ``pose`` (one part) or ``go+pose`` (two parts),
    each (B, D) of 6D entries or matrix entries."""
    if form == "6d":
        go, pose = matrix_to_rot6d(global_orient_rotmat), matrix_to_rot6d(body_pose_rotmat)
    elif form == "rotmat":
        go, pose = global_orient_rotmat, body_pose_rotmat
    else:
        raise ShapeError(f"rotation form: got {form!r}, expected '6d' or 'rotmat'")
    go, pose = go.flatten(1), pose.flatten(1)  # (B, 6 or 9), (B, N*6 or N*9)
    return (go, pose) if separate else (torch.cat((go, pose), 1),)


def build_representation(
    kind: RepresentationKind,
    keypoints3d: Tensor | None = None,
    root: RootSpec = None,
    global_orient_rotmat: Tensor | None = None,
    body_pose_rotmat: Tensor | None = None,
    form: Literal["6d", "rotmat"] = "6d",
) -> tuple[Tensor, ...]:
    """The representation ``kind`` from the tensors it needs (see the module docstring)."""
    if kind == "keypoints":
        if keypoints3d is None:
            raise ShapeError("the 'keypoints' representation needs keypoints3d (B, K, 3)")
        return (keypoint_representation(keypoints3d, root),)
    if kind in ("pose", "go+pose"):
        if global_orient_rotmat is None or body_pose_rotmat is None:
            raise ShapeError(f"the {kind!r} representation needs global orient and body pose")
        return pose_representation(
            global_orient_rotmat, body_pose_rotmat, separate=kind == "go+pose", form=form
        )
    raise ShapeError(f"representation: got {kind!r}, expected 'keypoints', 'pose' or 'go+pose'")


def pairwise_distance(
    x: Tensor, kind: DistanceKind = "l1", beta: float = 1.0, valid: Tensor | None = None
) -> Tensor:
    """(B, D) -> (B, B) mean per-entry distance between every pair of rows; with ``valid``
    (B, D) 0/1 the mean is over the entries both rows have (0 where they share none)."""
    diff = x[:, None, :] - x[None, :, :]  # (B, B, D)
    if kind == "l1":
        d = diff.abs()
    elif kind == "mse":
        d = diff.square()
    elif kind == "smooth_l1":
        d = F.smooth_l1_loss(diff, torch.zeros_like(diff), reduction="none", beta=beta)
    else:
        raise ShapeError(f"distance: got {kind!r}, expected 'l1', 'smooth_l1' or 'mse'")
    if valid is None:
        return d.mean(-1)
    both = valid[:, None, :].to(d.dtype) * valid[None, :, :].to(d.dtype)  # (B, B, D)
    return (d * both).sum(-1) / both.sum(-1).clamp_min(1.0)


def _parts(rep: Representation) -> tuple[Tensor, ...]:
    return (rep,) if isinstance(rep, Tensor) else tuple(rep)


def contrastive_loss(
    pred: Representation,
    gt: Representation,
    pair_index: Tensor | None = None,
    has: Tensor | None = None,
    distance: DistanceKind = "l1",
    tau_pos: float = 1.0,
    tau_neg: float = 1.0,
    beta: float = 1.0,
    valid: Tensor | None = None,
) -> Tensor:
    """Eq. 2 over a batch of B = 2N (anchors first, twins second) or B independent samples.

    pred, gt: (B, D) tensors or sequences of parts (distances summed over parts); pair_index:
    (B,) long, the batch position of each sample's twin as ``data.twins.collate_twins`` makes
    it (a sample pointing at itself has no twin; None: no twins at all, every sample an
    anchor); has: (B,) flags, terms need ground truth on both sides. The anchor of a pair is
    the earlier row. ``beta`` is the SmoothL1 transition point. valid: (B, D) 0/1 entries of
    a one-part representation (per-joint masks): distances use the entries both samples have,
    and pairs with none in common are left out.
    """
    zs, ps = _parts(pred), _parts(gt)
    if len(zs) != len(ps) or any(z.shape != p.shape for z, p in zip(zs, ps)):
        raise ShapeError(
            f"contrastive_loss: prediction parts {[tuple(z.shape) for z in zs]} and ground-truth "
            f"parts {[tuple(p.shape) for p in ps]} differ"
        )
    b = zs[0].shape[0]
    like = zs[0]
    rows_idx = torch.arange(b, device=like.device)
    partner = rows_idx if pair_index is None else pair_index.reshape(-1).to(like.device)
    if partner.shape[0] != b or bool(((partner < 0) | (partner >= b)).any()):
        raise ShapeError(
            f"pair_index: expected {b} partner positions in 0..{b - 1}, got {partner.tolist()}"
        )
    if not bool((partner[partner] == rows_idx).all()):
        raise ShapeError(f"pair_index: partners must point at each other, got {partner.tolist()}")
    ids = torch.minimum(rows_idx, partner)  # (B,) the anchor's row names the pair
    ok = sample_flags(has, b, like) > 0  # (B,)
    ps = tuple(sanitize(p.to(like.dtype), ok[:, None]) for p in ps)
    if valid is not None and (len(zs) != 1 or valid.shape != zs[0].shape):
        raise ShapeError(
            f"contrastive_loss: valid {tuple(valid.shape)} must match a one-part representation "
            f"{[tuple(z.shape) for z in zs]}"
        )
    d_z = sum(pairwise_distance(z, distance, beta, valid) for z in zs)  # (B, B)
    d_p = sum(pairwise_distance(p, distance, beta, valid) for p in ps)  # (B, B)
    err = (d_p - d_z).abs()  # (B, B)
    same = ids[:, None] == ids[None, :]  # (B, B)
    anchor = rows_idx == ids  # (B,) the earlier row of each pair
    rows = (anchor & ok)[:, None] & ok[None, :]  # (B, B)
    if valid is not None:
        v = valid.to(like.dtype)
        rows = rows & ((v @ v.T) > 0)  # some entry in common
    eye = torch.eye(b, dtype=torch.bool, device=like.device)
    pos = rows & same & ~eye
    neg = rows & ~same
    return tau_pos * masked_mean(err, pos.to(err.dtype)) + tau_neg * masked_mean(
        err, neg.to(err.dtype)
    )
