"""Part-segmentation ground truth rendered from a sample's body-model parameters.

Real datasets ship parameters (SMPL/SMPL-X fits, NeuralAnnot, EFT) but no part maps, so the
part-segmentation (L_segm) and projected-mask (L_proj) losses would get no supervision. As PARE
does, the ground-truth mesh is posed from the parameters and its part labels are rendered with
the project's hard rasterizer (:func:`robosmplx.render.part_map`), here directly in the crop's
part-map grid (crop size / 4), after augmentation, so the map matches the crop exactly.

Hand and face stages draw their part alone, as their objective poses it: the part view's groups
(``right_hand_pose``; ``jaw_pose`` ...) with the part-frame ``global_orient`` the dataset gives
them, every other rotation at rest, labelled with the stage's part labels (hand or face parts)
on the view's vertices only; the placement is then always fitted on the view's keypoints.

Placement: the file's translation and intrinsics when it has both (``has_transl``); otherwise a
translation is solved (linear least squares) that projects the posed model's keypoints onto the
visible ground-truth 2D keypoints through the crop's camera (the file's intrinsics moved with
the crop, else the virtual one): the usual estimate when only 2D keypoints fix the placement.
"""

from __future__ import annotations

import numpy as np
import torch

from robosmplx.data.annotation import Annotation
from robosmplx.data.pipeline import SEGM_STRIDE, virtual_intrinsics
from robosmplx.geometry.pixels import resize_affine

# the groups a rendered part map needs; the others fall back to the model's neutral values
REQUIRED = ("global_orient", "body_pose")
MIN_KEYPOINTS = 4


def _required(model, view: str | None) -> tuple[str, ...]:
    if view is None:
        return REQUIRED
    spec = model.spec
    own = [n for n in model.part_views[view].param_groups if spec[n].kind == "rotation"]
    return ("global_orient", *own)


def can_render(ann: Annotation, spec, required: tuple[str, ...] = REQUIRED) -> bool:
    """Whether ``ann`` holds the parameters a part map is rendered from."""
    return all(n in ann.rotations and ann.has.get(n, 0.0) > 0 for n in required if n in spec)


def stage_vertex_labels(model, stage) -> tuple[torch.Tensor, int]:
    """((V,) part label per vertex, number of parts) of a :class:`robosmplx.stage.Stage`: the
    labels of its part set, -1 outside its view's vertices (hand and face stages)."""
    labels = getattr(model, f"{stage.part}_part_labels").clone().long()
    if stage.view is not None:
        keep = torch.zeros_like(labels, dtype=torch.bool)
        keep[list(model.part_views[stage.view].vertices)] = True
        labels = torch.where(keep, labels, torch.full_like(labels, -1))
    return labels, int(model.part_layout.counts[stage.part])


def fit_translation(points: np.ndarray, kp2d: np.ndarray, k: np.ndarray) -> np.ndarray | None:
    """(3,) translation t with ``K (points + t)`` closest to the visible 2D keypoints.

    points (J, 3) model-frame keypoints, kp2d (J, 3) pixels + confidence, k (3, 3). None when
    fewer than :data:`MIN_KEYPOINTS` are visible or the fit puts the body behind the camera.
    """
    vis = np.nan_to_num(kp2d[:, 2]) > 0
    if int(vis.sum()) < MIN_KEYPOINTS:
        return None
    x, y, z = points[vis].astype(np.float64).T
    u, v = kp2d[vis, 0].astype(np.float64), kp2d[vis, 1].astype(np.float64)
    fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
    n = len(u)
    a = np.zeros((2 * n, 3))
    a[:n, 0], a[:n, 2] = fx, cx - u
    a[n:, 1], a[n:, 2] = fy, cy - v
    b = np.concatenate(((u - cx) * z - fx * x, (v - cy) * z - fy * y))
    t, *_ = np.linalg.lstsq(a, b, rcond=None)
    if not np.isfinite(t).all() or (points[:, 2] + t[2]).min() <= 0.05:
        return None
    return t


def render_part_labels(
    model,
    ann: Annotation,
    crop_size: int,
    vertex_labels: torch.Tensor,
    num_parts: int,
    view: str | None = None,
) -> np.ndarray | None:
    """(S/4, S/4) uint8 part map (0 background, part + 1) of ``ann``'s mesh in crop pixels, or
    None when the sample cannot be rendered (no parameters, too few keypoints to place it).

    ann: the crop's annotation (pixels, intrinsics and 3D in the crop's camera);
    vertex_labels: (V,) part per vertex, -1 for vertices that are not drawn; view: a part view
    (``rhand``, ``face``) to pose and place alone, None for the whole body.
    """
    spec = model.spec
    if not can_render(ann, spec, _required(model, view)):
        return None
    rotations = (
        ann.rotations
        if view is None
        else {k: v for k, v in ann.rotations.items() if k in _required(model, view)}
    )
    params = {
        f"{k}_rotmat": torch.from_numpy(np.ascontiguousarray(v, np.float32))[None]
        for k, v in rotations.items()
        if k in spec and ann.has.get(k, 0.0) > 0
    }
    params.update(
        {k: torch.from_numpy(np.asarray(v, np.float32))[None]
         for k, v in ann.vectors.items() if k in spec and ann.has.get(k, 0.0) > 0}
    )  # fmt: skip
    k = ann.K if ann.K is not None else virtual_intrinsics(crop_size)
    with torch.no_grad():
        out = model.to("cpu")(**params)
    verts = out.vertices[0].double().numpy()
    if view is None and ann.has.get("transl", 0.0) > 0 and ann.K is not None:
        t = np.asarray(ann.transl, np.float64)
    else:
        idx = list(range(len(ann.keypoints2d)))
        if view is not None:
            idx = [int(i) for i in model.keypoint_layout.subsets[view]]
        t = fit_translation(out.keypoints[0, idx].double().numpy(), ann.keypoints2d[idx], k)
        if t is None:
            return None
    grid = crop_size // SEGM_STRIDE
    k_grid = np.vstack((resize_affine(1.0 / SEGM_STRIDE), [0.0, 0.0, 1.0])) @ np.asarray(k)
    from robosmplx.render import part_map

    m = part_map(
        torch.from_numpy(verts + t).float()[None], model.faces, torch.from_numpy(k_grid).float(),
        (grid, grid), vertex_labels, num_parts,
    )  # fmt: skip
    return m[0].numpy().astype(np.uint8)
