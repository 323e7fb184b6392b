"""One generation of the index: its files, written together and checked together, and the CURRENT pointer to it.

gen-*/  manifest.json, meta.sqlite (see generation_db), chunks.faiss, sentences.faiss, sentences.npy,
        bm25-chunks/, bm25-sentences/, terms/, and for an index past `ann_above` vectors its lists,
        chunks.faiss.ivfdata or sentences.faiss.ivfdata (ondisk_index)

The manifest is written last: a folder without one is no generation. Files that disagree with
the manifest were not written together, so a reader checks every file's size against it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import struct
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np
from pydantic import TypeAdapter, ValidationError

from forumqa import generation_db
from forumqa.config import IndexType, Settings
from forumqa.errors import IndexCorruptError
from forumqa.index_io import reading, reason, writing
from forumqa.lexical import LexicalIndex
from forumqa.ondisk_index import TRAIN_PER_LIST, ivf_in_memory, map_lists
from forumqa.term_vectors import TermVectors

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
META = "meta.sqlite"
CHUNK_VECTORS = "chunks.faiss"
SENTENCE_VECTORS = "sentences.npy"
#: The sentence vectors again, as a FAISS index: a question's nearest sentences corpus-wide without scanning them all.
#: A generation written before it existed still loads (the index is then built from sentences.npy on load).
SENTENCE_INDEX = "sentences.faiss"
CHUNK_LEXICAL = "bm25-chunks"
SENTENCE_LEXICAL = "bm25-sentences"
#: Folder of the corpus terms' vectors (near-synonym credit); an index without it answers without that signal.
TERMS = "terms"
#: HNSW graph parameters, for chunks and sentences alike. 32 links a vector is the FAISS wiki's usual choice
#: ("Guidelines to choose an index": HNSW32) for vectors of a few hundred dimensions; building with twice
#: FAISS's default candidate list (40) costs build time, not query time. Recall@10 against exact search at
#: these values and `hnsw_ef_search` = 128: benchmarks/results/scale.json ("hnsw", "hnsw_sentences"; README).
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
#: The only names CURRENT may hold: a plain folder name inside the index folder, never a path.
_GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9_.-]+")


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
    #: chunking.SPLIT_VERSION of the build; generations written before it was recorded are version 1.
    split_version: int = 1

    def settings_key(self) -> tuple[object, ...]:
        """What must match for vectors and offsets to be reused."""
        return (self.schema_version, self.model_id, self.dimension, self.chunk_tokens, self.chunk_overlap_sentences)


_MANIFEST = TypeAdapter(Manifest)


def expected_key(settings: Settings, dimension: int) -> tuple[object, ...]:
    return (generation_db.SCHEMA_VERSION, settings.model, dimension, settings.chunk_tokens, settings.chunk_overlap_sentences)


def new_generation_name() -> str:
    """A fresh generation's folder name: sortable by build time, unique across builds in the same second."""
    return f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder; None before the first build. IndexCorruptError when CURRENT cannot be used:
    it must name a folder directly inside index_dir, since an absolute path or '..' would load an index from elsewhere."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(pointer, reason(error)) from None
    if not _GENERATION_NAME.fullmatch(name):
        raise IndexCorruptError(pointer, f"names {name[:80]!r}, which is not a generation folder of this index")
    generation = index_dir / name
    if not generation.is_dir():
        raise IndexCorruptError(generation, "the generation CURRENT names is missing")
    return generation


def read_manifest(generation: Path) -> Manifest:
    path = generation / MANIFEST
    with reading(path):
        data = path.read_bytes()
    try:
        return _MANIFEST.validate_json(data)
    except ValidationError as error:
        problems = "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in error.errors()[:3])
        raise IndexCorruptError(path, problems) from None


@dataclass(frozen=True)
class Sizes:
    """What each file of a generation holds: files that disagree with the manifest were not written together,
    and would surface later as wrong answers or an IndexError in the middle of a question."""

    documents: int
    sentences: int
    chunks: int
    chunk_vectors: tuple[int, int]  # chunks.faiss: vectors, dimension
    sentence_vectors: tuple[int, ...]  # sentences.npy: shape
    chunk_rows: int  # bm25-chunks
    sentence_rows: int  # bm25-sentences
    sentence_index: tuple[int, int] | None = None  # sentences.faiss: vectors, dimension; None in a generation without it

    def check(self, generation: Path, manifest: Manifest) -> None:
        m = manifest
        meta = (self.documents, self.sentences, self.chunks)
        files: list[tuple[str, str, object, object]] = [
            (META, "documents, sentences, chunks", meta, (m.documents, m.sentences, m.chunks)),
            (CHUNK_VECTORS, "vectors, dimension", self.chunk_vectors, (m.chunks, m.dimension)),
            (SENTENCE_VECTORS, "shape", self.sentence_vectors, (m.sentences, m.dimension)),
            (CHUNK_LEXICAL, "rows", self.chunk_rows, m.chunks),
            (SENTENCE_LEXICAL, "rows", self.sentence_rows, m.sentences),
        ]
        if self.sentence_index is not None:
            files.append((SENTENCE_INDEX, "vectors, dimension", self.sentence_index, (m.sentences, m.dimension)))
        for name, what, found, wanted in files:
            if found != wanted:
                raise IndexCorruptError(generation / name, f"holds {what} {found} where manifest.json says {wanted}")


def read_vector_index(path: Path, settings: Settings) -> faiss.Index:
    """The index stays in its file, mapped (IO_FLAG_MMAP_IFC; an IVF index's lists file too): processes serving the
    same generation share one copy in the page cache, and loading reads nothing. Measured with faiss 1.15: a
    100k-vector HNSW file (172 MB) loads adding no private memory (its links map too), where reading it adds 170 MB.
    Generations are never rewritten in place, and on POSIX a mapped file that `remove_stale` deletes lives on until
    unmapped."""
    index = _read_faiss(path, faiss.IO_FLAG_MMAP_IFC)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = settings.hnsw_ef_search  # not stored in the file
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = settings.ivf_nprobe  # the settings', not the build's
    return index


def _read_faiss(path: Path, flags: int = 0) -> faiss.Index:
    """faiss reports a missing or cut-off file as a C++ assertion; say what it means instead.

    An IVF index's lists file is mapped by `map_lists`, from beside the index (the name faiss recorded is the
    staging folder's), once its size is checked."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
    try:
        index = faiss.read_index(str(path), flags | faiss.IO_FLAG_SKIP_IVF_DATA)
    except RuntimeError:
        raise ValueError("not a complete FAISS index (truncated or overwritten)") from None
    map_lists(index, path)
    return index


def read_array(path: Path, mmap: bool = False) -> np.ndarray:
    """Checks the magic string first: without it numpy takes garbage for a pickle and says so.

    A mapped array comes back as a plain ndarray view of the mapped pages: indexing an np.memmap runs
    its Python hooks (__getitem__, __array_finalize__) on every slice, per question.
    """
    with path.open("rb") as file:
        np.lib.format.read_magic(file)
    array: np.ndarray = np.asarray(np.load(path, mmap_mode="r" if mmap else None))
    return array


def verify(generation: Path, manifest: Manifest, meta: tuple[int, int, int]) -> None:
    """The generation's files other than meta.sqlite, memory-mapped rather than loaded: a build reuses only meta.sqlite,
    but a damaged file anywhere means the generation is not what its manifest says, so none of it is trusted."""
    chunk_vectors = _index_size(generation / CHUNK_VECTORS)
    sentence_index = _index_size(generation / SENTENCE_INDEX) if (generation / SENTENCE_INDEX).exists() else None
    with reading(generation / SENTENCE_VECTORS):
        shape = tuple(read_array(generation / SENTENCE_VECTORS, mmap=True).shape)
    rows = {}
    for name in (CHUNK_LEXICAL, SENTENCE_LEXICAL):
        with reading(generation / name):
            retriever = bm25s.BM25.load(str(generation / name), mmap=True, show_progress=False, verbosity=0)
            rows[name] = int(retriever.scores["num_docs"])
    documents, sentences, chunks = meta
    Sizes(
        documents=documents,
        sentences=sentences,
        chunks=chunks,
        chunk_vectors=chunk_vectors,
        sentence_vectors=shape,
        chunk_rows=rows[CHUNK_LEXICAL],
        sentence_rows=rows[SENTENCE_LEXICAL],
        sentence_index=sentence_index,
    ).check(generation, manifest)


def _index_size(path: Path) -> tuple[int, int]:
    """Vectors and dimension of a FAISS file, mapped rather than read."""
    with reading(path):
        index = _read_faiss(path, faiss.IO_FLAG_MMAP_IFC)
        return int(index.ntotal), int(index.d)


def index_kind(count: int, settings: Settings) -> IndexType:
    """Exact inner product for ordinary corpora; past `ann_above` vectors, where exact search stops being cheap, IVF
    with its lists on disk (ondisk_index: a build's memory stays bounded), or HNSW where the settings ask for it.
    Fewer vectors than one IVF list trains on (an empty corpus among them) are searched exactly whatever is asked."""
    if settings.index_type == "ivf" and count < TRAIN_PER_LIST:
        return "flat"
    if settings.index_type != "auto":
        return settings.index_type
    return "ivf" if count > settings.ann_above else "flat"


def empty_vector_index(count: int, dimension: int, settings: Settings) -> faiss.Index:
    """The exact or HNSW index for `count` vectors, which a build adds block by block as they are embedded (an IVF
    index is built from the vectors file instead: ondisk_index.build_on_disk).

    HNSW keeps its vectors in half precision (faiss's ScalarQuantizer QT_fp16): half the memory of float32, in the
    build and in the mapped file, for no measured loss (recall@10 and search time: benchmarks/hnsw_storage.py).
    Answers never see those copies: a candidate's cosine is taken from sentences.npy at full precision."""
    if index_kind(count, settings) != "hnsw":
        index = faiss.IndexFlatIP(dimension)
        _reserve(index.codes, count * dimension * 4)
        return index
    hnsw = faiss.IndexHNSWSQ(dimension, faiss.ScalarQuantizer.QT_fp16, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]  # stubs: an enum member is an int
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.hnsw.efSearch = settings.hnsw_ef_search
    _reserve(faiss.downcast_index(hnsw.storage).codes, count * dimension * 2)  # type: ignore[attr-defined]
    # Each vector has 2M links on level 0 and M more on each level above; 1 in M vectors reaches level 1.
    _reserve(hnsw.hnsw.neighbors, int(count * 2 * HNSW_NEIGHBOURS * 1.1))  # type: ignore[attr-defined]
    return hnsw


def _reserve(vector: Any, size: int) -> None:
    """Room for `size` elements in one of FAISS's growing arrays, before the blocks of a build arrive.

    Added to block by block, the array doubles as it fills, and each doubling copies it: at 529k sentence
    vectors (813 MB) the last copy held both, 1.5 GB for a moment (measured). FAISS's vectors have no
    reserve(); growing to the size and back to empty leaves the capacity in place (std::vector never shrinks).
    """
    vector.resize(size)
    vector.resize(0)


def vector_index(vectors: np.ndarray, settings: Settings) -> faiss.Index:
    """The index `index_kind` picks, over vectors already in memory."""
    if index_kind(len(vectors), settings) == "ivf":
        return ivf_in_memory(vectors, settings.ivf_nprobe)
    index = empty_vector_index(len(vectors), vectors.shape[1], settings)
    index.add(vectors)
    return index


class VectorFile:
    """sentences.npy (or an on-disk index's vectors, or an exact index), written block by block as the build embeds:
    no step of a build holds every vector at full precision (at 100k posts the sentences' are 0.8 GB); an HNSW index
    keeps its own half-precision copies, and an IVF index is built from this file (ondisk_index).

    `exact_index=True` writes the file FAISS's write_index would write for an IndexFlatIP of these vectors (see
    `flat_index_header`), so the exact index, too, never has to be held whole while it is built.
    """

    def __init__(self, path: Path, count: int, dimension: int, exact_index: bool = False) -> None:
        self.path = path
        self._count = count
        self._written = 0
        with writing(path):
            self._file = path.open("wb")
            if exact_index:
                self._file.write(flat_index_header(count, dimension))
            else:
                header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False, "shape": (count, dimension)}
                np.lib.format.write_array_header_1_0(self._file, header)

    def add(self, block: np.ndarray) -> None:
        with writing(self.path):
            self._file.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
        self._written += len(block)

    def __enter__(self) -> VectorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        with writing(self.path):
            self._file.close()
        if exc[0] is None and self._written != self._count:
            raise RuntimeError(f"{self.path}: {self._written} vectors written where the header says {self._count}")


def flat_index_header(count: int, dimension: int) -> bytes:
    """What FAISS's write_index puts before an IndexFlatIP's vectors (faiss/impl/index_write.cpp): the fourcc "IxFI",
    the index header (d, ntotal, two unused sizes, is_trained, the metric), then the vectors' length in floats.
    A test holds this to faiss.serialize_index byte for byte, so a FAISS that writes otherwise is caught there."""
    unused = 1 << 20
    return b"IxFI" + struct.pack("<iqqq?iQ", dimension, count, unused, unused, True, faiss.METRIC_INNER_PRODUCT, count * dimension)


def write_records(folder: Path, pieces: Iterable[generation_db.DocumentPieces]) -> None:
    """meta.sqlite: the documents with their sentences and chunks, in the order their vectors will take."""
    with writing(folder / META):
        generation_db.write(folder / META, pieces)


def write_vector_index(index: faiss.Index, path: Path) -> None:
    # Through a Python file, so that a full disk arrives as OSError with its errno rather than faiss's RuntimeError.
    with writing(path), path.open("wb") as file:
        faiss.write_index(index, faiss.PyCallbackIOWriter(file.write))  # type: ignore[attr-defined]  # SWIG class the stubs lack


def write_lexical(folder: Path, chunk_texts: list[str], sentence_texts: list[str]) -> None:
    """The two BM25 indexes, one after the other: only one is in memory at a time."""
    for lexical_name, lexical_texts in ((CHUNK_LEXICAL, chunk_texts), (SENTENCE_LEXICAL, sentence_texts)):
        with writing(folder / lexical_name):
            LexicalIndex.build(lexical_texts).save(folder / lexical_name)


def write_terms(folder: Path, term_vectors: TermVectors) -> None:
    with writing(folder / TERMS):
        term_vectors.save(folder / TERMS)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Last of a generation's files: a folder without a manifest is no generation."""
    with writing(folder / MANIFEST):
        (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))


def switch(index_dir: Path, name: str) -> None:
    """Points CURRENT at `name` in one atomic rename: a reader sees the old name or the new one, never a part."""
    pointer_tmp = index_dir / f".{CURRENT}.tmp"
    try:
        with writing(index_dir / CURRENT):
            pointer_tmp.write_text(name)
            os.replace(pointer_tmp, index_dir / CURRENT)
    finally:
        with contextlib.suppress(OSError):
            pointer_tmp.unlink(missing_ok=True)


def remove_stale(index_dir: Path, keep: str) -> None:
    """Old generations and leftovers of crashed builds. A loaded snapshot still maps its vectors and postings: on POSIX
    a deleted file stays readable until its last mapping closes, so a snapshot answering now is not disturbed.

    Called under the build lock only: a staging folder found here belongs to a build that has ended
    (killed, or failed before its own clean-up), never to one still writing, since that one would hold the lock.
    """
    for path in index_dir.iterdir():
        if path.is_dir() and path.name != keep and (path.name.startswith("gen-") or path.name.startswith(".staging-")):
            shutil.rmtree(path, ignore_errors=True)
