"""L_segm and L_proj: known values, masking, gradient direction, renderer injection."""

import math

import pytest
import torch

from robosmplx.errors import ShapeError
from robosmplx.geometry.camera import intrinsics, project
from robosmplx.losses import (
    proj_loss_from_mesh,
    projected_mask_loss,
    rescale_intrinsics,
    segmentation_loss,
)

torch.manual_seed(0)


def test_segm_uniform_logits_give_log_c_and_confident_logits_near_zero():
    b, c, h, w = 2, 5, 4, 4
    gt = torch.randint(0, c, (b, h, w))
    assert segmentation_loss(torch.zeros(b, c, h, w), gt).item() == pytest.approx(math.log(c))
    sharp = torch.nn.functional.one_hot(gt, c).permute(0, 3, 1, 2).float() * 50
    assert segmentation_loss(sharp, gt).item() < 1e-6


def test_segm_masks_samples_and_ignored_pixels():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    gt = torch.zeros(2, 4, 4, dtype=torch.long)
    gt[1] = 99  # garbage in a sample without a part map must not raise or leak
    gt[0, :2] = -1
    loss = segmentation_loss(logits, gt, has=torch.tensor([1.0, 0.0]))
    loss.backward()
    ref = torch.nn.functional.cross_entropy(logits[:1, :, 2:], gt[:1, 2:])
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)
    assert logits.grad[1].abs().sum() == 0 and logits.grad[0, :, :2].abs().sum() == 0
    logits.grad = None
    loss = segmentation_loss(logits, gt, has=torch.zeros(2))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad.abs().sum() == 0


def test_segm_rejects_labels_beyond_the_head():
    with pytest.raises(ShapeError, match="outside 0..2"):
        segmentation_loss(torch.zeros(1, 3, 2, 2), torch.full((1, 2, 2), 3))


def test_proj_bce_known_values():
    b, c, h, w = 1, 3, 2, 2
    gt = torch.tensor([[[0, 1], [2, 1]]])
    assert projected_mask_loss(torch.full((b, c, h, w), 0.5), gt).item() == pytest.approx(
        math.log(2)
    )
    onehot = torch.nn.functional.one_hot(gt, c).permute(0, 3, 1, 2).float()
    assert projected_mask_loss(onehot, gt).item() < 1e-5
    probs = onehot * 0.8 + (1 - onehot) * 0.1  # true channel 0.8, others 0.1
    expected = -(math.log(0.8) + 2 * math.log(0.9)) / 3
    assert projected_mask_loss(probs, gt).item() == pytest.approx(expected, rel=1e-5)
    expected_ce = -math.log(0.8)  # channels already sum to one
    assert projected_mask_loss(probs, gt, kind="ce").item() == pytest.approx(expected_ce, rel=1e-5)


def test_proj_gradient_moves_probabilities_towards_target():
    gt = torch.randint(0, 4, (2, 6, 6))
    target = torch.nn.functional.one_hot(gt, 4).permute(0, 3, 1, 2).float()
    for kind in ("bce", "ce"):
        probs = torch.full((2, 4, 6, 6), 0.3, requires_grad=True)
        projected_mask_loss(probs, gt, kind=kind).backward()
        assert (probs.grad[target > 0] < 0).all()  # raising the true channel lowers the loss
        if kind == "bce":
            assert (probs.grad[target == 0] > 0).all()
        logits = torch.zeros(2, 4, 6, 6, requires_grad=True)
        opt = torch.optim.Adam([logits], lr=0.3)
        start = projected_mask_loss(torch.sigmoid(logits), gt, kind=kind).item()
        for _ in range(20):
            opt.zero_grad()
            projected_mask_loss(torch.sigmoid(logits), gt, kind=kind).backward()
            opt.step()
        p = torch.sigmoid(logits)
        assert projected_mask_loss(p, gt, kind=kind).item() < 0.5 * start
        assert (p.argmax(1) == gt).all()


def test_proj_masking_zero_loss_and_zero_gradient():
    probs = torch.rand(2, 3, 4, 4, requires_grad=True)
    gt = torch.randint(0, 3, (2, 4, 4))
    loss = projected_mask_loss(probs, gt, has=torch.tensor([0.0, 1.0]))
    loss.backward()
    assert probs.grad[0].abs().sum() == 0 and probs.grad[1].abs().sum() > 0
    probs.grad = None
    loss = projected_mask_loss(probs, gt, has=torch.zeros(2))
    loss.backward()
    assert loss.item() == 0.0 and probs.grad.abs().sum() == 0


def test_rescale_intrinsics_keeps_pixel_centres():
    k = intrinsics(torch.tensor([500.0]), torch.tensor([[127.5, 127.5]]))
    k4 = rescale_intrinsics(k, 256, 64)
    pts = torch.tensor([[[0.1, -0.2, 3.0], [0.0, 0.0, 2.0]]])
    uv, uv4 = project(pts, k), project(pts, k4)
    assert torch.allclose((uv + 0.5) / 4 - 0.5, uv4, atol=1e-5)
    assert torch.allclose(uv4[0, 1], torch.tensor([31.5, 31.5]))


def _splat_renderer(verts_cam, faces, k, image_size, face_labels, num_parts, sigma=1.0):
    """A tiny differentiable stand-in: Gaussian splats of face centroids, one channel per part."""
    h, w = image_size
    centroids = verts_cam[:, faces].mean(2)  # (B, F, 3)
    uv = project(centroids, k)  # (B, F, 2)
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    grid = torch.stack((xs, ys), -1).to(uv.dtype)  # (H, W, 2)
    d2 = ((grid[None, None] - uv[:, :, None, None]) ** 2).sum(-1)  # (B, F, H, W)
    splat = torch.exp(-d2 / (2 * sigma**2))
    onehot = torch.nn.functional.one_hot(face_labels, num_parts + 1).to(uv.dtype)  # (F, P+1)
    parts = 1 - torch.prod(1 - splat[:, :, None] * onehot[None, :, :, None, None], dim=1)
    fg = parts[:, 1:].clamp(max=1).max(1).values
    return torch.cat(((1 - fg)[:, None], parts[:, 1:]), 1)


def test_proj_loss_from_mesh_calls_renderer_and_moves_mesh_towards_target():
    verts = torch.tensor([[[-0.1, -0.1, 2.0], [0.1, -0.1, 2.0], [0.0, 0.1, 2.0]]])
    faces = torch.tensor([[0, 1, 2]])
    labels = torch.tensor([1])
    k = intrinsics(torch.tensor([40.0]), torch.tensor([[7.5, 7.5]]))
    gt = torch.zeros(1, 16, 16, dtype=torch.long)
    gt[0, 4:7, 10:13] = 1  # the part sits right of the image centre
    shift = torch.zeros(1, 1, 3, requires_grad=True)
    opt = torch.optim.Adam([shift], lr=0.01)
    for _ in range(60):
        opt.zero_grad()
        loss = proj_loss_from_mesh(
            verts + shift, faces, labels, k, gt, _splat_renderer, num_parts=1, sigma=1.5
        )
        loss.backward()
        opt.step()
    assert shift[0, 0, 0] > 0.05 and shift[0, 0, 1] < -0.02  # moved right and up


def test_proj_loss_from_mesh_skips_rendering_without_gt():
    def fail(*args, **kwargs):
        raise AssertionError("renderer called for a batch without part maps")

    verts = torch.randn(2, 3, 3, requires_grad=True)
    gt = torch.zeros(2, 8, 8, dtype=torch.long)
    k = intrinsics(torch.full((2,), 10.0), torch.full((2, 2), 3.5))
    loss = proj_loss_from_mesh(
        verts, torch.tensor([[0, 1, 2]]), torch.tensor([1]), k, gt, fail, 1, has=torch.zeros(2)
    )
    loss.backward()
    assert loss.item() == 0.0 and verts.grad.abs().sum() == 0


def test_proj_loss_through_soft_renderer_moves_mesh_onto_target_parts():
    from robosmplx.render.raster import part_map
    from robosmplx.render.soft import soft_part_masks

    h = 0.25  # a 0.5 m square of two triangles (two parts) at 2 m: 8 px on a 32 px map
    verts = torch.tensor([[[-h, -h, 2.0], [h, -h, 2.0], [h, h, 2.0], [-h, h, 2.0]]])
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    labels = torch.tensor([0, 1])
    k = intrinsics(torch.tensor([32.0]), torch.tensor([[15.5, 15.5]]))
    target = torch.tensor([[[0.375, -0.25, 0.0]]])  # 6 px right, 4 px up
    gt = part_map(verts + target, faces, k, (32, 32), labels, 2)
    assert set(gt.unique().tolist()) == {0, 1, 2}
    shift = torch.zeros(1, 1, 3, requires_grad=True)
    opt = torch.optim.Adam([shift], lr=0.02)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = proj_loss_from_mesh(
            verts + shift,
            faces,
            labels,
            k,
            gt,
            soft_part_masks,
            num_parts=2,
            sigma=1.0,
            cull_backfaces=False,
        )
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]
    centre = project((verts + shift).mean(1, keepdim=True).detach(), k)[0, 0]
    assert torch.allclose(centre, torch.tensor([21.5, 11.5]), atol=1.0)


def test_proj_loss_from_mesh_renders_only_samples_with_part_maps():
    seen = []

    def renderer(verts_cam, faces, k, image_size, face_labels, num_parts, sigma=1.0):
        seen.append(verts_cam.shape[0])
        return _splat_renderer(verts_cam, faces, k, image_size, face_labels, num_parts, sigma)

    verts = torch.tensor([[[-0.1, -0.1, 2.0], [0.1, -0.1, 2.0], [0.0, 0.1, 2.0]]]).repeat(3, 1, 1)
    verts.requires_grad_(True)
    k = intrinsics(torch.full((3,), 40.0), torch.full((3, 2), 7.5))
    gt = torch.zeros(3, 16, 16, dtype=torch.long)
    gt[:, 6:9, 6:9] = 1
    has = torch.tensor([1.0, 0.0, 1.0])
    args = (torch.tensor([[0, 1, 2]]), torch.tensor([1]), k)
    loss = proj_loss_from_mesh(verts, *args[:2], args[2], gt, renderer, 1, has=has)
    assert seen == [2]
    full = proj_loss_from_mesh(verts[[0, 2]], *args[:2], k[[0, 2]], gt[[0, 2]], renderer, 1)
    assert loss.item() == pytest.approx(full.item())
    loss.backward()
    assert verts.grad[1].abs().sum() == 0 and verts.grad[0].abs().sum() > 0
