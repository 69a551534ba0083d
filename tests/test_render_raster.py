"""Hard rasterizer: exact agreement with a brute-force point-in-triangle z-buffer."""

import pytest
import torch

from robosmplx.render import part_map, rasterize
from robosmplx.render.inputs import project_vertices
from robosmplx.render.pairs import PairPlan, PixelBoxes

ZNEAR = 1e-2


def random_scene(batch, num_verts, num_faces, dtype, seed):
    """Random triangles in front of a camera; a few corners behind the near plane."""
    g = torch.Generator().manual_seed(seed)
    xy = (torch.rand(batch, num_verts, 2, generator=g, dtype=dtype) - 0.5) * 2.0
    z = 1.0 + 2.0 * torch.rand(batch, num_verts, 1, generator=g, dtype=dtype)
    verts = torch.cat((xy * z, z), -1)
    verts[:, 0, 2] = -0.5  # faces using vertex 0 cross the near plane: culled
    faces = torch.stack([torch.randperm(num_verts, generator=g)[:3] for _ in range(num_faces)])
    k = torch.tensor([[9.0, 0.0, 11.0], [0.0, 8.0, 8.5], [0.0, 0.0, 1.0]], dtype=dtype)
    k = k.expand(batch, 3, 3).clone()
    k[1, 0, 2] += 1.3
    return verts, faces, k


def brute_force(verts, faces, k, size):
    """Loop over faces, every pixel each: the face index and depth of the nearest cover."""
    h, w = size
    uv, z = project_vertices(verts, k, ZNEAR)
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=verts.dtype), torch.arange(w, dtype=verts.dtype), indexing="ij"
    )
    best_face = torch.full((verts.shape[0], h, w), -1, dtype=torch.long)
    best_depth = torch.full((verts.shape[0], h, w), float("inf"), dtype=verts.dtype)
    for b in range(verts.shape[0]):
        for fi, face in enumerate(faces.tolist()):
            c, d = uv[b, face], z[b, face]  # (3, 2), (3,)
            if bool((d <= ZNEAR).any()):
                continue
            e = c.roll(-1, 0) - c
            cross = torch.stack(
                [e[i, 0] * (ys - c[i, 1]) - e[i, 1] * (xs - c[i, 0]) for i in range(3)], -1
            )  # (H, W, 3)
            area = e[0, 0] * (c[2, 1] - c[0, 1]) - e[0, 1] * (c[2, 0] - c[0, 0])
            if area == 0:
                continue
            inside = (cross >= 0).all(-1) if area > 0 else (cross <= 0).all(-1)
            depth = 1.0 / (cross.roll(-1, -1) / area / d).sum(-1)
            closer = inside & (depth < best_depth[b])
            best_face[b][closer] = fi
            best_depth[b][closer] = depth[closer]
    return best_face, best_depth


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hard_matches_brute_force(dtype, seed):
    verts, faces, k = random_scene(2, 14, 24, dtype, seed)
    size = (17, 23)
    frags = rasterize(verts, faces, k, size)
    ref_face, ref_depth = brute_force(verts, faces, k, size)
    assert (ref_face >= 0).sum() > 50  # the scene covers a good part of the image
    assert torch.equal(frags.face_idx, ref_face)
    mask = ref_face >= 0
    assert torch.equal(frags.depth[mask], ref_depth[mask])
    assert (frags.depth[~mask] == 0).all() and (frags.bary[~mask] == 0).all()
    # barycentrics: on the face, summing to 1, reproducing the depth
    bary = frags.bary[mask]
    assert (bary >= -1e-5).all()
    assert torch.allclose(bary.sum(-1), torch.ones_like(bary[:, 0]), atol=1e-5)
    bidx = torch.arange(2)[:, None, None].expand_as(ref_face)[mask]
    corner_z = verts[bidx[:, None], faces[ref_face[mask]], 2]  # (n, 3)
    assert torch.allclose((bary * corner_z).sum(-1), ref_depth[mask], rtol=1e-4)


def test_chunked_and_banded_pairs_give_the_same_image():
    verts, faces, k = random_scene(2, 14, 24, torch.float64, 5)
    size = (17, 23)
    full = rasterize(verts, faces, k, size)
    tiny = rasterize(verts, faces, k, size, max_pairs=7)  # many chunks, tall boxes in bands
    assert torch.equal(full.face_idx, tiny.face_idx)
    assert torch.equal(full.depth, tiny.depth)


def test_pair_plan_enumerates_every_box_pixel_once():
    boxes = PixelBoxes(
        x0=torch.tensor([0, 3, 5, 2]),
        y0=torch.tensor([1, 0, 4, 2]),
        w=torch.tensor([2, 0, 3, 1]),
        h=torch.tensor([3, 2, 1, 5]),
    )
    for max_pairs in (1, 2, 5, 1000):
        got = sorted(
            (int(f), int(x), int(y))
            for c in PairPlan(boxes, max_pairs)
            for f, x, y in zip(c.face, c.x, c.y, strict=True)
        )
        want = sorted(
            (f, x, y)
            for f in range(4)
            for x in range(int(boxes.x0[f]), int(boxes.x0[f] + boxes.w[f]))
            for y in range(int(boxes.y0[f]), int(boxes.y0[f] + boxes.h[f]))
        )
        assert got == want


def test_known_square_and_occlusion():
    # a 1 m square at 2 m (part 0) half hidden by a smaller square at 1.5 m (part 1)
    sq = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    near = torch.cat((sq * 0.3 + torch.tensor([0.2, 0.0]), torch.full((4, 1), 1.5)), 1)
    far = torch.cat((sq, torch.full((4, 1), 2.0)), 1)
    verts = torch.cat((far, near))[None]
    faces = torch.tensor([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    k = torch.tensor([[20.0, 0.0, 15.5], [0.0, 20.0, 15.5], [0.0, 0.0, 1.0]])
    pm = part_map(verts, faces, k, (32, 32), torch.tensor([0, 0, 1, 1]), 2)
    # far square: x, y in 15.5 +- 5 px -> centres 11..20; near: x in 16.2..20.2, y in 13.5..17.5
    want = torch.zeros(32, 32, dtype=torch.long)
    want[11:21, 11:21] = 1
    want[14:18, 17:21] = 2
    assert torch.equal(pm[0], want)
    # labels -1: not drawn at all (the far square shows through)
    pm2 = part_map(verts, faces, k, (32, 32), torch.tensor([0, 0, -1, -1]), 2)
    assert (pm2 == 1).sum() == 100 and (pm2 == 2).sum() == 0
    # per-vertex labels give the same map
    pm3 = part_map(verts, faces, k, (32, 32), torch.tensor([0] * 4 + [1] * 4), 2)
    assert torch.equal(pm3, pm)


def test_backface_culling_and_gradients():
    verts = torch.tensor([[[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]]])
    k = torch.tensor([[20.0, 0.0, 7.5], [0.0, 20.0, 7.5], [0.0, 0.0, 1.0]])
    towards = torch.tensor([[0, 2, 1]])  # counter-clockwise seen from the camera (outward)
    away = torch.tensor([[0, 1, 2]])
    assert rasterize(verts, towards, k, (16, 16), cull_backfaces=True).mask.any()
    assert not rasterize(verts, away, k, (16, 16), cull_backfaces=True).mask.any()
    assert (
        rasterize(verts, away, k, (16, 16)).mask.sum()
        == rasterize(verts, towards, k, (16, 16)).mask.sum()
    )
    v = verts.clone().requires_grad_(True)
    frags = rasterize(v, towards, k, (16, 16))
    frags.depth.sum().backward()
    assert v.grad[..., 2].sum() > 0 and torch.isfinite(v.grad).all()


def test_mesh_outside_the_view_renders_nothing():
    verts = torch.tensor([[[5.0, 5.0, 2.0], [6.0, 5.0, 2.0], [5.0, 6.0, 2.0]]])
    k = torch.tensor([[20.0, 0.0, 7.5], [0.0, 20.0, 7.5], [0.0, 0.0, 1.0]])
    frags = rasterize(verts, torch.tensor([[0, 1, 2]]), k, (16, 16))
    assert not frags.mask.any()
