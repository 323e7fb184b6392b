"""How reading or writing a file of the index fails: one line naming the file, never a traceback."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from forumqa.embedding import sqlite_unwritable
from forumqa.errors import IndexCorruptError, IndexWriteError

#: What reading a damaged file raises, across sqlite3, json, numpy, faiss (RuntimeError) and bm25s.
_UNREADABLE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, RuntimeError, sqlite3.Error)


def reason(error: BaseException) -> str:
    """One short line from any exception: an OS error's own words, or the first line of faiss's C++ trace."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    lines = str(error).strip().splitlines()
    text = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", lines[0]) if lines else ""
    if not isinstance(error, ValueError | RuntimeError | sqlite3.Error):
        text = f"{type(error).__name__} {text}".strip()
    return text[:200]


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Any failure while reading `path` becomes IndexCorruptError naming it, instead of a traceback."""
    try:
        yield
    except _UNREADABLE as error:
        raise IndexCorruptError(path, reason(error)) from None


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """A refused write (disk full, no permission, `ulimit -f`) becomes one line naming the file, instead of a traceback."""
    try:
        yield
    except OSError as error:
        raise IndexWriteError(path, reason(error)) from None
    except sqlite3.Error as error:
        if not sqlite_unwritable(error):
            raise
        raise IndexWriteError(path, str(error)) from None
