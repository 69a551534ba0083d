"""Checks and preparation shared by every renderer: validate a mesh batch, project it to pixels.

Conventions (docs/contracts.md): camera-space vertices in the OpenCV frame (x right, y down,
z forward), intrinsics ``K`` (B, 3, 3), pixel (0, 0) the centre of the top-left pixel, so pixel
row ``i``, column ``j`` is sampled at ``(x, y) = (j, i)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from robosmplx.errors import InputError, ShapeError


@dataclass(frozen=True)
class ImageSize:
    """Output image size in pixels."""

    height: int
    width: int

    @property
    def num_pixels(self) -> int:
        return self.height * self.width


def check_image_size(image_size) -> ImageSize:
    """``(H, W)`` -> :class:`ImageSize`; both must be positive integers."""
    try:
        h, w = (int(s) for s in image_size)
    except (TypeError, ValueError) as e:
        raise ShapeError(f"image_size must be (H, W) integers, got {image_size!r}") from e
    if h <= 0 or w <= 0:
        raise InputError(f"image_size must be positive, got (H, W) = ({h}, {w})")
    return ImageSize(h, w)


def check_mesh(verts_cam: Tensor, faces: Tensor, k: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Validate a mesh batch; returns ``(verts (B, V, 3) float, faces (F, 3) long, K (B, 3, 3))``.

    ``K`` may also be (3, 3), shared by the batch. Raises :class:`ShapeError` for wrong shapes
    and :class:`InputError` for empty meshes, non-finite values and out-of-range faces.
    """
    if not isinstance(verts_cam, Tensor) or not isinstance(faces, Tensor):
        raise InputError("verts_cam and faces must be torch tensors")
    if verts_cam.dim() != 3 or verts_cam.shape[-1] != 3:
        raise ShapeError(
            f"verts_cam: got shape {tuple(verts_cam.shape)}, expected (B, V, 3) camera-space "
            "vertices; add a batch dimension with verts[None] for one mesh"
        )
    if not verts_cam.is_floating_point():
        raise InputError(f"verts_cam must be floating point, got {verts_cam.dtype}")
    if faces.dim() != 2 or faces.shape[-1] != 3:
        raise ShapeError(f"faces: got shape {tuple(faces.shape)}, expected (F, 3) vertex indices")
    if faces.is_floating_point() or faces.dtype == torch.bool:
        raise InputError(f"faces must hold integer vertex indices, got {faces.dtype}")
    b, v = verts_cam.shape[:2]
    if b == 0 or v == 0 or faces.shape[0] == 0:
        raise InputError(
            f"empty mesh: batch {b}, {v} vertices, {faces.shape[0]} faces; nothing to render"
        )
    faces = faces.to(device=verts_cam.device, dtype=torch.long)
    lo, hi = int(faces.min()), int(faces.max())
    if lo < 0 or hi >= v:
        raise InputError(
            f"faces index vertices {lo}..{hi} but the mesh has {v} vertices (valid 0..{v - 1})"
        )
    if not bool(torch.isfinite(verts_cam).all()):
        bad = (~torch.isfinite(verts_cam)).any(-1).nonzero()[0].tolist()
        raise InputError(
            f"verts_cam holds NaN or inf (first at batch {bad[0]}, vertex {bad[1]}); "
            "check the body-model parameters and camera translation"
        )
    if not isinstance(k, Tensor):
        raise InputError("K must be a torch tensor of intrinsics")
    if k.shape == (3, 3):
        k = k.expand(b, 3, 3)
    if k.dim() != 3 or k.shape[1:] != (3, 3) or k.shape[0] != b:
        raise ShapeError(f"K: got shape {tuple(k.shape)}, expected ({b}, 3, 3) or (3, 3)")
    k = k.to(device=verts_cam.device, dtype=verts_cam.dtype)
    if not bool(torch.isfinite(k).all()) or bool((k[:, 0, 0] <= 0).any() | (k[:, 1, 1] <= 0).any()):
        raise InputError("K must be finite with positive focal lengths K[:, 0, 0] and K[:, 1, 1]")
    return verts_cam, faces, k


def check_face_labels(labels: Tensor, faces: Tensor, num_vertices: int, num_parts: int) -> Tensor:
    """Per-face (F,) or per-vertex (V,) part labels in -1..P-1 -> per-face (F,) long labels.

    Per-vertex labels become per-face by :func:`face_labels_from_vertex_labels`. When F == V the
    labels are read as per-face.
    """
    if not isinstance(labels, Tensor) or labels.dim() != 1:
        raise ShapeError(
            f"part labels must be a 1-D tensor of length F={faces.shape[0]} (per face) or "
            f"V={num_vertices} (per vertex), got {getattr(labels, 'shape', type(labels))}"
        )
    if num_parts < 1:
        raise InputError(f"num_parts must be at least 1, got {num_parts}")
    labels = labels.to(device=faces.device, dtype=torch.long)
    if labels.shape[0] == faces.shape[0]:
        out = labels
    elif labels.shape[0] == num_vertices:
        out = face_labels_from_vertex_labels(labels, faces)
    else:
        raise ShapeError(
            f"part labels have length {labels.shape[0]}; expected F={faces.shape[0]} (per face) "
            f"or V={num_vertices} (per vertex)"
        )
    lo, hi = int(labels.min()), int(labels.max())
    if lo < -1 or hi >= num_parts:
        raise InputError(
            f"part labels range {lo}..{hi}; expected -1 (not rendered) or 0..{num_parts - 1}"
        )
    return out


def face_labels_from_vertex_labels(vertex_labels: Tensor, faces: Tensor) -> Tensor:
    """(V,) labels -> (F,): the label at least two corners share, else the first corner's."""
    lab = vertex_labels[faces]  # (F, 3)
    two_agree = lab[:, 1] == lab[:, 2]
    return torch.where(two_agree, lab[:, 1], lab[:, 0])


def project_vertices(verts_cam: Tensor, k: Tensor, znear: float) -> tuple[Tensor, Tensor]:
    """(B, V, 3), K (B, 3, 3) -> pixels (B, V, 2) and depth (B, V).

    Vertices closer than ``znear`` get a placeholder projection; faces touching them are culled.
    """
    z = verts_cam[..., 2]  # (B, V)
    z_safe = torch.where(z > znear, z, torch.ones_like(z))
    xy = verts_cam[..., :2] / z_safe[..., None]  # (B, V, 2) normalised image coordinates
    uv = torch.einsum("bij,bvj->bvi", k[:, :2, :2], xy) + k[:, None, :2, 2]  # (B, V, 2)
    return uv, z
