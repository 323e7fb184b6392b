"""Reddit data dumps: Pushshift / Arctic Shift NDJSON, one comment or submission a line, plain or zstandard-compressed.

This is how Reddit is held in bulk: the monthly files of all Reddit (`RC_2023-01.zst` comments,
`RS_2023-01.zst` submissions), the per-subreddit ones (`<sub>_comments.zst`, `<sub>_submissions.zst`),
Arctic Shift's downloads (`r_<sub>_comments.jsonl`, `r_<sub>_posts.jsonl`), or any of them decompressed
(`.ndjson`, `.jsonl`, `.json`, no suffix). A comment is `{"id", "link_id": "t3_…", "parent_id": "t1_…" |
"t3_…", "author", "body", "created_utc", "permalink"?, …}`, a submission `{"id", "title", "selftext",
"author", "created_utc", "subreddit", "permalink", "url", "is_self", …}`; bodies are Reddit's Markdown,
HTML-escaped as the API serves it, and are read exactly as the `<permalink>.json` reader reads them
(forumqa.formats.reddit: Markdown to text and Quotes, `[deleted]`/`[removed]`, quotes credited up the
reply chain) by putting each thread's flat comments back into the tree that reader walks.

Checked against Watchful1/PushshiftDumps (scripts/single_file.py, filter_file.py, to_csv.py,
combine_folder_multiprocess.py: the field names above; `created_utc` read with int(), so an int or
a string of one; `ZstdDecompressor(max_window_size=2**31).stream_reader`, since the files are
written with a 2 GiB window; lines split on "\\n" with the tail carried into the next chunk, and a
UnicodeDecodeError when a chunk ends inside a character) and ArthurHeitmann/arctic_shift
(scripts/fileStreams.py: the same window, a last line without "\\n", `.json` files holding NDJSON).
Here lines are split as bytes and each line decoded whole, so a chunk boundary never splits a character.

Documents: one thread per submission (`link_id`): the submission first when it is in the dump, then
its comments in tree order (parent before child, siblings by `created_utc`); a comment whose parent
is not in the dump stands at the top, its `>` quotes credited to that missing parent. A comments file
reads the submissions file beside it (`RC_x` ↔ `RS_x`, `<sub>_comments` ↔ `<sub>_submissions` or
`<sub>_posts`, same suffix) for its threads' titles and opening posts, and also gives the submissions
no comment answers as threads of one post, so the loader passes over that submissions file
(`comments_beside`) and no submission is indexed twice. A submissions file with no comments file
beside it gives each submission with text as a thread of one post; link-only ones are left out.

Memory: a dump runs to many GB, and a thread's comments lie anywhere in it. One streaming pass
writes each record's few needed fields to a temporary SQLite file (keyed by submission, one row per
id, the first of a repeated id kept), then threads are read back one at a time (a .zst is first
decompressed once, nothing kept, to tell whether it was cut short). What Python holds is one 64 KiB
buffer being split into lines and one batch of up to 250 rows being written, then one
thread's records and posts: reading 50,000 comments (19 MB of bodies) peaks at 0.6 MB of Python
heap (tests/test_format_reddit_dump.py holds it under a tenth of the bodies). Outside Python's heap:
SQLite's page cache, capped at `_CACHE_KIB` (its sorts spill to disk), and the decompressor's window,
as large as the file was written with (up to 2 GiB for Pushshift's files). The temporary disk is
about the size of the dump's bodies, in TMPDIR (point it at a disk where /tmp is a RAM disk). The
loader then keeps the Documents made (the index needs them all).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

import zstandard

from forumqa.archives import over_limit
from forumqa.formats.reddit import Source, Tally, comment_tree, submission_posts, unprefixed
from forumqa.threads import Thread, ThreadFormat, Warn

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

ZSTD = ".zst"
#: Pushshift's files are written with zstd's long mode (a window up to 2 GiB); a smaller limit refuses them.
_WINDOW = 2**31
#: Decompressed bytes split into lines at a time (the line reader's buffer): the largest single thing pass 1 holds.
_CHUNK = 1 << 16
#: Far above any real record (a submission's text is capped at 40,000 characters); a longer "line" is skipped as it streams.
_MAX_LINE = 16 << 20
#: How much of the first line the sniff reads at most, in pieces of `_SNIFF_PIECE` (a dump's line is a few KB).
_SNIFF_LIMIT = 1 << 20
_SNIFF_PIECE = 8192
#: Rows written to SQLite at a time; with `_CHUNK`, what pass 1 holds.
_BATCH = 250
_CACHE_KIB = 8192
#: Bad lines named one by one in the warnings; the rest are counted.
_NAMED = 10

SUBMISSION, COMMENT = 0, 1
_COMMENT_FIELDS = ("id", "author", "body", "created_utc", "parent_id", "permalink")
_SUBMISSION_FIELDS = (
    *("id", "author", "title", "selftext", "created_utc", "permalink", "url", "url_overridden_by_dest", "is_self"),
    *("gallery_data", "poll_data"),  # a gallery's captions and a poll's options are the poster's words
)
#: A crosspost's words are its original's (reddit.submission_posts): only what that needs of it is kept.
_CROSSPOSTED_FIELDS = ("id", "author", "selftext", "created_utc", "permalink")

#: Compressed bytes decompressed at a time to find a cut: a decompressobj returns all a piece unpacks to (an
#: RLE block of 4 bytes unpacks to 128 KiB), so a small piece keeps even a crafted file's output to 32 MiB.
_CHECK_PIECE = 1 << 10

_RC, _RS = "RC_", "RS_"
_COMMENTS_NAME = re.compile(r"(?P<stem>.+)_comments(?P<suffix>(?:\.\w+)*)")
_SUBMISSIONS_NAME = re.compile(r"(?P<stem>.+)_(?:submissions|posts)(?P<suffix>(?:\.\w+)*)")


# ---------------------------------------------------------------- lines


def is_zstd(path: Path) -> bool:
    return path.suffix.lower() == ZSTD


@contextlib.contextmanager
def _opened(path: Path, max_bytes: int | None = None) -> Iterator[_Stream]:
    """The file's bytes, decompressed as they are read when it is a .zst (never unpacked to disk); past
    `max_bytes` decompressed, UnreadableDocument, as for an archive that unpacks to more (forumqa.archives)."""
    with path.open("rb") as handle:
        if not is_zstd(path):
            yield handle
            return
        decompressor = zstandard.ZstdDecompressor(max_window_size=_WINDOW)
        with decompressor.stream_reader(handle, read_across_frames=True, closefd=False) as reader:
            yield reader if max_bytes is None else _Within(reader, max_bytes)


class _Within(io.RawIOBase):
    """A decompressing stream that stops a small .zst from spilling gigabytes (the spill holds about what it unpacks).

    A raw stream, so that io.BufferedReader can split it into lines.
    """

    def __init__(self, stream: zstandard.ZstdDecompressionReader, max_bytes: int) -> None:
        super().__init__()
        self._stream, self._left, self._max = stream, max_bytes, max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        count = self._stream.readinto(buffer)
        self._left -= count
        if self._left < 0:
            raise over_limit(self._max)
        return count


#: What `_opened` gives: a file, a .zst's decompressing reader, or that reader within a limit.
_Stream: TypeAlias = "io.BufferedReader | zstandard.ZstdDecompressionReader | _Within"


@dataclass(frozen=True)
class _Line:
    number: int
    data: bytes | None  # None: longer than _MAX_LINE, dropped
    ended: bool = True  # False for a last line with no "\n" after it


def _lines(stream: _Stream) -> Iterator[_Line]:
    """Each line of the stream, without its "\\n"; one longer than `_MAX_LINE` is passed over as it streams, never held."""
    lines = io.BufferedReader(stream, _CHUNK)
    try:
        number = 0
        while data := lines.readline(_MAX_LINE + 1):
            number += 1
            if data.endswith(b"\n"):
                yield _Line(number, data[:-1])
            elif len(data) > _MAX_LINE:
                yield _Line(number, None, ended=_passed_over(lines))
            else:
                yield _Line(number, data, ended=False)
    finally:
        lines.detach()  # the stream is the caller's to close


def _passed_over(lines: BinaryIO) -> bool:
    """Reads on to the end of an over-long line a chunk at a time; whether a "\\n" ended it."""
    while piece := lines.readline(_CHUNK):
        if piece.endswith(b"\n"):
            return True
    return False


def _whole_frames(path: Path, max_bytes: int | None = None) -> bool:
    """Whether the file ends where a zstd frame does: the stream reader stops quietly where a frame is cut short.

    The file is decompressed once, nothing kept, one decompressobj per frame (each ends with its frame; skippable
    frames count as frames). Damaged data, or more than `max_bytes` unpacked, counts as whole: the read itself stops there.
    """
    decompressor = zstandard.ZstdDecompressor(max_window_size=_WINDOW)
    frame: zstandard.ZstdDecompressionObj | None = None
    unpacked = 0
    with path.open("rb") as handle:
        while piece := handle.read(_CHECK_PIECE):
            while piece:
                if frame is None:
                    frame = decompressor.decompressobj()
                try:
                    unpacked += len(frame.decompress(piece))
                except zstandard.ZstdError:
                    return True
                piece, frame = (frame.unused_data, None) if frame.eof else (b"", frame)
            if max_bytes is not None and unpacked > max_bytes:
                return True
    return frame is None


# ---------------------------------------------------------------- what a line is


def _kind(record: dict[str, Any], strict: bool) -> int | None:
    """COMMENT, SUBMISSION or None. `strict` (the sniff): all the keys that tell a dump's records from other JSON."""
    if strict:
        if all(key in record for key in ("link_id", "parent_id", "body")) and isinstance(record["link_id"], str):
            return COMMENT
        return SUBMISSION if all(key in record for key in ("title", "selftext", "subreddit")) else None
    if isinstance(record.get("link_id"), str):
        return COMMENT
    return SUBMISSION if "title" in record else None


def _first_record(path: Path) -> dict[str, Any] | None:
    """The first line as a JSON object, reading no more of the file (decompressed) than that line."""
    data = b""
    try:
        with _opened(path) as stream:
            while b"\n" not in data and len(data) < _SNIFF_LIMIT and (piece := stream.read(_SNIFF_PIECE)):
                data += piece
    except (OSError, zstandard.ZstdError):
        return None
    line = data.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0]
    try:
        record = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return record if isinstance(record, dict) else None


def is_dump(path: Path) -> bool:
    """A file whose first line is a Reddit comment or submission object."""
    record = _first_record(path)
    return record is not None and _kind(record, strict=True) is not None


def sniff(path: Path, head: str) -> bool:
    """The first line is one comment or submission object; a .zst is decompressed (its first line only) to tell.

    The single-document JSON exports (a Discourse topic, a `<permalink>.json`, …) have no line that is
    a whole object holding `link_id`, `parent_id` and `body`, or `title`, `selftext` and `subreddit`.
    """
    if not is_zstd(path) and not head.lstrip().startswith("{"):
        return False
    return is_dump(path)


# ---------------------------------------------------------------- which files go together


def _plain_file(path: Path) -> bool:
    """A link is never read as another file's companion: whether a link is followed is the loader's call, made per file."""
    return path.is_file() and not path.is_symlink()


def submissions_beside(path: Path) -> Path | None:
    """The submissions file a comments file reads its threads' titles and opening posts from."""
    if path.name.startswith(_RC):
        names = [_RS + path.name.removeprefix(_RC)]
    elif match := _COMMENTS_NAME.fullmatch(path.name):
        names = [f"{match['stem']}_{kind}{match['suffix']}" for kind in ("submissions", "posts")]
    else:
        return None
    return next((path.with_name(name) for name in names if _plain_file(path.with_name(name))), None)


def comments_beside(path: Path) -> Path | None:
    """The comments file that reads this submissions file with it; the loader does not read this one on its own then."""
    if path.name.startswith(_RS):
        name = _RC + path.name.removeprefix(_RS)
    elif match := _SUBMISSIONS_NAME.fullmatch(path.name):
        name = f"{match['stem']}_comments{match['suffix']}"
    else:
        return None
    comments = path.with_name(name)
    if _plain_file(path) and _plain_file(comments) and submissions_beside(comments) == path and is_dump(comments) and is_dump(path):
        return comments
    return None


# ---------------------------------------------------------------- records → temporary SQLite


@dataclass(frozen=True)
class _Record:
    kind: int
    id: str
    link: str  # the submission's id: its own for a submission
    created: float | None
    fields: str  # the fields a thread needs, as compact JSON


def _text_id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _created(value: object) -> float | None:
    """`created_utc` as a number to sort siblings by: an int, a float, or a string of one in some months."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _permalink(record: dict[str, Any], link: str, kind: int) -> Any:
    """The record's permalink, or one built from its subreddit and ids (older dumps have none)."""
    if record.get("permalink") or not isinstance(record.get("subreddit"), str):
        return record.get("permalink")
    base = f"/r/{record['subreddit']}/comments/{link}/"
    return base if kind == SUBMISSION else f"{base}_/{record['id']}/"


def _record(raw: dict[str, Any], kind: int) -> _Record | str:
    """What is kept of a line, or why it is left out."""
    record_id = _text_id(raw.get("id"))
    if record_id is None:
        return "no id"
    link = unprefixed(raw.get("link_id")) if kind == COMMENT else record_id
    if not link:
        return f"comment {record_id} names no submission (link_id)"
    names = _COMMENT_FIELDS if kind == COMMENT else _SUBMISSION_FIELDS
    kept = {name: raw[name] for name in names if name in raw} | {"id": record_id}
    kept["permalink"] = _permalink(raw | {"id": record_id}, link, kind)
    parents = raw.get("crosspost_parent_list")
    if kind == SUBMISSION and isinstance(parents, list) and parents and isinstance(parents[0], dict):
        kept["crosspost_parent_list"] = [{name: parents[0][name] for name in _CROSSPOSTED_FIELDS if name in parents[0]}]
    return _Record(kind, record_id, link, _created(raw.get("created_utc")), json.dumps(kept, ensure_ascii=False))


class _Spill:
    """The dump's records in a temporary SQLite file: written in one pass, read back a thread at a time."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE", f"cache_size = -{_CACHE_KIB}"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE record (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, id TEXT NOT NULL, link TEXT NOT NULL, "
            "created REAL, fields TEXT NOT NULL, UNIQUE (kind, id))"
        )
        self._pending: list[tuple[int, str, str, float | None, str]] = []
        self.repeated = 0

    def add(self, record: _Record) -> None:
        self._pending.append((record.kind, record.id, record.link, record.created, record.fields))
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Writes the pending rows; a repeated id (dumps hold a few) keeps the row read first."""
        if not self._pending:
            return
        insert = "INSERT OR IGNORE INTO record (kind, id, link, created, fields) VALUES (?, ?, ?, ?, ?)"
        cursor = self._db.executemany(insert, self._pending)
        self.repeated += len(self._pending) - cursor.rowcount
        self._pending.clear()

    def links(self) -> Iterator[str]:
        """Each thread's submission id, in the order the dump first names it."""
        self.flush()
        self._db.execute("CREATE INDEX by_link ON record (link, kind, created, seq)")
        for (link,) in self._db.execute("SELECT link FROM record GROUP BY link ORDER BY MIN(seq)"):
            yield link

    def thread(self, link: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The submission (None when the dump lacks it) and its comments, oldest first."""
        rows = self._db.execute("SELECT kind, fields FROM record WHERE link = ? ORDER BY kind, created, seq", (link,))
        submission: dict[str, Any] | None = None
        comments: list[dict[str, Any]] = []
        for kind, fields in rows:
            if kind == COMMENT:
                comments.append(json.loads(fields))
            elif submission is None:
                submission = json.loads(fields)
        return submission, comments

    def close(self) -> None:
        self._db.close()


class _Problems:
    """Bad lines: the first few named by file and line, the rest counted, so a damaged dump cannot flood the report."""

    def __init__(self, warn: Warn) -> None:
        self._warn = warn
        self._seen = 0

    def line(self, where: str, number: int, reason: str) -> None:
        self._seen += 1
        if self._seen <= _NAMED:
            self._warn(f"{where}line {number}: {reason}; left out")

    def report(self) -> None:
        if self._seen > _NAMED:
            self._warn(f"{self._seen - _NAMED} more bad lines left out (not JSON, or not a comment or submission)")


def _parsed(line: _Line) -> dict[str, Any] | str:
    """The line's JSON object, or why it is not one."""
    if line.data is None:
        return f"longer than {_MAX_LINE >> 20} MB"
    try:
        value = json.loads(line.data.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        return f"invalid JSON at column {exc.colno} ({exc.msg.removesuffix(' at')})"
    except RecursionError:
        return "not JSON we read (nested too deeply)"
    return value if isinstance(value, dict) else "not a JSON object"


def _spill_file(
    path: Path, spill: _Spill, problems: _Problems, warn: Warn, where: str = "", only: int | None = None, max_bytes: int | None = None
) -> None:
    """Pass 1 over one file: each comment and submission into the spill; bad lines named, a cut or damaged .zst reported.

    `where` prefixes what is said about a file beside the one being read; `only` keeps one kind (a submissions file
    read for its titles); `max_bytes` bounds what a .zst may unpack to.
    """
    cut = is_zstd(path) and not _whole_frames(path, max_bytes)
    lines = 0  # read whole
    try:
        with _opened(path, max_bytes) as stream:
            for line in _lines(stream):
                if cut and not line.ended:
                    break  # the half line before the cut: reported with the cut
                lines = line.number
                if line.data is None or line.data.strip():
                    _spill_line(line, spill, problems, where, only)
    except zstandard.ZstdError as exc:
        warn(f"{where}damaged zstd data after line {lines} ({exc}): the lines before it were read, the rest of the file was not")
        return
    if cut:
        warn(f"{where}the file is cut short inside a zstd frame (an interrupted download?): the {lines} lines before the cut were read")


def _spill_line(line: _Line, spill: _Spill, problems: _Problems, where: str, only: int | None) -> None:
    raw = _parsed(line)
    if isinstance(raw, str):
        problems.line(where, line.number, raw)
        return
    kind = _kind(raw, strict=False)
    if kind is None:
        problems.line(where, line.number, "neither a comment (link_id) nor a submission (title)")
        return
    if only is not None and kind != only:
        return
    record = _record(raw, kind)
    if isinstance(record, str):
        problems.line(where, line.number, record)
    else:
        spill.add(record)


# ---------------------------------------------------------------- records → threads


def _tree(comments: list[dict[str, Any]]) -> dict[str, Any]:
    """A thread's flat comments (oldest first) as the Listing tree reddit.comment_tree walks: each under its parent.

    A comment whose parent is not in the dump stands at the top, as in a comment page of a `<permalink>.json`;
    so does one caught in a loop of parents (damaged data), cut from the parent that led back to it.
    """
    nodes = {comment["id"]: {"kind": "t1", "data": comment} for comment in comments}
    parents: dict[str, str] = {}
    roots: list[dict[str, Any]] = []
    for comment in comments:
        parent = unprefixed(comment.get("parent_id"))
        if parent is not None and parent in nodes and parent != comment["id"]:
            _replies(nodes[parent]).append(nodes[comment["id"]])
            parents[comment["id"]] = parent
        else:
            roots.append(nodes[comment["id"]])
    reached = _reached(roots)
    for comment in comments:
        if comment["id"] not in reached:
            node = nodes[comment["id"]]
            _replies(nodes[parents[comment["id"]]]).remove(node)
            roots.append(node)
            reached |= _reached([node])
    return {"kind": "Listing", "data": {"children": roots}}


def _replies(node: dict[str, Any]) -> list[dict[str, Any]]:
    replies: dict[str, Any] = node["data"].setdefault("replies", {"kind": "Listing", "data": {"children": []}})
    children: list[dict[str, Any]] = replies["data"]["children"]
    return children


def _reached(roots: list[dict[str, Any]]) -> set[str]:
    """Ids of the comments under `roots`, walked with a stack: a reply chain may be thousands deep."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node["data"]["id"] not in seen:
            seen.add(node["data"]["id"])
            stack.extend(node["data"].get("replies", {}).get("data", {}).get("children", []))
    return seen


def _has_text(submission: dict[str, Any]) -> bool:
    """Words of its own (or a crossposted original's), not only its link."""
    return bool(submission_posts(submission | {"is_self": True})[0])


def _thread(link: str, submission: dict[str, Any] | None, comments: list[dict[str, Any]], tally: Tally) -> Thread | None:
    """The submission, then its comment tree; None for a submission that is only a link and that nobody answered."""
    if submission is not None:
        if not comments and not _has_text(submission):
            return None
        posts, sources = submission_posts(submission)
        title = html.unescape(" ".join(str(submission.get("title") or "").split()))
    else:
        posts, sources, title = [], (Source(None, link, None),), ""
    posts.extend(comment_tree(_tree(comments), sources, tally))
    return Thread(title or f"Reddit thread t3_{link}", posts, key=link)


def read(path: Path, warn: Warn, max_bytes: int | None = None) -> Iterator[Thread]:
    """The dump's threads; a .zst (and the submissions file beside it) may unpack to `max_bytes` each, as an archive may."""
    with tempfile.TemporaryDirectory(prefix="forumqa-reddit-") as folder:
        spill = _Spill(Path(folder) / "records.sqlite")
        try:
            problems = _Problems(warn)
            titles = submissions_beside(path)
            if titles is not None and is_dump(titles):
                _spill_file(titles, spill, problems, warn, where=f"{titles.name}: ", only=SUBMISSION, max_bytes=max_bytes)
            _spill_file(path, spill, problems, warn, max_bytes=max_bytes)
            tally = Tally()
            for link in spill.links():
                if (thread := _thread(link, *spill.thread(link), tally)) is not None:
                    yield thread
            if spill.repeated:
                twice = "the same comment or submission twice"
                warn(f"lines that repeat an id read before ({twice}): {spill.repeated}; the first of each was kept")
            tally.report(warn)
            problems.report()
        finally:
            spill.close()


FORMAT = ThreadFormat("Reddit data dump (NDJSON)", sniff, read, many=True)


def within(max_bytes: int | None) -> ThreadFormat:
    """FORMAT with FORUMQA_MAX_FILE_MB counting a .zst's unpacked bytes, as it counts an archive's (the loader's call)."""
    return FORMAT if max_bytes is None else replace(FORMAT, read=lambda path, warn: read(path, warn, max_bytes))
