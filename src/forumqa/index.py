"""The index on disk: immutable generations, switched atomically.

index/
  CURRENT            name of the live generation (replaced with os.replace, never edited)
  embeddings.sqlite  vectors keyed by model id + text hash: a rebuild embeds only new texts
  gen-*/             manifest.json, meta.sqlite, chunks.faiss, sentences.npy, bm25-chunks/, bm25-sentences/

A build writes a whole new generation beside the live one and only then moves CURRENT, so
a crash at any point leaves the previous index loadable, and a reader never sees a mix.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from forumqa import __version__
from forumqa.chunking import Chunk, Sentence, make_chunks, split_sentences
from forumqa.config import Settings
from forumqa.documents import Document, Section, Skipped
from forumqa.embedding import CachedEmbedder, Embedder
from forumqa.errors import IndexMismatchError, IndexNotFoundError, NoDocumentsError
from forumqa.lexical import LexicalIndex
from forumqa.loading import load_documents

#: 2: sentence and chunk ids are written explicitly as 0-based positions (version 1 let SQLite
#: number sentences from 1, which shifted every reused chunk's sentence range on each rebuild).
SCHEMA_VERSION = 2
CURRENT = "CURRENT"
CACHE_FILE = "embeddings.sqlite"

#: Test hook: called with a step name between build steps, so tests can inject a crash.
BuildHook = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    model_id: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_sentences: int
    built_at: str
    forumqa_version: str
    documents: int
    chunks: int
    sentences: int

    def settings_key(self) -> tuple[object, ...]:
        """What must match for vectors and offsets to be reused."""
        return (self.schema_version, self.model_id, self.dimension, self.chunk_tokens, self.chunk_overlap_sentences)


def expected_key(settings: Settings, dimension: int) -> tuple[object, ...]:
    return (SCHEMA_VERSION, settings.model, dimension, settings.chunk_tokens, settings.chunk_overlap_sentences)


@dataclass(frozen=True)
class IndexedSentence:
    doc_id: str
    start: int
    end: int
    section: int
    heading: bool


@dataclass(frozen=True)
class IndexedChunk:
    doc_id: str
    start: int
    end: int
    first_sentence: int  # global sentence ids, inclusive
    last_sentence: int


@dataclass
class IndexSnapshot:
    """Everything a question needs, loaded once and never mutated; swapped whole on reindex."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    sentences: list[IndexedSentence]
    chunks: list[IndexedChunk]
    chunk_index: faiss.Index
    sentence_vectors: np.ndarray
    chunk_lexical: LexicalIndex
    sentence_lexical: LexicalIndex

    def text(self, doc_id: str, start: int, end: int) -> str:
        return self.documents[doc_id].text[start:end]

    @cached_property
    def chunk_counts(self) -> dict[str, int]:
        """Chunks per document; computed once per snapshot, which never changes."""
        counts = dict.fromkeys(self.documents, 0)
        for chunk in self.chunks:
            counts[chunk.doc_id] += 1
        return counts


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    sentences: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    full_rebuild_reason: str | None = None
    seconds: float = 0.0
    generation: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# ---------------------------------------------------------------- reading


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        return None
    generation = index_dir / pointer.read_text().strip()
    return generation if (generation / "manifest.json").is_file() else None


def read_manifest(generation: Path) -> Manifest:
    return Manifest(**json.loads((generation / "manifest.json").read_text()))


def _read_documents(db: sqlite3.Connection) -> dict[str, Document]:
    documents = {}
    rows = db.execute("SELECT doc_id, source, title, date, text, sections FROM documents ORDER BY rowid")
    for doc_id, source, title, date, text, sections in rows:
        parsed = tuple(Section(**s) for s in json.loads(sections))
        documents[doc_id] = Document(doc_id, source, title, date, text, parsed)
    return documents


def load_index(settings: Settings, dimension: int | None = None) -> IndexSnapshot:
    """The live generation; refuses one built with other model or chunking settings."""
    generation = current_generation(settings.index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index in {settings.index_dir}: run `forumqa index` to build it")
    manifest = read_manifest(generation)
    if manifest.model_id != settings.model or (dimension is not None and manifest.settings_key() != expected_key(settings, dimension)):
        raise IndexMismatchError(
            f"the index in {settings.index_dir} was built with model {manifest.model_id}, "
            f"chunks of {manifest.chunk_tokens} tokens (overlap {manifest.chunk_overlap_sentences}), schema {manifest.schema_version}; "
            f"the settings ask for {settings.model}, {settings.chunk_tokens} tokens "
            f"(overlap {settings.chunk_overlap_sentences}), schema {SCHEMA_VERSION}: "
            "run `forumqa index` to rebuild it"
        )
    db = sqlite3.connect(generation / "meta.sqlite")
    try:
        documents = _read_documents(db)
        sentences = [
            IndexedSentence(d, s, e, sec, bool(h))
            for d, s, e, sec, h in db.execute("SELECT doc_id, start, end, section, heading FROM sentences ORDER BY id")
        ]
        chunks = [
            IndexedChunk(*row) for row in db.execute("SELECT doc_id, start, end, first_sentence, last_sentence FROM chunks ORDER BY id")
        ]
    finally:
        db.close()
    return IndexSnapshot(
        path=generation,
        manifest=manifest,
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_index=_read_vector_index(generation / "chunks.faiss", settings),
        sentence_vectors=np.load(generation / "sentences.npy"),
        chunk_lexical=LexicalIndex.load(generation / "bm25-chunks"),
        sentence_lexical=LexicalIndex.load(generation / "bm25-sentences"),
    )


def _read_vector_index(path: Path, settings: Settings) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = settings.hnsw_ef_search  # not stored in the file
    return index


# ---------------------------------------------------------------- building


def chunk_embedding_text(document: Document, chunk_text: str) -> str:
    """The title travels with every chunk: it tells apart reports that share names and topics."""
    return f"{document.title}\n{chunk_text}"


Pieces = tuple[list[Sentence], list[Chunk]]


def _split(
    documents: Sequence[Document], embedder: Embedder, settings: Settings, reusable: dict[str, Pieces]
) -> list[tuple[Document, list[Sentence], list[Chunk]]]:
    """Sentences and chunks per document; an unchanged document (same content hash) reuses the previous ones."""
    out = []
    for document in documents:
        if document.content_hash in reusable:
            out.append((document, *reusable[document.content_hash]))
            continue
        sentences = split_sentences(document)
        title_tokens = embedder.count_tokens([document.title])[0] + 1
        budget = max(32, min(settings.chunk_tokens, embedder.max_tokens) - 2 - title_tokens)
        chunks = make_chunks(document, sentences, embedder.count_tokens, budget, settings.chunk_overlap_sentences)
        out.append((document, sentences, chunks))
    return out


def _write_meta(path: Path, pieces: list[tuple[Document, list[Sentence], list[Chunk]]]) -> None:
    db = sqlite3.connect(path)
    with db:
        db.executescript(
            """
            CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, date TEXT,
                                    text TEXT NOT NULL, content_hash TEXT NOT NULL, sections TEXT NOT NULL);
            CREATE TABLE sentences (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents,
                                    start INTEGER NOT NULL, end INTEGER NOT NULL, section INTEGER NOT NULL, heading INTEGER NOT NULL);
            CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents,
                                 start INTEGER NOT NULL, end INTEGER NOT NULL,
                                 first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL);
            """
        )
        # A row's id is its position in sentences.npy / chunks.faiss: written, never left to SQLite.
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
    db.close()


def _previous_pieces(generation: Path | None) -> tuple[dict[str, str], dict[str, Pieces]]:
    """The previous generation's content hash per doc id, and its sentences and chunks per content hash."""
    if generation is None:
        return {}, {}
    db = sqlite3.connect(generation / "meta.sqlite")
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
    return hashes, {hashes[d]: (sentences[d], chunks[d]) for d in hashes}


def vector_index(vectors: np.ndarray, settings: Settings) -> faiss.Index:
    """Exact inner product for ordinary corpora; HNSW past `ann_above` vectors, where exact search stops being cheap."""
    dimension = vectors.shape[1]
    approximate = settings.index_type == "hnsw" or (settings.index_type == "auto" and len(vectors) > settings.ann_above)
    index: faiss.Index
    if approximate:
        hnsw = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.hnsw.efSearch = settings.hnsw_ef_search
        index = hnsw
    else:
        index = faiss.IndexFlatIP(dimension)
    index.add(vectors)
    return index


def build_index(settings: Settings, embedder: Embedder, full: bool = False, hook: BuildHook | None = None) -> BuildReport:
    """Build a new generation from the documents folder and make it live; returns what changed."""
    started = time.perf_counter()
    step = hook or (lambda _name: None)
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    report = BuildReport()

    loaded = load_documents(settings.documents_dir)
    report.skipped = loaded.skipped
    if not loaded.documents:
        names = "; ".join(f"{s.source}: {s.reason}" for s in loaded.skipped) or "the folder is empty"
        raise NoDocumentsError(f"no readable documents in {settings.documents_dir} ({names})")

    previous = current_generation(index_dir)
    cache_path = index_dir / CACHE_FILE
    if previous is not None and read_manifest(previous).settings_key() != expected_key(settings, embedder.dimension):
        old = read_manifest(previous)
        report.full_rebuild_reason = (
            f"settings changed (model {old.model_id} → {settings.model}, chunk tokens {old.chunk_tokens} → {settings.chunk_tokens}, "
            f"overlap {old.chunk_overlap_sentences} → {settings.chunk_overlap_sentences}): every text is embedded again"
        )
        full = True
    elif full:
        report.full_rebuild_reason = "--full asked for: every text is embedded again"
    if full:
        cache_path.unlink(missing_ok=True)

    old_hashes, reusable = _previous_pieces(previous) if not full else ({}, {})
    new_hashes = {d.doc_id: d.content_hash for d in loaded.documents}
    report.added = sorted(set(new_hashes) - set(old_hashes))
    report.removed = sorted(set(old_hashes) - set(new_hashes))
    report.changed = sorted(d for d in new_hashes if d in old_hashes and old_hashes[d] != new_hashes[d])
    report.unchanged = len(new_hashes) - len(report.added) - len(report.changed)

    pieces = _split(loaded.documents, embedder, settings, reusable)
    step("split")
    cached = CachedEmbedder(embedder, cache_path)
    try:
        chunk_texts = [chunk_embedding_text(d, c.text) for d, _, cs in pieces for c in cs]
        sentence_texts = [s.text for _, ss, _ in pieces for s in ss]
        show = len(chunk_texts) + len(sentence_texts) > 2000
        chunk_vectors = cached.encode(chunk_texts, show_progress=show)
        step("embedded-chunks")
        sentence_vectors = cached.encode(sentence_texts, show_progress=show)
        step("embedded-sentences")
        cached.keep_only(chunk_texts + sentence_texts)
        report.embedded = cached.embedded
    finally:
        cached.close()

    name = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    staging = index_dir / f".staging-{name}"
    staging.mkdir()
    _write_meta(staging / "meta.sqlite", pieces)
    faiss.write_index(vector_index(chunk_vectors, settings), str(staging / "chunks.faiss"))
    np.save(staging / "sentences.npy", sentence_vectors)
    LexicalIndex.build(chunk_texts).save(staging / "bm25-chunks")
    LexicalIndex.build(sentence_texts).save(staging / "bm25-sentences")
    step("written")

    report.documents = len(pieces)
    report.chunks = len(chunk_texts)
    report.sentences = len(sentence_texts)
    manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        model_id=settings.model,
        dimension=embedder.dimension,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap_sentences=settings.chunk_overlap_sentences,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        forumqa_version=__version__,
        documents=report.documents,
        chunks=report.chunks,
        sentences=report.sentences,
    )
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    os.replace(staging, index_dir / name)
    step("renamed")
    pointer_tmp = index_dir / f".{CURRENT}.tmp"
    pointer_tmp.write_text(name)
    os.replace(pointer_tmp, index_dir / CURRENT)
    step("switched")
    _remove_stale(index_dir, keep=name)
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Old generations and leftovers of crashed builds; a loaded snapshot holds its data in memory."""
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("gen-") or path.name.startswith(".staging-")):
            shutil.rmtree(path, ignore_errors=True)
