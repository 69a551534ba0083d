"""``robosmplx synth``: synthetic people with full ground truth, in HumanData format.

Examples::

    robosmplx synth --task body --count 1000 --out data/synth_body --seed 0 --workers 2
    robosmplx synth --task hand --count 200 --out data/synth_hand --preview
    robosmplx synth --task wholebody --count 50 --out data/wb --body-model smplx --model-dir models/

Rerunning the same command after an interruption finishes the missing samples; a larger
``--count`` extends the dataset.
"""

from __future__ import annotations

import argparse
import os

from robosmplx import argtypes


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--task",
        choices=("wholebody", "body", "hand", "face"),
        default="body",
        help="what the images show: whole scenes (512 px), or body, hand or face crops (256 px)",
    )
    p.add_argument("--count", type=argtypes.positive_int, required=True, help="number of samples")
    p.add_argument(
        "--out", required=True, type=argtypes.out_folder,
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


def run(args) -> int:
    import json
    import time

    from robosmplx.synth.config import SynthConfig
    from robosmplx.synth.generate import generate

    cfg = SynthConfig(
        task=args.task, size=args.size, seed=args.seed, body_model=args.body_model,
        extra_people_prob=args.extra_people, occluder_prob=args.occluders,
        truncation_prob=args.truncation,
    )  # fmt: skip
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
