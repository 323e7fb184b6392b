"""One build at a time per index folder, across processes, and who holds it when another has to wait."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import BaseFileLock, FileLock, Timeout

from forumqa.errors import BuildLockedError, IndexWriteError
from forumqa.index_io import reason

log = logging.getLogger(__name__)

LOCK_FILE = ".build.lock"
OWNER_FILE = ".build.owner"


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout_s: float) -> Iterator[None]:
    """Holds the index folder for one build, across processes.

    The lock is an flock, which the kernel drops when its holder dies, so a killed build never leaves
    the folder locked. Everything a build writes here (staging folders, the embedding cache, CURRENT,
    the removal of old generations) happens under it, which is why the holder may delete any staging
    folder it finds: the build that made it has ended, or it would still hold the lock.
    """
    lock = FileLock(str(index_dir / LOCK_FILE))
    _acquire(lock, index_dir, timeout_s)
    owner = index_dir / OWNER_FILE
    try:
        with contextlib.suppress(OSError):  # only for the message a waiting build prints: never a reason to fail
            owner.write_text(f"pid {os.getpid()} on {socket.gethostname()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        yield
    finally:
        with contextlib.suppress(OSError):
            owner.unlink(missing_ok=True)
        lock.release()


def _acquire(lock: BaseFileLock, index_dir: Path, timeout_s: float) -> None:
    try:
        try:
            lock.acquire(timeout=0)
            return
        except Timeout:
            if timeout_s <= 0:
                raise
        # A warning, so that a waiting `forumqa index` says why it is waiting even before logging is set up.
        log.warning("another build of %s is running (%s): waiting up to %g s for it to finish", index_dir, _holder(index_dir), timeout_s)
        lock.acquire(timeout=timeout_s)
    except Timeout:
        waited = f", waited {timeout_s:g} s" if timeout_s > 0 else ""
        raise BuildLockedError(
            f"another build of {index_dir} is running ({_holder(index_dir)}{waited}): try again when it has finished "
            "(FORUMQA_BUILD_LOCK_TIMEOUT_S sets how long a build waits)"
        ) from None
    except OSError as error:  # e.g. a read-only index folder
        raise IndexWriteError(index_dir / LOCK_FILE, reason(error)) from None


def _holder(index_dir: Path, patience_s: float = 0.5) -> str:
    """Who holds the build lock, from the note its holder writes just after taking it (hence a short wait for it)."""
    deadline = time.monotonic() + patience_s
    while True:
        with contextlib.suppress(OSError, ValueError):
            if text := (index_dir / OWNER_FILE).read_text(encoding="utf-8").strip():
                return text[:200]
        if time.monotonic() >= deadline:
            return "pid unknown"
        time.sleep(0.02)
