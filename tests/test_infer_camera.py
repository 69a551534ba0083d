"""One camera per photo: synthetic group photos (known focal length and depths) through the
bundled model give every person the same K and a depth near the truth."""

import numpy as np
import pytest
import torch

from robosmplx.geometry.camera import project
from robosmplx.infer.cropping import prior_focal


@pytest.fixture(scope="module")
def photo(anny_small):
    from robosmplx.synth.group import group_photo
    from robosmplx.synth.people import ModelTables

    return group_photo(ModelTables(anny_small), seed=3, count=2, size=256)


def test_group_photo_truth(photo, anny_small):
    assert photo.image.shape == (256, 256, 3) and photo.image.dtype == np.uint8
    assert abs(photo.K[0, 0] - prior_focal(256, 256)) < 1e-6  # the prior's field of view
    root = anny_small.keypoint_layout.roots["body"]
    xs = []
    for p in photo.people:
        params = {k: torch.as_tensor(v, dtype=torch.float32)[None] for k, v in p.params.items()}
        go = params.pop("global_orient")
        with torch.no_grad():
            out = anny_small(global_orient_rotmat=go, **params)
        kp = out.keypoints[0].double() + torch.as_tensor(p.transl)
        assert torch.allclose(kp[root], torch.as_tensor(p.root), atol=1e-4)
        uv = project((out.vertices[0].double() + torch.as_tensor(p.transl))[None],
                     torch.as_tensor(photo.K)[None])[0].numpy()  # fmt: skip
        assert np.allclose(uv.min(0), p.box[:2], atol=0.5)
        assert 2.0 < p.root[2] < 7.5
        xs.append(p.box[0] + p.box[2] / 2)
    assert xs == sorted(xs)  # left to right


def test_bundled_model_puts_people_at_their_depth(photo):
    from robosmplx.infer.predictor import Predictor

    predictor = Predictor(None, rounds=1, focal=float(photo.K[0, 0]), refine="none")
    pred = predictor.predict(photo.image, np.stack([p.box for p in photo.people]))
    assert len(pred.people) == 2 and pred.focal_source == "option"
    assert np.allclose(pred.K, photo.K, atol=1e-4)
    root = predictor.body.keypoint_layout.roots["body"]
    for truth, p in zip(photo.people, pred.people):
        assert np.array_equal(p.K, pred.K.astype(np.float32))
        assert abs(float(p.keypoints3d[root][2]) - truth.root[2]) < 3.0
