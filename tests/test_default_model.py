"""The bundled default model on the bundled examples: the README's first command works and its
error stays where it was measured (docs/default_model.md), plus a small margin."""

import json

import pytest

from robosmplx.cli import main
from robosmplx.infer.loading import DEFAULT_CHECKPOINT

# Measured with `robosmplx demo --json` on the bundled checkpoint (docs/default_model.md).
MEASURED_PA_PVE_MM = 216.8
MEASURED_PVE_MM = 400.2
MARGIN = 1.05


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no bundled default checkpoint")
def test_demo_runs_and_error_stays_as_measured(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["body_model"] == "anny" and not result["failed"]
    assert len(result["per_example"]) == 4
    assert all(p.endswith(".png") for p in result["pictures"]) and result["pictures"]
    assert result["pa_pve_mm"] <= MEASURED_PA_PVE_MM * MARGIN
    assert result["pve_mm"] <= MEASURED_PVE_MM * MARGIN
