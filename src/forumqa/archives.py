"""Compressed exports, read as what they hold: a pipermail month as `2024-March.txt.gz`, a Slack export as its `.zip`,
a Stack Exchange data dump as its `.7z`.

Mailman's archive pages offer each month as a gzipped mbox, Slack hands out its export as a zip and
Stack Exchange publishes its dump as one 7-Zip archive per site (`askubuntu.com.7z`; Stack Overflow
as one per table, `stackoverflow.com-Posts.7z`); people drop them into the documents folder as they
came. Each is unpacked into a temporary folder and read there like the file or folder inside, so
every format's reader works on a plain path. The per-file size limit applies to the *unpacked*
bytes too: a small archive can unpack to gigabytes. Citations point into the extracted text, as for
every other export.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

import py7zr
from py7zr.exceptions import ArchiveError, CrcError, PasswordRequired
from py7zr.io import Py7zIO, WriterFactory

from forumqa.documents import UnreadableDocument

GZIP, ZIP, SEVEN_ZIP = ".gz", ".zip", ".7z"
SUFFIXES = frozenset({GZIP, ZIP, SEVEN_ZIP})
_BLOCK = 1 << 20
#: The table a .7z must hold to be read; only it and the Users.xml and Comments.xml beside it are unpacked, the dump's
#: other tables (Votes, PostHistory, ...) can be many GB and are never read.
_POSTS = "posts.xml"
#: Stack Overflow's dump comes one table per archive: "stackoverflow.com-Posts.7z" is the site "stackoverflow.com".
_TABLE_SUFFIX = re.compile(r"-posts$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and path.is_file()


@contextlib.contextmanager
def unpacked(path: Path, max_bytes: int | None = None) -> Iterator[Path]:
    """The file a .gz holds, the folder a .zip holds, or the Posts.xml a .7z holds, in a temporary folder removed afterwards.

    Raises UnreadableDocument when the archive is damaged or encrypted, unpacks to more than `max_bytes`,
    names a member outside itself ("../x"), or is a .7z without a Stack Exchange Posts.xml, so the file is
    skipped with that reason.
    """
    with tempfile.TemporaryDirectory(prefix="forumqa-unpack-") as folder:
        suffix = path.suffix.lower()
        if suffix == GZIP:
            yield _gunzip(path, Path(folder), max_bytes)
        elif suffix == SEVEN_ZIP:
            yield _un7zip(path, Path(folder), max_bytes)
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


def _un7zip(path: Path, folder: Path, max_bytes: int | None) -> Path:
    """The Posts.xml of a Stack Exchange dump, unpacked with the Users.xml (its authors' names) and the Comments.xml
    beside it, and nothing else. Comments are an extra: when unpacking them too would pass `max_bytes`, they stay
    packed and the posts are read without them.

    The dump is unpacked into a folder named after its site ("askubuntu.com.7z" into "askubuntu.com/"), as 7-Zip's
    "extract to" does, so its posts get their URLs just as when the dump is unpacked by hand.
    """
    site = _TABLE_SUFFIX.sub("", path.stem).strip()
    target = folder / (site if site not in ("", ".", "..") else "dump")
    try:
        # A file object, not a path: given a path, py7zr unpacks the archive's blocks in parallel threads and
        # raises an error of one (the size limit's included) only once all have finished.
        with path.open("rb") as handle, py7zr.SevenZipFile(handle) as archive:
            members = archive.list()
            for member in members:
                if _escapes(member.filename):
                    raise UnreadableDocument(f"a 7z member names a place outside the archive ({member.filename!r}); nothing of it is read")
            wanted = _dump_tables([m.filename for m in members if not m.is_directory])
            if max_bytes is not None and _declared_size(m for m in members if m.filename in wanted) > max_bytes:
                wanted = [name for name in wanted if not name.lower().endswith("comments.xml")]
            if max_bytes is not None and _declared_size(m for m in members if m.filename in wanted) > max_bytes:
                # What the headers declare, to stop before decompressing anything (in a solid archive, reaching
                # Posts.xml means decompressing the tables packed before it); _Sinks holds the limit whatever they say.
                raise over_limit(max_bytes)
            sinks = _Sinks(target, max_bytes)
            try:
                archive.extract(path=target, targets=wanted, factory=sinks)
            finally:
                sinks.close()
    except UnreadableDocument:
        raise  # a ValueError too: our own reasons pass through as they are
    except PasswordRequired:
        raise UnreadableDocument("an encrypted 7z archive (it needs a password, which forumqa does not take)") from None
    except CrcError:
        raise UnreadableDocument("not a readable 7z file (what it unpacks to fails its checksum: the archive is damaged)") from None
    except (ArchiveError, EOFError, ValueError, KeyError, IndexError, struct.error, lzma.LZMAError, zlib.error) as error:
        # ArchiveError: py7zr's Bad7zFile, DecompressionError, UnsupportedCompressionMethodError, ...; the others:
        # a damaged header or stream that py7zr does not wrap (ValueError includes a member name that is not UTF-16).
        raise UnreadableDocument(f"not a readable 7z file ({str(error) or type(error).__name__})") from None
    return target.joinpath(*PurePosixPath(wanted[0]).parts)


def _escapes(name: str) -> bool:
    """A member name that leads out of the folder it is unpacked into: absolute, a drive ("C:"), or with a ".." part."""
    parts = PurePosixPath(name.replace("\\", "/"))
    return parts.is_absolute() or bool(_DRIVE.match(name)) or ".." in parts.parts


def _dump_tables(names: Sequence[str]) -> list[str]:
    """The members to unpack: Posts.xml first, then the Users.xml and Comments.xml beside it when there are."""
    posts = [name for name in names if PurePosixPath(name).name.lower() == _POSTS]
    if not posts:
        raise UnreadableDocument("the 7z archive holds no Stack Exchange Posts.xml; only a Stack Exchange data dump is read from a .7z")
    if len(posts) > 1:
        raise UnreadableDocument(f"the 7z archive holds more than one Posts.xml ({', '.join(sorted(posts))}); unpack it and read each dump")
    where = PurePosixPath(posts[0])
    beside = {str(where.with_name(table_name(where.name, table))) for table in ("Users", "Comments")}
    return [posts[0], *(name for name in names if name in beside)]


def table_name(posts_name: str, table: str) -> str:
    """The name of a Stack Exchange dump's `table` ("Users", "Comments") that belongs to a Posts.xml:
    `askubuntu_Posts.xml` → `askubuntu_Users.xml`. The one pairing rule, for what a .7z unpacks and for the reader
    (formats.stackexchange), which finds the tables beside the Posts.xml the same way."""
    return posts_name.replace("Posts", table).replace("posts", table.lower())


def _declared_size(members: Iterable[py7zr.FileInfo]) -> int:
    return sum(member.uncompressed or 0 for member in members)


class _Sink(Py7zIO):
    """One member's file; each block py7zr decompresses is counted against the limit before it is written."""

    def __init__(self, path: Path, sinks: _Sinks) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self._sinks = sinks
        self._size = 0

    def write(self, s: bytes | bytearray) -> int:
        self._sinks.count(len(s))
        self._size += len(s)
        return self._file.write(s)

    def read(self, size: int | None = None) -> bytes:
        return b""  # written only; py7zr reads a writer back only for its in-memory ones

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def flush(self) -> None:
        self._file.flush()

    def size(self) -> int:
        return self._size

    def close(self) -> None:
        self._file.close()


class _Sinks(WriterFactory):
    """Where py7zr writes what it unpacks: files under `folder`, all of them together within `max_bytes`.

    py7zr's own `max_extract_size` is no use here: it also counts the members decompressed only to be
    skipped (in a solid archive, every table packed before Posts.xml). Counting what is written holds the
    limit while unpacking, whatever the headers claim. py7zr decompresses in blocks of up to 128 MB (its
    memory limit), so at most one block past the limit is held in memory, never written.
    """

    def __init__(self, folder: Path, max_bytes: int | None) -> None:
        self._folder = folder
        self._max_bytes = max_bytes
        self._written = 0
        self._opened: list[_Sink] = []

    def create(self, filename: str) -> Py7zIO:
        try:
            relative = Path(filename).relative_to(self._folder)
        except ValueError:
            raise UnreadableDocument(f"a 7z member names a place outside the archive ({filename!r}); nothing of it is read") from None
        sink = _Sink(self._folder / relative, self)
        self._opened.append(sink)
        return sink

    def count(self, size: int) -> None:
        self._written += size
        if self._max_bytes is not None and self._written > self._max_bytes:
            raise over_limit(self._max_bytes)

    def close(self) -> None:
        for sink in self._opened:
            sink.close()


def _copy(source: _Readable, sink: IO[bytes], max_bytes: int | None, before: int = 0) -> int:
    """Bytes copied; UnreadableDocument once they and the `before` bytes unpacked already pass `max_bytes`."""
    copied = 0
    while block := source.read(_BLOCK):
        copied += len(block)
        if max_bytes is not None and before + copied > max_bytes:
            raise over_limit(max_bytes)
        sink.write(block)
    return copied


def over_limit(max_bytes: int) -> UnreadableDocument:
    return UnreadableDocument(f"unpacks to more than the {_megabytes(max_bytes)} limit per file (FORUMQA_MAX_FILE_MB)")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:g} MB"
