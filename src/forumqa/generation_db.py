"""meta.sqlite, a generation's documents, sentences and chunks: the one module that knows its tables.

A row's id is its position in sentences.npy / chunks.faiss, so the vector files and this database
describe the same sentences only while ids are written explicitly, never left to SQLite.
Everything that reads the database goes through `read` (a question's snapshot) or
`read_reusable` (what the next build may keep); both leave error translation to their caller.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from forumqa.chunking import Chunk, Sentence
from forumqa.documents import Document, Section

#: 2: sentence and chunk ids are written explicitly as 0-based positions (version 1 let SQLite
#: number sentences from 1, which shifted every reused chunk's sentence range on each rebuild).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, date TEXT,
                        text TEXT NOT NULL, content_hash TEXT NOT NULL, sections TEXT NOT NULL);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents,
                        start INTEGER NOT NULL, end INTEGER NOT NULL, section INTEGER NOT NULL, heading INTEGER NOT NULL);
CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents,
                     start INTEGER NOT NULL, end INTEGER NOT NULL,
                     first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL);
"""

#: A document's sentences and chunks, offsets into its own text and sentence ids counted from 0 within it.
Pieces = tuple[list[Sentence], list[Chunk]]
#: A document with its pieces, as a build writes them.
DocumentPieces = tuple[Document, list[Sentence], list[Chunk]]


@dataclass(frozen=True, slots=True)
class IndexedSentence:
    doc_id: str
    start: int
    end: int
    section: int
    heading: bool


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    doc_id: str
    start: int
    end: int
    first_sentence: int  # global sentence ids, inclusive
    last_sentence: int


def write(path: Path, pieces: Iterable[DocumentPieces]) -> None:
    """A new database at `path` holding every document in `pieces`, in their order, each written as it comes.

    Written once, in a staging folder that a failed build discards, so it needs neither a rollback
    journal nor a sync per commit (each cost a flush to disk: 0.12 s of a 0.2 s build of one small
    document). Like the generation's other files it is published by renaming its folder.
    """
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        with db:
            db.executescript(_SCHEMA)
            sentence_base = chunk_base = 0
            for document, sentences, chunks in pieces:
                sections = json.dumps([asdict(s) for s in document.sections])
                db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (document.doc_id, document.source, document.title, document.date, document.text, document.content_hash, sections),
                )
                db.executemany(
                    "INSERT INTO sentences (id, doc_id, start, end, section, heading) VALUES (?, ?, ?, ?, ?, ?)",
                    [(sentence_base + i, document.doc_id, s.start, s.end, s.section, int(s.heading)) for i, s in enumerate(sentences)],
                )
                db.executemany(
                    "INSERT INTO chunks (id, doc_id, start, end, first_sentence, last_sentence) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (chunk_base + i, document.doc_id, c.start, c.end, sentence_base + c.first_sentence, sentence_base + c.last_sentence)
                        for i, c in enumerate(chunks)
                    ],
                )
                sentence_base += len(sentences)
                chunk_base += len(chunks)


def read(path: Path) -> tuple[dict[str, Document], list[IndexedSentence], list[IndexedChunk]]:
    """Every document, sentence and chunk, as a question needs them; ValueError when a chunk points outside them."""
    db = _connect_read_only(path)
    try:
        documents = {}
        rows = db.execute("SELECT doc_id, source, title, date, text, sections FROM documents ORDER BY rowid")
        for doc_id, source, title, date, text, sections in rows:
            parsed = tuple(Section(**s) for s in json.loads(sections))
            documents[doc_id] = Document(doc_id, source, title, date, text, parsed)
        sentences = [
            IndexedSentence(d, s, e, sec, bool(h))
            for d, s, e, sec, h in db.execute("SELECT doc_id, start, end, section, heading FROM sentences ORDER BY id")
        ]
        chunks = [
            IndexedChunk(*row) for row in db.execute("SELECT doc_id, start, end, first_sentence, last_sentence FROM chunks ORDER BY id")
        ]
    finally:
        db.close()
    if any(c.doc_id not in documents or not 0 <= c.first_sentence <= c.last_sentence < len(sentences) for c in chunks):
        raise ValueError("a chunk points outside the documents or sentences")
    return documents, sentences, chunks


def read_reusable(path: Path) -> tuple[dict[str, str], dict[str, Pieces], tuple[int, int, int]]:
    """The content hash per doc id, the sentences and chunks per content hash, and the (documents, sentences,
    chunks) counts: what a build may keep of this generation; ValueError when a chunk points outside its document's sentences."""
    db = _connect_read_only(path)
    try:
        hashes: dict[str, str] = {}
        texts: dict[str, str] = {}
        for doc_id, content_hash, text in db.execute("SELECT doc_id, content_hash, text FROM documents"):
            hashes[doc_id], texts[doc_id] = content_hash, text
        sentences: dict[str, list[Sentence]] = {d: [] for d in hashes}
        base: dict[str, int] = {}
        for sid, doc_id, start, end, section, heading in db.execute(
            "SELECT id, doc_id, start, end, section, heading FROM sentences ORDER BY id"
        ):
            base.setdefault(doc_id, sid)
            sentences[doc_id].append(Sentence(start, end, texts[doc_id][start:end], section, bool(heading)))
        chunks: dict[str, list[Chunk]] = {d: [] for d in hashes}
        for doc_id, start, end, first, last in db.execute(
            "SELECT doc_id, start, end, first_sentence, last_sentence FROM chunks ORDER BY id"
        ):
            chunks[doc_id].append(Chunk(start, end, texts[doc_id][start:end], first - base[doc_id], last - base[doc_id]))
    finally:
        db.close()
    for doc_id, doc_chunks in chunks.items():
        if any(not 0 <= c.first_sentence <= c.last_sentence < len(sentences[doc_id]) for c in doc_chunks):
            raise ValueError(f"a chunk of {doc_id!r} points outside its sentences")
    counts = (len(hashes), sum(map(len, sentences.values())), sum(map(len, chunks.values())))
    return hashes, {hashes[d]: (sentences[d], chunks[d]) for d in hashes}, counts


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only, so a missing file is an error rather than a new empty database inside the generation."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
