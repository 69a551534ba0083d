"""Lambert + ambient shading of hard-rasterized fragments, and mesh helpers for pictures."""

from __future__ import annotations

import colorsys

import torch
from torch import Tensor

from robosmplx.render.raster import Fragments

# direction towards the light in camera space: a head light raised a little above the camera
DEFAULT_LIGHT = (0.0, -0.35, -1.0)
DEFAULT_AMBIENT = 0.35
DEFAULT_DIFFUSE = 0.65


def vertex_normals(verts: Tensor, faces: Tensor) -> Tensor:
    """(B, V, 3) vertices, (F, 3) faces -> (B, V, 3) unit normals (area-weighted face sums)."""
    tri = verts[:, faces]  # (B, F, 3, 3)
    n = torch.linalg.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0])  # (B, F, 3)
    out = torch.zeros_like(verts)
    for k in range(3):
        out.index_add_(1, faces[:, k], n)
    return torch.nn.functional.normalize(out, dim=-1)


def shade(
    frags: Fragments,
    verts: Tensor,
    faces: Tensor,
    face_colors: Tensor,
    light: tuple[float, float, float] = DEFAULT_LIGHT,
    ambient: float = DEFAULT_AMBIENT,
    diffuse: float = DEFAULT_DIFFUSE,
) -> Tensor:
    """Shaded colours (B, H, W, 3) in [0, 1], zero on background.

    ``face_colors`` (F, 3) in [0, 1]; normals are interpolated from the vertices and lit from
    both sides (intensity ``ambient + diffuse |n . l|``), so the winding does not matter.
    """
    normals = vertex_normals(verts, faces)  # (B, V, 3)
    fidx = frags.face_idx.clamp_min(0)  # (B, H, W)
    corner = faces[fidx]  # (B, H, W, 3)
    b = torch.arange(verts.shape[0], device=verts.device)[:, None, None, None]
    n = (normals[b, corner] * frags.bary[..., None]).sum(-2)  # (B, H, W, 3)
    n = torch.nn.functional.normalize(n, dim=-1)
    l_dir = torch.nn.functional.normalize(
        torch.tensor(light, dtype=n.dtype, device=n.device), dim=0
    )
    intensity = ambient + diffuse * (n @ l_dir).abs()  # (B, H, W)
    rgb = face_colors.to(n.dtype)[fidx] * intensity[..., None]
    return torch.where(frags.mask[..., None], rgb.clamp(0.0, 1.0), torch.zeros_like(rgb))


def person_colors(n: int) -> list[tuple[float, float, float]]:
    """``n`` distinct, soft colours in [0, 1] for people in one picture (cycling after 8)."""
    base = [
        (0.65, 0.74, 0.86),
        (0.93, 0.72, 0.55),
        (0.60, 0.82, 0.64),
        (0.86, 0.64, 0.78),
        (0.95, 0.88, 0.55),
        (0.56, 0.81, 0.84),
        (0.80, 0.60, 0.55),
        (0.72, 0.70, 0.90),
    ]
    return [base[i % len(base)] for i in range(n)]


def part_palette(num_parts: int) -> Tensor:
    """(P, 3) distinct colours in [0, 1], hues spread by the golden ratio."""
    cols = []
    for k in range(num_parts):
        hue = (k * 0.618033988749895) % 1.0
        sat = 0.55 + 0.35 * ((k // 3) % 2)
        cols.append(colorsys.hsv_to_rgb(hue, sat, 0.95))
    return torch.tensor(cols, dtype=torch.float32)
