"""The ablation study of the Hand subnetwork (paper Tables 11, 9, 10 and 4): rows as config
overrides, a resumable runner over (row, seed), seed statistics and the generated document."""

from robosmplx.ablate.plan import (
    AblationSpec,
    Budget,
    RunSpec,
    load_spec,
    plan_runs,
    select_rows,
    supervision,
)
from robosmplx.ablate.report import ReportContext, render
from robosmplx.ablate.runner import AblationRunner, RunOptions, check_held_out
from robosmplx.ablate.stats import Stat

__all__ = [
    "AblationRunner",
    "AblationSpec",
    "Budget",
    "ReportContext",
    "RunOptions",
    "RunSpec",
    "Stat",
    "check_held_out",
    "load_spec",
    "plan_runs",
    "render",
    "select_rows",
    "supervision",
]
