"""Soft rasterizer: sharp limit, gradients (gradcheck), chunking, and fitting a mesh to a mask."""

import pytest
import torch

from robosmplx.render import part_map, rasterize, soft_part_masks, soft_silhouette

K32 = torch.tensor([[20.0, 0.0, 15.5], [0.0, 20.0, 15.5], [0.0, 0.0, 1.0]])


def box_mesh(half=(0.3, 0.3, 0.3)):
    """Closed box, 8 vertices, 12 outward counter-clockwise faces; labels: side's axis (0..2)."""
    h = torch.tensor(half)
    verts, faces, labels = [], [], []
    for axis in range(3):
        for sign in (1.0, -1.0):
            n = torch.zeros(3)
            n[axis] = sign
            u = torch.zeros(3)
            u[(axis + 1) % 3] = 1.0
            v = torch.linalg.cross(n, u)
            base = len(verts)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                verts.append((n + a * u + b * v) * h)
            faces += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
            labels += [axis, axis]
    verts, index = torch.unique(torch.stack(verts), dim=0, return_inverse=True)  # weld corners
    return verts, index[torch.tensor(faces)], torch.tensor(labels)


def quads_scene():
    """Three overlapping fronto-parallel squares at 2.0, 2.5, 3.0 m, one part each."""
    sq = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    verts, faces = [], []
    for i, (dx, dy, z, s) in enumerate(
        ((0.0, 0.0, 3.0, 1.2), (0.3, 0.2, 2.5, 0.7), (-0.2, 0.1, 2.0, 0.4))
    ):
        verts.append(torch.cat((sq * s + torch.tensor([dx, dy]), torch.full((4, 1), z)), 1))
        faces += [[4 * i, 4 * i + 1, 4 * i + 2], [4 * i, 4 * i + 2, 4 * i + 3]]
    return torch.cat(verts)[None], torch.tensor(faces), torch.tensor([0, 0, 1, 1, 2, 2])


def iou(a, b):
    return ((a & b).sum() / (a | b).sum()).item()


def test_probabilities_are_normalised_and_match_the_silhouette():
    verts, faces, labels = quads_scene()
    probs = soft_part_masks(verts, faces, K32, (32, 32), labels, 3, cull_backfaces=False)
    assert probs.shape == (1, 4, 32, 32)
    assert (probs >= 0).all() and (probs <= 1).all()
    assert torch.allclose(probs.sum(1), torch.ones(1, 32, 32), atol=1e-5)
    sil = soft_silhouette(verts, faces, K32, (32, 32), cull_backfaces=False)
    assert torch.allclose(sil, 1.0 - probs[:, 0], atol=1e-6)
    assert probs[0, 0, 0, 0] == 1.0  # far from every face: background


@pytest.mark.parametrize("silhouette", ["contour", "union"])
def test_soft_converges_to_hard_as_sharpness_grows(silhouette):
    verts, faces, labels = quads_scene()
    hard = part_map(verts, faces, K32, (32, 32), labels, 3)
    hard_mask = rasterize(verts, faces, K32, (32, 32)).mask
    scores = []
    opts = dict(silhouette=silhouette, cull_backfaces=False)
    for sigma, gamma in ((2.0, 0.5), (0.3, 0.05), (1e-2, 1e-3), (1e-5, 1e-6)):
        probs = soft_part_masks(verts, faces, K32, (32, 32), labels, 3, sigma, gamma, **opts)
        soft = probs.argmax(1)
        scores.append(min(iou(soft == p, hard == p) for p in range(1, 4)))
        sil = soft_silhouette(verts, faces, K32, (32, 32), sigma, **opts)
        sil_iou = iou(sil > 0.5, hard_mask)
    assert scores == sorted(scores)
    assert scores[-1] >= 0.99 and sil_iou >= 0.99


def grid_square(n, half=0.5, z=2.0):
    """A square finely split into 2 n^2 triangles (outward towards the camera)."""
    t = torch.linspace(-half, half, n + 1)
    gy, gx = torch.meshgrid(t, t, indexing="ij")
    verts = torch.stack((gx, gy, torch.full_like(gx, z)), -1).reshape(-1, 3)
    i = torch.arange(n)
    a = (i[:, None] * (n + 1) + i[None, :]).reshape(-1)
    b, c, d = a + 1, a + n + 2, a + n + 1
    faces = torch.cat((torch.stack((a, d, c), 1), torch.stack((a, c, b), 1)))
    return verts[None], faces


def test_contour_silhouette_does_not_depend_on_tessellation():
    hard = None
    areas = {}
    for n in (1, 12):
        verts, faces = grid_square(n)
        if hard is None:
            hard = rasterize(verts, faces, K32, (32, 32)).mask
        for mode in ("contour", "union"):
            sil = soft_silhouette(verts, faces, K32, (32, 32), 0.5, silhouette=mode)
            areas[mode, n] = (sil > 0.5).sum().item()
            if mode == "contour":
                assert iou(sil > 0.5, hard) >= 0.97
    assert areas["contour", 1] == areas["contour", 12]
    assert areas["union", 12] > 1.2 * areas["union", 1]  # SoftRas's union grows with density


def test_face_neighbours_and_open_edges():
    from robosmplx.render.topology import face_neighbours, open_edges

    verts, faces, _ = box_mesh()
    nb = face_neighbours(faces)
    assert (nb >= 0).all()
    for f in range(12):  # the face across each edge shares that edge's two corners
        for k in range(3):
            edge = {int(faces[f, k]), int(faces[f, (k + 1) % 3])}
            assert edge <= set(faces[nb[f, k]].tolist()) and nb[f, k] != f
    quad = torch.tensor([[0, 1, 2], [0, 2, 3]])
    orient = torch.tensor([1, 1], dtype=torch.int8)
    opened = open_edges(face_neighbours(quad), orient, torch.zeros(2, dtype=torch.long),
                        torch.arange(2), 2)  # fmt: skip
    assert opened.tolist() == [[True, True, False], [False, True, True]]
    folded = open_edges(face_neighbours(quad), torch.tensor([1, -1], dtype=torch.int8),
                        torch.zeros(2, dtype=torch.long), torch.arange(2), 2)  # fmt: skip
    assert folded.all()


def test_soft_converges_to_hard_on_a_body(anny_small):
    from robosmplx.geometry.camera import CANONICAL_TO_CAMERA

    with torch.no_grad():
        rest = anny_small(**anny_small.neutral_params(1)).vertices
    verts = rest @ CANONICAL_TO_CAMERA.T + torch.tensor([0.0, 0.0, 2.5])
    k = torch.tensor([[80.0, 0.0, 31.5], [0.0, 80.0, 31.5], [0.0, 0.0, 1.0]])
    labels = anny_small.body_part_labels
    hard = part_map(verts, anny_small.faces, k, (64, 64), labels, 24)
    probs = soft_part_masks(verts, anny_small.faces, k, (64, 64), labels, 24, 1e-4, 1e-5)
    soft = probs.argmax(1)
    assert iou(soft > 0, hard > 0) >= 0.99
    assert (soft == hard).float().mean() >= 0.99


def tiny_mesh():
    verts = torch.tensor(
        [[[-0.3, -0.25, 2.0], [0.35, -0.3, 2.2], [0.05, 0.3, 1.9], [0.4, 0.35, 2.4]]],
        dtype=torch.float64,
    )
    faces = torch.tensor([[0, 2, 1], [1, 2, 3]])
    k = torch.tensor([[9.0, 0.0, 3.2], [0.0, 8.0, 2.9], [0.0, 0.0, 1.0]], dtype=torch.float64)
    return verts, faces, k


@pytest.mark.parametrize("silhouette", ["contour", "union"])
def test_gradcheck_part_masks_and_silhouette(silhouette):
    verts, faces, k = tiny_mesh()
    labels = torch.tensor([0, 1])
    opts = dict(silhouette=silhouette, cull_backfaces=False)

    def masks(v):
        return soft_part_masks(v, faces, k, (6, 7), labels, 2, 1.5, 0.05, **opts)

    def sil(v):
        return soft_silhouette(v, faces, k, (6, 7), 1.5, **opts)

    v = verts.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(masks, (v,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradcheck(sil, (v,), eps=1e-6, atol=1e-6)


def test_chunked_render_matches_single_chunk_values_and_gradients():
    verts, faces, labels = quads_scene()
    verts = verts.double()
    k = K32.double()
    out = []
    for max_pairs in (1 << 20, 97):  # one chunk; many chunks (recomputed in backward)
        v = verts.clone().requires_grad_(True)
        probs = soft_part_masks(
            v, faces, k, (32, 32), labels, 3, 0.5, 0.05, cull_backfaces=False, max_pairs=max_pairs
        )
        (probs * torch.linspace(0, 1, 32, dtype=torch.float64)).sum().backward()
        out.append((probs.detach(), v.grad))
    assert torch.allclose(out[0][0], out[1][0], atol=1e-12)
    assert torch.allclose(out[0][1], out[1][1], atol=1e-10)


def test_backface_culling_keeps_the_closed_mesh_silhouette():
    verts, faces, _ = box_mesh()
    rot = torch.tensor([[0.8, 0.0, 0.6], [0.0, 1.0, 0.0], [-0.6, 0.0, 0.8]])
    verts = (verts @ rot.T + torch.tensor([0.0, 0.0, 2.0]))[None]
    sharp = dict(sigma=1e-5)
    culled = soft_silhouette(verts, faces, K32, (32, 32), **sharp) > 0.5
    both = soft_silhouette(verts, faces, K32, (32, 32), cull_backfaces=False, **sharp) > 0.5
    assert torch.equal(culled, both) and culled.sum() > 50


@pytest.mark.parametrize("use_parts", [True, False])
def test_gradient_descent_aligns_a_mesh_with_a_target_mask(use_parts):
    base, faces, labels = box_mesh((0.25, 0.4, 0.2))
    tilt = torch.tensor([[0.8, 0.0, 0.6], [0.0, 1.0, 0.0], [-0.6, 0.0, 0.8]])
    base = base @ tilt.T
    k = torch.tensor([[30.0, 0.0, 15.5], [0.0, 30.0, 15.5], [0.0, 0.0, 1.0]])

    def place(shift_xy, log_scale):  # translation in the image plane and size
        shift = torch.cat((shift_xy, shift_xy.new_zeros(1)))
        return (base * log_scale.exp() + shift + torch.tensor([0.0, 0.0, 2.5]))[None]

    true_shift, true_scale = torch.tensor([0.25, -0.15]), torch.tensor(0.2)
    target_parts = part_map(place(true_shift, true_scale), faces, k, (32, 32), labels, 3)
    target = target_parts if use_parts else (target_parts > 0).long()
    shift = torch.zeros(2, requires_grad=True)
    log_scale = torch.zeros((), requires_grad=True)
    opt = torch.optim.Adam([shift, log_scale], lr=0.03)
    losses = []
    for _ in range(70):
        opt.zero_grad()
        v = place(shift, log_scale)
        if use_parts:
            probs = soft_part_masks(v, faces, k, (32, 32), labels, 3)
        else:
            sil = soft_silhouette(v, faces, k, (32, 32))
            probs = torch.stack((1.0 - sil, sil), 1)
        loss = torch.nn.functional.nll_loss(torch.log(probs.clamp_min(1e-6)), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    final = part_map(place(shift.detach(), log_scale.detach()), faces, k, (32, 32), labels, 3)
    assert losses[-1] < 0.1 * losses[0]
    assert iou(final > 0, target_parts > 0) >= 0.9
    assert torch.allclose(shift.detach(), true_shift, atol=0.03)
    assert abs(log_scale.item() - true_scale.item()) < 0.1  # the 32 px target: +-1 px
