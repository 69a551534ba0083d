"""Binning: which pixels each face can touch, as flat (face, pixel) pair lists in bounded chunks.

Every renderer here works on pairs instead of the full pixels x faces product: a face visits only
the pixel centres inside its screen bounding box grown by a margin (the soft blur radius, or 0
for the hard rasterizer). The pairs are produced with one ``repeat_interleave`` per chunk
(a vectorised scanline over each face's box), and a chunk holds at most ``2 * max_pairs`` pairs
so memory stays bounded however large the image or the faces are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from robosmplx.render.inputs import ImageSize

DEFAULT_MAX_PAIRS = 1 << 21


@dataclass(frozen=True)
class PixelBoxes:
    """Per-face pixel boxes: columns ``x0 .. x0 + w - 1`` and rows ``y0 .. y0 + h - 1``, (N,)."""

    x0: Tensor
    y0: Tensor
    w: Tensor
    h: Tensor


@dataclass(frozen=True)
class PairChunk:
    """A chunk of (face, pixel) pairs: ``face`` indexes the renderer's face list, (n,) each."""

    face: Tensor
    x: Tensor
    y: Tensor


def pixel_boxes(uv_faces: Tensor, margin: float, size: ImageSize) -> PixelBoxes:
    """(N, 3, 2) face corners in pixels -> the pixel centres within ``margin`` of their box.

    Boxes are clipped to the image; a face outside the image gets an empty box (w or h 0).
    """
    lo = uv_faces.amin(1) - margin  # (N, 2)
    hi = uv_faces.amax(1) + margin  # (N, 2)
    limit = torch.tensor([size.width - 1, size.height - 1], device=lo.device)
    # clamp before the integer conversion so huge coordinates cannot overflow
    lo = torch.ceil(torch.minimum(lo.clamp_min(-1.0), limit + 1.0)).long().clamp_min(0)
    hi = torch.minimum(torch.floor(torch.minimum(hi.clamp_min(-1.0), limit + 1.0)).long(), limit)
    span = (hi - lo + 1).clamp_min(0)  # (N, 2)
    return PixelBoxes(lo[:, 0], lo[:, 1], span[:, 0], span[:, 1])


class PairPlan:
    """Every (face, x, y) with (x, y) in the face's box, as chunks of <= 2 * max_pairs pairs.

    ``len(plan)`` is the number of chunks; iterating yields :class:`PairChunk`. A face whose box
    alone exceeds ``max_pairs`` is split into bands of rows first.
    """

    def __init__(self, boxes: PixelBoxes, max_pairs: int = DEFAULT_MAX_PAIRS):
        device = boxes.w.device
        w, h = boxes.w, boxes.h
        face = ((w > 0) & (h > 0)).nonzero().squeeze(1)  # (N',)
        w, h, x0, y0 = w[face], h[face], boxes.x0[face], boxes.y0[face]
        rows = (max_pairs // w.clamp_min(1)).clamp_min(1)  # rows per band, (N',)
        bands = (h + rows - 1) // rows  # (N',)
        if bool((bands > 1).any()):
            item = torch.repeat_interleave(torch.arange(face.numel(), device=device), bands)
            band = (
                torch.arange(item.numel(), device=device) - (torch.cumsum(bands, 0) - bands)[item]
            )
            y0 = y0[item] + band * rows[item]
            h = torch.minimum(rows[item], h[item] - band * rows[item])
            face, w, x0 = face[item], w[item], x0[item]
        count = w * h  # (M,) pairs per item
        chunk_of = (torch.cumsum(count, 0) - count) // max_pairs  # (M,)
        _, items = torch.unique_consecutive(chunk_of, return_counts=True)
        totals = torch.zeros(items.numel(), dtype=count.dtype, device=device)
        totals.index_add_(
            0, torch.repeat_interleave(torch.arange(items.numel(), device=device), items), count
        )
        self._items = items.tolist()
        self._totals = totals.tolist()
        self._table = (face, x0, y0, w, count)
        self.num_pairs = int(sum(self._totals))

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[PairChunk]:
        face, x0, y0, w, count = self._table
        device = count.device
        lo = 0
        for n_items, total in zip(self._items, self._totals, strict=True):
            sl = slice(lo, lo + n_items)
            lo += n_items
            c = count[sl]
            item = torch.repeat_interleave(
                torch.arange(n_items, device=device), c, output_size=total
            )  # (n,) item of each pair
            # per item: first pair index, face, x0, y0, width -> per pair
            per_item = torch.stack((torch.cumsum(c, 0) - c, face[sl], x0[sl], y0[sl], w[sl]), 1)
            first, f, xs, ys, wi = per_item.index_select(0, item).unbind(1)
            offset = torch.arange(total, device=device) - first
            row = torch.div(offset, wi, rounding_mode="floor")
            yield PairChunk(f, xs + offset - row * wi, ys + row)


def box_union(boxes: PixelBoxes, image: Tensor, batch: int, size: ImageSize) -> Tensor:
    """(B*H*W,) bool: pixels inside at least one face's box; ``image`` (N,) says whose box.

    Summed-area trick: +1/-1 at the four box corners of a (B, H+1, W+1) grid, then two cumsums.
    """
    h1, w1 = size.height + 1, size.width + 1
    grid = torch.zeros(batch * h1 * w1, dtype=torch.int32, device=image.device)
    full = (boxes.w > 0) & (boxes.h > 0)
    b, x0, y0 = image[full], boxes.x0[full], boxes.y0[full]
    x1, y1 = x0 + boxes.w[full], y0 + boxes.h[full]
    ones = torch.ones_like(b, dtype=torch.int32)
    for ys, xs, sign in ((y0, x0, 1), (y0, x1, -1), (y1, x0, -1), (y1, x1, 1)):
        grid.index_add_(0, (b * h1 + ys) * w1 + xs, ones * sign)
    grid = grid.view(batch, h1, w1).cumsum(1).cumsum(2)[:, : size.height, : size.width]
    return (grid > 0).reshape(-1)


def blur_radius(sigma: float, eps: float) -> float:
    """Distance (px) beyond which ``sigmoid(-d^2 / sigma) < eps``: the soft renderer's margin."""
    return math.sqrt(sigma * math.log((1.0 - eps) / eps))
