"""The ablation study of the Hand subnetwork (paper Tables 11, 9, 10 and 4): rows as config
overrides, a resumable runner over (row, seed), seed statistics and the generated document.

The names below load on first use, so importing the command stays light.
"""

from robosmplx.lazy import lazy_exports

_EXPORTS = {
    "AblationSpec": "plan",
    "Budget": "plan",
    "RunSpec": "plan",
    "load_spec": "plan",
    "plan_runs": "plan",
    "select_rows": "plan",
    "supervision": "plan",
    "ReportContext": "report",
    "render": "report",
    "AblationRunner": "runner",
    "RunOptions": "runner",
    "check_held_out": "runner",
    "Stat": "stats",
}
__getattr__, __all__ = lazy_exports("robosmplx.ablate", _EXPORTS)
