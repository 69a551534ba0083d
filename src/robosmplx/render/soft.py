"""Soft rasterizer: differentiable silhouettes and part-probability maps (SoftRas-style).

For a pixel centre p and a drawn face j, with d_j the distance (px) from p to the face's
projected triangle, the coverage is ``D_j = sigmoid(s_j)``, ``s_j = +-d_j^2 / sigma`` (+ inside).

- part shares (SoftRas's depth-aware aggregation): ``w_j = D_j exp(-z_j / gamma)``, z_j the
  face's depth at p (metres, barycentric, clamped to the face); part k gets
  ``sum_{j in k} w_j / sum_j w_j`` of the silhouette.
- silhouette ``S``, two choices (``silhouette=``):
  ``"contour"`` (default): ``sigmoid(+-m^2 / sigma)`` with m the distance from p to the nearest
  *open* edge (an edge of a drawn face whose neighbour is missing, not drawn or folded away,
  i.e. the projected outline) and + when some drawn face covers p. Independent of how finely
  the mesh is tessellated; edges of occluding contours inside the silhouette (an arm in front
  of the body) show a faint dip.
  ``"union"``: SoftRas's ``1 - prod_j (1 - D_j)``. With faces much smaller than the blur it
  grows outwards with mesh density; with faces much larger, it dips along inner edges.
- probabilities: channel 0 (background) ``1 - S``, channel k ``S * share_k``; they sum to 1.

``sigma`` (px^2) sets the blur width of edges; ``gamma`` (metres) how far behind the front
surface a face still shares the pixel. As both go to 0 the maps tend to the hard z-buffer
result. Faces further than ``sqrt(sigma ln((1 - eps) / eps))`` px from p are skipped (their
coverage is below ``eps``): with the pixel boxes of :mod:`robosmplx.render.pairs` that keeps
the work to a few faces per pixel.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from robosmplx.errors import InputError
from robosmplx.render.inputs import (
    ImageSize,
    check_face_labels,
    check_image_size,
    check_mesh,
    project_vertices,
)
from robosmplx.render.pairs import (
    DEFAULT_MAX_PAIRS,
    PairPlan,
    blur_radius,
    box_union,
    pixel_boxes,
)
from robosmplx.render.raster import DEFAULT_ZNEAR, screen_faces
from robosmplx.render.topology import face_neighbours, open_edges

DEFAULT_SIGMA = 0.1  # px^2: edges blurred over about +-1 px (SoftRas's 1e-4 NDC at 64 px)
DEFAULT_GAMMA = 0.05  # metres: a face 5 cm behind another weighs e^-1 as much
DEFAULT_EPS = 1e-4  # coverage below which a face is ignored at a pixel
SILHOUETTES = ("contour", "union")


def soft_silhouette(
    verts_cam: Tensor,
    faces: Tensor,
    K: Tensor,
    image_size: tuple[int, int],
    sigma: float = DEFAULT_SIGMA,
    *,
    silhouette: str = "contour",
    face_mask: Tensor | None = None,
    cull_backfaces: bool = True,
    znear: float = DEFAULT_ZNEAR,
    eps: float = DEFAULT_EPS,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> Tensor:
    """Soft silhouettes (B, H, W) in [0, 1] of (B, V, 3) camera-space meshes, (F, 3) faces.

    ``cull_backfaces`` (default) drops faces turned away from the camera: the same silhouette
    for closed meshes with consistent (counter-clockwise outward) winding, about half the work;
    turn it off for open or inconsistently wound meshes. ``face_mask`` (F,) bool: faces drawn.
    """
    verts_cam, faces, K = check_mesh(verts_cam, faces, K)
    size = check_image_size(image_size)
    _check_options(sigma, 1.0, eps, silhouette)
    if face_mask is not None and (
        face_mask.shape != faces.shape[:1] or face_mask.dtype != torch.bool
    ):
        raise InputError(f"face_mask must be a bool tensor of shape ({faces.shape[0]},)")
    if face_mask is not None:
        face_mask = face_mask.to(faces.device)
    touched, log_bg, _ = _soft_render(
        verts_cam, faces, K, size, face_mask, None, 0, sigma, 1.0, silhouette, cull_backfaces,
        znear, eps, max_pairs,
    )  # fmt: skip
    n_pix = verts_cam.shape[0] * size.num_pixels
    sil = log_bg.new_zeros(n_pix).index_put((touched,), -torch.expm1(log_bg))
    return sil.view(-1, size.height, size.width)


def soft_part_masks(
    verts_cam: Tensor,
    faces: Tensor,
    K: Tensor,
    image_size: tuple[int, int],
    face_labels: Tensor,
    num_parts: int,
    sigma: float = DEFAULT_SIGMA,
    gamma: float = DEFAULT_GAMMA,
    *,
    silhouette: str = "contour",
    cull_backfaces: bool = True,
    znear: float = DEFAULT_ZNEAR,
    eps: float = DEFAULT_EPS,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> Tensor:
    """Part probabilities (B, P+1, H, W): channel 0 background, 1..P the parts; they sum to 1.

    face_labels: (F,) per face or (V,) per vertex, values 0..P-1, -1 for faces not drawn.
    Matches :func:`robosmplx.render.raster.part_map` (0 background, k+1 for part k) in the
    sharp limit, so ``nll_loss(log(masks), part_map)`` is the projected-part-mask loss.
    """
    verts_cam, faces, K = check_mesh(verts_cam, faces, K)
    size = check_image_size(image_size)
    _check_options(sigma, gamma, eps, silhouette)
    labels = check_face_labels(face_labels, faces, verts_cam.shape[1], num_parts)
    touched, log_bg, parts = _soft_render(
        verts_cam, faces, K, size, labels >= 0, labels, num_parts, sigma, gamma, silhouette,
        cull_backfaces, znear, eps, max_pairs,
    )  # fmt: skip
    bg = torch.exp(log_bg)  # (T,)
    total = parts.sum(-1, keepdim=True)  # (T, 1)
    share = parts / torch.where(total > 0, total, torch.ones_like(total))
    rows = torch.cat((bg[:, None], (1.0 - bg)[:, None] * share), -1)  # (T, P+1)
    b = verts_cam.shape[0]
    probs = bg.new_zeros(b * size.num_pixels, num_parts + 1)
    probs[:, 0] = 1.0  # untouched pixels are background
    probs = probs.index_put((touched,), rows)  # (B*H*W, P+1)
    return probs.view(b, size.height, size.width, num_parts + 1).permute(0, 3, 1, 2).contiguous()


def _check_options(sigma: float, gamma: float, eps: float, silhouette: str) -> None:
    if not sigma > 0 or not gamma > 0:
        raise InputError(f"sigma and gamma must be positive, got sigma={sigma}, gamma={gamma}")
    if not 0 < eps < 0.5:
        raise InputError(f"eps must be in (0, 0.5), got {eps}")
    if silhouette not in SILHOUETTES:
        raise InputError(f"silhouette must be one of {SILHOUETTES}, got {silhouette!r}")


def _soft_render(
    verts_cam: Tensor,
    faces: Tensor,
    K: Tensor,
    size: ImageSize,
    face_mask: Tensor | None,
    labels: Tensor | None,
    num_parts: int,
    sigma: float,
    gamma: float,
    silhouette: str,
    cull_backfaces: bool,
    znear: float,
    eps: float,
    max_pairs: int,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """For the T pixels within reach of some face: flat indices (T,) into B*H*W, log of the
    background probability (T,) and, with labels, per-part sums of ``w_j`` (T, P) times one
    positive per-pixel factor (only their ratios are used)."""
    b = verts_cam.shape[0]
    uv, z = project_vertices(verts_cam, K, znear)
    sf = screen_faces(uv, z, faces, znear, face_mask, cull_backfaces)
    corners, depth = sf.gather(uv, z, faces)  # (N, 3, 2), (N, 3) with gradients
    table = _face_table(corners, depth - sf.depth.min() if sf.depth.numel() else depth)
    if silhouette == "contour":
        opened = open_edges(face_neighbours(faces), sf.orientation, sf.batch, sf.face, len(faces))
    else:
        opened = torch.zeros_like(sf.corners[..., 0], dtype=torch.bool)  # unused
    boxes = pixel_boxes(sf.corners, blur_radius(sigma, eps), size)
    plan = PairPlan(boxes, max_pairs)
    touched_mask = box_union(boxes, sf.batch, b, size)  # (B*H*W,)
    touched = touched_mask.nonzero().squeeze(1)  # (T,)
    slot = torch.cumsum(touched_mask, 0) - 1  # (B*H*W,) index among the touched pixels
    n_t = touched.numel()
    s_cut = math.log(eps / (1.0 - eps))  # s below this: coverage below eps
    far2 = -s_cut * sigma * 4.0  # squared distance standing for "no outline within reach"
    log_bg = uv.new_zeros(n_t)  # "union": sum_j log(1 - D_j)
    outline2 = uv.new_full((n_t,), far2)  # "contour": squared distance to the outline
    covered = uv.new_zeros(n_t)  # "contour": 1 where a drawn face covers the pixel centre
    parts = uv.new_zeros(n_t, num_parts) if labels is not None else None
    scale = uv.new_full((n_t,), float("-inf"))  # per-pixel log-factor of ``parts``
    earlier = False  # a chunk has added to ``parts`` (a Python flag: no device sync per chunk)
    for chunk in plan:
        args = (*table, opened, chunk.face, chunk.x, chunk.y, sigma, s_cut, far2)
        if len(plan) > 1:  # recompute in backward: memory stays one chunk's worth
            s, zrel, open2, inside, keep = checkpoint(_pair_terms, *args, use_reentrant=False)
        else:
            s, zrel, open2, inside, keep = _pair_terms(*args)
        f = chunk.face.index_select(0, keep)
        x, y = chunk.x.index_select(0, keep), chunk.y.index_select(0, keep)
        flat = (sf.batch.index_select(0, f) * size.height + y) * size.width + x
        pix = slot.index_select(0, flat)  # (n,)
        if silhouette == "union":
            log_bg = log_bg.index_add(0, pix, F.logsigmoid(-s))
        else:
            outline2 = outline2.scatter_reduce(0, pix, open2, "amin")
            covered = covered.scatter_reduce(0, pix, inside.to(covered.dtype), "amax")
        if parts is None:
            continue
        logw = F.logsigmoid(s) - zrel / gamma  # (n,)
        new_scale = scale.scatter_reduce(0, pix, logw.detach(), "amax")
        if earlier:  # bring earlier chunks to the new scale (pixels they missed stay 0)
            seen = torch.isfinite(new_scale)
            rescale = torch.exp(torch.where(seen, scale - new_scale, new_scale.new_zeros(())))
            parts = parts * rescale[:, None]
        w = torch.exp(logw - new_scale.index_select(0, pix))
        part_slot = pix * num_parts + labels.index_select(0, sf.face.index_select(0, f))
        parts = parts.view(-1).index_add(0, part_slot, w).view(n_t, num_parts)
        scale, earlier = new_scale, True
    if silhouette == "contour":
        s_sil = torch.where(covered > 0, outline2, -outline2) / sigma  # (T,)
        log_bg = F.logsigmoid(-s_sil)
    return touched, log_bg, parts


def _face_table(corners: Tensor, depth: Tensor) -> tuple[Tensor, Tensor]:
    """Per-face quantities every pair reuses, packed as (N, 6, 3) so that one ``index_select``
    (and one ``index_add`` in backward) serves them all: corner x, y, edge x, y (corner i+1
    minus corner i), 1 / |edge|^2 and corner depth. Also twice the signed area (N,)."""
    edges = corners.roll(-1, dims=1) - corners  # (N, 3, 2)
    cx, cy = corners[..., 0], corners[..., 1]
    ex, ey = edges[..., 0], edges[..., 1]
    inv_len2 = 1.0 / (ex * ex + ey * ey).clamp_min(1e-12)
    area2 = ex[:, 0] * (cy[:, 2] - cy[:, 0]) - ey[:, 0] * (cx[:, 2] - cx[:, 0])  # (N,)
    return torch.stack((cx, cy, ex, ey, inv_len2, depth), 1), area2


def _pair_terms(
    table: Tensor,
    area2: Tensor,
    opened: Tensor,
    face: Tensor,
    x: Tensor,
    y: Tensor,
    sigma: float,
    s_cut: float,
    far2: float,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Per pair (face, pixel x, y), (m,) each, for the n pairs kept (coverage >= eps):
    s (n,) signed squared distance / sigma, depth (n,) at the pixel (barycentric, clamped to the
    face), squared distance (n,) to the face's open edges (``far2`` if none), inside (n,) bool,
    and keep (n,) the kept pairs' indices."""
    cx, cy, ex, ey, inv_len2, depth = table.index_select(0, face).unbind(1)  # (m, 3) each
    px = x.to(ex.dtype)[:, None] - cx  # (m, 3) pixel relative to each corner
    py = y.to(ex.dtype)[:, None] - cy
    t = ((ex * px + ey * py) * inv_len2).clamp(0.0, 1.0)  # (m, 3) nearest point on each edge
    dx = px - t * ex
    dy = py - t * ey
    e2 = dx * dx + dy * dy  # (m, 3) squared distance to each edge
    d2 = e2.amin(-1)  # (m,) to the triangle's boundary
    cross = ex * py - ey * px  # (m, 3) edge functions
    a2 = area2.index_select(0, face)  # (m,)
    with torch.no_grad():
        inside = (cross * a2.sign()[:, None] >= 0).all(-1)
        keep = (torch.where(inside, d2, -d2) >= s_cut * sigma).nonzero().squeeze(1)  # (n,)
    e2, d2, inside, cross, a2, depth = (
        t.index_select(0, keep) for t in (e2, d2, inside, cross, a2, depth)
    )
    open_mask = opened.index_select(0, face.index_select(0, keep))  # (n, 3)
    open2 = torch.where(open_mask, e2, torch.full_like(e2, far2)).amin(-1).clamp_max(far2)
    s = torch.where(inside, d2, -d2) / sigma  # (n,)
    bary = (cross.roll(-1, dims=-1) / a2[:, None]).clamp_min(0.0)  # (n, 3)
    zpix = (bary * depth).sum(-1) / bary.sum(-1)
    return s, zpix, open2, inside, keep
