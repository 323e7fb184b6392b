"""The index on disk: immutable generations, switched atomically.

index/
  CURRENT            name of the live generation (replaced with os.replace, never edited)
  embeddings.sqlite  vectors keyed by model id + text hash: a rebuild embeds only new texts
  .build.lock        held (flock) by the one build allowed to write here; .build.owner says who holds it
  gen-*/             manifest.json, meta.sqlite, chunks.faiss, sentences.npy, bm25-chunks/, bm25-sentences/

A build writes a whole new generation beside the live one and only then moves CURRENT, so
a crash at any point leaves the previous index loadable, and a reader never sees a mix.
A generation that cannot be read (a file missing, truncated or garbage; CURRENT naming anything
but a folder of the index) raises IndexCorruptError naming the file, and the next build notices
it and rebuilds in full instead of reusing it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import bm25s
import faiss
import numpy as np
from filelock import BaseFileLock, FileLock, Timeout
from pydantic import TypeAdapter, ValidationError
from tqdm import tqdm

from forumqa import __version__
from forumqa.chunking import Chunk, Sentence, make_chunks, split_sentences
from forumqa.config import Settings
from forumqa.documents import Document, Section, Skipped
from forumqa.embedding import CachedEmbedder, Embedder, sqlite_unwritable
from forumqa.errors import (
    BuildLockedError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    NoDocumentsError,
)
from forumqa.lexical import LexicalIndex
from forumqa.loading import load_documents
from forumqa.term_vectors import TermVectors, surface_words

log = logging.getLogger(__name__)

#: 2: sentence and chunk ids are written explicitly as 0-based positions (version 1 let SQLite
#: number sentences from 1, which shifted every reused chunk's sentence range on each rebuild).
SCHEMA_VERSION = 2
CURRENT = "CURRENT"
#: Folder of the corpus terms' vectors (near-synonym credit); an index without it answers without that signal.
TERMS = "terms"
CACHE_FILE = "embeddings.sqlite"
LOCK_FILE = ".build.lock"
OWNER_FILE = ".build.owner"
#: The only names CURRENT may hold: a plain folder name inside the index folder, never a path.
_GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9_.-]+")

#: Documents above which splitting shows a progress bar.
PROGRESS_ABOVE = 200

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
    #: A vector per corpus term, for near-synonym credit; None for an index built without them.
    term_vectors: TermVectors | None = None

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

#: What reading a damaged file raises, across sqlite3, json, numpy, faiss (RuntimeError) and bm25s.
_UNREADABLE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, RuntimeError, sqlite3.Error)
_MANIFEST = TypeAdapter(Manifest)


def _reason(error: BaseException) -> str:
    """One short line from any exception: an OS error's own words, or the first line of faiss's C++ trace."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    lines = str(error).strip().splitlines()
    text = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", lines[0]) if lines else ""
    if not isinstance(error, ValueError | RuntimeError | sqlite3.Error):
        text = f"{type(error).__name__} {text}".strip()
    return text[:200]


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Any failure while reading `path` becomes IndexCorruptError naming it, instead of a traceback."""
    try:
        yield
    except _UNREADABLE as error:
        raise IndexCorruptError(path, _reason(error)) from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only, so a missing file is an error rather than a new empty database inside the generation."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder; None before the first build. IndexCorruptError when CURRENT cannot be used:
    it must name a folder directly inside index_dir, since an absolute path or '..' would load an index from elsewhere."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(pointer, _reason(error)) from None
    if not _GENERATION_NAME.fullmatch(name):
        raise IndexCorruptError(pointer, f"names {name[:80]!r}, which is not a generation folder of this index")
    generation = index_dir / name
    if not generation.is_dir():
        raise IndexCorruptError(generation, "the generation CURRENT names is missing")
    return generation


def read_manifest(generation: Path) -> Manifest:
    path = generation / "manifest.json"
    with _reading(path):
        data = path.read_bytes()
    try:
        return _MANIFEST.validate_json(data)
    except ValidationError as error:
        problems = "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in error.errors()[:3])
        raise IndexCorruptError(path, problems) from None


@dataclass(frozen=True)
class _Sizes:
    """What each file of a generation holds: files that disagree with the manifest were not written together,
    and would surface later as wrong answers or an IndexError in the middle of a question."""

    documents: int
    sentences: int
    chunks: int
    chunk_vectors: tuple[int, int]  # chunks.faiss: vectors, dimension
    sentence_vectors: tuple[int, ...]  # sentences.npy: shape
    chunk_rows: int  # bm25-chunks
    sentence_rows: int  # bm25-sentences

    def check(self, generation: Path, manifest: Manifest) -> None:
        m = manifest
        meta = (self.documents, self.sentences, self.chunks)
        for name, what, found, wanted in (
            ("meta.sqlite", "documents, sentences, chunks", meta, (m.documents, m.sentences, m.chunks)),
            ("chunks.faiss", "vectors, dimension", self.chunk_vectors, (m.chunks, m.dimension)),
            ("sentences.npy", "shape", self.sentence_vectors, (m.sentences, m.dimension)),
            ("bm25-chunks", "rows", self.chunk_rows, m.chunks),
            ("bm25-sentences", "rows", self.sentence_rows, m.sentences),
        ):
            if found != wanted:
                raise IndexCorruptError(generation / name, f"holds {what} {found} where manifest.json says {wanted}")


def _read_meta(path: Path) -> tuple[dict[str, Document], list[IndexedSentence], list[IndexedChunk]]:
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


def load_index(settings: Settings, dimension: int | None = None) -> IndexSnapshot:
    """The live generation; refuses one built with other model or chunking settings, names the file when one is damaged.

    A build in another process may switch CURRENT and delete the generation being read: the
    read is then tried again on the new one, and only a generation that stays live and fails is corrupt.
    """
    attempts = 3
    for attempt in range(attempts):
        generation = current_generation(settings.index_dir)
        if generation is None:
            raise IndexNotFoundError(f"no index in {settings.index_dir}: run `forumqa index` to build it")
        try:
            return _load_generation(generation, settings, dimension)
        except IndexCorruptError:
            if attempt == attempts - 1 or current_generation(settings.index_dir) == generation:
                raise
    raise AssertionError("unreachable")


def _load_generation(generation: Path, settings: Settings, dimension: int | None) -> IndexSnapshot:
    manifest = read_manifest(generation)
    if manifest.model_id != settings.model or (dimension is not None and manifest.settings_key() != expected_key(settings, dimension)):
        raise IndexMismatchError(
            f"the index in {settings.index_dir} was built with model {manifest.model_id}, "
            f"chunks of {manifest.chunk_tokens} tokens (overlap {manifest.chunk_overlap_sentences}), schema {manifest.schema_version}; "
            f"the settings ask for {settings.model}, {settings.chunk_tokens} tokens "
            f"(overlap {settings.chunk_overlap_sentences}), schema {SCHEMA_VERSION}: "
            "run `forumqa index` to rebuild it"
        )
    with _reading(generation / "meta.sqlite"):
        documents, sentences, chunks = _read_meta(generation / "meta.sqlite")
    with _reading(generation / "chunks.faiss"):
        chunk_index = _read_vector_index(generation / "chunks.faiss", settings)
    with _reading(generation / "sentences.npy"):
        sentence_vectors = _read_array(generation / "sentences.npy")
    term_vectors = None
    if (generation / TERMS).is_dir():
        with _reading(generation / TERMS):
            term_vectors = TermVectors.load(generation / TERMS)
    lexical = {}
    for name in ("bm25-chunks", "bm25-sentences"):
        with _reading(generation / name):
            lexical[name] = LexicalIndex.load(generation / name)
    _Sizes(
        len(documents),
        len(sentences),
        len(chunks),
        (int(chunk_index.ntotal), int(chunk_index.d)),
        tuple(sentence_vectors.shape),
        len(lexical["bm25-chunks"].scores([])),  # a score per row
        len(lexical["bm25-sentences"].scores([])),
    ).check(generation, manifest)
    return IndexSnapshot(
        path=generation,
        manifest=manifest,
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_index=chunk_index,
        sentence_vectors=sentence_vectors,
        chunk_lexical=lexical["bm25-chunks"],
        sentence_lexical=lexical["bm25-sentences"],
        term_vectors=term_vectors,
    )


def _read_vector_index(path: Path, settings: Settings) -> faiss.Index:
    index = _read_faiss(path)
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = settings.hnsw_ef_search  # not stored in the file
    return index


def _read_faiss(path: Path, flags: int = 0) -> faiss.Index:
    """faiss reports a missing or cut-off file as a C++ assertion; say what it means instead."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    try:
        return faiss.read_index(str(path), flags)
    except RuntimeError:
        raise ValueError("not a complete FAISS index (truncated or overwritten)") from None


def _read_array(path: Path, mmap: bool = False) -> np.ndarray:
    """Checks the magic string first: without it numpy takes garbage for a pickle and says so."""
    with path.open("rb") as file:
        np.lib.format.read_magic(file)
    array: np.ndarray = np.load(path, mmap_mode="r" if mmap else None)
    return array


def _verify_previous(generation: Path, manifest: Manifest, meta: tuple[int, int, int]) -> None:
    """The previous generation's other files, memory-mapped rather than loaded: a build reuses only meta.sqlite,
    but a damaged file anywhere means the generation is not what its manifest says, so none of it is trusted."""
    with _reading(generation / "chunks.faiss"):
        index = _read_faiss(generation / "chunks.faiss", faiss.IO_FLAG_MMAP)
        chunk_vectors = (int(index.ntotal), int(index.d))
    with _reading(generation / "sentences.npy"):
        shape = tuple(_read_array(generation / "sentences.npy", mmap=True).shape)
    rows = {}
    for name in ("bm25-chunks", "bm25-sentences"):
        with _reading(generation / name):
            retriever = bm25s.BM25.load(str(generation / name), mmap=True, show_progress=False, verbosity=0)
            rows[name] = int(retriever.scores["num_docs"])
    _Sizes(*meta, chunk_vectors, shape, rows["bm25-chunks"], rows["bm25-sentences"]).check(generation, manifest)


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
    # A large export takes minutes to split (100k posts: ~10 min); say so rather than sit silent.
    for document in tqdm(documents, desc="splitting", unit="document", disable=len(documents) < PROGRESS_ABOVE):
        if document.content_hash in reusable:
            out.append((document, *reusable[document.content_hash]))
            continue
        sentences = split_sentences(document, settings.max_sentence_chars)
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


def _previous_pieces(generation: Path) -> tuple[dict[str, str], dict[str, Pieces], tuple[int, int, int]]:
    """The previous generation's content hash per doc id, its sentences and chunks per content hash, and its
    (documents, sentences, chunks) counts; ValueError when a chunk points outside its document's sentences."""
    db = _connect_read_only(generation / "meta.sqlite")
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


def _reusable(index_dir: Path, settings: Settings, dimension: int, full: bool) -> tuple[dict[str, str], dict[str, Pieces], str | None]:
    """What the previous generation lets this build reuse: its content hashes and pieces, or nothing and why
    (the full-rebuild reason). A generation that cannot be read is rebuilt in full rather than trusted in part."""
    try:
        previous = current_generation(index_dir)
        old = read_manifest(previous) if previous is not None else None
        if old is not None and old.settings_key() != expected_key(settings, dimension):
            changed = (
                f"settings changed (model {old.model_id} → {settings.model}, chunk tokens {old.chunk_tokens} → {settings.chunk_tokens}, "
                f"overlap {old.chunk_overlap_sentences} → {settings.chunk_overlap_sentences}): every text is embedded again"
            )
            return {}, {}, changed
        if full:
            return {}, {}, "--full asked for: every text is embedded again"
        if previous is None or old is None:
            return {}, {}, None
        with _reading(previous / "meta.sqlite"):
            hashes, reusable, counts = _previous_pieces(previous)
        _verify_previous(previous, old, counts)
    except IndexCorruptError as error:
        log.info("the previous index is unreadable (%s): rebuilding it in full", error)
        return {}, {}, f"the previous index is unreadable ({error.path}: {error.reason}): rebuilt in full, every text is embedded again"
    return hashes, reusable, None


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A refused write (disk full, no permission, `ulimit -f`) becomes one line naming the file, instead of a traceback."""
    try:
        yield
    except OSError as error:
        raise IndexWriteError(path, _reason(error)) from None
    except sqlite3.Error as error:
        if not sqlite_unwritable(error):
            raise
        raise IndexWriteError(path, str(error)) from None


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
    """Build a new generation from the documents folder and make it live; returns what changed.

    One build at a time per index folder, across processes: a second one waits up to
    `build_lock_timeout_s`, then raises BuildLockedError naming the build it waited for.
    """
    with _writing(settings.index_dir):
        settings.index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.index_dir, settings.build_lock_timeout_s):
        return _build(settings, embedder, full, hook or (lambda _name: None))


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout_s: float) -> Iterator[None]:
    """Holds the index folder for one build, across processes.

    The lock is an flock, which the kernel drops when its holder dies, so a killed build never leaves
    the folder locked. Everything a build writes here (staging folders, the embedding cache, CURRENT,
    the removal of old generations) happens under it, which is why the holder may delete any staging
    folder it finds: the build that made it has ended, or it would still hold the lock.
    """
    lock = FileLock(str(index_dir / LOCK_FILE))
    _acquire(lock, index_dir, timeout_s)
    owner = index_dir / OWNER_FILE
    try:
        with contextlib.suppress(OSError):  # only for the message a waiting build prints: never a reason to fail
            owner.write_text(f"pid {os.getpid()} on {socket.gethostname()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        yield
    finally:
        with contextlib.suppress(OSError):
            owner.unlink(missing_ok=True)
        lock.release()


def _acquire(lock: BaseFileLock, index_dir: Path, timeout_s: float) -> None:
    try:
        try:
            lock.acquire(timeout=0)
            return
        except Timeout:
            if timeout_s <= 0:
                raise
        # A warning, so that a waiting `forumqa index` says why it is waiting even before logging is set up.
        log.warning("another build of %s is running (%s): waiting up to %g s for it to finish", index_dir, _holder(index_dir), timeout_s)
        lock.acquire(timeout=timeout_s)
    except Timeout:
        waited = f", waited {timeout_s:g} s" if timeout_s > 0 else ""
        raise BuildLockedError(
            f"another build of {index_dir} is running ({_holder(index_dir)}{waited}): try again when it has finished "
            "(FORUMQA_BUILD_LOCK_TIMEOUT_S sets how long a build waits)"
        ) from None
    except OSError as error:  # e.g. a read-only index folder
        raise IndexWriteError(index_dir / LOCK_FILE, _reason(error)) from None


def _holder(index_dir: Path, patience_s: float = 0.5) -> str:
    """Who holds the build lock, from the note its holder writes just after taking it (hence a short wait for it)."""
    deadline = time.monotonic() + patience_s
    while True:
        with contextlib.suppress(OSError, ValueError):
            if text := (index_dir / OWNER_FILE).read_text(encoding="utf-8").strip():
                return text[:200]
        if time.monotonic() >= deadline:
            return "pid unknown"
        time.sleep(0.02)


def _build(settings: Settings, embedder: Embedder, full: bool, step: BuildHook) -> BuildReport:
    """build_index's work, under the folder's build lock."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    report = BuildReport()

    loaded = load_documents(settings.documents_dir, max_file_bytes=int(settings.max_file_mb * 2**20))
    report.skipped = loaded.skipped
    if not loaded.documents:
        names = "; ".join(f"{s.source}: {s.reason}" for s in loaded.skipped) or "the folder is empty"
        raise NoDocumentsError(f"no readable documents in {settings.documents_dir} ({names})")

    cache_path = index_dir / CACHE_FILE
    old_hashes, reusable, report.full_rebuild_reason = _reusable(index_dir, settings, embedder.dimension, full)
    if report.full_rebuild_reason is not None:
        with _writing(cache_path):
            cache_path.unlink(missing_ok=True)

    new_hashes = {d.doc_id: d.content_hash for d in loaded.documents}
    report.added = sorted(set(new_hashes) - set(old_hashes))
    report.removed = sorted(set(old_hashes) - set(new_hashes))
    report.changed = sorted(d for d in new_hashes if d in old_hashes and old_hashes[d] != new_hashes[d])
    report.unchanged = len(new_hashes) - len(report.added) - len(report.changed)

    pieces = _split(loaded.documents, embedder, settings, reusable)
    step("split")
    cached = CachedEmbedder(embedder, cache_path, settings.embedding_commit_every)
    try:
        chunk_texts = [chunk_embedding_text(d, c.text) for d, _, cs in pieces for c in cs]
        sentence_texts = [s.text for _, ss, _ in pieces for s in ss]
        show = len(chunk_texts) + len(sentence_texts) > 2000
        chunk_vectors = cached.encode(chunk_texts, show_progress=show)
        step("embedded-chunks")
        sentence_vectors = cached.encode(sentence_texts, show_progress=show)
        step("embedded-sentences")
        words = surface_words(sentence_texts)
        term_vectors = TermVectors.build(words, lambda spellings: cached.encode(spellings, show_progress=show))
        cached.keep_only(chunk_texts + sentence_texts + list(words.values()))
        report.embedded = cached.embedded
        if cached.discarded and report.full_rebuild_reason is None:
            report.full_rebuild_reason = cached.discarded
    finally:
        cached.close()

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
    name = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    staging, final = index_dir / f".staging-{name}", index_dir / name
    try:
        _write_generation(staging, pieces, (chunk_texts, sentence_texts), (chunk_vectors, sentence_vectors), settings)
        with _writing(staging / TERMS):
            term_vectors.save(staging / TERMS)
        step("written")
        with _writing(staging / "manifest.json"):  # last: a folder without a manifest is no generation
            (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
        with _writing(final):
            os.replace(staging, final)
        step("renamed")
        _switch(index_dir, name)
    except BaseException:
        # CURRENT still names the previous generation, so nothing of this build is live: free its space now
        # (a disk-full build would otherwise leave the disk full) rather than at the next build.
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    step("switched")
    _remove_stale(index_dir, keep=name)
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report


def _write_generation(
    folder: Path,
    pieces: list[tuple[Document, list[Sentence], list[Chunk]]],
    texts: tuple[list[str], list[str]],
    vectors: tuple[np.ndarray, np.ndarray],
    settings: Settings,
) -> None:
    """Every file of a generation but its manifest; each write that fails names its file."""
    (chunk_texts, sentence_texts), (chunk_vectors, sentence_vectors) = texts, vectors
    with _writing(folder):
        folder.mkdir()
    with _writing(folder / "meta.sqlite"):
        _write_meta(folder / "meta.sqlite", pieces)
    with _writing(folder / "chunks.faiss"):
        _write_vector_index(vector_index(chunk_vectors, settings), folder / "chunks.faiss")
    with _writing(folder / "sentences.npy"):
        np.save(folder / "sentences.npy", sentence_vectors)
    for lexical_name, lexical_texts in (("bm25-chunks", chunk_texts), ("bm25-sentences", sentence_texts)):
        with _writing(folder / lexical_name):
            LexicalIndex.build(lexical_texts).save(folder / lexical_name)


def _write_vector_index(index: faiss.Index, path: Path) -> None:
    # Through a Python file, so that a full disk arrives as OSError with its errno rather than faiss's RuntimeError.
    with path.open("wb") as file:
        faiss.write_index(index, faiss.PyCallbackIOWriter(file.write))  # type: ignore[attr-defined]  # SWIG class the stubs lack


def _switch(index_dir: Path, name: str) -> None:
    """Points CURRENT at `name` in one atomic rename: a reader sees the old name or the new one, never a part."""
    pointer_tmp = index_dir / f".{CURRENT}.tmp"
    try:
        with _writing(index_dir / CURRENT):
            pointer_tmp.write_text(name)
            os.replace(pointer_tmp, index_dir / CURRENT)
    finally:
        with contextlib.suppress(OSError):
            pointer_tmp.unlink(missing_ok=True)


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Old generations and leftovers of crashed builds; a loaded snapshot holds its data in memory.

    Called under the build lock only: a staging folder found here belongs to a build that has ended
    (killed, or failed before its own clean-up), never to one still writing, since that one would hold the lock.
    """
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("gen-") or path.name.startswith(".staging-")):
            shutil.rmtree(path, ignore_errors=True)
