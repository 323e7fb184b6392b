"""The index on disk: immutable generations, switched atomically.

index/
  CURRENT            name of the live generation (replaced with os.replace, never edited)
  embeddings.sqlite  vectors keyed by model id + text hash: a rebuild embeds only new texts
  .build.lock        held (flock) by the one build allowed to write here; .build.owner says who holds it
  gen-*/             manifest.json, meta.sqlite, chunks.faiss, sentences.faiss, sentences.npy, bm25-chunks/, bm25-sentences/,
                     terms/, and *.faiss.ivfdata for an index on disk (past `ann_above` vectors: ondisk_index)

A build writes a whole new generation beside the live one and only then moves CURRENT, so
a crash at any point leaves the previous index loadable, and a reader never sees a mix.
A generation that cannot be read (a file missing, truncated or garbage; CURRENT naming anything
but a folder of the index) raises IndexCorruptError naming the file, and the next build notices
it and rebuilds in full instead of reusing it.

Who holds what: build_plan decides what a build writes, generation writes and checks a generation's
files and moves CURRENT, generation_db owns meta.sqlite's tables, build_lock keeps builds one at a time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from forumqa import __version__, generation_db
from forumqa.build_lock import build_lock
from forumqa.build_plan import plan_build
from forumqa.chunking import SPLIT_VERSION
from forumqa.config import Settings
from forumqa.documents import Document, Skipped
from forumqa.embedding import CachedEmbedder, Embedder
from forumqa.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from forumqa.generation import (
    CHUNK_LEXICAL,
    CHUNK_VECTORS,
    CURRENT,
    META,
    SENTENCE_INDEX,
    SENTENCE_LEXICAL,
    SENTENCE_VECTORS,
    TERMS,
    Manifest,
    Sizes,
    VectorFile,
    current_generation,
    empty_vector_index,
    expected_key,
    index_kind,
    new_generation_name,
    read_array,
    read_manifest,
    read_vector_index,
    remove_stale,
    switch,
    vector_index,
    write_lexical,
    write_manifest,
    write_records,
    write_terms,
    write_vector_index,
)
from forumqa.generation_db import DocumentPieces, IndexedChunk, IndexedSentence
from forumqa.index_io import reading, writing
from forumqa.lexical import LexicalIndex
from forumqa.ondisk_index import LISTS_SUFFIX, build_on_disk
from forumqa.term_vectors import TermVectors, surface_words

__all__ = [
    "CACHE_FILE",
    "CURRENT",
    "BuildHook",
    "BuildReport",
    "IndexSnapshot",
    "IndexedChunk",
    "IndexedSentence",
    "Manifest",
    "build_index",
    "build_lock",
    "chunk_embedding_text",
    "current_generation",
    "load_index",
    "vector_index",
]

CACHE_FILE = "embeddings.sqlite"
#: Above this many texts (chunks and sentences together) embedding shows a progress bar.
_PROGRESS_ABOVE_TEXTS = 2000

#: Test hook: called with a step name between build steps, so tests can inject a crash.
BuildHook = Callable[[str], None]


@dataclass
class IndexSnapshot:
    """Everything a question needs, loaded once and never mutated; swapped whole on reindex."""

    path: Path
    manifest: Manifest
    documents: dict[str, Document]
    sentences: list[IndexedSentence]
    chunks: list[IndexedChunk]
    chunk_index: faiss.Index
    #: Row i is sentence i's unit vector, mapped from sentences.npy: a question reads a few hundred rows, from the page cache.
    sentence_vectors: np.ndarray
    #: The same vectors searchable: exact (flat), or IVF on disk (or HNSW) by the rule the chunk index follows (`index_kind`).
    sentence_index: faiss.Index
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
            f"(overlap {settings.chunk_overlap_sentences}), schema {generation_db.SCHEMA_VERSION}: "
            "run `forumqa index` to rebuild it"
        )
    with reading(generation / META):
        documents, sentences, chunks = generation_db.read(generation / META)
    with reading(generation / CHUNK_VECTORS):
        chunk_index = read_vector_index(generation / CHUNK_VECTORS, settings)
    with reading(generation / SENTENCE_VECTORS):
        sentence_vectors = read_array(generation / SENTENCE_VECTORS, mmap=True)
    with reading(generation / SENTENCE_INDEX):
        sentence_index = _sentence_index(generation, sentence_vectors, settings)
    term_vectors = None
    if (generation / TERMS).is_dir():
        with reading(generation / TERMS):
            term_vectors = TermVectors.load(generation / TERMS)
    lexical = {}
    for name in (CHUNK_LEXICAL, SENTENCE_LEXICAL):
        with reading(generation / name):
            lexical[name] = LexicalIndex.load(generation / name)
    Sizes(
        documents=len(documents),
        sentences=len(sentences),
        chunks=len(chunks),
        chunk_vectors=(int(chunk_index.ntotal), int(chunk_index.d)),
        sentence_vectors=tuple(sentence_vectors.shape),
        chunk_rows=lexical[CHUNK_LEXICAL].rows,
        sentence_rows=lexical[SENTENCE_LEXICAL].rows,
        sentence_index=(int(sentence_index.ntotal), int(sentence_index.d)),
    ).check(generation, manifest)
    return IndexSnapshot(
        path=generation,
        manifest=manifest,
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_index=chunk_index,
        sentence_vectors=sentence_vectors,
        sentence_index=sentence_index,
        chunk_lexical=lexical[CHUNK_LEXICAL],
        sentence_lexical=lexical[SENTENCE_LEXICAL],
        term_vectors=term_vectors,
    )


def _sentence_index(generation: Path, sentence_vectors: np.ndarray, settings: Settings) -> faiss.Index:
    """A generation written before sentences.faiss existed gets its index built here, in memory, until the next build
    writes one: quick for the exact index, longer for an approximate one over hundreds of thousands of sentences (the
    IVF index is then built in memory)."""
    if (generation / SENTENCE_INDEX).exists():
        return read_vector_index(generation / SENTENCE_INDEX, settings)
    return vector_index(np.ascontiguousarray(sentence_vectors, dtype=np.float32), settings)


# ---------------------------------------------------------------- building


def chunk_embedding_text(document: Document, chunk_text: str) -> str:
    """The title travels with every chunk: it tells apart reports that share names and topics."""
    return f"{document.title}\n{chunk_text}"


def build_index(settings: Settings, embedder: Embedder, full: bool = False, hook: BuildHook | None = None) -> BuildReport:
    """Build a new generation from the documents folder and make it live; returns what changed.

    One build at a time per index folder, across processes: a second one waits up to
    `build_lock_timeout_s`, then raises BuildLockedError naming the build it waited for.
    """
    with writing(settings.index_dir):
        settings.index_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.index_dir, settings.build_lock_timeout_s):
        return _build(settings, embedder, full, hook or (lambda _name: None))


def _build(settings: Settings, embedder: Embedder, full: bool, step: BuildHook) -> BuildReport:
    """build_index's work, under the folder's build lock: plan, embed, write a generation, publish it."""
    started = time.perf_counter()
    plan = plan_build(settings, embedder, full)
    report = BuildReport(
        documents=len(plan.documents),
        added=plan.added,
        changed=plan.changed,
        removed=plan.removed,
        unchanged=plan.unchanged,
        skipped=plan.skipped,
        full_rebuild_reason=plan.full_rebuild_reason,
    )
    name = new_generation_name()
    staging, final = settings.index_dir / f".staging-{name}", settings.index_dir / name
    with _removed_on_failure(staging, final):
        with writing(staging):
            staging.mkdir()
        texts = _Texts([], [])
        write_records(staging, texts.gather(plan.split(embedder, settings)))
        del plan  # what it held of the previous generation too
        step("split")
        _embed(texts, embedder, settings, report, step, staging)
        write_lexical(staging, texts.chunks, texts.sentences)
        step("written")
        write_manifest(staging, _manifest(settings, embedder.dimension, report))
        _publish(staging, final, step)
    step("switched")
    remove_stale(settings.index_dir, keep=name)
    report.generation = name
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Texts:
    """What a build embeds and indexes for BM25: vector i of an index is text i of its list, row i of meta.sqlite."""

    chunks: list[str]
    sentences: list[str]

    def gather(self, pieces: Iterable[DocumentPieces]) -> Iterator[DocumentPieces]:
        """`pieces` passed on as they come, their texts kept: the records themselves are written and let go."""
        for document, sentences, chunks in pieces:
            self.chunks.extend(chunk_embedding_text(document, c.text) for c in chunks)
            self.sentences.extend(s.text for s in sentences)
            yield document, sentences, chunks


def _embed(texts: _Texts, embedder: Embedder, settings: Settings, report: BuildReport, step: BuildHook, staging: Path) -> None:
    """Vectors for every chunk, sentence and corpus term, through the embedding cache, straight into their FAISS
    indexes (the sentences' also into sentences.npy at full precision); each index is written and let go before
    the next one grows. Counts them into `report`."""
    cache_path = settings.index_dir / CACHE_FILE
    if report.full_rebuild_reason is not None:  # every text is embedded again: none may come from the cache
        with writing(cache_path):
            cache_path.unlink(missing_ok=True)
    cached = CachedEmbedder(embedder, cache_path, settings.embedding_commit_every)
    try:
        show = len(texts.chunks) + len(texts.sentences) > _PROGRESS_ABOVE_TEXTS
        _index_vectors(cached, texts.chunks, settings, staging / CHUNK_VECTORS, show)
        step("embedded-chunks")
        _index_vectors(cached, texts.sentences, settings, staging / SENTENCE_INDEX, show, vectors_file=staging / SENTENCE_VECTORS)
        step("embedded-sentences")
        words = surface_words(texts.sentences)
        write_terms(staging, TermVectors.build(words, lambda spellings: cached.encode(spellings, show_progress=show)))
        cached.keep_only(texts.chunks + texts.sentences + list(words.values()))
        step("embedded-terms")
        report.embedded = cached.embedded
        if cached.discarded and report.full_rebuild_reason is None:
            report.full_rebuild_reason = cached.discarded
    finally:
        cached.close()
    report.chunks, report.sentences = len(texts.chunks), len(texts.sentences)


def _index_vectors(
    cached: CachedEmbedder, texts: list[str], settings: Settings, path: Path, show: bool, vectors_file: Path | None = None
) -> None:
    """One FAISS index of `texts`, written to `path`, their vectors also to `vectors_file` at full precision when one
    is named. An exact index is written to its file block by block as they are embedded, so it is never in memory
    whole; an HNSW index is filled block by block and leaves memory when this returns, before the next index grows.
    An IVF index is built from a vectors file in bounded memory (ondisk_index)."""
    kind = index_kind(len(texts), settings)
    if kind != "ivf":
        count, dimension = len(texts), cached.dimension
        hnsw = empty_vector_index(count, dimension, settings) if kind == "hnsw" else None
        with contextlib.ExitStack() as files:
            sinks = [hnsw.add if hnsw is not None else files.enter_context(VectorFile(path, count, dimension, exact_index=True)).add]
            if vectors_file is not None:
                sinks.append(files.enter_context(VectorFile(vectors_file, count, dimension)).add)

            def keep(block: np.ndarray) -> None:
                for sink in sinks:
                    sink(block)

            cached.encode_into(texts, keep, show_progress=show)
        if hnsw is not None:
            write_vector_index(hnsw, path)
        return
    file = vectors_file or path.with_name(path.name + ".vectors.npy")  # the staging folder's, removed below
    with VectorFile(file, len(texts), cached.dimension) as out:
        cached.encode_into(texts, out.add, show_progress=show)
    with writing(path):
        index = build_on_disk(file, path.with_name(path.name + LISTS_SUFFIX), settings.ivf_nprobe)
    write_vector_index(index, path)
    if vectors_file is None:
        with writing(file):
            file.unlink()


def _manifest(settings: Settings, dimension: int, report: BuildReport) -> Manifest:
    return Manifest(
        schema_version=generation_db.SCHEMA_VERSION,
        model_id=settings.model,
        dimension=dimension,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap_sentences=settings.chunk_overlap_sentences,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        forumqa_version=__version__,
        documents=report.documents,
        chunks=report.chunks,
        sentences=report.sentences,
        split_version=SPLIT_VERSION,
    )


def _publish(staging: Path, final: Path, step: BuildHook) -> None:
    """The finished generation under its own name, then CURRENT moved to it: from here on readers load it."""
    with writing(final):
        os.replace(staging, final)
    step("renamed")
    switch(final.parent, final.name)


@contextlib.contextmanager
def _removed_on_failure(staging: Path, final: Path) -> Iterator[None]:
    """A failed build's generation, wherever it got to: CURRENT still names the previous one, so nothing of it
    is live. Its space is freed now (a disk-full build would otherwise leave the disk full), not at the next build."""
    try:
        yield
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
