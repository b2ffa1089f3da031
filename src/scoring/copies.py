"""Local copies of registered models' files: one folder per load, gone when its process is.

``lookup.load_pyfunc`` checks a model's files against their digests in a local copy and loads the model
from it; the loaded model reads its encoder from that copy for as long as it runs, so the copy must live
as long as the process. Each copy is about 60 MB, and a busy machine loads models many times a day
(every ``serve`` start, ``score``, ``evaluate``, retrain gate and test run), so a copy must also not
outlive its process.

- A copy is removed when the process that made it exits normally (``atexit``, SIGTERM included for
  ``serve``, whose server turns it into a normal exit).
- A copy holds ``owner.lock``, which its process keeps locked (``fcntl.flock``) until it ends. A process
  that was killed (SIGKILL, out of memory) or crashed leaves its copy behind with the lock free; the
  next load anywhere on the machine removes it. A lock is held by an open file, not a process id, so
  this works across containers sharing a temporary folder and cannot mistake a reused id for an owner.
- A copy younger than ``GRACE_SECONDS`` without a held lock is being made right now and is left alone.

Example:
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory(); root = Path(tmp.name)
    >>> folder = new_copy_folder(root)
    >>> (folder / LOCK).exists(), sweep(root)
    (True, 0)
    >>> remove(folder); folder.exists()
    False
    >>> tmp.cleanup()

"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: How every copy's folder name starts, in the temporary folder.
PREFIX = "ticketbuddy-model-"
#: The file whose lock says the copy's process is alive.
LOCK = "owner.lock"
#: A copy this young may be half made (folder there, lock not yet taken): never swept.
GRACE_SECONDS = 60.0

_held: dict[Path, tuple[int, int]] = {}  # folder -> (lock's file descriptor, the process that made it)


def new_copy_folder(root: Path | None = None) -> Path:
    """A new empty folder for one model copy, locked by this process; leftovers of dead ones removed first."""
    root = Path(root or tempfile.gettempdir())
    sweep(root)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    fd = os.open(folder / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _held[folder] = (fd, os.getpid())
    return folder


def remove(folder: Path) -> None:
    """Remove a copy this process made (and release its lock); a forked child leaves its parent's alone."""
    fd, owner = _held.pop(folder, (-1, os.getpid()))
    if owner != os.getpid():
        return
    shutil.rmtree(folder, ignore_errors=True)
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def sweep(root: Path | None = None) -> int:
    """Remove the copies in ``root`` whose process is gone; how many were removed."""
    root = Path(root or tempfile.gettempdir())
    removed = 0
    for folder in root.glob(PREFIX + "*"):
        if folder in _held or not folder.is_dir() or _young(folder):
            continue
        if _orphaned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d model copies left by processes that ended without cleaning up", removed)
    return removed


def _young(folder: Path) -> bool:
    try:
        return time.time() - folder.stat().st_mtime < GRACE_SECONDS
    except OSError:
        return True


def _orphaned(folder: Path) -> bool:
    """True when nobody holds the copy's lock (or it has none: made before copies were locked)."""
    try:
        fd = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@atexit.register
def _remove_all() -> None:
    for folder in list(_held):
        remove(folder)
