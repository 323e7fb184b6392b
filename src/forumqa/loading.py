"""Reading a documents folder: every file in its own format, and nothing lost without saying so.

One file's problem never costs another file: whatever goes wrong while reading or parsing it
(bad bytes, a malformed export, a parser's own failure) skips that file with a one-line reason,
and a bad post inside an export skips only that post. Links that lead out of the folder, loop
or dangle are reported, never followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from forumqa.archives import is_archive, unpacked
from forumqa.documents import PARTLY_READ, Document, LoadResult, Skipped, UnreadableDocument, make_doc_id
from forumqa.errors import NoDocumentsError
from forumqa.formats import FOLDER_FORMATS, PAGE_PARSERS, SUPPORTED, THREAD_FORMATS, reddit_dump
from forumqa.threads import ThreadFormat, documents_of

#: Enough of a file to recognise its format (a Discourse topic names `post_stream` near its start).
SNIFF_BYTES = 65536


def _head(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(SNIFF_BYTES)
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file, not text")
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


def _read_page(path: Path, source: str) -> Document:
    parser = PAGE_PARSERS.get(path.suffix.lower())
    if parser is None:
        raise UnreadableDocument(f"unsupported file type (supported: {SUPPORTED})")
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 (bad byte at position {exc.start})") from exc
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():
        raise UnreadableDocument("empty file")
    title, date, text, sections = parser(raw, path.stem)
    if not any(text[s.start : s.end].strip() for s in sections):
        raise UnreadableDocument("no text besides the title")
    return Document(make_doc_id(source), source, title, date, text, sections)


def _read_threads(fmt: ThreadFormat, path: Path, source: str, warnings: list[Skipped]) -> list[Document]:
    def warn(message: str) -> None:
        warnings.append(Skipped(source, f"{PARTLY_READ} ({fmt.name}): {message}"))

    documents = list(documents_of(fmt.read(path, warn), make_doc_id(source), source, fmt.many))
    if not documents:
        raise UnreadableDocument(f"{fmt.name} with no post that has text")
    return documents


def read_file(path: Path, source: str, warnings: list[Skipped] | None = None, max_file_bytes: int | None = None) -> list[Document]:
    """The documents in one file (an export may hold many threads); raises UnreadableDocument with a reason.

    A .gz, .zip or .7z is read as what it holds, within `max_file_bytes` unpacked (forumqa.archives). A .zst
    (a Reddit data dump) is streamed by its reader, never unpacked: its bytes are no text to sniff, so the
    formats get its path and an empty head, and only the dump reader, which decompresses its first line, claims it.
    """
    warnings = [] if warnings is None else warnings
    if is_archive(path):
        return _read_archive(path, source, warnings, max_file_bytes)
    if path.is_dir():
        fmt = next((f for f in FOLDER_FORMATS if f.sniff(path, "")), None)
        if fmt is None:
            raise UnreadableDocument("a folder, not an export this program reads")
        return _read_threads(fmt, path, source, warnings)
    compressed = reddit_dump.is_zstd(path)
    head = "" if compressed else _head(path)
    if not head.strip() and not compressed:
        raise UnreadableDocument("empty file")
    fmt = next((f for f in THREAD_FORMATS if f.sniff(path, head)), None)
    if fmt is reddit_dump.FORMAT and compressed:
        fmt = reddit_dump.within(max_file_bytes)  # the limit counts what it unpacks to, as for an archive
    if fmt is not None:
        return _read_threads(fmt, path, source, warnings)
    if compressed:
        raise UnreadableDocument("a .zst that is not a Reddit data dump (one comment or submission a line): only those are read compressed")
    if (table := _DUMP_TABLES.fullmatch(path.name)) is not None and "<row" in head:
        posts = f"{table['prefix']}Posts.xml"
        there = "it is read with it" if (path.parent / posts).exists() else "there is none here"
        raise UnreadableDocument(f"a Stack Exchange {table[2]}.xml belongs to the dump's {posts} beside it, not a document itself: {there}")
    if path.suffix.lower() == ".json":
        raise UnreadableDocument(
            "not a forum export this program reads: expected a Discourse topic, a Reddit thread, "
            "a DiscordChatExporter channel, a Flarum discussion, a Telegram Desktop export (result.json), "
            "a Reddit data dump (one comment or submission object a line) "
            'or {"title": ..., "posts": [{"author", "date", "text"}]}'
        )
    return [_read_page(path, source)]


def _read_archive(path: Path, source: str, warnings: list[Skipped], max_file_bytes: int | None) -> list[Document]:
    with unpacked(path, max_file_bytes) as inner:
        if is_archive(inner) or inner.suffix.lower() == ".tar":
            raise UnreadableDocument("an archive inside an archive; unpack the outer one into the documents folder")
        if inner.is_dir() and not any(f.sniff(inner, "") for f in FOLDER_FORMATS):
            raise UnreadableDocument("a zip without an export this program reads at its top (a Slack export: users.json and channels.json)")
        return read_file(inner, source, warnings, max_file_bytes)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else text


def _link_problem(path: Path, root: Path) -> str | None:
    """Why a symlink is not followed, or None when it stays inside the documents folder."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "a dangling link (its target does not exist)"
    except (OSError, RuntimeError):
        return "a link that loops back on itself"
    if not target.is_relative_to(root):
        return "a link that leads outside the documents folder; not followed"
    if target.is_dir():
        return "a link to a folder; not followed (each file is read once, where it lies)"
    return None


def _candidates(folder: Path, result: LoadResult) -> Iterable[Path]:
    """Files (and export folders) under `folder`, sorted; hidden ones ignored, stray links reported.

    `folder` may itself be an export folder: a Slack export unzipped straight into the documents folder.
    """
    root = folder.resolve()
    if any(f.sniff(folder, "") for f in FOLDER_FORMATS):
        yield folder
        return
    for current, dirs, files in os.walk(folder, followlinks=False):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            path = here / name
            if path.is_symlink():
                dirs.remove(name)
                result.skipped.append(Skipped(path.relative_to(folder).as_posix(), _link_problem(path, root) or "a link; not followed"))
            elif any(f.sniff(path, "") for f in FOLDER_FORMATS):
                dirs.remove(name)
                yield path
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or _companion_of_posts(path) or reddit_dump.comments_beside(path) is not None:
                continue  # hidden, or read with the file it belongs to
            if path.is_symlink() and (problem := _link_problem(path, root)) is not None:
                result.skipped.append(Skipped(path.relative_to(folder).as_posix(), problem))
                continue
            yield path


#: The other tables of a Stack Exchange dump: read with Posts.xml (names) or not needed, never documents.
_DUMP_TABLES = re.compile(r"(?P<prefix>.*?)(Users|Comments|Badges|Votes|PostHistory|PostLinks|Tags)\.xml", re.IGNORECASE)


def _companion_of_posts(path: Path) -> bool:
    match = _DUMP_TABLES.fullmatch(path.name)
    return match is not None and (path.parent / f"{match['prefix']}Posts.xml").exists()


def load_documents(folder: Path, max_file_bytes: int | None = None) -> LoadResult:
    """Every readable document under `folder`, recursively; bad files are skipped and named, never fatal."""
    if not folder.is_dir():
        raise NoDocumentsError(f"documents folder {folder} does not exist: create it and put your forum exports or texts in it")
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in _candidates(folder, result):
        source = path.relative_to(folder).as_posix() if path != folder else folder.resolve().name
        if max_file_bytes is not None and path.is_file() and (size := path.stat().st_size) > max_file_bytes:
            limit = f"{max_file_bytes / 2**20:g} MB"
            result.skipped.append(Skipped(source, f"{size / 2**20:.1f} MB is over the {limit} limit per file (FORUMQA_MAX_FILE_MB)"))
            continue
        warnings: list[Skipped] = []
        try:
            documents = read_file(path, source, warnings, max_file_bytes)
        except UnreadableDocument as exc:
            result.skipped.append(Skipped(source, str(exc)))
            continue
        except OSError as exc:
            result.skipped.append(Skipped(source, f"cannot be read ({exc.strerror or _one_line(exc)})"))
            continue
        except Exception as exc:  # a parser's failure costs this file only, never the build
            result.skipped.append(Skipped(source, f"could not be parsed ({type(exc).__name__}: {_one_line(exc)})"))
            continue
        result.skipped.extend(warnings)
        for document in documents:
            if document.doc_id in seen:
                reason = f"same document id {document.doc_id!r} as {seen[document.doc_id]}; rename one of them"
                result.skipped.append(Skipped(source, reason))
                continue
            seen[document.doc_id] = source
            result.documents.append(document)
    return result
