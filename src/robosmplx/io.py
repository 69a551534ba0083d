"""Atomic file writes: a file or folder either exists complete or not at all.

Temporary names are ``.NAME.partial-PID-RANDOM`` (``.NAME.old-PID-RANDOM`` for a folder being
replaced): unique per writer, and :func:`sweep_leftovers` can tell a killed writer's leftovers
(its PID is gone) from a running one's. :func:`commit_folder` renames a finished folder into
place under a lock on its parent folder, so processes committing the same name do not race.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_LEFTOVER = re.compile(r"^\..+\.(?:partial|old)-(?:(\d+)-)?[^/]*$")


def partial_prefix(name: str) -> str:
    """The temporary-name prefix of this process's writes of ``name``."""
    return f".{name}.partial-{os.getpid()}-"


def make_partial_folder(parent: str | Path, name: str) -> Path:
    """A new empty hidden folder in ``parent`` to build ``parent/name`` in."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=parent, prefix=partial_prefix(name)))


@contextlib.contextmanager
def _parent_locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` itself (flock on its descriptor; freed if we die)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): renames there are atomic replacements already
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def commit_folder(tmp: str | Path, final: str | Path) -> Path:
    """Rename the finished folder ``tmp`` to ``final``, replacing what is there.

    Safe when several processes commit the same ``final`` at once (the last one wins and no
    temporary folder is left): the swap happens under a lock on the parent folder; the old
    content is moved aside under a unique name and deleted. If the rename fails, the old
    content is put back and ``tmp`` deleted.
    """
    tmp, final = Path(tmp), Path(final)
    old = None
    try:
        with _parent_locked(final.parent):
            if final.exists() or final.is_symlink():
                old = Path(
                    tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-{os.getpid()}-")
                )
                os.replace(final, old / "x")
            try:
                os.replace(tmp, final)
            except BaseException:
                if old is not None:  # put the previous content back
                    os.replace(old / "x", final)
                raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None and final.exists():
            shutil.rmtree(old, ignore_errors=True)
    return final


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_leftovers(folder: str | Path) -> list[Path]:
    """Delete the temporary files and folders in ``folder`` that killed writers left behind
    (those of running processes stay). Returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for p in folder.iterdir():
        m = _LEFTOVER.match(p.name)
        if not m or (m.group(1) is not None and _alive(int(m.group(1)))):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed.append(p)
    return removed


def atomic_write(path: str | Path, writer: Callable[[str], None], suffix: str = "") -> Path:
    """Call ``writer(tmp_path)`` then rename onto ``path``. ``suffix`` keeps writers that
    dispatch on the extension (numpy, PIL, trimesh) happy."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=partial_prefix(path.name), suffix=suffix or path.suffix
    )
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    def w(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    return atomic_write(path, w)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (``hashlib`` algorithm, SHA-256 by default; read in 1 MiB
    chunks)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
