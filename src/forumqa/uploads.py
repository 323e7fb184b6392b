"""Adding files to the documents folder and taking them out again, safely; the HTTP layer only calls these.

A file sent by a browser names itself, so its name is untrusted: only a plain base name of a type the
loader reads is stored, and only inside the documents folder. A file appears there whole or not at
all (written under a hidden temporary name, which the loader ignores, then renamed), so a rebuild
running meanwhile never reads half an upload.
"""

from __future__ import annotations

import errno
import os
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from forumqa.archives import GZIP
from forumqa.archives import SUFFIXES as ARCHIVE_SUFFIXES
from forumqa.documents import make_doc_id
from forumqa.errors import ForumQAError
from forumqa.formats import PAGE_PARSERS

#: Thread exports are told apart by their content (forumqa.formats sniffs them), but only files with these
#: extensions reach a sniffer that can claim them: .json (Discourse, Reddit, Discord, Flarum, Telegram, forumqa
#: threads), .xml (Stack Exchange Posts.xml), .mbox and .eml (one saved mail, read as an mbox of one message),
#: .ndjson, .jsonl and .zst (Reddit data dumps, the .zst streamed, never unpacked).
#: Everything else is read as a page by PAGE_PARSERS.
THREAD_EXPORT_SUFFIXES = frozenset({".json", ".xml", ".mbox", ".eml", ".ndjson", ".jsonl", ".zst"})
#: .gz, .zip and .7z are read as what they hold (forumqa.archives): a .7z only when it is a Stack Exchange dump.
SUFFIXES = frozenset(PAGE_PARSERS) | THREAD_EXPORT_SUFFIXES | ARCHIVE_SUFFIXES
#: Longest file name most file systems store (ext4, APFS, NTFS: 255 bytes or characters).
MAX_NAME_BYTES = 255
_CHUNK = 1 << 20


class UploadRefused(ForumQAError):
    """One file not stored; the message is the reason, written for the person who sent it."""


class UploadTooLarge(UploadRefused):
    """The file is over the upload limit."""


class NameTaken(UploadRefused):
    """A file of that name is already there and replacing it was not asked for."""


class DeleteRefused(ForumQAError):
    """A document's file that is not removed over HTTP: a folder, or a path or link leading out of the documents folder."""


def supported() -> str:
    return ", ".join(sorted(SUFFIXES))


def safe_name(raw: str | None) -> str:
    """The name a sent file is stored under: its base name, stripped of any folders the client put in front.

    Raises UploadRefused for a name that is empty, hidden, holds control characters, reads as a path after
    Unicode normalisation (a full-width solidus is a slash in NFKC), is too long or has a type the loader
    does not read.
    """
    if raw is None or not raw.strip():
        raise UploadRefused("no file name")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in raw):
        raise UploadRefused("control or invisible characters in the file name")
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1].strip()
    folded = unicodedata.normalize("NFKC", name)
    if name in ("", ".", "..") or folded in (".", ".."):
        raise UploadRefused("not a file name")
    if "/" in folded or "\\" in folded:
        raise UploadRefused("characters that read as a path separator in the file name")
    if folded.startswith("."):
        raise UploadRefused("hidden file (name starts with '.'); such files are not indexed")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UploadRefused(f"file name longer than {MAX_NAME_BYTES} bytes")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == GZIP:  # read as what it holds: "2024-March.txt.gz" is an mbox, "site.tar.gz" nothing readable
        inner = PurePosixPath(name[: -len(GZIP)]).suffix.lower()
        if inner and (inner in ARCHIVE_SUFFIXES or inner not in SUFFIXES):
            suffix = f"{inner}{GZIP}"
    if suffix not in SUFFIXES:
        raise UploadRefused(f"unsupported file type {suffix or '(no extension)'}; readable: {supported()}")
    return name


@dataclass(frozen=True)
class Rejected:
    name: str
    reason: str


@dataclass
class UploadPlan:
    """What a batch of sent files comes to before anything is written."""

    #: (position in the batch, safe name) of each file to store.
    accepted: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: Names already in the folder (only while overwrite is off): the whole batch waits for the sender's say.
    existing: list[str] = field(default_factory=list)
    #: Names of files over the size limit.
    too_large: list[str] = field(default_factory=list)


def plan_upload(folder: Path, files: Sequence[tuple[str | None, int | None]], overwrite: bool, max_bytes: int) -> UploadPlan:
    """Checks (name, size in bytes if known) of each sent file against the folder, writing nothing."""
    plan = UploadPlan()
    taken: dict[str, str] = {}  # document id -> name, of the files in this batch
    for position, (raw, size) in enumerate(files):
        shown = raw or ""
        try:
            name = safe_name(raw)
            if size is not None and size > max_bytes:
                plan.too_large.append(name)
                continue
            if size == 0:
                raise UploadRefused("empty file")
            doc_id = make_doc_id(name)
            if doc_id in taken:
                raise UploadRefused(f"same document id {doc_id!r} as {taken[doc_id]} in this upload; rename one of them")
            clash = _same_id(folder, name)
            if clash is not None:
                raise UploadRefused(f"same document id {doc_id!r} as {clash}, already in the documents folder; rename it")
            target = folder / name
            if target.is_dir() and not target.is_symlink():
                raise UploadRefused("a folder of that name is in the documents folder")
        except UploadRefused as refused:
            plan.rejected.append(Rejected(shown, str(refused)))
            continue
        taken[doc_id] = name
        if not overwrite and (target.exists() or target.is_symlink()):
            plan.existing.append(name)
        plan.accepted.append((position, name))
    return plan


def _same_id(folder: Path, name: str) -> str | None:
    """Another file at the top of the folder whose document id is this name's ("Notes.md" and "notes.txt" are both
    "notes"): the loader would skip one of the two, so the upload is refused instead.
    """
    wanted = make_doc_id(name)
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return None
    for entry in entries:
        if entry.name != name and not entry.name.startswith(".") and not entry.is_dir() and make_doc_id(entry.name) == wanted:
            return entry.name
    return None


def store(folder: Path, name: str, data: BinaryIO, max_bytes: int, overwrite: bool = False) -> int:
    """Writes `data` to folder/name, whole or not at all; returns the bytes written.

    `name` must come from safe_name. Without `overwrite`, an existing file (even one created a moment ago
    by another request) is never replaced: the file is linked into place, which fails if the name is taken.

    Raises:
        UploadTooLarge: more than `max_bytes`.
        NameTaken: the name is taken and `overwrite` is off.
        UploadRefused: an empty file.
        OSError: the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            written = _copy(data, out, max_bytes)
            out.flush()
            os.fsync(out.fileno())
        if written == 0:
            raise UploadRefused("empty file")
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from other readers of the folder
        _place(temporary, folder / name, overwrite)
        return written
    finally:
        Path(temporary).unlink(missing_ok=True)


def _copy(data: BinaryIO, out: BinaryIO, max_bytes: int) -> int:
    written = 0
    while chunk := data.read(_CHUNK):
        written += len(chunk)
        if written > max_bytes:
            raise UploadTooLarge(f"larger than the upload limit of {max_bytes / 2**20:g} MB")
        out.write(chunk)
    return written


def _place(temporary: str, target: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise NameTaken(f"{target.name} is already in the documents folder; send overwrite=true to replace it") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        # A file system without hard links: check, then rename (a race with another upload is then possible).
        if target.exists() or target.is_symlink():
            raise NameTaken(f"{target.name} is already in the documents folder; send overwrite=true to replace it") from None
        os.replace(temporary, target)


# ---------------------------------------------------------------- deleting


def source_path(folder: Path, source: str) -> Path:
    """The file or folder a document's `source` names, checked to lie inside `folder`.

    The index only holds sources the loader found inside the folder, but the disk may have changed since:
    a folder on the way swapped for a link, or the file for a link that leads out. Both are refused.
    """
    relative = PurePosixPath(source)
    if not source or relative.is_absolute() or any(part in ("", ".", "..") for part in source.split("/")) or "\\" in source:
        raise DeleteRefused(f"{source!r} is not a path inside the documents folder; not deleted")
    root = folder.resolve()
    path = root.joinpath(*relative.parts)
    try:
        inside = path.parent.resolve(strict=False).is_relative_to(root)
        if inside and path.is_symlink():
            inside = path.resolve(strict=False).is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        inside = False
    if not inside:
        raise DeleteRefused(f"{source} leads outside the documents folder (a link); not deleted")
    return path


def delete_source(folder: Path, source: str) -> bool:
    """Removes the file of `source` (a link itself, never what it points to); False when it was already gone.

    Raises DeleteRefused for a path leading out of `folder`, and for a folder export (a Slack export is many
    files): that is removed on the server, not over HTTP.
    """
    path = source_path(folder, source)
    if path.is_dir() and not path.is_symlink():
        raise DeleteRefused(f"{source} is a folder (an export of many files); remove it on the server")
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
