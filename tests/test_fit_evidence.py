"""How people's landmark evidence becomes the fit's batched targets."""

import numpy as np
import pytest

from robosmplx.fit.evidence import pack_evidence
from robosmplx.landmarks import BODY33, PersonEvidence, landmarks_available


def _person(hands=None) -> PersonEvidence:
    body = np.zeros((33, 3))
    body[:, 0], body[:, 1], body[:, 2] = np.arange(33), 100.0, 0.9
    return PersonEvidence(
        box=np.array([0, 0, 50, 120.0]), score=1.0, body2d=body, hands=hands or {}
    )


def test_the_hand_models_wrist_is_the_body_terms_wrist():
    hand = np.zeros((21, 3))
    hand[:, :2], hand[:, 2] = [[40.0, 80.0]] * 21, 0.8
    hand[0, :2] = (41.5, 79.0)
    weak = hand.copy()
    weak[:, 2] = 0.1  # below the confidence floor: the pose model's wrist stays
    ev = pack_evidence([_person({"left": hand}), _person({"right": weak}), _person()], 0.3)
    lw, rw = BODY33.index("left_wrist"), BODY33.index("right_wrist")
    assert ev.body2d[0, lw].tolist() == pytest.approx([41.5, 79.0, 0.9])  # position: the hand's
    assert ev.body2d[0, rw, 0] == rw  # no right hand: the pose's own wrist
    assert ev.body2d[1, rw, 0] == rw and ev.hands[1, 1, :, 2].sum() == 0
    assert ev.body2d[2, lw, 0] == lw
    assert ev.hand_scale[0, 0] > 1.0 and ev.hand_scale[2].tolist() == [1.0, 1.0]


def test_hidden_body_landmarks_count_with_their_low_confidence():
    """The pose model's guess for a hidden joint stays a target (weighted by its confidence)
    down to min_body_confidence; hand points below min_confidence do not."""
    person = _person({"left": np.full((21, 3), 0.2)})
    person.body2d[BODY33.index("left_wrist"), 2] = 0.05  # behind a table
    person.body2d[BODY33.index("left_knee"), 2] = 0.0
    ev = pack_evidence([person], 0.3, min_body_confidence=0.0)
    assert float(ev.body2d[0, BODY33.index("left_wrist"), 2]) == pytest.approx(0.05)
    assert float(ev.body2d[0, BODY33.index("left_knee"), 2]) == 0.0
    assert float(ev.hands[0, 0, :, 2].sum()) == 0.0
    strict = pack_evidence([person], 0.3)  # without it: the common floor
    assert float(strict.body2d[0, BODY33.index("left_wrist"), 2]) == 0.0


def test_who_is_fitted_still_counts_only_seen_landmarks(anny_small):
    """A person whose landmarks are all hidden guesses is not fitted (the network's stays)."""
    import torch

    from robosmplx.fit import FitConfig, fit_people
    from robosmplx.fit.synthetic import synthetic_people

    syn = synthetic_people(anny_small, n=1, seed=6, masks=False)
    ev = syn.evidence[0]
    ev.body2d[:, 2] = 0.2  # every landmark a guess
    start = {k: v.clone() for k, v in syn.params.items()}
    cfg = FitConfig(steps=2, rigid_steps=2, silhouette=False)
    res = fit_people(anny_small, start, syn.transl.clone(), syn.K, [ev], syn.image_size, cfg)
    assert res.ok == [False] and "confident body landmarks" in res.notes[0]
    assert torch.allclose(res.transl, syn.transl + anny_small.canonicalize(start)[0]["transl"])


@pytest.mark.skipif(landmarks_available() is not None, reason="landmark models absent")
def test_hand_agreement_script_reports_the_fitted_hands(capsys):
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "scripts" / "hand_agreement.py"
    spec = importlib.util.spec_from_file_location("hand_agreement", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    image = Path(__file__).parent / "data" / "landmarks" / "synth_0004.jpg"  # both hands seen
    assert mod.main([str(image), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["images"] == 1 and out["hands"] >= 1
    assert 0.5 <= out["pck@0.2"] <= 1.0 and len(out["median_per_point"]) == 21
