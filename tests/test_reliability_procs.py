"""kill -9 of a command leaves none of its worker processes behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def _children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


POOL = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from robosmplx.procs import die_with_parent

if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(2, mp_context=ctx, initializer=die_with_parent,
                               initargs=(os.getpid(),))
    jobs = [pool.submit(time.sleep, 0.3) for _ in range(8)]
    jobs[0].result()
    print("ready", flush=True)
    time.sleep(60)
"""


def _kill_and_check(proc: subprocess.Popen, workers: set[int]) -> None:
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)], "workers outlived the killed process"


def _start(cmd: list[str], **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(cmd, env=env, start_new_session=True, **kw)


def _end_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this test started, if anything is left
    except ProcessLookupError:
        pass
    proc.wait()


LOADER = """
import time
import torch
from torch.utils.data import DataLoader, Dataset
from robosmplx.data.workers import guard_worker

class Slow(Dataset):
    def __len__(self):
        return 1000
    def __getitem__(self, i):
        time.sleep(0.2)
        return torch.zeros(1)

if __name__ == "__main__":
    batches = iter(DataLoader(Slow(), num_workers=2, worker_init_fn=guard_worker))
    next(batches)
    print("ready", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("kind", ["pool", "loader"])
def test_killed_owner_leaves_no_worker(tmp_path, kind):
    """The mechanism every pool uses: a spawn pool's busy and idle workers, and data-loader
    workers (train, eval, bench), die with their parent."""
    script = tmp_path / f"{kind}.py"
    script.write_text(POOL if kind == "pool" else LOADER)
    proc = _start([sys.executable, str(script)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        workers = {p for p in _children(proc.pid) if _alive(p)}
        assert len(workers) >= 2
        _kill_and_check(proc, workers)
    finally:
        _end_group(proc)


@pytest.mark.slow
def test_killed_synth_leaves_no_worker(tmp_path):
    out = tmp_path / "synth"
    cmd = [sys.executable, "-m", "robosmplx.cli", "synth", "--task", "hand", "--count", "400",
           "--size", "64", "--workers", "2", "--body-model", "anny-small", "--out", str(out), "--no-progress"]  # fmt: skip
    proc = _start(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            workers = {p for p in _children(proc.pid) if _alive(p)}
            # workers armed once they render: the first records appear
            if len(workers) >= 2 and any((out / "records").glob("*.npz")):
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert len(workers) >= 2, "synth started no workers"
        _kill_and_check(proc, workers)
    finally:
        _end_group(proc)
