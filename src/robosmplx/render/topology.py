"""Mesh adjacency for the soft renderer: which face lies across each edge, and which edges of the
drawn faces are open (on the projected outline of the drawn surface)."""

from __future__ import annotations

import torch
from torch import Tensor

_CACHE: list[tuple[Tensor, Tensor]] = []
_CACHE_SIZE = 4


def face_neighbours(faces: Tensor) -> Tensor:
    """(F, 3) faces -> (F, 3) long: the face across edge k (corner k to k+1), -1 when the edge
    borders no other face or more than one (non-manifold). Cached for the last few topologies."""
    for key, value in _CACHE:
        if key.shape == faces.shape and key.device == faces.device and torch.equal(key, faces):
            return value
    f = faces.shape[0]
    a = faces  # (F, 3)
    b = faces.roll(-1, dims=1)
    lo, hi = torch.minimum(a, b).reshape(-1), torch.maximum(a, b).reshape(-1)  # (3F,)
    key = lo * (int(faces.max()) + 1) + hi
    order = torch.argsort(key)
    sk = key[order]
    same = sk[1:] == sk[:-1]  # (3F-1,) entry i pairs sorted i with i+1
    before = torch.cat((same.new_zeros(1), same[:-1]))
    after = torch.cat((same[1:], same.new_zeros(1)))
    pair = (same & ~before & ~after).nonzero().squeeze(1)  # runs of exactly two
    first, second = order[pair], order[pair + 1]  # flat (face * 3 + edge) slots
    out = torch.full((3 * f,), -1, dtype=torch.long, device=faces.device)
    out[first] = torch.div(second, 3, rounding_mode="floor")
    out[second] = torch.div(first, 3, rounding_mode="floor")
    out = out.view(f, 3)
    _CACHE.insert(0, (faces.clone(), out))
    del _CACHE[_CACHE_SIZE:]
    return out


def open_edges(
    neighbours: Tensor, orientation: Tensor, batch: Tensor, face: Tensor, num_faces: int
) -> Tensor:
    """(N, 3) bool for the drawn faces (image ``batch`` (N,), index ``face`` (N,)): True where
    the face across the edge is missing, not drawn, or turned the other way on screen (a fold
    of the surface). The outline of the drawn surface in the image lies on open edges only.

    orientation: (B*F,) int8, sign of each face's screen area where drawn, 0 where not.
    """
    nb = neighbours[face]  # (N, 3)
    own = orientation[batch * num_faces + face]  # (N,)
    other = orientation[(batch[:, None] * num_faces + nb.clamp_min(0))]  # (N, 3)
    return (nb < 0) | (other != own[:, None])
