"""Seed statistics of ablation runs: mean and spread per row, differences between rows, and the
error rise under positional perturbations. Pure functions of the run records."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from robosmplx.ablate.plan import METRICS

Records = Sequence[dict]


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation (ddof 1; None for one seed) over ``n`` seeds."""

    mean: float
    std: float | None
    n: int

    @staticmethod
    def of(values: Sequence[float]) -> Stat:
        n = len(values)
        mean = sum(values) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
        return Stat(mean, std, n)

    def cell(self, digits: int = 2) -> str:
        return f"{self.mean:.{digits}f}" + ("" if self.std is None else f" ± {self.std:.{digits}f}")


def _by_row(records: Records, row: str, what: str, seeds: Sequence[int]) -> list[dict] | None:
    """The ``what`` entries of ``row``'s runs for every seed, or None unless all seeds have one."""
    got = {r["seed"]: r[what] for r in records if r["row"] == row and r.get(what) is not None}
    if any(s not in got for s in seeds):
        return None
    return [got[s] for s in seeds]


def measured_seeds(records: Records, row: str, what: str = "eval") -> int:
    return sum(1 for r in records if r["row"] == row and r.get(what) is not None)


def row_stats(records: Records, row: str, seeds: Sequence[int]) -> dict[str, Stat] | None:
    """Metric -> Stat over the seeds for ``row`` (None until every seed is scored)."""
    evals = _by_row(records, row, "eval", seeds)
    if evals is None:
        return None
    return {m: Stat.of([e["metrics"][m] for e in evals]) for m in METRICS}


def difference(
    records: Records, row: str, versus: str, seeds: Sequence[int]
) -> dict[str, tuple[float, float | None]] | None:
    """Metric -> (mean of row - mean of versus, the combined seed spread or None)."""
    a, b = row_stats(records, row, seeds), row_stats(records, versus, seeds)
    if a is None or b is None:
        return None
    out = {}
    for m in METRICS:
        spread = None
        if a[m].std is not None and b[m].std is not None:
            spread = math.hypot(a[m].std, b[m].std)
        out[m] = (a[m].mean - b[m].mean, spread)
    return out


def robustness_stats(
    records: Records, row: str, seeds: Sequence[int], columns: Sequence[str]
) -> dict[str, dict[str, Stat]] | None:
    """Column label -> {pa_pve, pve: Stat} for ``row`` (None until every seed has them)."""
    rob = _by_row(records, row, "robustness", seeds)
    if rob is None:
        return None
    return {
        c: {m: Stat.of([r["columns"][c][m] for r in rob]) for m in ("pa_pve", "pve")}
        for c in columns
    }


def rise_stats(
    records: Records, row: str, seeds: Sequence[int], columns: Sequence[str]
) -> dict[str, Stat] | None:
    """The mean rise over the perturbed ``columns`` (all but the first, Normal) of each seed's
    error above its own unperturbed value, as a Stat over seeds, for pa_pve and pve."""
    rob = _by_row(records, row, "robustness", seeds)
    if rob is None:
        return None
    normal, perturbed = columns[0], columns[1:]
    out = {}
    for m in ("pa_pve", "pve"):
        rises = [
            sum(r["columns"][c][m] - r["columns"][normal][m] for c in perturbed) / len(perturbed)
            for r in rob
        ]
        out[m] = Stat.of(rises)
    return out


def paper_rise(cells: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Mean rise (PA-PVE, PVE) of a paper row over its perturbed columns (all but the first)."""
    base, rest = cells[0], cells[1:]
    return tuple(sum(c[i] - base[i] for c in rest) / len(rest) for i in range(2))  # type: ignore[return-value]
