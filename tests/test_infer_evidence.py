"""Landmark evidence in the predictor: the refine modes, landmark boxes as a box source, hand and
face boxes for the part crops, matching given boxes to landmark people, and the fit hook's
fallback (stand-in evidence; the landmark models themselves are tested in test_landmarks_*)."""

import numpy as np
import pytest
import torch

from infer_support import example_png, small_checkpoint
from robosmplx.errors import ConfigError
from robosmplx.infer import evidence as E
from robosmplx.landmarks.types import PersonEvidence


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return small_checkpoint(tmp_path_factory.getbasetemp())


def person(x0, y0, w, h, hands=("left",), face=True) -> PersonEvidence:
    """Stand-in evidence: body points spread over the box, hands and face points in it."""
    rng = np.random.default_rng(int(x0))
    pts = np.column_stack((rng.uniform(x0, x0 + w, 33), rng.uniform(y0, y0 + h, 33), np.ones(33)))
    line = np.column_stack(
        (np.linspace(x0, x0 + 10, 21), np.linspace(y0 + h / 2, y0 + h / 2 + 10, 21), np.ones(21))
    )
    hand = {s: line for s in hands}
    face2d = np.column_stack(
        (np.full(468, x0 + w / 2), np.linspace(y0, y0 + 12, 468), np.ones(468))
    )
    return PersonEvidence(
        box=np.array([x0, y0, w, h], float), score=0.9, body2d=pts, body3d=None, hands=hand,
        face2d=face2d if face else None,
    )  # fmt: skip


def test_refine_modes(monkeypatch):
    import robosmplx.landmarks as L

    monkeypatch.setattr(L, "landmarks_available", lambda: "pip install robosmplx[landmarks]")
    note = "no landmark refinement: pip install robosmplx[landmarks]"
    assert E.resolve_refine("auto") == ("none", note)
    assert E.resolve_refine("none") == ("none", None)
    with pytest.raises(ConfigError, match="landmarks"):
        E.resolve_refine("landmarks")
    with pytest.raises(ConfigError, match="expected one of"):
        E.resolve_refine("magic")
    monkeypatch.setattr(L, "landmarks_available", lambda: None)
    assert E.resolve_refine(None) == ("landmarks", None)


def test_match_boxes_is_one_to_one():
    ev = [person(0, 0, 50, 100), person(60, 0, 50, 100)]
    boxes = np.array([[62, 2, 48, 96], [1, 0, 50, 98], [300, 300, 10, 10], [70, 0, 50, 100]])
    assert E.match_boxes(boxes, ev) == [1, 0, None, None]
    assert E.match_boxes(np.zeros((0, 4)), ev) == []


def test_network_part_boxes_in_body_crop_pixels():
    from types import SimpleNamespace

    ev = person(100, 100, 40, 80, hands=("right",), face=False)
    job = SimpleNamespace(region=np.array([80.0, 80.0, 128.0, 128.0]), evidence=ev)
    none = SimpleNamespace(region=np.array([0.0, 0.0, 64.0, 64.0]), evidence=None)
    boxes = E.network_part_boxes([job, none], 64, 2.0, 1.5, "cpu")
    assert torch.isnan(boxes["lhand"][0]).all() and torch.isnan(boxes["face"][0]).all()
    assert torch.isnan(boxes["rhand"][1]).all()
    # hand points span 10 px of the image = 5 px of a 128 -> 64 crop; x2 and square: 10 px
    b = boxes["rhand"][0]
    centre = (np.array([105.0, 145.0]) - 80 + 0.5) * 0.5 - 0.5
    assert torch.allclose(b[:2] + b[2:] / 2, torch.as_tensor(centre, dtype=torch.float32))
    assert torch.allclose(b[2:], torch.tensor([10.0, 10.0]))
    assert E.network_part_boxes([none], 64, 2.0, 1.5, "cpu") is None


def test_nan_part_boxes_keep_the_networks_own(ckpt):
    from robosmplx.models import load_model

    net = load_model(ckpt).eval()
    s = net.config.body.input_size
    img = torch.rand(2, 3, 2 * s, 2 * s)
    k = s / (2 * s)
    affine = torch.tensor([[k, 0.0, 0.5 * k - 0.5], [0.0, k, 0.5 * k - 0.5]]).expand(2, 2, 3)
    with torch.no_grad():
        own = net(img, affine)
        nan = {k2: torch.full((2, 4), float("nan")) for k2 in ("lhand", "rhand", "face")}
        nan["face"][1] = torch.tensor([10.0, 10.0, 30.0, 30.0])
        mixed = net(img, affine, boxes=nan)
    for key, v in own.pred_params.items():
        assert torch.allclose(v[0], mixed.pred_params[key][0], atol=1e-5), key
    assert not torch.allclose(own.pred_params["expression"][1], mixed.pred_params["expression"][1])


def test_landmark_people_are_the_box_source(ckpt, tmp_path, monkeypatch):
    from robosmplx.infer.predictor import Predictor

    img = example_png(tmp_path / "a.png", 0, 160)
    pred = Predictor(ckpt, rounds=2, refine="none")
    pred.evidence = E.EvidenceStage("landmarks")
    people = [person(20, 10, 60, 140), person(90, 20, 50, 120, face=False)]
    pred.evidence._detector = lambda pixels: people
    import sys
    from types import ModuleType

    calls = []

    def failing_fit(body, params, transl, K, evidence, image_size, config=None):
        calls.append((len(evidence), image_size, tuple(K.shape)))
        raise RuntimeError("diverged")

    fake = ModuleType("robosmplx.fit")
    fake.FitConfig, fake.fit_people = dict, failing_fit
    monkeypatch.setitem(sys.modules, "robosmplx.fit", fake)
    out = pred.predict(img)
    assert [p.box_source for p in out.people] == ["landmarks", "landmarks"]
    assert np.allclose(out.people[1].bbox, [90, 20, 50, 120])
    assert calls == [(2, (160, 160), (3, 3))]  # one batched fit per image
    assert any("fit failed" in n and "network kept" in n for n in out.notes)
    assert "evidence" in pred.timings and "fit" in pred.timings
    # landmark boxes without the fit (--no-fit)
    pred.evidence.fit = False
    out = pred.predict(img)
    assert len(calls) == 1 and all(p.fit is None for p in out.people)
    assert [p.box_source for p in out.people] == ["landmarks", "landmarks"]
    # nobody found by the landmark models: an empty result with a note
    pred.evidence._detector = lambda pixels: []
    out = pred.predict(img)
    assert out.people == [] and "the landmark models found nobody" in out.notes
