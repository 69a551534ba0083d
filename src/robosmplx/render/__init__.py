"""Rendering: a differentiable soft rasterizer (part masks, silhouettes) for the losses, a hard
z-buffer rasterizer for ground-truth part maps, and shaded pictures (overlay, side view, parts).

All in PyTorch, on any device, batched; conventions in docs/contracts.md, method in
docs/render.md.
"""

from robosmplx.render.inputs import face_labels_from_vertex_labels
from robosmplx.render.pictures import render_overlay, render_part_colors, render_side_view
from robosmplx.render.raster import Fragments, part_map, rasterize
from robosmplx.render.shading import part_palette, shade, vertex_normals
from robosmplx.render.soft import (
    DEFAULT_GAMMA,
    DEFAULT_SIGMA,
    soft_part_masks,
    soft_silhouette,
)

__all__ = [
    "DEFAULT_GAMMA",
    "DEFAULT_SIGMA",
    "Fragments",
    "face_labels_from_vertex_labels",
    "part_map",
    "part_palette",
    "rasterize",
    "render_overlay",
    "render_part_colors",
    "render_side_view",
    "shade",
    "soft_part_masks",
    "soft_silhouette",
    "vertex_normals",
]
