"""Face landmarks drive the expression: an open jaw is recovered from a closed start."""

import torch

from robosmplx.fit import FitConfig, fit_people
from robosmplx.fit.correspondence import correspondence, gather_points
from robosmplx.fit.synthetic import synthetic_people
from robosmplx.geometry.camera import project


def test_open_jaw_is_recovered_from_face_landmarks(anny_small):
    syn = synthetic_people(anny_small, n=1, seed=3, masks=False, noise_px=0.5)
    jaw = anny_small.expression_labels.index("jawOpen")
    truth = {k: v.clone() for k, v in syn.params.items()}
    truth["expression"] = torch.zeros_like(truth["expression"])
    truth["expression"][0, jaw] = 0.8
    with torch.no_grad():
        out = anny_small(**truth)
    g = correspondence(anny_small).groups["face"]
    pts = gather_points(out.keypoints, out.vertices, g) + syn.transl[:, None]
    syn.evidence[0].face2d[g.landmark.numpy(), :2] = project(pts, syn.K[None])[0].numpy()
    start = {k: v.clone() for k, v in truth.items()}
    start["expression"] = torch.zeros_like(start["expression"])
    res = fit_people(anny_small, start, syn.transl, syn.K, syn.evidence, syn.image_size,
                     FitConfig(silhouette=False))  # fmt: skip
    opened = float(res.params["expression"][0, jaw])
    print(f"jawOpen 0 -> {opened:.2f} (truth 0.8)")
    assert res.ok == [True] and opened > 0.4
    assert res.losses[0]["face2d"] < res.losses_before[0]["face2d"]
