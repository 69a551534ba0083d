"""Pictures of fitted people: shaded overlay, side view and part colours, from one camera.

Every function takes the people as a list of ``(verts_cam (V, 3), faces (F, 3))`` (tensors or
arrays, camera space, OpenCV frame) and the image's intrinsics ``K`` (3, 3), and returns an
``(H, W, 3)`` uint8 array. People are merged into one mesh, so they occlude each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from robosmplx.errors import InputError, ShapeError
from robosmplx.render.inputs import check_face_labels
from robosmplx.render.raster import rasterize
from robosmplx.render.shading import part_palette, person_colors, shade

UNLABELLED_GREY = (0.75, 0.75, 0.75)


def render_overlay(
    image,
    meshes: Sequence[tuple],
    K,
    colors: Sequence[tuple[float, float, float]] | None = None,
    alpha: float = 0.8,
) -> np.ndarray:
    """Shaded meshes blended over ``image`` ((H, W, 3) uint8, or (H, W) for a white canvas).

    colors: one RGB in [0, 1] per person (default: a fixed palette); alpha: mesh opacity.
    """
    canvas = _canvas(image)
    verts, faces, owner = _merge(meshes)
    cols = _person_colors(colors, len(meshes)).to(verts.device)
    return _draw(canvas, verts, faces, _k(K, verts), cols[owner], alpha)


def render_side_view(
    image_size,
    meshes: Sequence[tuple],
    K,
    colors: Sequence[tuple[float, float, float]] | None = None,
    angle_deg: float = 90.0,
) -> np.ndarray:
    """The people turned by ``angle_deg`` about the vertical (camera y) axis through their
    common centre, seen by the same camera on a white canvas of ``image_size`` (H, W) (an image
    may be passed instead; only its size is used). 90 degrees shows them from the camera's right.
    """
    if isinstance(image_size, (np.ndarray, Tensor)) and image_size.ndim == 3:
        image_size = tuple(image_size.shape[:2])
    canvas = _canvas(image_size)
    verts, faces, owner = _merge(meshes)
    centre = (verts.amin(0) + verts.amax(0)) / 2.0  # (3,)
    a = math.radians(angle_deg)
    rot = torch.tensor(
        [[math.cos(a), 0.0, math.sin(a)], [0.0, 1.0, 0.0], [-math.sin(a), 0.0, math.cos(a)]],
        dtype=verts.dtype,
        device=verts.device,
    )
    turned = (verts - centre) @ rot.T + centre
    cols = _person_colors(colors, len(meshes)).to(verts.device)
    return _draw(canvas, turned, faces, _k(K, verts), cols[owner], 1.0)


def render_part_colors(
    image,
    meshes: Sequence[tuple],
    K,
    part_labels: Sequence,
    num_parts: int,
    alpha: float = 1.0,
) -> np.ndarray:
    """Meshes coloured by part (lightly shaded) over ``image`` ((H, W, 3) uint8 or (H, W)).

    part_labels: per person, (V,) or (F,) labels 0..P-1; faces labelled -1 are drawn grey.
    """
    canvas = _canvas(image)
    if len(part_labels) != len(meshes):
        raise InputError(f"got {len(part_labels)} part-label arrays for {len(meshes)} people")
    verts, faces, _ = _merge(meshes)
    palette = torch.cat((part_palette(num_parts), torch.tensor([UNLABELLED_GREY])))
    labels = []
    for (v, f), lab in zip(meshes, part_labels, strict=True):
        f = torch.as_tensor(np.asarray(f) if not isinstance(f, Tensor) else f).long()
        lab = torch.as_tensor(np.asarray(lab) if not isinstance(lab, Tensor) else lab)
        labels.append(check_face_labels(lab, f.to(lab.device), len(v), num_parts).cpu())
    face_label = torch.cat(labels)
    face_label = torch.where(face_label < 0, torch.full_like(face_label, num_parts), face_label)
    cols = palette[face_label].to(verts.device)
    return _draw(canvas, verts, faces, _k(K, verts), cols, alpha, ambient=0.55, diffuse=0.45)


def _draw(
    canvas: np.ndarray,
    verts: Tensor,
    faces: Tensor,
    k: Tensor,
    face_colors: Tensor,
    alpha: float,
    ambient: float | None = None,
    diffuse: float | None = None,
) -> np.ndarray:
    """Rasterize one merged mesh (V, 3) and alpha-blend its shading into ``canvas``."""
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be in [0, 1], got {alpha}")
    h, w = canvas.shape[:2]
    with torch.no_grad():
        frags = rasterize(verts[None], faces, k[None], (h, w))
        kw = {} if ambient is None else {"ambient": ambient, "diffuse": diffuse}
        rgb = shade(frags, verts[None], faces, face_colors, **kw)[0]  # (H, W, 3)
        a = frags.mask[0, ..., None].to(rgb.dtype) * alpha  # (H, W, 1)
        base = torch.from_numpy(canvas).to(device=rgb.device, dtype=rgb.dtype) / 255.0
        out = base * (1.0 - a) + rgb * a
    return (out * 255.0).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


def _person_colors(colors, n: int) -> Tensor:
    """(n, 3) float colours in [0, 1]: the given ones, or the default palette."""
    cols = torch.as_tensor(np.asarray(colors if colors is not None else person_colors(n)))
    if cols.shape != (n, 3):
        raise ShapeError(
            f"colors: expected {n} RGB triples in [0, 1], got shape {tuple(cols.shape)}"
        )
    return cols.float()


def _canvas(image) -> np.ndarray:
    """(H, W, 3) uint8 image (array or tensor) as a numpy copy, or (H, W) -> white canvas."""
    if isinstance(image, Tensor):
        image = image.detach().cpu().numpy()
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ShapeError(f"image: got shape {image.shape}, expected (H, W, 3) RGB")
        if image.dtype != np.uint8:
            raise InputError(f"image must be uint8, got {image.dtype}")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise InputError(f"image is empty: shape {image.shape}")
        return np.ascontiguousarray(image)
    try:
        h, w = (int(s) for s in image)
    except (TypeError, ValueError) as e:
        raise InputError(
            f"expected an (H, W, 3) uint8 image or an (H, W) size, got {image!r}"
        ) from e
    if h <= 0 or w <= 0:
        raise InputError(f"image size must be positive, got ({h}, {w})")
    return np.full((h, w, 3), 255, dtype=np.uint8)


def _merge(meshes: Sequence[tuple]) -> tuple[Tensor, Tensor, Tensor]:
    """People -> one mesh: verts (V, 3) float, faces (F, 3) long, owner (F,) person index."""
    if len(meshes) == 0:
        raise InputError("no meshes to draw: pass a list of (verts_cam, faces) pairs")
    verts, faces, owner = [], [], []
    offset = 0
    device = None
    for i, mesh in enumerate(meshes):
        if len(mesh) != 2:
            raise ShapeError(f"mesh {i}: expected a (verts_cam, faces) pair")
        v, f = (m if isinstance(m, Tensor) else torch.as_tensor(np.asarray(m)) for m in mesh)
        device = device or v.device
        if v.dim() != 2 or v.shape[-1] != 3 or f.dim() != 2 or f.shape[-1] != 3:
            raise ShapeError(
                f"mesh {i}: verts {tuple(v.shape)} and faces {tuple(f.shape)}; expected (V, 3) "
                "and (F, 3)"
            )
        if v.shape[0] == 0 or f.shape[0] == 0:
            raise InputError(f"mesh {i} is empty ({v.shape[0]} vertices, {f.shape[0]} faces)")
        if int(f.min()) < 0 or int(f.max()) >= v.shape[0]:
            raise InputError(
                f"mesh {i}: faces index vertices {int(f.min())}..{int(f.max())} but it has "
                f"{v.shape[0]} vertices"
            )
        verts.append(v.detach().to(device=device, dtype=torch.float32))
        faces.append(f.to(device=device, dtype=torch.long) + offset)
        owner.append(torch.full((f.shape[0],), i, dtype=torch.long, device=device))
        offset += v.shape[0]
    return torch.cat(verts), torch.cat(faces), torch.cat(owner)


def _k(K, verts: Tensor) -> Tensor:
    k = K if isinstance(K, Tensor) else torch.as_tensor(np.asarray(K))
    if k.shape != (3, 3):
        raise ShapeError(f"K: got shape {tuple(k.shape)}, expected (3, 3) for one image")
    return k.detach().to(device=verts.device, dtype=verts.dtype)
