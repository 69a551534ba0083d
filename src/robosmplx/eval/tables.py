"""Result tables: evaluation summaries and robustness sweeps as rows, written as JSON, CSV and
markdown, and shown in the terminal with rich.

A table is a header (list of column names) and rows (lists of strings or numbers). The
robustness "positional" table follows the paper's Tables 4, 5 and 7: one row per method
(checkpoint) within a row group per part, columns Normal, Transx +0.2x, Transx -0.2x,
Transy +0.2y, Transy -0.2y, Scale 1.3x, Scale 0.7x, cells ``PA-PVE/PVE``-style.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from robosmplx.eval.protocols import METRIC_LABELS, PART_LABELS
from robosmplx.io import atomic_write_text

Table = tuple[list[str], list[list]]


def metric_value(entry: dict, part: str, metric: str) -> float:
    """One mean from an evaluation entry (``{"metrics": {part: {metric: v}}, "box_iou": ...}``);
    NaN when absent."""
    if metric == "box_iou":
        v = entry.get("box_iou", {}).get(part)
    else:
        v = entry.get("metrics", {}).get(part, {}).get(metric)
    return float("nan") if v is None else float(v)


def fmt(v: float, digits: int = 2) -> str:
    """A number for a table cell; ``-`` for NaN."""
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def metric_label(part: str, metric: str) -> str:
    return f"{PART_LABELS.get(part, part)} {METRIC_LABELS.get(metric, metric)}"


# -- evaluation ---------------------------------------------------------------------------


def eval_table(result: dict) -> Table:
    """Parts as rows, metrics as columns (mm; IoU and F-scores unitless; 3DPCK/AUC in %)."""
    metrics: list[str] = []
    for values in result["metrics"].values():
        for m in values:
            if m not in metrics:
                metrics.append(m)
    has_iou = bool(result.get("box_iou"))
    header = (
        ["Part"] + [METRIC_LABELS.get(m, m) for m in metrics] + (["Box IoU"] if has_iou else [])
    )
    rows = []
    for part, values in result["metrics"].items():
        row = [PART_LABELS.get(part, part)] + [fmt(values.get(m, float("nan"))) for m in metrics]
        if has_iou:
            row.append(fmt(result["box_iou"].get(part, float("nan")), 3))
        rows.append(row)
    return header, rows


# -- robustness ---------------------------------------------------------------------------


def _sweep_entry(run: dict, name: str | None, magnitude: float) -> dict | None:
    if name is None:
        return run["normal"]
    for e in run["sweep"].get(name, []):
        if abs(e["magnitude"] - magnitude) < 1e-9:
            return e
    return None


def positional_table(result: dict) -> Table:
    """Paper Tables 4/5/7: row groups per part (``table_rows``), one row per run, the
    ``columns`` of the result (Normal and the six positional perturbations)."""
    cols = result["columns"]
    multi = len(result["table_rows"]) > 1
    header = (["Part"] if multi else []) + ["Method"] + [c["label"] for c in cols]
    rows = []
    for group in result["table_rows"]:
        cell_label = "/".join(METRIC_LABELS.get(m, m) for m in group["metrics"])
        for run in result["runs"]:
            row = ([f"{group['label']} ({cell_label})"] if multi else []) + [run["label"]]
            for c in cols:
                e = _sweep_entry(run, c["perturbation"], c["magnitude"])
                vals = [
                    metric_value(e, group["part"], m) if e else float("nan")
                    for m in group["metrics"]
                ]
                row.append("/".join(fmt(v) for v in vals))
            rows.append(row)
    if not multi and result["table_rows"]:
        g = result["table_rows"][0]
        header[0] = f"Method ({'/'.join(METRIC_LABELS.get(m, m) for m in g['metrics'])})"
    return header, rows


def sweep_table(result: dict, part: str, metric: str) -> Table:
    """Every perturbation and magnitude as a row, one column per run, plus the change from
    each run's unperturbed value."""
    runs = result["runs"]
    header = ["Perturbation", "Magnitude"]
    for r in runs:
        header += [r["label"], f"{r['label']} change"]
    rows = []
    for name, info in result["perturbations"].items():
        for m in info["magnitudes"]:
            row: list = [name, f"{m:g}"]
            for r in runs:
                e = _sweep_entry(r, name, m)
                v = metric_value(e, part, metric) if e else float("nan")
                base = metric_value(r["normal"], part, metric)
                row += [fmt(v), fmt(v - base)]
            rows.append(row)
    return header, rows


def long_rows(result: dict) -> Table:
    """Every value of a robustness result in long form (for CSV and dataframes)."""
    header = ["method", "checkpoint", "perturbation", "magnitude", "part", "metric", "value"]
    rows = []
    for r in result["runs"]:
        entries = [("none", 0.0, r["normal"])]
        for name, lst in r["sweep"].items():
            entries += [(name, e["magnitude"], e) for e in lst]
        for name, m, e in entries:
            for part, values in e.get("metrics", {}).items():
                for metric, v in values.items():
                    rows.append([r["label"], r.get("checkpoint", ""), name, m, part, metric, v])
            for part, v in e.get("box_iou", {}).items():
                rows.append([r["label"], r.get("checkpoint", ""), name, m, part, "box_iou", v])
    return header, rows


# -- writers --------------------------------------------------------------------------------


def to_markdown(table: Table, title: str | None = None) -> str:
    header, rows = table
    lines = [f"### {title}", ""] if title else []
    lines.append("| " + " | ".join(str(h) for h in header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    header, rows = table
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _json_safe(obj):
    """NaN -> None recursively so the JSON is standard."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


def to_json(obj) -> str:
    return json.dumps(_json_safe(obj), indent=2) + "\n"


def write_eval_tables(result: dict, out_dir: str | Path, stem: str = "eval") -> dict[str, Path]:
    """``<stem>.json`` (everything, per-sample values included), ``.csv`` and ``.md``."""
    out = Path(out_dir)
    table = eval_table(result)
    title = f"{result['protocol']} - {result.get('label', result.get('checkpoint', ''))}"
    return {
        "json": atomic_write_text(out / f"{stem}.json", to_json(result)),
        "csv": atomic_write_text(out / f"{stem}.csv", to_csv(table)),
        "markdown": atomic_write_text(out / f"{stem}.md", to_markdown(table, title)),
    }


def robustness_markdown(result: dict) -> str:
    part, metric = result["headline"]["part"], result["headline"]["metric"]
    head = (
        f"# Robustness: {result['protocol']} on {result['data']} ({result['num_samples']} samples)\n\n"
        "Lower is better (mm); each perturbation is applied before the network's crop "
        "(see docs/evaluation.md).\n\n"
    )
    return (
        head
        + to_markdown(positional_table(result), "Positional perturbations (paper Tables 4, 5, 7)")
        + "\n"
        + to_markdown(
            sweep_table(result, part, metric), f"All perturbations: {metric_label(part, metric)}"
        )
    )


def write_robustness_tables(result: dict, out_dir: str | Path) -> dict[str, Path]:
    """``robustness.json``, ``robustness_positional.csv``, ``robustness_sweep.csv``,
    ``robustness_long.csv`` and ``robustness.md`` in ``out_dir``."""
    out = Path(out_dir)
    part, metric = result["headline"]["part"], result["headline"]["metric"]
    return {
        "json": atomic_write_text(out / "robustness.json", to_json(result)),
        "positional_csv": atomic_write_text(
            out / "robustness_positional.csv", to_csv(positional_table(result))
        ),
        "sweep_csv": atomic_write_text(
            out / "robustness_sweep.csv", to_csv(sweep_table(result, part, metric))
        ),
        "long_csv": atomic_write_text(out / "robustness_long.csv", to_csv(long_rows(result))),
        "markdown": atomic_write_text(out / "robustness.md", robustness_markdown(result)),
    }


def print_rich(tables: Sequence[tuple[str, Table]], console=None) -> None:
    """Show tables in the terminal (stderr by default, so ``--json`` stdout stays clean)."""
    import sys

    from rich.console import Console
    from rich.table import Table as RichTable

    # Logs and pipes get a wide table rather than truncated numbers.
    console = console or Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    for title, (header, rows) in tables:
        t = RichTable(title=title, show_lines=False)
        for i, h in enumerate(header):
            t.add_column(str(h), justify="left" if i == 0 else "right")
        for row in rows:
            t.add_row(*(str(c) for c in row))
        console.print(t)
