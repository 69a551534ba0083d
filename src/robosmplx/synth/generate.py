"""Generate a synthetic dataset: samples split across processes, a progress bar, resumable.

Each worker process builds the body model once and renders the indices it is handed, writing
every sample itself (:mod:`robosmplx.synth.writer`). A sample depends only on (seed, task,
index), and every process renders with one torch thread, so the files are the same whatever
the number of workers and however often the run was interrupted.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import torch

from robosmplx.config import from_dict, to_dict
from robosmplx.errors import ConfigError
from robosmplx.procs import die_with_parent
from robosmplx.synth.config import SynthConfig
from robosmplx.synth.writer import assemble, done_indices, prepare_output, write_sample

_WORKER: dict = {}  # in a pool worker: (body model, model folder) -> ModelTables


NEEDED_SUBSETS = {
    "wholebody": ("body",),
    "body": ("body",),
    "hand": ("lhand", "rhand"),
    "face": ("face",),
}


def build_tables(cfg: SynthConfig, model_dir: str | None = None):
    """The body model's :class:`~robosmplx.synth.people.ModelTables` for ``cfg``; refuses a
    model without the keypoints the task crops around (SMPL has no hands or face)."""
    from robosmplx.body import load_body_model
    from robosmplx.synth.people import ModelTables

    tables = ModelTables(load_body_model(cfg.body_model, model_dir=model_dir))
    missing = [s for s in NEEDED_SUBSETS[cfg.task] if s not in tables.subsets]
    if missing:
        raise ConfigError(
            f"--task {cfg.task} needs a body model with {' and '.join(missing)} keypoints; "
            f"{cfg.body_model!r} has only {sorted(tables.subsets)}. Use anny or smplx"
        )
    return tables


def render_indices(cfg: SynthConfig, tables, out: Path, indices: Iterable[int]) -> int:
    """Render and write ``indices`` in this process with one torch thread; returns how many."""
    from robosmplx.synth.render_sample import make_sample

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    n = 0
    try:
        for i in indices:
            write_sample(out, i, make_sample(cfg, tables, i))
            n += 1
    finally:
        torch.set_num_threads(threads)
    return n


def _init_worker(cfg_dict: dict, model_dir: str | None, parent: int) -> None:
    die_with_parent(parent)
    torch.set_num_threads(1)
    cfg = from_dict(SynthConfig, cfg_dict)
    _WORKER[(cfg.body_model, model_dir)] = build_tables(cfg, model_dir)


def _work(cfg_dict: dict, model_dir: str | None, out: str, indices: list[int]) -> int:
    cfg = from_dict(SynthConfig, cfg_dict)
    key = (cfg.body_model, model_dir)
    if key not in _WORKER:  # the pool serves another dataset's body model now
        _WORKER[key] = build_tables(cfg, model_dir)
    return render_indices(cfg, _WORKER[key], Path(out), indices)


def _chunks(indices: list[int], workers: int, largest: int = 8) -> list[list[int]]:
    size = max(1, min(largest, len(indices) // (4 * max(workers, 1)) or 1))
    return [indices[i : i + size] for i in range(0, len(indices), size)]


class SynthRunner:
    """Renders indices of datasets, in this process (``workers`` <= 1) or in a process pool
    whose workers build the body model once."""

    def __init__(
        self,
        cfg: SynthConfig,
        out: str | Path,
        workers: int = 1,
        model_dir: str | None = None,
        tables=None,
    ):
        self.cfg, self.out, self.workers = cfg, Path(out), max(1, int(workers))
        self.model_dir = model_dir
        self.tables = tables
        self.pool = None
        if self.workers == 1:
            self.tables = tables if tables is not None else build_tables(cfg, model_dir)
        else:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init_worker,
                initargs=(to_dict(cfg), model_dir, os.getpid()),
            )  # fmt: skip

    def use(self, cfg: SynthConfig, out: str | Path) -> None:
        """Serve another dataset with the same body model (benchmarks reuse the workers)."""
        if cfg.body_model != self.cfg.body_model:
            raise ConfigError(
                f"a synthesis runner serves one body model ({self.cfg.body_model}); start another "
                f"runner for {cfg.body_model}"
            )
        self.cfg, self.out = cfg, Path(out)

    def run(self, indices: list[int], on_done: Callable[[int], None] | None = None) -> int:
        """Render ``indices``; ``on_done(n)`` after each batch of ``n`` samples. Returns the count."""
        if self.pool is None:
            total = 0
            for chunk in _chunks(list(indices), 1, 4):
                n = render_indices(self.cfg, self.tables, self.out, chunk)
                total += n
                if on_done:
                    on_done(n)
            return total
        args = (to_dict(self.cfg), self.model_dir, str(self.out))
        pending = {self.pool.submit(_work, *args, c) for c in _chunks(list(indices), self.workers)}
        total = 0
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    n = f.result()
                    total += n
                    if on_done:
                        on_done(n)
        except BaseException:
            for f in pending:
                f.cancel()
            raise
        return total

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self) -> SynthRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def generate(
    cfg: SynthConfig,
    count: int,
    out: str | Path,
    workers: int = 1,
    progress: bool = True,
    model_dir: str | None = None,
) -> Path:
    """Make (or finish) ``count`` samples in ``out`` and assemble ``out/humandata.npz``."""
    if count < 1:
        raise ConfigError(f"--count must be at least 1, got {count}")
    out = Path(out)
    tables = build_tables(cfg, model_dir)  # fails here, before any file, for a bad model
    prepare_output(out, cfg)
    todo = sorted(set(range(count)) - done_indices(out, count))
    if todo:
        _render_with_progress(cfg, out, todo, count, workers, progress, model_dir, tables)
    return assemble(out, count, cfg, tables.names, tables.group, tables.model.name)


def _render_with_progress(cfg, out, todo, count, workers, progress, model_dir, tables) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(f"synth {cfg.task}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("synth", total=count, completed=count - len(todo), rate="")
        start, done = time.perf_counter(), 0

        def on_done(n: int) -> None:
            nonlocal done
            done += n
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, advance=n, rate=f"{rate:.1f}/s")

        with SynthRunner(cfg, out, workers, model_dir, tables) as runner:
            runner.run(todo, on_done)
