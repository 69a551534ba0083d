"""Ground truth of one sample and the geometric operations that keep it consistent with pixels.

Every operation that moves pixels has a twin here: axis-aligned affines change 2D keypoints,
boxes and the intrinsics ``K``; an in-plane rotation turns 2D quantities about a pixel and 3D
quantities (keypoints, global orientation, translation) about the camera's optical axis, and
moves ``K``'s principal point instead of rotating ``K``; a mirror flips x in both, swaps
left/right keypoints, parameters and part boxes. Translation follows the rotation centre of
``global_orient`` (``pivot``, camera frame): ``t' = t + (R - I) pivot`` keeps the mesh rigid.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch

from robosmplx.data.crop import apply_affine, rotate_about, rotation_z, transform_box
from robosmplx.data.flip import FlipSpec
from robosmplx.errors import ConfigError
from robosmplx.geometry.rotations import mirror_rotation

MIRROR = np.diag([-1.0, 1.0, 1.0])
PART_BOXES = ("lhand", "rhand", "face")
_BOX_SWAP = {"lhand": "rhand", "rhand": "lhand", "face": "face"}


@dataclass
class Annotation:
    """Ground truth of one sample in the pixels of the image it belongs to.

    keypoints2d (K, 3) px + conf; keypoints3d (K, 4) camera metres + conf; rotations
    ``{group: (N, 3, 3)}`` (``global_orient`` in the camera frame); vectors ``{group: (n,)}``;
    has ``{name: 0/1}``; transl (3,); K (3, 3) or None; pivot (3,) or None; part_boxes
    ``{lhand|rhand|face: (5,) xywh + conf}``; segm (H, W) uint8 part labels or None.
    """

    keypoints2d: np.ndarray
    keypoints3d: np.ndarray
    rotations: dict[str, np.ndarray] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    has: dict[str, float] = field(default_factory=dict)
    transl: np.ndarray = field(default_factory=lambda: np.zeros(3))
    K: np.ndarray | None = None
    pivot: np.ndarray | None = None
    part_boxes: dict[str, np.ndarray] = field(default_factory=dict)
    segm: np.ndarray | None = None

    def replace(self, **kw) -> Annotation:
        return dataclasses.replace(self, **kw)


def _kp2d_through(kp: np.ndarray, a: np.ndarray) -> np.ndarray:
    out = kp.copy()
    out[:, :2] = apply_affine(kp[:, :2].astype(np.float64), a)
    return out


def _boxes_through(boxes: dict[str, np.ndarray], a: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.concatenate((transform_box(b, a), b[4:5])) for k, b in boxes.items()}


def affine(ann: Annotation, a: np.ndarray) -> Annotation:
    """Apply an axis-aligned pixel affine (scale + shift, no rotation) to the 2D quantities."""
    if abs(a[0, 1]) > 1e-9 or abs(a[1, 0]) > 1e-9:
        raise ConfigError("affine() takes scale/shift only; use rotate() for rotations")
    k = None
    if ann.K is not None:
        k = np.vstack((a, [0.0, 0.0, 1.0])) @ ann.K
    return ann.replace(
        keypoints2d=_kp2d_through(ann.keypoints2d, a),
        part_boxes=_boxes_through(ann.part_boxes, a),
        K=k,
    )


def _camera_linear(ann: Annotation, r: np.ndarray) -> dict:
    """3D fields after the camera-frame linear map ``r`` (3, 3) (rotation or mirror)."""
    kp3 = ann.keypoints3d.copy()
    kp3[:, :3] = kp3[:, :3] @ r.T
    out: dict = {"keypoints3d": kp3}
    if ann.pivot is not None:
        p = ann.pivot
        out["transl"] = ann.transl + (r - np.eye(3)) @ p
        out["pivot"] = r @ p
    else:
        out["transl"] = r @ ann.transl
    return out


def rotate(ann: Annotation, angle_deg: float, center: np.ndarray) -> Annotation:
    """Content turned ``angle_deg`` counter-clockwise on screen about pixel ``center`` (2,).

    2D keypoints and boxes turn about ``center``; 3D quantities turn about the optical axis;
    the principal point turns about ``center`` so K stays upper-triangular (exact for fx = fy).
    """
    if not angle_deg:
        return ann
    a = rotate_about(angle_deg, np.asarray(center, np.float64))
    rz = rotation_z(angle_deg)
    fields = _camera_linear(ann, rz)
    rots = dict(ann.rotations)
    if "global_orient" in rots:
        rots["global_orient"] = (rz.astype(np.float32) @ rots["global_orient"]).astype(np.float32)
    k = None
    if ann.K is not None:
        k = ann.K.copy()
        k[:2, 2] = apply_affine(ann.K[:2, 2].astype(np.float64), a)
    return ann.replace(
        keypoints2d=_kp2d_through(ann.keypoints2d, a),
        part_boxes=_boxes_through(ann.part_boxes, a),
        rotations=rots,
        K=k,
        **fields,
    )


def mirror_params(
    rotations: dict[str, np.ndarray],
    vectors: dict[str, np.ndarray],
    has: dict[str, float],
    spec: FlipSpec,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Swap left/right groups and joints, mirror every rotation, permute named vector controls."""
    if rotations:
        spec.require("the rotation parameters")
    new_rot, new_has = {}, dict(has)
    for name, (src, perm) in spec.rotations.items():
        if src in rotations:
            m = torch.from_numpy(np.ascontiguousarray(rotations[src][list(perm)]))
            new_rot[name] = mirror_rotation(m).numpy()
            new_has[name] = has.get(src, 0.0)
    new_vec = dict(vectors)
    for name, perm in spec.vectors.items():
        if name in vectors:
            new_vec[name] = vectors[name][list(perm)]
    return new_rot, new_vec, new_has


def mirror(ann: Annotation, width: int, spec: FlipSpec) -> Annotation:
    """Mirror an image ``width`` pixels wide: x -> width - 1 - x, left <-> right everywhere."""
    perm = list(spec.keypoints)
    kp2 = ann.keypoints2d[perm].copy()
    kp2[:, 0] = width - 1 - kp2[:, 0]
    fields = _camera_linear(ann.replace(keypoints3d=ann.keypoints3d[perm]), MIRROR)
    boxes = {}
    for name, b in ann.part_boxes.items():
        nb = b.copy()
        nb[0] = width - b[0] - b[2]
        boxes[_BOX_SWAP.get(name, name)] = nb
    k = None
    if ann.K is not None:
        k = ann.K.copy()
        k[0, 2] = width - 1 - ann.K[0, 2]
    rots, vecs, has = mirror_params(ann.rotations, ann.vectors, ann.has, spec)
    return ann.replace(
        keypoints2d=kp2, part_boxes=boxes, K=k, rotations=rots, vectors=vecs, has=has, **fields
    )


def translate_wrapped(ann: Annotation, dx: float, dy: float, size: tuple[int, int]) -> Annotation:
    """Content shifted by (dx, dy) px in a (W, H) image that wraps: 2D positions wrap too;
    the principal point shifts (3D is unchanged)."""
    w, h = size
    kp2 = ann.keypoints2d.copy()
    kp2[:, 0] = np.mod(kp2[:, 0] + dx + 0.5, w) - 0.5
    kp2[:, 1] = np.mod(kp2[:, 1] + dy + 0.5, h) - 0.5
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    k = None
    if ann.K is not None:
        k = np.vstack((shift, [0.0, 0.0, 1.0])) @ ann.K
    return ann.replace(keypoints2d=kp2, part_boxes=_boxes_through(ann.part_boxes, shift), K=k)
