"""``robosmplx ablate``: the Hand-subnetwork ablations (paper Tables 11, 9, 10 and 4) in one
command: train every (row, seed) run, score it on a held-out test set, write docs/ablations.md.

Examples::

    robosmplx ablate --data data/synth/hand --test data/synth/hand_test --steps 300 \\
        --seeds 0 1 --out runs/ablations --doc docs/ablations.md --force
    robosmplx ablate --rows table9 --dry-run          # the plan, its inputs checked, its time
    robosmplx ablate --rows hmr full --seeds 0        # two rows, one seed
    robosmplx ablate --report-only                    # rewrite the doc from finished runs

Rerunning the same command skips finished runs and cached scores; a run stopped midway resumes.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="data/synth/hand", help="training HumanData file or folder")
    p.add_argument(
        "--test", default="data/synth/hand_test",
        help="held-out test HumanData file or folder (synthesised with a seed training never used)",
    )  # fmt: skip
    p.add_argument("--steps", type=int, default=300, help="training steps of every run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="seeds (>= 2 for spreads)")
    p.add_argument(
        "--rows", nargs="+", metavar="NAME",
        help="rows or tables (table11, table9, table10, table4) to train and score; default all",
    )  # fmt: skip
    p.add_argument("--out", default="runs/ablations", help="folder of the runs (OUT/ROW/seedS)")
    p.add_argument(
        "--doc", default=None,
        help="markdown file to write (default OUT/ablations.md); an existing file outside OUT "
        "is replaced only with --force",
    )  # fmt: skip
    p.add_argument(
        "--force", action="store_true", help="replace an existing --doc file outside OUT"
    )
    p.add_argument("--spec", default=None, help="rows and tables YAML (default: the bundled one)")
    p.add_argument(
        "--set", dest="extra", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
        help="config overrides for every row, applied after the row's (e.g. data.num_workers=2)",
    )  # fmt: skip
    p.add_argument("--batch-size", type=int, default=None, help="anchors per step (all rows)")
    p.add_argument("--body-model", default=None, help="body model of the data (default: anny)")
    p.add_argument("--device", default="cpu", help="evaluation device (cpu, cuda, ...)")
    p.add_argument("--eval-batch-size", type=int, default=16)
    p.add_argument("--test-limit", type=int, default=None, help="score the first N test samples")
    p.add_argument(
        "--no-robustness", action="store_true", help="skip the positional table (Table 4)"
    )
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="no training or scoring: rewrite the doc from what OUT holds (no results.json)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the plan or the records as JSON")


def doc_path(args) -> Path:
    """Where the document goes: ``--doc``, else OUT/ablations.md."""
    return Path(args.doc) if args.doc else Path(args.out) / "ablations.md"


def check_inputs(args) -> None:
    """One-line errors, before hours of training, for bad settings and missing inputs."""
    from robosmplx.ablate.runner import check_held_out, resolve_test
    from robosmplx.errors import ConfigError
    from robosmplx.train.datamodule import resolve_data_path

    if args.steps < 1:
        raise ConfigError(f"--steps must be at least 1, got {args.steps}")
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        raise ConfigError(f"--seeds must be distinct and >= 0, got {args.seeds}")
    for name in ("batch_size", "test_limit", "eval_batch_size"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {v}")
    doc, out = doc_path(args), Path(args.out)
    if doc.exists() and not args.force and out.resolve() not in doc.resolve().parents:
        raise ConfigError(
            f"--doc {doc} exists and is not in --out {out}; add --force to replace it, or "
            "leave --doc out to write OUT/ablations.md"
        )
    if args.report_only:
        return
    resolve_data_path(args.data, "hand", "train")
    check_held_out(args.data, resolve_test(args.test))


def canonical_command(args) -> str:
    """The command that regenerates everything with these settings (for the document)."""
    parts = [
        "robosmplx ablate", f"--data {args.data}", f"--test {args.test}", f"--steps {args.steps}",
        "--seeds " + " ".join(str(s) for s in args.seeds), f"--out {args.out}",
        f"--doc {doc_path(args)}",
    ]  # fmt: skip
    if Path(args.out).resolve() not in doc_path(args).resolve().parents:
        parts.append("--force")
    if args.spec:
        parts.append(f"--spec {args.spec}")
    if args.batch_size is not None:
        parts.append(f"--batch-size {args.batch_size}")
    if args.body_model:
        parts.append(f"--body-model {args.body_model}")
    if args.extra:
        parts.append("--set " + " ".join(args.extra))
    if args.test_limit is not None:
        parts.append(f"--test-limit {args.test_limit}")
    if args.no_robustness:
        parts.append("--no-robustness")
    return " ".join(parts)


def _plan(args):
    from robosmplx.ablate.plan import Budget, load_spec, plan_runs, select_rows

    spec = load_spec(args.spec)
    extra = list(args.extra)
    if args.quiet or args.json:
        extra.append("logging.progress_bar=false")
    budget = Budget(
        data=args.data, steps=args.steps, seeds=tuple(args.seeds), batch_size=args.batch_size,
        body_model=args.body_model, extra=tuple(extra),
    )  # fmt: skip
    work = select_rows(spec, args.rows)
    runs = plan_runs(spec, tuple(spec.rows), budget, args.out)
    return spec, budget, work, runs


def _print_plan(spec, work, runs, args) -> None:
    import json

    from robosmplx.ablate.estimate import estimate, format_duration
    from robosmplx.ablate.runner import run_state

    items, states, steps = [], {}, {}
    mine = [r for r in runs if r.row in work]
    for r in mine:
        cfg = r.config()
        states[(r.row, r.seed)] = run_state(r, cfg)
        steps[(r.row, r.seed)] = cfg.trainer.max_steps
        items.append({"row": r.row, "seed": r.seed, "state": states[(r.row, r.seed)],
                      "steps": cfg.trainer.max_steps, "run_dir": str(r.run_dir),
                      "overrides": list(r.overrides)})  # fmt: skip
    est = estimate(mine, states, steps)
    if args.json:
        print(json.dumps({"base": spec.base, "estimate": est, "runs": items}, indent=1))
        return
    print(
        f"ablate plan: {len(work)} rows x {len(args.seeds)} seeds = {len(items)} runs of "
        f"{args.steps} steps; base config {spec.base}; runs in {args.out}; document "
        f"{doc_path(args)}"
    )
    print(
        f"estimated training time: {format_duration(est['estimated_training_s'])} for "
        f"{est['runs_to_train']} runs ({est['steps_to_train']} steps at "
        f"{est['seconds_per_step']:.2f} s per step, measured in {est['cost_source']}); "
        "scoring adds a little per run"
    )
    for it in items:
        print(f"{it['row']} seed {it['seed']} [{it['state']}] {it['run_dir']}")
        print("    " + " ".join(it["overrides"]))


def run(args) -> int:
    import json
    import logging
    import sys
    from pathlib import Path

    from robosmplx.ablate.report import ReportContext, render
    from robosmplx.ablate.runner import (
        AblationRunner,
        RunOptions,
        check_held_out,
        dataset_info,
    )
    from robosmplx.io import atomic_write_text

    check_inputs(args)
    spec, budget, work, runs = _plan(args)
    if args.dry_run:
        _print_plan(spec, work, runs, args)
        return 0
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    if args.quiet or args.json:
        for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
            logging.getLogger(name).setLevel(logging.WARNING)
    options = RunOptions(
        test=args.test, device=args.device, eval_batch_size=args.eval_batch_size,
        test_limit=args.test_limit, robustness=not args.no_robustness,
        progress=not (args.quiet or args.json),
    )  # fmt: skip
    log = (lambda _msg: None) if args.json else (lambda msg: print(msg, flush=True))
    runner = AblationRunner(options, log=log, require_test=not args.report_only)
    if runner.test_file is not None:
        check_held_out(args.data, runner.test_file)
    rob_rows = {e.row for e in spec.robustness.rows} if spec.robustness else set()
    records = runner.run(runs, set() if args.report_only else set(work), rob_rows)

    data_count, data_synth = dataset_info(args.data)
    test_count, test_synth = dataset_info(args.test)
    trained = [r["train"] for r in records if r.get("train")]
    env = {}
    devices = sorted({f"{t['device']} ({t['threads']} threads)" if t.get("device") == "cpu"
                      else str(t.get("device")) for t in trained if "device" in t})  # fmt: skip
    if devices:
        env["device"] = ", ".join(devices)
        env["torch"] = ", ".join(sorted({t["torch"] for t in trained if "torch" in t}))
        env["training time"] = f"{sum(t.get('seconds', 0.0) for t in trained) / 60:.1f} min"
    ctx = ReportContext(
        command=canonical_command(args), data=args.data, test=args.test, seeds=tuple(args.seeds),
        steps=args.steps, spec_path=args.spec or "src/robosmplx/configs/ablations/hand_rows.yaml",
        data_count=data_count, test_count=test_count, data_synth=data_synth,
        test_synth=test_synth, environment=env,
    )  # fmt: skip
    doc = atomic_write_text(doc_path(args), render(spec, runs, records, ctx))
    summary = {
        "kind": "robosmplx-ablations",
        "doc": str(doc),
        "test": None if runner.test_file is None else str(runner.test_file),
        "test_sha256": runner.test_sha,
        "seeds": list(args.seeds),
        "steps": args.steps,
        "runs": records,
    }
    if not args.report_only:
        atomic_write_text(Path(args.out) / "results.json", json.dumps(summary, indent=1))
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        done = sum(1 for r in records if r.get("eval") is not None)
        wrote = str(doc) if args.report_only else f"{doc} and {args.out}/results.json"
        print(f"ablate: {done} of {len(records)} runs scored; wrote {wrote}")
    failed = sorted({r["row"] for r in records if r.get("error")})
    if failed:
        print(
            f"ablate: could not train {', '.join(failed)} (see {doc}, Blocked rows)",
            file=sys.stderr,
        )
        return 1
    return 0
