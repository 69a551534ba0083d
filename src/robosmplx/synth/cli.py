"""``robosmplx synth``: synthetic people with full ground truth, in HumanData format.

Examples::

    robosmplx synth --task body --count 1000 --out data/synth_body --seed 0 --workers 2
    robosmplx synth --task hand --count 200 --out data/synth_hand --preview
    robosmplx synth --task wholebody --count 50 --out data/wb --body-model smplx --model-dir models/
    robosmplx synth --schedule cpu     # every dataset `robosmplx train --schedule cpu` reads

Rerunning the same command after an interruption finishes the missing samples; a larger
``--count`` extends the dataset.
"""

from __future__ import annotations

import argparse
import os

from robosmplx import argtypes

# the training schedules (robosmplx.train.stages.SCHEDULE_SETS), literal here to keep the parser
# light; a test checks they agree
SCHEDULES = ("cpu", "paper", "default")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--task",
        choices=("wholebody", "body", "hand", "face"),
        default=None,
        help="what the images show: whole scenes (512 px), or body, hand or face crops (256 px;"
        " default body)",
    )
    p.add_argument(
        "--schedule", choices=SCHEDULES, default=None,
        help="make every dataset this training schedule reads, in the folders its configs name "
        "(data/synth/<task> and <task>_val under the current folder), at the schedule's sizes "
        "(cpu: 200 + 32 per task; default: docs/default_model.md; paper reads real data); --count, "
        "if given, sets every dataset's size instead",
    )  # fmt: skip
    p.add_argument(
        "--count", type=argtypes.positive_int, default=None, help="number of samples (required)"
    )
    p.add_argument(
        "--out", default=None, type=argtypes.out_folder,
        help="output folder (created; rerun to resume)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="dataset seed; sample i uses (seed, i)")
    p.add_argument(
        "--size",
        type=argtypes.non_negative_int,
        default=0,
        help="image side in pixels (0: the task's default)",
    )
    p.add_argument(
        "--workers",
        type=argtypes.non_negative_int,
        default=min(2, os.cpu_count() or 1),
        help="processes rendering in parallel (default: up to 2)",
    )
    p.add_argument(
        "--body-model",
        default="anny",
        help="anny (default), anny-small, smplx or smpl (SMPL-X family needs --model-dir)",
    )
    p.add_argument(
        "--model-dir", default=None, help="folder with SMPL-X family files ($ROBOSMPLX_MODEL_DIR)"
    )
    p.add_argument(
        "--extra-people",
        type=float,
        default=0.25,
        metavar="P",
        help="chance of one or two more people in whole-body and body scenes",
    )
    p.add_argument(
        "--occluders", type=float, default=0.3, metavar="P", help="chance of occluding shapes"
    )
    p.add_argument(
        "--truncation",
        type=float,
        default=0.15,
        metavar="P",
        help="chance that the frame's edge cuts the person (whole-body and body)",
    )
    p.add_argument(
        "--preview", action="store_true", help="also write OUT/preview.png (contact sheet)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _config(args, task: str, seed: int):
    from robosmplx.synth.config import SynthConfig

    return SynthConfig(
        task=task, size=args.size, seed=seed, body_model=args.body_model,
        extra_people_prob=args.extra_people, occluder_prob=args.occluders,
        truncation_prob=args.truncation,
    )  # fmt: skip


def _run_schedule(args) -> int:
    import json
    import time

    from robosmplx.errors import ConfigError
    from robosmplx.synth.generate import generate
    from robosmplx.synth.schedule import schedule_datasets

    if args.task or args.out:
        raise ConfigError(
            "--schedule makes the datasets its configs name; drop --task and --out (or drop "
            "--schedule to make one dataset)"
        )
    sets = schedule_datasets(args.schedule)
    made = []
    for ds in sets:
        count = args.count or ds.count
        if not args.json:
            print(f"synth: {ds.split} {ds.task}, {count} samples, seed {ds.seed} -> {ds.path}")
        start = time.perf_counter()
        path = generate(_config(args, ds.task, ds.seed), count, ds.path, workers=args.workers,
                        progress=not (args.no_progress or args.json), model_dir=args.model_dir)  # fmt: skip
        made.append({"humandata": str(path), "task": ds.task, "split": ds.split, "count": count,
                     "seed": ds.seed, "seconds": round(time.perf_counter() - start, 2)})  # fmt: skip
    if args.json:
        print(json.dumps({"schedule": args.schedule, "datasets": made}, indent=2))
    else:
        total = sum(m["seconds"] for m in made)
        print(f"synth: {len(made)} datasets of the {args.schedule} schedule ready in {total:.0f} s;"
              f" next: robosmplx train --schedule {args.schedule}")  # fmt: skip
    return 0


def run(args) -> int:
    import json
    import time

    from robosmplx.errors import ConfigError
    from robosmplx.synth.generate import generate

    if args.schedule:
        return _run_schedule(args)
    if args.count is None or args.out is None:
        raise ConfigError("give --count and --out (or --schedule cpu for a schedule's datasets)")
    cfg = _config(args, args.task or "body", args.seed)
    start = time.perf_counter()
    path = generate(cfg, args.count, args.out, workers=args.workers,
                    progress=not (args.no_progress or args.json), model_dir=args.model_dir)  # fmt: skip
    summary = {"humandata": str(path), "count": args.count, "task": cfg.task, "size": cfg.size,
               "body_model": cfg.body_model, "seconds": round(time.perf_counter() - start, 2)}  # fmt: skip
    if args.preview:
        from robosmplx.synth.preview import write_preview

        summary["preview"] = str(write_preview(args.out))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for k, v in summary.items():
            print(f"{k}: {v}")
    return 0
