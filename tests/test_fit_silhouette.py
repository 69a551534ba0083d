"""The silhouette term (the project's soft renderer vs. the person mask) pulls the mesh in."""

import torch

from robosmplx.fit import terms as T
from robosmplx.fit.evidence import add_masks, pack_evidence
from robosmplx.fit.synthetic import synthetic_people


def test_silhouette_gradient_moves_the_mesh_toward_the_mask(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=7)
    ev = add_masks(pack_evidence(syn.evidence, 0.3), syn.evidence, syn.K, 48)
    assert float(ev.has_mask[0]) == 1.0 and 0.03 < float(ev.mask.mean()) < 0.6
    with torch.no_grad():
        verts = anny_small(**syn.params).vertices + syn.transl[:, None]
    at_truth = T.silhouette(verts, anny_small.faces, ev.K_mask, ev.mask)
    shift = torch.tensor([[0.12, -0.05, 0.0]], requires_grad=True)  # metres, off the mask
    loss = T.silhouette(verts + shift[:, None], anny_small.faces, ev.K_mask, ev.mask)
    loss.sum().backward()
    loss = loss.detach()
    assert float(loss) > float(at_truth) + 0.1
    assert shift.grad[0, 0] > 0 and shift.grad[0, 1] < 0  # descent moves it back
    step = shift.detach() - 0.05 * shift.grad / shift.grad.norm()
    moved = T.silhouette(verts + step[:, None], anny_small.faces, ev.K_mask, ev.mask)
    assert float(moved) < float(loss)


def test_fit_with_silhouette_reports_it(anny_small):
    from fit_support import rest_start
    from robosmplx.fit import FitConfig, fit_people

    syn = synthetic_people(anny_small, n=1, seed=8)
    start, transl = rest_start(anny_small, 1)
    cfg = FitConfig(steps=8, silhouette_steps=3)
    res = fit_people(anny_small, start, transl, syn.K, syn.evidence, syn.image_size, cfg)
    assert res.ok == [True]
    assert 0.0 <= res.losses[0]["silhouette"] < res.losses_before[0]["silhouette"]
