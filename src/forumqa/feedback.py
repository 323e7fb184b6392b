"""Thumbs up/down on answers, kept in feedback.sqlite beside the index generations, so a rebuild never loses them.

index/
  feedback.sqlite    one table, `feedback`; PRAGMA user_version is its schema version

A build only ever deletes gen-*/ and staging folders (forumqa.index), so this file outlives every rebuild.
Each call opens and closes its own connection: FastAPI runs sync routes on a thread pool and a sqlite3
connection belongs to the thread that opened it. WAL lets `forumqa feedback export` read while a server writes.

The export turns entries into lines of an eval question set (forumqa.evaluation.load_questions reads them).
A 👎 names no right answer, so its line is a question waiting for review: `expect` empty (which the eval scores
as "should abstain" until someone fills it in, and `forumqa eval --failures` then lists what is answered now),
`kind` "review", and the thumbs and comment in a `review` field the loader ignores. A 👍 line expects the
same answer again (`expect` = [answer]; an abstention liked expects an abstention), kind "confirmed".
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forumqa.errors import FeedbackStoreError

FILENAME = "feedback.sqlite"
SCHEMA_VERSION = 1
#: Seconds a connection waits for another's write lock before failing. An insert holds it for well under a
#: millisecond, so only a stuck process (or a reader holding a long export open) comes near this.
BUSY_TIMEOUT_S = 10.0

_CREATE = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT,
    citations TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    comment TEXT,
    generation TEXT
)
"""
_COLUMNS = "id, at, question, answer, citations, helpful, comment, generation"


@dataclass(frozen=True)
class Feedback:
    """What a reader said about one answer; every text is kept exactly as sent."""

    question: str
    answer: str | None
    helpful: bool
    #: The answer's citations as the page had them ({doc_id, start, end, text, ...}); stored as JSON.
    citations: tuple[dict[str, Any], ...] = ()
    comment: str | None = None
    #: The index generation that answered, so a reviewer can open the very text that was quoted.
    generation: str | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    #: UTC, ISO 8601 to the second.
    at: str
    feedback: Feedback = field(repr=False)


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, index_dir: Path) -> FeedbackStore:
        """The store of the index in `index_dir` (beside its generations, not inside one)."""
        return cls(index_dir / FILENAME)

    def add(self, feedback: Feedback, at: datetime | None = None) -> int:
        """Stores one entry and returns its id (ids are never reused, so a deleted row's id stays unused)."""
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        row = (
            when,
            feedback.question,
            feedback.answer,
            json.dumps(list(feedback.citations), ensure_ascii=False),
            int(feedback.helpful),
            feedback.comment,
            feedback.generation,
        )
        with self._connection("save feedback in") as connection:
            self._ensure_schema(connection)
            cursor = connection.execute(f"INSERT INTO feedback ({_COLUMNS.removeprefix('id, ')}) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid or 0)

    def entries(self, helpful: bool | None = None) -> list[Entry]:
        """Entries in the order given, only the 👍 or 👎 ones when `helpful` says which; none before the first."""
        if not self.path.is_file():  # reading must not create the file (an export from a mistyped folder)
            return []
        where, arguments = ("", ()) if helpful is None else (" WHERE helpful = ?", (int(helpful),))
        with self._connection("read feedback from") as connection:
            if self._version(connection) == 0:
                return []
            rows = connection.execute(f"SELECT {_COLUMNS} FROM feedback{where} ORDER BY id", arguments).fetchall()
        return [_entry(row) for row in rows]

    @contextlib.contextmanager
    def _connection(self, doing: str) -> Iterator[sqlite3.Connection]:
        """An autocommit connection, closed on the way out; any storage failure becomes one FeedbackStoreError."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise FeedbackStoreError(f"could not {doing} {self.path}: {_reason(error)}") from None
        try:
            yield connection
        except (OSError, sqlite3.Error) as error:
            raise FeedbackStoreError(f"could not {doing} {self.path}: {_reason(error)}") from None
        finally:
            connection.close()

    def _version(self, connection: sqlite3.Connection) -> int:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise FeedbackStoreError(
                f"{self.path} has feedback schema version {version}, newer than this forumqa knows ({SCHEMA_VERSION}): upgrade forumqa"
            )
        return version

    def _ensure_schema(self, connection: sqlite3.Connection) -> None:
        """Creates the table on first use. BEGIN IMMEDIATE makes concurrent first writers take turns."""
        if self._version(connection) == SCHEMA_VERSION:
            return
        _use_wal(connection)
        connection.execute("BEGIN IMMEDIATE")
        try:
            if self._version(connection) < SCHEMA_VERSION:
                connection.execute(_CREATE)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def _use_wal(connection: sqlite3.Connection) -> None:
    """WAL is persistent (stored in the file, so set once). SQLite does not wait out the busy timeout for the
    lock this switch needs: first writers racing on a new file got "database is locked" (3 of 60 trials of
    six threads), so they take turns here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _entry(row: Sequence[Any]) -> Entry:
    identifier, at, question, answer, citations, helpful, comment, generation = row
    feedback = Feedback(question, answer, bool(helpful), tuple(json.loads(citations)), comment, generation)
    return Entry(int(identifier), str(at), feedback)


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__


def eval_question(entry: Entry) -> dict[str, Any]:
    """One line of an eval question set (see the module's docstring for what a 👎 line means)."""
    feedback = entry.feedback
    first = feedback.citations[0] if feedback.citations else {}
    doc = first.get("doc_id")
    author = first.get("author") if feedback.helpful else None  # a 👎's first citation credits the wrong post
    thumbs = "thumbs up" if feedback.helpful else "thumbs down"
    return {
        "q": feedback.question,
        "expect": [feedback.answer] if feedback.helpful and feedback.answer else [],
        "doc": doc if isinstance(doc, str) else None,
        "kind": "confirmed" if feedback.helpful else "review",
        "author": author if isinstance(author, str) else None,
        "short": None,
        "split": None,
        "review": f"{thumbs}: {feedback.comment}" if feedback.comment else thumbs,
        "comment": feedback.comment,
        "answer": feedback.answer,
        "generation": feedback.generation,
        "feedback_id": entry.id,
        "at": entry.at,
    }


def export_lines(entries: Sequence[Entry]) -> str:
    """The entries as JSON Lines, one eval question each; text stays readable (not \\u-escaped)."""
    return "".join(json.dumps(eval_question(entry), ensure_ascii=False) + "\n" for entry in entries)
