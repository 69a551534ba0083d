"""scripts/gpu_train.sh at a tiny size on the CPU: data made, all six default stages trained in
order (each starting from the earlier ones), the final networks copied out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_train.sh"
STAGES = ("hand", "face", "body", "body_continue", "wholebody", "wholebody_finetune")


@pytest.mark.slow
def test_gpu_script_runs_the_default_schedule_at_tiny_size(tmp_path):
    env = dict(os.environ, WORK=str(tmp_path / "work"), OUT=str(tmp_path / "out"),
               COUNT_SCALE="0.0001", WORKERS="1", ACCEL="cpu", BODY_MODEL="anny-small",
               SYNTH_SIZE="64", PYTHON=sys.executable)  # fmt: skip
    overrides = ["trainer.max_steps=1", "data.num_workers=0", "data.batch_size=2",
                 "trainer.limit_val_batches=1", "checkpoint.every_n_steps=0"]  # fmt: skip
    run = subprocess.run(
        ["bash", str(SCRIPT), *overrides], env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "on cpu; networks in" in run.stdout
    for stage in STAGES:
        assert (tmp_path / "out" / stage / "model.safetensors").is_file(), stage
    results = json.loads((tmp_path / "out" / "runs_result.json").read_text())
    assert [r["global_step"] for r in results] == [1] * len(STAGES)
