"""DataLoader seeding: every worker gets its own deterministic streams for a given seed.

Our datasets draw augmentation from ``(seed, epoch, index)`` and need no global state; the
worker seeding here covers anything else that reads numpy's, Python's or torch's global RNG.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from robosmplx.procs import die_with_parent


def worker_init_fn(worker_id: int) -> None:
    """Seed numpy and ``random`` from the torch seed DataLoader gave this worker (base seed +
    worker id, drawn from the loader's generator); the worker dies with its parent."""
    die_with_parent()
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def guard_worker(worker_id: int) -> None:
    """``worker_init_fn`` for loaders that need no seeding: the worker dies with its parent."""
    die_with_parent()


def make_generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


def make_loader(
    dataset: Dataset,
    batch_size: int,
    num_workers: int = 0,
    seed: int = 0,
    shuffle: bool = True,
    drop_last: bool = False,
    collate_fn: Callable | None = None,
    **kwargs,
) -> DataLoader:
    """A DataLoader whose order and worker seeds are fixed by ``seed``."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        drop_last=drop_last,
        collate_fn=collate_fn,
        worker_init_fn=worker_init_fn,
        generator=make_generator(seed),
        persistent_workers=False,
        **kwargs,
    )
