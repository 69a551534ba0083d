"""The synthetic datasets a bundled training schedule reads, and the size and seed each is made
with: what ``robosmplx synth --schedule cpu`` makes in one step before ``robosmplx train
--schedule cpu``. The folders are the ones the schedule's configs name (``data/synth/<task>``
and ``data/synth/<task>_val``, relative to the folder training runs in)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from robosmplx.errors import ConfigError, DataError

# schedule -> split -> task -> (count, seed). cpu: what the cpu/*.yaml headers list; default:
# the bundled model's data (docs/default_model.md). Seeds never repeat between splits.
SCHEDULE_SIZES: dict[str, dict[str, dict[str, tuple[int, int]]]] = {
    "cpu": {
        "train": {t: (200, 0) for t in ("hand", "face", "body", "wholebody")},
        "val": {t: (32, 1) for t in ("hand", "face", "body", "wholebody")},
    },
    "default": {
        "train": {
            "hand": (2000, 1001),
            "face": (1500, 1002),
            "body": (4000, 1003),
            "wholebody": (2400, 1004),
        },
        "val": {t: (64, 2000) for t in ("hand", "face", "body", "wholebody")},
    },
}
SYNTH_SCHEDULES = tuple(SCHEDULE_SIZES)


@dataclass(frozen=True)
class ScheduleDataset:
    """One dataset a schedule reads: where, what and how many."""

    path: str  # the folder the configs name
    task: str
    split: str  # train or val
    count: int
    seed: int

    def command(self) -> str:
        """The ``robosmplx synth`` line that makes this dataset alone."""
        return (
            f"robosmplx synth --task {self.task} --count {self.count} --out {self.path} "
            f"--seed {self.seed}"
        )


def _folder(path: str) -> str:
    p = Path(path)
    return str(p.parent if p.suffix == ".npz" else p)


def schedule_datasets(which: str, cfgs=None) -> list[ScheduleDataset]:
    """Every dataset of schedule ``which`` (train and validation), each once, in stage order.
    ``cfgs``: the schedule's loaded configs (default: the bundled ones, no overrides)."""
    if which not in SCHEDULE_SIZES:
        if which == "paper":
            raise ConfigError(
                "the paper schedule reads real datasets (FreiHAND, H36M, COCO-WholeBody, ...), "
                "not synthetic ones: convert your own to HumanData (docs/data.md) and point "
                "data.train/data.val at them; for synthetic data use --schedule cpu or default"
            )
        raise ConfigError(
            f"unknown schedule {which!r}; synthetic data exists for {', '.join(SYNTH_SCHEDULES)}"
        )
    if cfgs is None:
        from robosmplx.train.config import load_train_config
        from robosmplx.train.stages import schedule_configs

        cfgs = [load_train_config(p) for p in schedule_configs(which)]
    sizes, seen, out = SCHEDULE_SIZES[which], set(), []
    for cfg in cfgs:
        for split in ("train", "val"):
            for source in getattr(cfg.data, split):
                folder = _folder(source.path)
                if folder in seen:
                    continue
                seen.add(folder)
                count, seed = sizes[split][cfg.stage]
                out.append(ScheduleDataset(folder, cfg.stage, split, count, seed))
    return out


def missing_datasets(cfgs) -> list[str]:
    """The data paths of ``cfgs`` (train and validation) that hold no readable HumanData file."""
    from robosmplx.train.datamodule import resolve_data_path

    missing = []
    for cfg in cfgs:
        for split in ("train", "val"):
            for source in getattr(cfg.data, split):
                try:
                    resolve_data_path(source.path, cfg.stage, split)
                except DataError:
                    if source.path not in missing:
                        missing.append(source.path)
    return missing
