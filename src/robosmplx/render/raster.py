"""Hard rasterizer (z-buffer): per pixel the nearest face, its barycentrics and depth.

A pixel centre is covered by a face when it lies inside or on the face's projected triangle
(edge functions all of the face's orientation sign, either winding); among covering faces the
smallest perspective-correct depth wins, ties going to the lower face index. Faces with a corner
closer than ``znear`` and degenerate (zero-area) faces are skipped. Face selection runs without
gradients; barycentrics and depth of the winners are then recomputed with gradients, so they are
differentiable w.r.t. the vertices (piecewise, for a fixed visibility).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from robosmplx.errors import ShapeError
from robosmplx.render.inputs import (
    ImageSize,
    check_face_labels,
    check_image_size,
    check_mesh,
    project_vertices,
)
from robosmplx.render.pairs import DEFAULT_MAX_PAIRS, PairPlan, pixel_boxes

DEFAULT_ZNEAR = 1e-2


@dataclass
class Fragments:
    """Hard rasterization result for a batch of B images of H x W pixels.

    face_idx: (B, H, W) long, index into ``faces``, -1 on background.
    bary: (B, H, W, 3) perspective-correct barycentrics of the face's corners (0 on background).
    depth: (B, H, W) camera-space z of the visible surface (0 on background).
    """

    face_idx: Tensor
    bary: Tensor
    depth: Tensor

    @property
    def mask(self) -> Tensor:
        """(B, H, W) bool, True where some face is visible."""
        return self.face_idx >= 0


@dataclass(frozen=True)
class ScreenFaces:
    """Faces kept for rendering, flattened over the batch (N of them), without gradients.

    batch, face: (N,) long image and face index; corners: (N, 3, 2) pixels; edges: (N, 3, 2)
    corner i+1 minus corner i; area2: (N,) twice the signed screen area; depth: (N, 3) corner z.
    orientation: (B*F,) int8 over all faces, the sign of the screen area where kept, else 0.
    """

    batch: Tensor
    face: Tensor
    corners: Tensor
    edges: Tensor
    area2: Tensor
    depth: Tensor
    orientation: Tensor

    def gather(self, uv: Tensor, z: Tensor, faces: Tensor) -> tuple[Tensor, Tensor]:
        """The kept faces' corners (N, 3, 2) and corner depths (N, 3), with gradients."""
        idx = faces[self.face]  # (N, 3)
        b = self.batch[:, None]
        return uv[b, idx], z[b, idx]


def screen_faces(
    uv: Tensor,
    z: Tensor,
    faces: Tensor,
    znear: float,
    face_mask: Tensor | None = None,
    cull_backfaces: bool = False,
) -> ScreenFaces:
    """Project-and-cull: (B, V, 2) pixels, (B, V) depth, (F, 3) faces -> :class:`ScreenFaces`.

    Keeps faces entirely beyond ``znear``, of non-zero area, in ``face_mask`` (F,) bool if given,
    and with ``cull_backfaces`` only those facing the camera (outward normals by the usual
    counter-clockwise winding, which appear clockwise on screen with y down).
    """
    b, f = uv.shape[0], faces.shape[0]
    with torch.no_grad():
        tri = uv[:, faces]  # (B, F, 3, 2)
        zf = z[:, faces]  # (B, F, 3)
        area2 = _area2(tri)  # (B, F)
        keep = (zf > znear).all(-1) & (area2 != 0) & torch.isfinite(area2)
        if face_mask is not None:
            keep &= face_mask[None]
        if cull_backfaces:
            keep &= area2 < 0
        flat = keep.reshape(-1).nonzero().squeeze(1)  # (N,)
        batch = torch.div(flat, f, rounding_mode="floor")
        face = flat - batch * f
        corners = tri.reshape(b * f, 3, 2)[flat]  # (N, 3, 2)
        edges = corners.roll(-1, dims=1) - corners  # (N, 3, 2)
        orientation = (torch.sign(area2) * keep).to(torch.int8).reshape(-1)  # (B*F,)
        return ScreenFaces(
            batch,
            face,
            corners,
            edges,
            area2.reshape(-1)[flat],
            zf.reshape(b * f, 3)[flat],
            orientation,
        )


def _area2(tri: Tensor) -> Tensor:
    """(..., 3, 2) -> (...,) twice the signed area, the edge function of edge 0 at corner 2."""
    e0 = tri[..., 1, :] - tri[..., 0, :]
    d = tri[..., 2, :] - tri[..., 0, :]
    return e0[..., 0] * d[..., 1] - e0[..., 1] * d[..., 0]


def edge_functions(corners: Tensor, edges: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """(n, 3, 2) corners and edges, pixel centres x, y (n,) -> (n, 3) edge functions.

    Entry i is ``edge_i x (p - corner_i)``: zero on edge i, and equal to twice the signed area
    times the barycentric of the corner opposite edge i (corner i + 2).
    """
    px = x[:, None] - corners[..., 0]  # (n, 3)
    py = y[:, None] - corners[..., 1]  # (n, 3)
    return edges[..., 0] * py - edges[..., 1] * px


def inside_and_depth(cross: Tensor, area2: Tensor, depth: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Coverage test and perspective-correct interpolation for pairs.

    cross (n, 3) edge functions, area2 (n,), depth (n, 3) corner z -> inside (n,) bool,
    barycentrics (n, 3), depth at the pixel (n,).
    """
    pos = (cross >= 0).all(-1)
    neg = (cross <= 0).all(-1)
    inside = torch.where(area2 > 0, pos, neg)
    screen = cross.roll(-1, dims=-1) / area2[:, None]  # (n, 3) screen-space barycentrics
    q = screen / depth  # (n, 3)
    z = 1.0 / q.sum(-1)  # (n,)
    return inside, q * z[:, None], z


def rasterize(
    verts_cam: Tensor,
    faces: Tensor,
    K: Tensor,
    image_size: tuple[int, int],
    *,
    face_mask: Tensor | None = None,
    cull_backfaces: bool = False,
    znear: float = DEFAULT_ZNEAR,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> Fragments:
    """Z-buffer rasterization of (B, V, 3) camera-space meshes sharing (F, 3) faces.

    K: (B, 3, 3) or (3, 3) intrinsics; image_size: (H, W); face_mask: optional (F,) bool of the
    faces to draw. Returns :class:`Fragments`; see the module docstring for the exact rule.
    """
    verts_cam, faces, K = check_mesh(verts_cam, faces, K)
    size = check_image_size(image_size)
    if face_mask is not None:
        face_mask = _check_face_mask(face_mask, faces)
    uv, z = project_vertices(verts_cam, K, znear)
    sf = screen_faces(uv, z, faces, znear, face_mask, cull_backfaces)
    winner = _visible_faces(sf, verts_cam.shape[0], size, max_pairs)  # (B*H*W,) into sf, or -1
    return _fragments(uv, z, faces, sf, winner, verts_cam.shape[0], size)


def _check_face_mask(face_mask: Tensor, faces: Tensor) -> Tensor:
    if face_mask.shape != (faces.shape[0],) or face_mask.dtype != torch.bool:
        raise ShapeError(
            f"face_mask: got {face_mask.dtype} shape {tuple(face_mask.shape)}, expected bool "
            f"({faces.shape[0]},)"
        )
    return face_mask.to(faces.device)


@torch.no_grad()
def _visible_faces(sf: ScreenFaces, batch: int, size: ImageSize, max_pairs: int) -> Tensor:
    """Index into ``sf`` of the visible face per pixel, (B*H*W,) long, -1 on background."""
    n_pix = batch * size.num_pixels
    dev, dtype = sf.corners.device, sf.corners.dtype
    zbuf = torch.full((n_pix,), float("inf"), device=dev, dtype=dtype)
    plan = PairPlan(pixel_boxes(sf.corners, 0.0, size), max_pairs)

    def covered(chunk):
        f = chunk.face
        cross = edge_functions(sf.corners[f], sf.edges[f], chunk.x.to(dtype), chunk.y.to(dtype))
        inside, _, zpix = inside_and_depth(cross, sf.area2[f], sf.depth[f])
        pix = (sf.batch[f] * size.height + chunk.y) * size.width + chunk.x
        return f[inside], pix[inside], zpix[inside]

    for chunk in plan:
        _, pix, zpix = covered(chunk)
        zbuf.scatter_reduce_(0, pix, zpix, "amin")
    winner = torch.full((n_pix,), sf.face.numel(), device=dev, dtype=torch.long)
    for chunk in plan:
        f, pix, zpix = covered(chunk)
        front = zpix == zbuf[pix]
        winner.scatter_reduce_(0, pix[front], f[front], "amin")
    winner[winner == sf.face.numel()] = -1
    return winner


def _fragments(
    uv: Tensor,
    z: Tensor,
    faces: Tensor,
    sf: ScreenFaces,
    winner: Tensor,
    batch: int,
    size: ImageSize,
) -> Fragments:
    """Recompute barycentrics and depth of the winning faces with gradients."""
    n_pix = batch * size.num_pixels
    pix = (winner >= 0).nonzero().squeeze(1)  # (n,)
    w = winner[pix]
    b, f = sf.batch[w], sf.face[w]
    corner_idx = faces[f]  # (n, 3)
    corners = uv[b[:, None], corner_idx]  # (n, 3, 2) with gradients
    depth = z[b[:, None], corner_idx]  # (n, 3)
    rem = pix - b * size.num_pixels
    y = torch.div(rem, size.width, rounding_mode="floor")
    x = rem - y * size.width
    edges = corners.roll(-1, dims=1) - corners
    cross = edge_functions(corners, edges, x.to(uv.dtype), y.to(uv.dtype))
    _, bary_w, z_w = inside_and_depth(cross, _area2(corners), depth)
    bary = uv.new_zeros(n_pix, 3).index_put((pix,), bary_w)
    zmap = uv.new_zeros(n_pix).index_put((pix,), z_w)
    face_idx = torch.full((n_pix,), -1, device=uv.device, dtype=torch.long)
    face_idx[pix] = f
    h, wd = size.height, size.width
    return Fragments(
        face_idx.view(batch, h, wd), bary.view(batch, h, wd, 3), zmap.view(batch, h, wd)
    )


def part_map(
    verts_cam: Tensor,
    faces: Tensor,
    K: Tensor,
    image_size: tuple[int, int],
    face_labels: Tensor,
    num_parts: int,
    *,
    znear: float = DEFAULT_ZNEAR,
) -> Tensor:
    """Hard part map (B, H, W) long: 0 background, 1..P the visible face's label + 1.

    face_labels: (F,) per face or (V,) per vertex in -1..P-1; faces labelled -1 are not drawn
    (they neither show nor hide anything).
    """
    verts_cam, faces, K = check_mesh(verts_cam, faces, K)
    labels = check_face_labels(face_labels, faces, verts_cam.shape[1], num_parts)
    frags = rasterize(verts_cam, faces, K, image_size, face_mask=labels >= 0, znear=znear)
    out = labels[frags.face_idx.clamp_min(0)] + 1
    return torch.where(frags.mask, out, torch.zeros_like(out))
