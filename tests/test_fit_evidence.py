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
