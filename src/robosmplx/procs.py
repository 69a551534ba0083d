"""Worker processes that never outlive the process that started them.

Every worker pool of the project (synth's process pool, the data loaders of train, eval and
bench) calls :func:`die_with_parent` first thing in each worker. On Linux the kernel then kills
the worker the moment its parent dies (``PR_SET_PDEATHSIG``), so ``kill -9`` of a command
leaves no worker behind; elsewhere a daemon thread polls the parent id and exits the worker.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def _set_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_SECONDS):
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int | None = None) -> None:
    """Make this (worker) process end when ``parent`` (default: its current parent) dies.

    Also exits at once when the parent is already gone (it died before the worker got here).
    """
    parent = os.getppid() if parent is None else int(parent)
    if not _set_pdeathsig():
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
