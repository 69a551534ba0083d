"""Deterministic, resumable, sharded sampling of a dataset mix.

Every epoch's order is a pure function of (seed, epoch): each source contributes its share of
the epoch (``ratio`` x ``epoch_length``, drawn without replacement, cycling through fresh
permutations when a source is smaller than its share), the draws are shuffled together and dealt
round-robin to the ranks. Each drawn sample also gets its own augmentation seed, a function of
(seed, epoch, position), so a sample's crop does not depend on worker processes or on what ran
before. A :class:`ResumableLoader` counts the batches it has handed out; its ``state_dict``
(which Lightning stores in the checkpoint) lets a resumed run skip exactly those batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import DataLoader, Sampler

from robosmplx.errors import ConfigError

_SEED_SPACE = 2**63 - 1


def source_counts(sizes: Sequence[int], ratios: Sequence[float], epoch_length: int) -> list[int]:
    """Samples per source in one epoch: proportional to ``ratios``, summing to ``epoch_length``
    (largest remainders get the rounding)."""
    if len(sizes) != len(ratios) or not sizes:
        raise ConfigError("data mix: give one ratio per data source")
    if any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise ConfigError(f"data mix ratios {list(ratios)} must be >= 0 with a positive sum")
    if any(n <= 0 for n, r in zip(sizes, ratios) if r > 0):
        raise ConfigError("data mix: a source with a positive ratio has no samples")
    total = float(sum(ratios))
    exact = [epoch_length * r / total for r in ratios]
    counts = [int(np.floor(x)) for x in exact]
    order = np.argsort([-(x - c) for x, c in zip(exact, counts)], kind="stable")
    for i in order[: epoch_length - sum(counts)]:
        counts[int(i)] += 1
    return counts


def epoch_draws(
    sizes: Sequence[int],
    ratios: Sequence[float],
    epoch_length: int,
    seed: int,
    epoch: int,
    shuffle: bool = True,
) -> np.ndarray:
    """(epoch_length, 2) int64 rows ``(source, index)`` of one epoch, a pure function of the
    arguments."""
    rng = np.random.default_rng([seed, epoch, 0x5EED])
    rows = []
    for src, (size, n) in enumerate(zip(sizes, source_counts(sizes, ratios, epoch_length))):
        if n == 0:
            continue
        reps = -(-n // size)
        perms = [rng.permutation(size) if shuffle else np.arange(size) for _ in range(reps)]
        idx = np.concatenate(perms)[:n]
        rows.append(np.stack((np.full(n, src), idx), 1))
    draws = np.concatenate(rows).astype(np.int64)
    return draws[rng.permutation(len(draws))] if shuffle else draws


class EpochSampler(Sampler):
    """Yields ``(source, index, sample_seed)`` for this rank's share of each epoch.

    The epoch is cut to a multiple of ``world_size * batch_size`` so every rank runs the same
    number of full batches (DDP needs that). ``set_epoch`` is called by Lightning before each
    epoch; ``skip_batches`` makes the next pass start after that many batches (resume).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        ratios: Sequence[float],
        batch_size: int,
        epoch_length: int | None = None,
        seed: int = 0,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.sizes, self.ratios = list(sizes), list(ratios)
        self.batch_size, self.seed, self.shuffle = batch_size, seed, shuffle
        self.rank, self.world_size = rank, world_size
        length = epoch_length if epoch_length is not None else sum(self.sizes)
        per_step = batch_size * world_size
        self.epoch_length = (length // per_step) * per_step
        if self.epoch_length == 0:
            raise ConfigError(
                f"an epoch of {length} samples is smaller than one step of {per_step} "
                f"(batch {batch_size} x {world_size} processes); lower the batch size or add data"
            )
        self.epoch = 0
        self._skip: tuple[int, int] | None = None  # (epoch, batches) to skip once

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def skip_batches(self, epoch: int, n: int) -> None:
        """Start epoch ``epoch``'s next pass after its first ``n`` batches."""
        self._skip = (int(epoch), int(n))

    def pending_skip(self) -> int:
        """Batches the next pass over the current epoch will skip."""
        return self._skip[1] if self._skip is not None and self._skip[0] == self.epoch else 0

    def __len__(self) -> int:
        return self.epoch_length // self.world_size

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        draws = epoch_draws(
            self.sizes, self.ratios, self.epoch_length, self.seed, self.epoch, self.shuffle
        )
        seeds = np.random.default_rng([self.seed, self.epoch, 0xA06]).integers(
            0, _SEED_SPACE, len(draws)
        )
        start = self.pending_skip() * self.batch_size
        self._skip = None
        mine = range(self.rank, len(draws), self.world_size)
        for pos in list(mine)[start:]:
            yield int(draws[pos, 0]), int(draws[pos, 1]), int(seeds[pos])


class ResumableLoader(DataLoader):
    """A DataLoader over an :class:`EpochSampler` whose position survives a checkpoint.

    ``state_dict`` gives the epoch and the batches handed out in it; Lightning (which does not
    pre-fetch from loaders of known length) saves it with the loop state and calls
    ``load_state_dict`` before the resumed epoch starts.
    """

    def __init__(self, dataset, sampler: EpochSampler, **kwargs: Any):
        super().__init__(dataset, batch_size=sampler.batch_size, sampler=sampler, **kwargs)
        self._epoch_sampler = sampler
        self._served = 0

    def __iter__(self):
        self._served = self._epoch_sampler.pending_skip()
        for batch in super().__iter__():
            self._served += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self._epoch_sampler.epoch, "batches": self._served}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._epoch_sampler.skip_batches(int(state["epoch"]), int(state["batches"]))
