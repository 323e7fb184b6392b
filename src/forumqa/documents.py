"""What the pipeline reads: a Document is a text that every citation offset indexes into, and its answerable Sections."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Section:
    """A span of the text that holds answerable prose; in a thread, (part of) one post and who wrote it.

    `quoted` marks words a post quotes from outside the export: `author` is then who wrote them, never
    the person quoting; only unattributed material (a man page, an error message) keeps the poster.
    """

    start: int
    end: int
    author: str | None = None
    date: str | None = None
    post: str | None = None
    url: str | None = None
    reply_to: str | None = None
    quoted: bool = False
    #: The post is the one the thread marks as its answer (Stack Exchange's accepted answer); not its quotes.
    accepted: bool = False


@dataclass(frozen=True)
class Document:
    doc_id: str
    source: str
    title: str
    date: str | None
    text: str
    sections: tuple[Section, ...]

    @property
    def content_hash(self) -> str:
        """What a rebuild compares to reuse a document's sentences and chunks: its text and its sections. A sentence
        records the section it lies in, so a document whose text stayed while its sections moved (a reader that now
        credits a quote to its writer, an answer newly accepted) must be split again, not reuse the old records."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for section in self.sections:
            digest.update(repr(section).encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


#: How the reason of a file read in part begins (one bad post left out, the rest indexed).
PARTLY_READ = "partly read"


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    #: Whole files left out, and parts of files (one bad post) left out while the rest was read.
    skipped: list[Skipped] = field(default_factory=list)


class UnreadableDocument(ValueError):
    """Raised by a parser; the loader reports the file by name and goes on."""


# ---------------------------------------------------------------- dates

_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d.%m.%Y")


def parse_date(value: str) -> str | None:
    """ISO 8601 form of a date or date-time line, or None when the line is not one."""
    value = value.strip()
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.hour == parsed.minute == parsed.second == 0 and ":" not in value:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


def make_doc_id(source: str) -> str:
    """Stable id from the relative path: lower-case, extension dropped, unsafe characters folded to '-'."""
    stem = source.rsplit(".", 1)[0] if "." in Path(source).name else source
    return re.sub(r"[^a-z0-9/_.-]+", "-", stem.lower()).strip("-")
