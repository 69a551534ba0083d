"""How long an ablation plan will take to train, from measured per-step costs: the plan's own
finished runs when there are some (their ``train_result.json``), else the reference run that
made docs/ablations.md."""

from __future__ import annotations

import json
from pathlib import Path

# docs/ablations.md: 105.3 min of training for the default plan (20 rows x 300 steps and the
# two -long rows x 1800 steps, seeds 0 and 1: 19,200 steps) on a 2-core CPU, 2 threads
REFERENCE_SECONDS_PER_STEP = 105.3 * 60 / 19200
REFERENCE_SOURCE = "docs/ablations.md's run (2-core CPU, 2 threads)"


def measured_step_costs(runs) -> dict[str, list[float]]:
    """Seconds per training step of the finished runs among ``runs``, by row."""
    out: dict[str, list[float]] = {}
    for run in runs:
        f = Path(run.run_dir) / "train_result.json"
        try:
            rec = json.loads(f.read_text())
            seconds, steps = float(rec["seconds"]), int(rec["global_step"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if steps > 0 and seconds > 0 and not rec.get("resumed_from"):
            out.setdefault(run.row, []).append(seconds / steps)
    return out


def estimate(runs, states: dict, steps: dict) -> dict:
    """Training time of the runs not yet done. ``states``/``steps``: per (row, seed), the run's
    state (``done``, ``partial``, ``todo``, ``stale``) and its training steps."""
    costs = measured_step_costs(runs)
    every = [c for v in costs.values() for c in v]
    default = sum(every) / len(every) if every else REFERENCE_SECONDS_PER_STEP
    total_steps, seconds, left = 0, 0.0, 0
    for run in runs:
        key = (run.row, run.seed)
        if states.get(key) == "done":
            continue
        left += 1
        per_step = costs.get(run.row)
        cost = sum(per_step) / len(per_step) if per_step else default
        total_steps += steps[key]
        seconds += steps[key] * cost
    return {
        "runs_to_train": left,
        "steps_to_train": total_steps,
        "seconds_per_step": round(default, 3),
        "cost_source": f"{len(every)} finished run(s) of this plan" if every else REFERENCE_SOURCE,
        "estimated_training_s": round(seconds, 1),
    }


def format_duration(seconds: float) -> str:
    """``3 h 12 min``, ``14 min``, ``40 s``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
