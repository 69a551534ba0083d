"""The bundled default model on the bundled examples: the README's first command works and its
error stays where it was measured (docs/default_model.md), plus a small margin."""

import json

import numpy as np
import pytest

from robosmplx.cli import main
from robosmplx.infer.cropping import crop_region, person_box_problem
from robosmplx.infer.examples import EXAMPLES_DIR
from robosmplx.infer.loading import DEFAULT_CHECKPOINT
from robosmplx.infer.predictor import Predictor

# Measured with `robosmplx demo --json` on the bundled checkpoint (docs/default_model.md).
MEASURED_PA_PVE_MM = 190.7
MEASURED_PVE_MM = 372.8
MARGIN = 1.05


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no bundled default checkpoint")
def test_demo_runs_and_error_stays_as_measured(tmp_path, capsys):
    assert main(["demo", "--refine", "none", "--out", str(tmp_path / "demo"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["body_model"] == "anny" and not result["failed"]
    assert len(result["per_example"]) == 4
    assert all(p.endswith(".png") for p in result["pictures"]) and result["pictures"]
    assert result["pa_pve_mm"] <= MEASURED_PA_PVE_MM * MARGIN
    assert result["pve_mm"] <= MEASURED_PVE_MM * MARGIN


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no bundled default checkpoint")
def test_refinement_recrops_the_heatmap_joint_box_without_the_body_model():
    one = Predictor(DEFAULT_CHECKPOINT, rounds=1, refine="none")
    img = EXAMPLES_DIR / "example_0.jpg"
    first = one.predict_image(img)[0]
    assert person_box_problem(first.joint_box, *first.image_size) is None
    two = Predictor.from_network(one.net, one.body, rounds=2, refine="none")
    calls = []
    hook = two.body.register_forward_hook(lambda *a: calls.append(1))
    try:
        second = two.predict_image(img)[0]
    finally:
        hook.remove()
    assert len(calls) == 1  # the first pass only read its heatmap joints
    assert second.box_source == "refined"
    assert np.allclose(second.region, crop_region(first.joint_box), atol=1e-3)
