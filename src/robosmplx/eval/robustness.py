"""The robustness benchmark: every perturbation of :mod:`robosmplx.data.perturb` over its
magnitudes, for one or several checkpoints on one benchmark file.

Each perturbation is applied where the data pipeline defines it (location and pose ones before
the crop, image ones on the test-time crop); magnitude 0 is the unperturbed evaluation, run once
per checkpoint and shared. The paper's positional columns (Tables 4, 5, 7) map onto magnitudes:
``Transx +0.2x`` is ``translate_x`` +0.2 (content right by 20 % of the width), ``Transy +0.2y``
is ``translate_y`` +0.2 (content up), ``Scale 1.3x`` is ``scale`` +0.3 (the crop box 30 %
smaller, the person larger: scale factor 1 + m as in the paper's appendix A) and ``Scale 0.7x``
is ``scale`` -0.3 (a broader crop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from robosmplx.errors import ConfigError
from robosmplx.eval.evaluator import EvalOptions, Evaluator, make_progress
from robosmplx.eval.protocols import Protocol, get_protocol

# (label, perturbation, magnitude) of the paper's positional tables; None = no perturbation.
POSITIONAL_COLUMNS: tuple[tuple[str, str | None, float], ...] = (
    ("Normal", None, 0.0),
    ("Transx +0.2x", "translate_x", 0.2),
    ("Transx -0.2x", "translate_x", -0.2),
    ("Transy +0.2y", "translate_y", 0.2),
    ("Transy -0.2y", "translate_y", -0.2),
    ("Scale 1.3x", "scale", 0.3),
    ("Scale 0.7x", "scale", -0.3),
)


def positional_magnitudes() -> dict[str, tuple[float, ...]]:
    """The magnitudes the positional table needs, per perturbation."""
    out: dict[str, tuple[float, ...]] = {}
    for _, name, m in POSITIONAL_COLUMNS:
        if name is not None:
            out[name] = out.get(name, ()) + (m,)
    return out


def sweep_plan(
    names: Sequence[str] | None = None,
    magnitudes: Mapping[str, Sequence[float]] | None = None,
    positional: bool = True,
) -> dict[str, tuple[float, ...]]:
    """Perturbation -> sorted magnitudes (0 included). Defaults: every registered perturbation
    over its registered sweep; ``magnitudes`` replaces the sweep of the names it gives;
    ``positional`` adds what the paper's positional columns need."""
    from robosmplx.data.perturb import PERTURBATIONS, check_perturbation

    names = list(names) if names else [n for n, p in PERTURBATIONS.items() if p.default]
    magnitudes = dict(magnitudes or {})
    extra = set(magnitudes) - set(names)
    if extra:
        raise ConfigError(f"magnitudes given for {sorted(extra)}, which are not being swept")
    plan: dict[str, tuple[float, ...]] = {}
    for name in names:
        if name not in PERTURBATIONS:
            raise ConfigError(
                f"unknown perturbation {name!r}; choose from {', '.join(PERTURBATIONS)}"
            )
        mags = set(float(m) for m in magnitudes.get(name, PERTURBATIONS[name].sweep))
        if positional:
            mags |= set(positional_magnitudes().get(name, ()))
        mags.add(0.0)
        for m in mags:
            check_perturbation(name, m)
        plan[name] = tuple(sorted(mags))
    return plan


@dataclass(frozen=True)
class Checkpoint:
    """One method of the comparison: a label and a saved network (None with oracle)."""

    label: str
    path: str | None


def unique_labels(paths: Sequence[str], labels: Sequence[str] | None = None) -> list[Checkpoint]:
    """Label each checkpoint (its file stem by default), making repeated labels unique."""
    if labels and len(labels) != len(paths):
        raise ConfigError(
            f"{len(labels)} labels for {len(paths)} checkpoints; give one per checkpoint"
        )
    raw = list(labels) if labels else [Path(p).stem for p in paths]
    seen: dict[str, int] = {}
    out = []
    for lab, p in zip(raw, paths):
        seen[lab] = seen.get(lab, 0) + 1
        out.append(Checkpoint(lab if seen[lab] == 1 else f"{lab}-{seen[lab]}", p))
    return out


def _entry(result: dict) -> dict:
    """The part of an evaluation result a sweep keeps (no per-sample values)."""
    keep = ("metrics", "box_iou", "num_samples", "excluded", "seconds")
    return {k: result[k] for k in keep}


def run_robustness(
    protocol: Protocol | str,
    data: str | Path,
    checkpoints: Sequence[Checkpoint],
    plan: Mapping[str, Sequence[float]],
    *,
    body_model=None,
    oracle: bool = False,
    options: EvalOptions | None = None,
    headline: tuple[str, str] | None = None,
) -> dict:
    """Evaluate every checkpoint unperturbed and under every (perturbation, magnitude) of
    ``plan``; returns the result dict the tables and plots read. All evaluators are built (and
    every input checked) before the first prediction."""
    from robosmplx.data.perturb import PERTURBATIONS

    proto = get_protocol(protocol) if isinstance(protocol, str) else protocol
    if not checkpoints:
        raise ConfigError("give at least one checkpoint (or --oracle)")
    options = options or EvalOptions()
    evaluators = [
        Evaluator(
            proto,
            data,
            c.path,
            body_model=body_model,
            oracle=oracle,
            options=options,
            label=c.label,
        )
        for c in checkpoints
    ]
    part, metric = headline or proto.headline
    known = set(proto.part_names) | set(proto.derived_parts)
    if part not in known:
        raise ConfigError(f"protocol {proto.name!r} scores parts {sorted(known)}, not {part!r}")
    scored = (
        set(proto.metrics)
        | ({"box_iou"} if proto.box_iou else set())
        | ({"rmse3d"} if proto.rmse3d else set())
    )
    if metric not in scored:
        raise ConfigError(f"protocol {proto.name!r} scores {sorted(scored)}, not {metric!r}")
    total = len(evaluators) * (1 + sum(sum(1 for m in ms if m != 0) for ms in plan.values()))
    runs = []
    progress = make_progress() if options.progress else None
    if progress is not None:
        progress.start()
    try:
        overall = None if progress is None else progress.add_task("robustness", total=total)
        for ev in evaluators:
            normal = _entry(ev.run(None, progress))
            _advance(progress, overall)
            sweep: dict[str, list[dict]] = {}
            for name, mags in plan.items():
                sweep[name] = []
                for m in mags:
                    if m == 0:
                        e = dict(normal)
                    else:
                        e = _entry(ev.run((name, float(m)), progress))
                        _advance(progress, overall)
                    sweep[name].append({"magnitude": float(m), **e})
            runs.append(
                {"label": ev.label, "checkpoint": ev.source, "normal": normal, "sweep": sweep}
            )
    finally:
        if progress is not None:
            progress.stop()
    columns = [
        {"label": lab, "perturbation": n, "magnitude": m}
        for lab, n, m in POSITIONAL_COLUMNS
        if n is None or (n in plan and any(abs(m - x) < 1e-9 for x in plan[n]))
    ]
    return {
        "kind": "robosmplx-robustness",
        "protocol": proto.name,
        "convention": options.convention,
        "data": str(data),
        "body_model": evaluators[0].body.name,
        "num_samples": len(evaluators[0]),
        "headline": {"part": part, "metric": metric},
        "perturbations": {
            n: {
                "category": PERTURBATIONS[n].category,
                "frame": PERTURBATIONS[n].frame,
                "magnitudes": [float(m) for m in plan[n]],
            }
            for n in plan
        },
        "columns": columns,
        "table_rows": [
            {"label": r.label, "part": r.part, "metrics": list(r.metrics)} for r in proto.table
        ],
        "runs": runs,
    }


def _advance(progress, task) -> None:
    if progress is not None and task is not None:
        progress.advance(task)
