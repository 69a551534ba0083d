"""Robustness plots (matplotlib, Agg, no display needed).

- :func:`plot_augmentation_summary`: the paper's Figure 1, the error under each perturbation
  (mean over its non-zero magnitudes, whiskers from the best to the worst magnitude), sorted in
  descending order, each run's unperturbed error as a dashed line.
- :func:`plot_magnitude_curves`: Figures 22-23, error against magnitude, one panel per
  perturbation, the unperturbed error as a gray line.
Several runs (checkpoints) share each plot, one colour per run.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from robosmplx.eval.tables import metric_label, metric_value
from robosmplx.io import atomic_write


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))


def _curve(run: dict, name: str, part: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(magnitudes, values) of one run and perturbation, sorted by magnitude."""
    pts = sorted(
        (e["magnitude"], metric_value(e, part, metric)) for e in run["sweep"].get(name, [])
    )
    if not pts:
        return np.zeros(0), np.zeros(0)
    m, v = zip(*pts)
    return np.asarray(m, float), np.asarray(v, float)


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def plot_augmentation_summary(result: dict, path: str | Path, part: str, metric: str) -> Path:
    """Figure 1: one bar group per perturbation, sorted by the runs' mean error, descending."""
    runs, names = result["runs"], list(result["perturbations"])
    stats = {}  # name -> (mean, lo, hi) arrays over runs
    for name in names:
        mean, lo, hi = [], [], []
        for r in runs:
            mags, vals = _curve(r, name, part, metric)
            keep = vals[(np.abs(mags) > 1e-12) & np.isfinite(vals)]
            if keep.size == 0:
                keep = np.array([metric_value(r["normal"], part, metric)])
            mean.append(float(keep.mean()))
            lo.append(float(keep.min()))
            hi.append(float(keep.max()))
        stats[name] = (np.array(mean), np.array(lo), np.array(hi))
    order = sorted(names, key=lambda n: -np.nan_to_num(stats[n][0], nan=-np.inf).mean())
    fig = _figure(max(6.0, 0.9 * len(order) + 2.0), 4.5)
    ax = fig.add_subplot(1, 1, 1)
    colors = _colors(len(runs))
    width = 0.8 / max(1, len(runs))
    x = np.arange(len(order))
    for j, r in enumerate(runs):
        mean = np.array([stats[n][0][j] for n in order])
        err = np.array(
            [
                [stats[n][0][j] - stats[n][1][j] for n in order],
                [stats[n][2][j] - stats[n][0][j] for n in order],
            ]
        )
        ax.bar(x + (j - (len(runs) - 1) / 2) * width, mean, width, yerr=err, capsize=2,
               color=colors[j], label=r["label"])  # fmt: skip
        base = metric_value(r["normal"], part, metric)
        if math.isfinite(base):
            ax.axhline(base, color=colors[j], linestyle="--", linewidth=1.2,
                       label=f"{r['label']} no augmentation")  # fmt: skip
    shown = [v for n in order for s in stats[n][1:] for v in s] + [
        metric_value(r["normal"], part, metric) for r in runs
    ]
    shown = [v for v in shown if math.isfinite(v)]
    if shown:  # zoom on the spread, as the paper's figure does
        lo, hi = min(shown), max(shown)
        pad = 0.15 * (hi - lo) if hi > lo else max(1e-3, 0.05 * abs(hi))
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xticks(x)
    ax.set_xticklabels(order, rotation=35, ha="right")
    ax.set_ylabel(metric_label(part, metric) + ("" if metric in ("box_iou",) else " (mm)"))
    ax.set_title(f"{metric_label(part, metric)} under each perturbation ({result['protocol']})")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_magnitude_curves(result: dict, path: str | Path, part: str, metric: str) -> Path:
    """Figures 22-23: error against magnitude, one panel per perturbation."""
    runs, names = result["runs"], list(result["perturbations"])
    cols = min(5, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig = _figure(3.2 * cols, 2.8 * rows)
    colors = _colors(len(runs))
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        for j, r in enumerate(runs):
            mags, vals = _curve(r, name, part, metric)
            ax.plot(mags, vals, marker="o", markersize=3, color=colors[j], label=r["label"])
            base = metric_value(r["normal"], part, metric)
            if math.isfinite(base):
                ax.axhline(base, color="gray", linestyle="--", linewidth=1.0)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("magnitude", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel(metric_label(part, metric), fontsize=8)
    if runs:
        fig.axes[0].legend(fontsize=7)
    fig.suptitle(
        f"{metric_label(part, metric)} against perturbation magnitude ({result['protocol']})"
    )
    fig.tight_layout()
    return _save(fig, path)


def write_robustness_plots(result: dict, out_dir: str | Path) -> dict[str, Path]:
    """``robustness_summary.png`` (Figure 1) and ``robustness_curves.png`` (Figures 22-23) for
    the result's headline metric."""
    part, metric = result["headline"]["part"], result["headline"]["metric"]
    out = Path(out_dir)
    return {
        "summary_png": plot_augmentation_summary(
            result, out / "robustness_summary.png", part, metric
        ),
        "curves_png": plot_magnitude_curves(result, out / "robustness_curves.png", part, metric),
    }
