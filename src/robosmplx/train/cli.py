"""``robosmplx train CONFIG [key=value ...]``: train one stage, or the whole schedule.

CONFIG is a YAML file or a bundled config name (``cpu/hand``, ``paper/wholebody``); overrides
use dotted keys (``trainer.max_steps=200 optim.lr=2e-4 data.batch_size=8``). ``--schedule cpu``
runs hand, face, body, whole-body and the whole-body fine-tune in order (``--schedule default``
adds the default model's body continuation). A run resumes from its
newest checkpoint unless ``--fresh`` is given.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "config", nargs="?", help="YAML config file or bundled name (cpu/body, paper/hand, ...)"
    )
    p.add_argument(
        "overrides", nargs="*", metavar="key=value", help="config overrides, e.g. optim.lr=1e-4"
    )
    p.add_argument(
        "--schedule", choices=("cpu", "paper", "default"),
        help="run a bundled set's stages in order (hand, face, body, wholebody, wholebody_finetune;"
        " default continues body once)",
    )  # fmt: skip
    p.add_argument(
        "--fresh", action="store_true", help="ignore existing checkpoints in the run folder"
    )
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.add_argument("--json", action="store_true", help="print the result as JSON (no progress bar)")


def _configs(args):
    from robosmplx.errors import ConfigError
    from robosmplx.train.config import load_train_config
    from robosmplx.train.stages import schedule_configs

    overrides = list(args.overrides)
    if args.schedule:
        if args.config and "=" in args.config:
            overrides.insert(0, args.config)
        elif args.config:
            raise ConfigError("give either a CONFIG or --schedule, not both")
        paths = schedule_configs(args.schedule)
    elif args.config:
        paths = [args.config]
    else:
        raise ConfigError("no config given; e.g. robosmplx train cpu/hand, or --schedule cpu")
    if args.fresh:
        overrides.append("checkpoint.resume=null")
    if args.json:
        overrides.append("logging.progress_bar=false")
    return [load_train_config(p, overrides) for p in paths]


def _check_schedule_data(schedule: str, cfgs) -> None:
    """All of a schedule's missing datasets in one error, with the one command that makes them."""
    from robosmplx.errors import DataError
    from robosmplx.synth.schedule import SCHEDULE_SIZES, missing_datasets

    missing = missing_datasets(cfgs)
    if not missing:
        return
    make = (
        f"make them all with: robosmplx synth --schedule {schedule}"
        if schedule in SCHEDULE_SIZES
        else "point data.train and data.val at your own HumanData files (docs/training.md)"
    )
    raise DataError(
        f"the {schedule} schedule reads {len(missing)} dataset(s) that are not there "
        f"({', '.join(missing)}); {make}"
    )


def run(args) -> int:
    import json
    import logging

    from robosmplx.train.config import config_yaml

    cfgs = _configs(args)
    if args.dry_run:
        for cfg in cfgs:
            print(config_yaml(cfg))
        return 0
    if args.schedule:
        _check_schedule_data(args.schedule, cfgs)
    from robosmplx.train.runner import train

    if args.json:
        for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
            logging.getLogger(name).setLevel(logging.WARNING)
    results = []
    for cfg in cfgs:
        if not args.json:
            print(
                f"robosmplx train: stage {cfg.stage}, preset {cfg.model.preset}, run {cfg.logging.run_dir}"
            )
        result = train(cfg)
        results.append(result.to_dict())
        if not args.json:
            resumed = f" (resumed from {result.resumed_from})" if result.resumed_from else ""
            print(
                f"robosmplx train: {cfg.stage} done, {result.global_step} steps in "
                f"{result.seconds:.0f} s{resumed}; network: {result.final_model}"
            )
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return 0
