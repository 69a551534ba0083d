"""The data side of training: HumanData files -> stage datasets -> resumable, sharded loaders.

Each ``data.train`` source becomes a stage dataset (robosmplx.data); an :class:`EpochSampler`
mixes them by ratio, shards them over processes and gives every sample its own augmentation
seed; with ``data.twins`` every sample comes with its positive twin and batches are 2N
(``collate_twins``). Validation sources are read without augmentation or twins.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from robosmplx.errors import DataError
from robosmplx.train.config import DataSource, TrainConfig
from robosmplx.train.sampling import EpochSampler, ResumableLoader

SYNTH_TASK = {"body": "body", "hand": "hand", "face": "face", "wholebody": "wholebody"}


def missing_data_message(path: str, stage: str, split: str = "train") -> str:
    """What to tell a user whose data is missing: the synth command that makes it."""
    folder = Path(path).parent if Path(path).suffix == ".npz" else Path(path)
    count, seed = (200, 0) if split == "train" else (32, 1)
    return (
        f"{path}: {split} data not found. Generate synthetic data with: robosmplx synth "
        f"--task {SYNTH_TASK[stage]} --count {count} --out {folder} --seed {seed} (or point "
        f"data.{split} at your own HumanData .npz)"
    )


def resolve_data_path(path: str, stage: str, split: str = "train") -> Path:
    """A HumanData file: ``path`` itself, or the one ``.npz`` inside the folder ``path``."""
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        found = sorted(p.glob("*.npz"))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise DataError(
                f"{path}: holds several .npz files ({', '.join(f.name for f in found)}); "
                f"name one in data.{split}"
            )
    raise DataError(missing_data_message(path, stage, split))


def data_files(cfg: TrainConfig) -> list[str]:
    """The HumanData files a run reads (those that exist), for the run record."""
    out = []
    for split, sources in (("train", cfg.data.train), ("val", cfg.data.val)):
        for s in sources:
            try:
                out.append(str(resolve_data_path(s.path, cfg.stage, split)))
            except DataError:
                continue
    return out


class MixSource(Dataset):
    """Indexes several stage datasets by ``(source, index, seed)`` keys from the sampler; the
    seed drives the sample's augmentation (and its twin's)."""

    def __init__(self, datasets: list):
        self.datasets = datasets

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)

    def __getitem__(self, key):
        src, index, seed = key
        return self.datasets[src].get(index, np.random.default_rng(seed))


class ShardSampler(Sampler):
    """Validation order: every sample once, dealt round-robin to the processes."""

    def __init__(self, sizes: list[int], rank: int = 0, world_size: int = 1):
        self.keys = [(s, i, 0) for s, n in enumerate(sizes) for i in range(n)][rank::world_size]

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        return iter(self.keys)


def _collate_pairs(batch):
    from robosmplx.data.twins import collate_twins

    return collate_twins(batch)


class TrainDataModule(L.LightningDataModule):
    """Datasets and loaders of one training stage (see the module docstring)."""

    def __init__(self, cfg: TrainConfig, body_model):
        super().__init__()
        self.cfg, self.body_model = cfg, body_model
        self.train_sets: list | None = None
        self.val_sets: list | None = None

    def _dataset(self, src: DataSource, train: bool):
        from robosmplx.data.datasets import HumanDataset
        from robosmplx.data.humandata import Remedies

        remedies = Remedies(  # the trainer's words: its settings are config keys
            trust=f"set trusted: true on its entry under data.{'train' if train else 'val'} "
            "in the config",
            skip="set data.on_bad: skip in the config",
        )
        c = self.cfg
        path = resolve_data_path(src.path, c.stage, "train" if train else "val")
        aug = c.augment if train else _test_time(c.augment)
        return HumanDataset(
            path, self.body_model, c.stage, augment=aug, train=train,
            twins=train and c.data.twins, twin_config=c.twin, seed=c.trainer.seed,
            on_bad=c.data.on_bad, image_dir=src.image_dir, trusted=src.trusted,
            params_key=src.params_key, remedies=remedies,
        )  # fmt: skip

    def setup(self, stage: str | None = None) -> None:
        if not self.cfg.data.train:
            raise DataError("data.train is empty: name at least one HumanData file to train on")
        if self.train_sets is None:
            self.train_sets = [self._dataset(s, True) for s in self.cfg.data.train]
            _check_layouts(self.train_sets, self.cfg.data.train)
        if self.val_sets is None:
            self.val_sets = [self._dataset(s, False) for s in self.cfg.data.val]
            _check_layouts(self.val_sets, self.cfg.data.val)

    def _rank(self) -> tuple[int, int]:
        t = self.trainer
        return (t.global_rank, t.world_size) if t is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        from robosmplx.data.workers import worker_init_fn

        self.setup()
        d = self.cfg.data
        rank, world = self._rank()
        sampler = EpochSampler(
            [len(s) for s in self.train_sets], [s.ratio for s in d.train], d.batch_size,
            epoch_length=d.epoch_length, seed=self.cfg.trainer.seed, rank=rank, world_size=world,
        )  # fmt: skip
        return ResumableLoader(
            MixSource(self.train_sets), sampler, num_workers=d.num_workers,
            collate_fn=_collate_pairs if d.twins else default_collate,
            worker_init_fn=worker_init_fn, persistent_workers=d.num_workers > 0,
        )  # fmt: skip

    def val_dataloader(self) -> DataLoader | list:
        from robosmplx.data.workers import guard_worker

        self.setup()
        if not self.val_sets:
            return []
        rank, world = self._rank()
        sampler = ShardSampler([len(s) for s in self.val_sets], rank, world)
        return DataLoader(
            MixSource(self.val_sets), batch_size=self.cfg.data.batch_size, sampler=sampler,
            num_workers=self.cfg.data.num_workers, worker_init_fn=guard_worker,
        )  # fmt: skip


def _check_layouts(datasets: list, sources) -> None:
    """Samples of all sources must batch together (same crop, groups and keypoint count)."""
    sigs = [d.signature for d in datasets]
    for src, sig in zip(sources[1:], sigs[1:]):
        if sig != sigs[0]:
            raise DataError(
                f"{src.path}: its samples do not batch with {sources[0].path}'s "
                f"({sig} vs {sigs[0]}); mix files of the same body model and stage"
            )


def _test_time(aug):
    import dataclasses

    return dataclasses.replace(aug, enabled=False)
