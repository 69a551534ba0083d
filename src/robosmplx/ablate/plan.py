"""The ablation study as data: rows (a base training config plus overrides), the paper's tables
that list them, and the plan of (row, seed) runs with the exact config each one trains.

``configs/ablations/hand_rows.yaml`` holds the rows and tables; :func:`plan_runs` expands the
selected rows over the seeds with the shared budget (training data, steps, seed, run folder) and
returns one :class:`RunSpec` per run, whose ``overrides`` rebuild its :class:`TrainConfig` from
the base file alone (what ``--dry-run`` prints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from robosmplx.config import from_dict, load_yaml
from robosmplx.errors import ConfigError
from robosmplx.train.config import PACKAGE_CONFIGS, TrainConfig, load_train_config

DEFAULT_SPEC = PACKAGE_CONFIGS / "ablations" / "hand_rows.yaml"
METRICS: tuple[str, ...] = ("pa_mpjpe", "mpjpe", "pa_pve", "pve")  # the paper's column order
METRIC_NAMES = {"pa_mpjpe": "PA-MPJPE", "mpjpe": "MPJPE", "pa_pve": "PA-PVE", "pve": "PVE"}


@dataclass(frozen=True)
class RowSpec:
    """One trained configuration: the base config plus ``overrides`` (dotted keys);
    ``augment: strong`` widens the stage's scale and jitter ranges (``data.augment.strongaug``).
    ``like``: another row whose overrides and augmentation this one starts from (its own
    overrides win); ``budget_scale``: this row trains that many times the shared ``--steps``
    (the learning-rate step stays at 3/4)."""

    label: str
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    augment: Literal["default", "strong"] = "default"
    like: str | None = None
    budget_scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.budget_scale > 0:
            raise ConfigError(
                f"row {self.label!r}: budget_scale must be > 0, got {self.budget_scale}"
            )


@dataclass(frozen=True)
class TableEntry:
    """A line of a result table: a row, its label there, the row it differs from by one change
    (``versus``) and the paper's values (PA-MPJPE, MPJPE, PA-PVE, PVE in mm)."""

    row: str
    label: str | None = None
    versus: str | None = None
    paper: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class TableSpec:
    """A result table: its rows in order and a note printed under its title."""

    id: str
    title: str
    rows: tuple[TableEntry, ...]
    note: str = ""


@dataclass(frozen=True)
class RobustnessSpec:
    """The positional table (paper Table 4): rows scored under each positional perturbation;
    ``paper``: method -> seven (PA-PVE, PVE) pairs in the columns' order."""

    id: str
    title: str
    rows: tuple[TableEntry, ...]
    paper: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class AblationSpec:
    format: Literal["robosmplx-ablations"]
    base: str
    rows: dict[str, RowSpec]
    tables: tuple[TableSpec, ...] = ()
    robustness: RobustnessSpec | None = None
    discussion: str = ""  # markdown printed under "What the measurements say"

    def __post_init__(self) -> None:
        known = set(self.rows)
        entries = [e for t in self.tables for e in t.rows]
        if self.robustness is not None:
            entries += list(self.robustness.rows)
            scored = {e.row for e in self.robustness.rows}
            for e in self.robustness.rows:
                if e.versus is not None and e.versus not in scored:
                    raise ConfigError(
                        f"robustness row {e.row!r}: versus {e.versus!r} must be one of the "
                        f"table's own rows ({', '.join(sorted(scored))})"
                    )
            for name, cells in self.robustness.paper.items():
                if len(cells) != 7:
                    raise ConfigError(
                        f"robustness.paper.{name}: give 7 (PA-PVE, PVE) pairs, got {len(cells)}"
                    )
        for e in entries:
            for ref in (e.row, e.versus):
                if ref is not None and ref not in known:
                    raise ConfigError(
                        f"table entry names row {ref!r}, which is not among the rows "
                        f"({', '.join(self.rows)})"
                    )
        for name, r in self.rows.items():
            if r.like is None:
                continue
            if r.like not in known or r.like == name or self.rows[r.like].like is not None:
                raise ConfigError(
                    f"row {name!r}: like: {r.like!r} must name another row that has no 'like' "
                    f"itself ({', '.join(n for n, x in self.rows.items() if x.like is None)})"
                )
        ids = [t.id for t in self.tables]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"table ids must be unique, got {ids}")

    def resolved(self, name: str) -> RowSpec:
        """Row ``name`` with its ``like`` row's overrides and augmentation folded in."""
        r = self.rows[name]
        if r.like is None:
            return r
        base = self.rows[r.like]
        augment = r.augment if r.augment != "default" else base.augment
        return RowSpec(r.label, r.description, {**base.overrides, **r.overrides}, augment,
                       None, r.budget_scale)  # fmt: skip

    def table_rows(self) -> dict[str, tuple[str, ...]]:
        """Table id -> the rows it needs (the robustness table included)."""
        out = {t.id: tuple(dict.fromkeys(e.row for e in t.rows)) for t in self.tables}
        if self.robustness is not None:
            out[self.robustness.id] = tuple(dict.fromkeys(e.row for e in self.robustness.rows))
        return out


def load_spec(path: str | Path | None = None) -> AblationSpec:
    """Read an ablation spec (default: the bundled Hand-subnetwork one)."""
    p = Path(path) if path is not None else DEFAULT_SPEC
    return from_dict(AblationSpec, load_yaml(p), where=str(p))


def select_rows(spec: AblationSpec, names: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Row names from row or table names (``table9`` means its rows); all rows when empty,
    in the spec's order."""
    if not names:
        return tuple(spec.rows)
    tables = spec.table_rows()
    wanted: set[str] = set()
    for n in names:
        if n in spec.rows:
            wanted.add(n)
        elif n in tables:
            wanted.update(tables[n])
        else:
            raise ConfigError(
                f"--rows {n!r}: not a row or table; rows: {', '.join(spec.rows)}; "
                f"tables: {', '.join(tables)}"
            )
    return tuple(r for r in spec.rows if r in wanted)


@dataclass(frozen=True)
class Budget:
    """What every run shares: training data, steps, seeds, and extra ``key=value`` overrides
    applied after the row's (``--set``; e.g. a smaller network for a quick look)."""

    data: str
    steps: int
    seeds: tuple[int, ...]
    batch_size: int | None = None
    body_model: str | None = None
    extra: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"--steps must be at least 1, got {self.steps}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"--seeds: give one or more distinct seeds, got {list(self.seeds)}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")


@dataclass(frozen=True)
class RunSpec:
    """One training run: ``overrides`` applied to the base config give its config."""

    row: str
    seed: int
    run_dir: Path
    base: str
    overrides: tuple[str, ...]
    row_overrides: tuple[str, ...] = ()  # the row's own part of ``overrides``

    def config(self) -> TrainConfig:
        return load_train_config(self.base, self.overrides)

    @property
    def final_model(self) -> Path:
        return self.run_dir / "final" / "model.safetensors"


def format_override(key: str, value: Any) -> str:
    """``key=value`` that YAML reads back as ``value`` (strings bare when unambiguous)."""
    if isinstance(value, str) and yaml.safe_load(value) == value and "=" not in value:
        return f"{key}={value}"
    return f"{key}={json.dumps(value)}"


def steps_overrides(steps: int) -> list[str]:
    """Training length, the learning-rate step at 3/4 and checkpoints every quarter."""
    return [
        format_override("trainer.max_steps", steps),
        format_override("optim.milestones", [max(1, (3 * steps) // 4)]),
        format_override("checkpoint.every_n_steps", max(1, steps // 4)),
    ]


def budget_overrides(budget: Budget, seed: int, run_dir: Path) -> list[str]:
    """The shared part of every run's overrides (data, steps, schedule, seed, folder)."""
    out = [
        format_override("data.train", [{"path": str(budget.data)}]),
        *steps_overrides(budget.steps),
        format_override("trainer.seed", seed),
        format_override("logging.run_dir", str(run_dir)),
    ]
    if budget.batch_size is not None:
        out.append(format_override("data.batch_size", budget.batch_size))
    if budget.body_model is not None:
        out.append(format_override("body_model", budget.body_model))
    return out


def run_dir_for(out: str | Path, row: str, seed: int) -> Path:
    return Path(out) / row / f"seed{seed}"


def plan_runs(
    spec: AblationSpec, rows: tuple[str, ...], budget: Budget, out: str | Path
) -> list[RunSpec]:
    """Every (row, seed) run, rows in the spec's order, seeds inner. Each config is built once
    here, so a bad override fails before anything trains."""
    from robosmplx.data.augment import strongaug

    runs = []
    for row in rows:
        rs = spec.resolved(row)
        for seed in budget.seeds:
            run_dir = run_dir_for(out, row, seed)
            own = [format_override(k, v) for k, v in rs.overrides.items()]
            if rs.budget_scale != 1.0:  # a longer (or shorter) run than the shared budget
                own = steps_overrides(max(1, round(budget.steps * rs.budget_scale))) + own
            ov = budget_overrides(budget, seed, run_dir) + own + list(budget.extra)
            cfg = _load(spec.base, ov, row)
            if rs.augment == "strong":
                strong = strongaug(cfg.augment)
                more = [
                    format_override("augment.scale_factor", strong.scale_factor),
                    format_override("augment.center_jitter", strong.center_jitter),
                ]
                own, ov = own + more, ov + more
                _load(spec.base, ov, row)
            runs.append(RunSpec(row, seed, run_dir, spec.base, tuple(ov), tuple(own)))
    return runs


def _load(base: str, overrides: list[str], row: str) -> TrainConfig:
    try:
        return load_train_config(base, overrides)
    except ConfigError as e:
        raise ConfigError(f"ablation row {row!r}: {e}") from None


def supervision(cfg: TrainConfig) -> str:
    """The module terms a config trains with, in the paper's words (Table 11's column)."""
    w = cfg.loss.weights
    terms = [
        n
        for n, on in (("L_KS", w.heatmap_joints), ("L_segm", w.segm), ("L_proj", w.proj))
        if on > 0
    ]
    if w.contrastive > 0:
        terms.append("L_con, +ve" if cfg.data.twins else "L_con")
    return ", ".join(terms) or "-"
