"""A HumanData file mapped onto one body model: per-sample arrays in the model's layouts.

Keypoints go to the model's whole-body layout by name (robosmplx.data.conventions). Parameters
come from the file's group named like the body model (``anny``, ``smplx``, ``smpl``, ``mano``,
``flame``; else the file's ``body_model``): rotation groups must have the model's joint count,
vector groups are truncated or zero-padded to the model's length (documented in docs/data.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from robosmplx.data.annotation import Annotation
from robosmplx.data.conventions import (
    convention_fallbacks,
    map_keypoints,
    mapping_indices,
    resolve_names,
)
from robosmplx.data.humandata import HumanData, intrinsics_of
from robosmplx.errors import DataError

# File sub-keys that name a model group differently.
GROUP_ALIASES = {"hand_pose": "right_hand_pose", "shape": "betas", "exp": "expression"}
SEGM_KEYS = {"body": "segm_path", "wholebody": "segm_path", "hand": "segm_hand_path", "face": "segm_face_path"}  # fmt: skip
BOX_KEYS = {"body": "bbox_xywh", "lhand": "lhand_bbox_xywh", "rhand": "rhand_bbox_xywh", "face": "face_bbox_xywh"}  # fmt: skip


@dataclass
class SampleTable:
    """Per-sample arrays (N rows) of one file in one body model's terms."""

    where: str
    image_paths: list[str]
    boxes: dict[str, np.ndarray]  # body/lhand/rhand/face -> (N, 5)
    keypoints2d: np.ndarray  # (N, K, 3)
    keypoints3d: np.ndarray  # (N, K, 4)
    rotations: dict[str, np.ndarray]  # group -> (N, J, 3) axis-angle
    vectors: dict[str, np.ndarray]  # group -> (N, n)
    has: dict[str, np.ndarray]  # name -> (N,) 0/1
    transl: np.ndarray  # (N, 3)
    K: np.ndarray | None  # (N, 3, 3)
    root_cam: np.ndarray | None  # (N, 3)
    segm_paths: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.image_paths)


def model_param_names(model) -> list[str]:
    """Group names in a file that may hold ``model``'s parameters, most specific first."""
    names = []
    for n in (getattr(model, "name", ""), getattr(model, "family", "")):
        n = "anny" if n.startswith("anny") else n
        if n and n not in names:
            names.append(n)
    return names


def _choose_source(hd: HumanData, model, override: str | None) -> str | None:
    if override is not None:
        if not hd.has_group(override):
            raise DataError(f"{hd.where}: no parameter group {override!r} (params_key)")
        return override
    candidates = model_param_names(model) + ([hd.body_model] if hd.body_model else [])
    return next((c for c in candidates if hd.has_group(c)), None)


def _keypoints(hd: HumanData, model, dim: int, key: str | None) -> np.ndarray:
    names = tuple(model.keypoint_layout.names)
    n = len(hd)
    keys = hd.keypoint_keys(dim)
    if key is None:
        if not keys:
            return np.zeros((n, len(names), dim + 1), np.float32)
        key = keys[0]
    kp = hd.keypoints(key)
    conv = hd.keypoint_convention(key)
    stored = hd.keypoint_names(key)
    if stored is None and conv in model_param_names(model) and kp.shape[1] == len(names):
        return kp
    src = resolve_names(conv, stored, kp.shape[1], f"{hd.where}: {key}")
    if len(mapping_indices(src, names)[0]) == 0:
        raise DataError(
            f"{hd.where}: {key}: none of its {len(src)} keypoint names match the body model's "
            f"layout (e.g. {list(src[:3])} vs {list(names[:3])})"
        )
    return map_keypoints(
        kp, src, names, convention_fallbacks(conv if stored is None else "", kp.shape[1])
    )


def _flags(hd: HumanData, name: str, n: int) -> np.ndarray:
    v = hd.get(f"has_{name}")
    return np.ones(n, np.float32) if v is None else v.astype(np.float32).reshape(n)


def build_table(
    hd: HumanData,
    model,
    image_dir: str | Path | None = None,
    params_key: str | None = None,
    keypoints2d_key: str | None = None,
    keypoints3d_key: str | None = None,
) -> SampleTable:
    """Map ``hd`` onto ``model``; raise DataError on shapes that do not fit the model."""
    n = len(hd)
    root = Path(image_dir) if image_dir is not None else (hd.path.parent if hd.path else Path("."))
    paths = [p if os.path.isabs(p) else str(root / p) for p in hd["image_path"].astype(str)]
    boxes = {}
    for name, key in BOX_KEYS.items():
        if key in hd:
            b = hd[key].astype(np.float32)
            boxes[name] = (
                b if b.shape[1] == 5 else np.concatenate((b, np.ones((n, 1), np.float32)), 1)
            )
    kp2 = _keypoints(hd, model, 2, keypoints2d_key)
    kp3 = _keypoints(hd, model, 3, keypoints3d_key)
    for kp in (kp2, kp3):  # missing keypoints carry zeros, never NaN (losses weight by conf)
        kp[np.nan_to_num(kp[..., -1]) <= 0] = 0.0
    has = {"keypoints3d": (kp3[..., 3] > 0).any(1).astype(np.float32)}
    rotations, vectors = {}, {}
    transl = np.zeros((n, 3), np.float32)
    src = _choose_source(hd, model, params_key)
    kmat = intrinsics_of(hd)
    if src is not None:
        group = hd.group(src)
        src_has = _flags(hd, src, n)
        for sub, arr in group.items():
            name = sub if sub in model.spec or sub == "transl" else GROUP_ALIASES.get(sub, sub)
            key = f"{src}.{sub}"
            if name == "transl":
                transl = arr.astype(np.float32).reshape(n, 3)
                has["transl"] = src_has * _flags(hd, "transl", n) * float(kmat is not None)
                continue
            if name not in model.spec or name in rotations or name in vectors:
                continue
            g = model.spec[name]
            flat = arr.astype(np.float32).reshape(n, -1)
            if g.kind == "rotation":
                if flat.shape[1] != g.size * 3:
                    raise DataError(
                        f"{hd.where}: key {key!r}: expected {g.size} joints (N, {g.size}, 3) for "
                        f"body model {model.name!r}, got shape {arr.shape}"
                    )
                rotations[name] = flat.reshape(n, g.size, 3)
            else:
                v = np.zeros((n, g.size), np.float32)
                m = min(g.size, flat.shape[1])
                v[:, :m] = flat[:, :m]
                vectors[name] = v
            has[name] = src_has * _flags(hd, name, n)
            target = rotations.get(name, vectors.get(name))
            target[has[name] <= 0] = 0.0  # absent values: zeros (identity), never NaN
    segm = {}
    for stage, key in SEGM_KEYS.items():
        if key in hd:
            segm[stage] = [
                "" if not p else (p if os.path.isabs(p) else str(root / p))
                for p in hd[key].astype(str)
            ]
    return SampleTable(
        where=hd.where,
        image_paths=paths,
        boxes=boxes,
        keypoints2d=kp2,
        keypoints3d=kp3,
        rotations=rotations,
        vectors=vectors,
        has=has,
        transl=transl,
        K=kmat,
        root_cam=hd["root_cam"].astype(np.float32) if "root_cam" in hd else None,
        segm_paths=segm,
    )


def find_bad(table: SampleTable, box: str, check_files: bool = True) -> dict[int, str]:
    """{sample: reason} for samples that cannot give a correct training sample."""
    bad: dict[int, str] = {}
    b = table.boxes[box]

    def mark(mask: np.ndarray, reason: str) -> None:
        for i in np.flatnonzero(mask):
            bad.setdefault(int(i), reason)

    mark(~np.isfinite(b[:, :4]).all(1), f"{box} box has NaN or infinite values")
    mark((b[:, 2] <= 0) | (b[:, 3] <= 0), f"{box} box has zero or negative size")
    for name, kp in (("keypoints2d", table.keypoints2d), ("keypoints3d", table.keypoints3d)):
        conf_bad = ~np.isfinite(kp[..., -1])
        xy_bad = ~np.isfinite(kp[..., :-1]).all(-1) & (np.nan_to_num(kp[..., -1]) > 0)
        mark((conf_bad | xy_bad).any(1), f"{name} has NaN or infinite values")
    for name, arr in {**table.rotations, **table.vectors, "transl": table.transl}.items():
        flag = table.has.get(name, np.zeros(len(table)))
        flat = arr.reshape(len(table), -1)
        mark(
            ~np.isfinite(flat).all(1) & (flag > 0), f"parameter {name!r} has NaN or infinite values"
        )
    if table.K is not None:
        mark(~np.isfinite(table.K.reshape(len(table), -1)).all(1), "intrinsics K are not finite")
    if check_files:
        for i, p in enumerate(table.image_paths):
            if i not in bad and not os.path.isfile(p):
                bad[i] = f"image file not found: {p}"
    return bad


def rodrigues(aa: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) rotation matrices (numpy; a per-sample hot path)."""
    aa = np.asarray(aa, np.float64)
    t2 = (aa * aa).sum(-1)[..., None, None]
    t = np.sqrt(t2)
    small = t2 < 1e-12
    a = np.where(small, 1.0 - t2 / 6.0, np.sin(t) / np.where(small, 1.0, t))
    b = np.where(small, 0.5 - t2 / 24.0, (1.0 - np.cos(t)) / np.where(small, 1.0, t2))
    x, y, z = aa[..., 0], aa[..., 1], aa[..., 2]
    zero = np.zeros_like(x)
    k = np.stack((zero, -z, y, z, zero, -x, -y, x, zero), -1).reshape(*aa.shape[:-1], 3, 3)
    return np.eye(3) + a * k + b * (k @ k)


def annotation_at(table: SampleTable, i: int, segm: np.ndarray | None = None) -> Annotation:
    """The :class:`Annotation` of sample ``i`` in original-image pixels."""
    rots = {}
    if table.rotations:
        names = list(table.rotations)
        aa = np.concatenate([table.rotations[k][i] for k in names])
        mats = rodrigues(aa).astype(np.float32)  # (sum J, 3, 3)
        start = 0
        for k in names:
            size = table.rotations[k].shape[1]
            rots[k] = mats[start : start + size]
            start += size
    part_boxes = {k: v[i].astype(np.float64) for k, v in table.boxes.items() if k != "body"}
    return Annotation(
        keypoints2d=table.keypoints2d[i].copy(),
        keypoints3d=table.keypoints3d[i].copy(),
        rotations=rots,
        vectors={k: v[i].copy() for k, v in table.vectors.items()},
        has={k: float(v[i]) for k, v in table.has.items()},
        transl=table.transl[i].astype(np.float64),
        K=None if table.K is None else table.K[i].astype(np.float64),
        pivot=None,
        part_boxes=part_boxes,
        segm=segm,
    )
