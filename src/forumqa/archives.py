"""Compressed exports, read as what they hold: a pipermail month as `2024-March.txt.gz`, a Slack export as its `.zip`.

Mailman's archive pages offer each month as a gzipped mbox, and Slack hands out its export as a
zip; people drop them into the documents folder as they came. Each is unpacked into a temporary
folder and read there like the file or folder inside, so every format's reader works on a plain
path. The per-file size limit applies to the *unpacked* bytes too: a small archive can unpack to
gigabytes. Citations point into the extracted text, as for every other export.
"""

from __future__ import annotations

import contextlib
import gzip
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from forumqa.documents import UnreadableDocument

GZIP, ZIP = ".gz", ".zip"
SUFFIXES = frozenset({GZIP, ZIP})
_BLOCK = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and path.is_file()


@contextlib.contextmanager
def unpacked(path: Path, max_bytes: int | None = None) -> Iterator[Path]:
    """The file a .gz holds, or the folder a .zip holds, in a temporary folder removed afterwards.

    Raises UnreadableDocument when the archive is damaged, unpacks to more than `max_bytes`, or names a
    member outside itself ("../x"), so the file is skipped with that reason.
    """
    with tempfile.TemporaryDirectory(prefix="forumqa-unpack-") as folder:
        if path.suffix.lower() == GZIP:
            yield _gunzip(path, Path(folder), max_bytes)
        else:
            yield _unzip(path, Path(folder), max_bytes)


def _gunzip(path: Path, folder: Path, max_bytes: int | None) -> Path:
    target = folder / path.stem  # "2024-March.txt.gz" holds "2024-March.txt": its format is told from that
    try:
        with gzip.open(path, "rb") as source, target.open("wb") as sink:
            _copy(source, sink, max_bytes)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise UnreadableDocument(f"not a readable gzip file ({error or 'it ends too early'})") from None
    return target


def _unzip(path: Path, folder: Path, max_bytes: int | None) -> Path:
    try:
        with zipfile.ZipFile(path) as archive:
            written = 0
            for member in archive.infolist():
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise UnreadableDocument(f"a zip member names a place outside the archive ({member.filename!r}); nothing of it is read")
                if member.is_dir():
                    continue
                target = folder.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, target.open("wb") as sink:
                    written += _copy(source, sink, max_bytes, written)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as error:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method zipfile lacks
        raise UnreadableDocument(f"not a readable zip file ({error})") from None
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder  # "export/..." zipped with its folder


def _copy(source: _Readable, sink: IO[bytes], max_bytes: int | None, before: int = 0) -> int:
    """Bytes copied; UnreadableDocument once they and the `before` bytes unpacked already pass `max_bytes`."""
    copied = 0
    while block := source.read(_BLOCK):
        copied += len(block)
        if max_bytes is not None and before + copied > max_bytes:
            raise UnreadableDocument(f"unpacks to more than the {_megabytes(max_bytes)} limit per file (FORUMQA_MAX_FILE_MB)")
        sink.write(block)
    return copied


def _megabytes(size: int) -> str:
    return f"{size / 2**20:g} MB"
