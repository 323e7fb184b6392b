"""The embedding cache fills vectors block by block, and token counting runs in batches: both bound a build's memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from forumqa.config import IndexType, Settings
from forumqa.embedding import TOKEN_COUNT_BATCH, CachedEmbedder, SentenceTransformerEmbedder
from forumqa.generation import empty_vector_index
from forumqa.testing import FakeEmbedder


def test_blocks_give_the_vectors_of_one_pass_and_embed_each_new_text_once(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    texts = [f"post number {i % 7}" for i in range(20)]  # repeats inside a block and across blocks
    cache = CachedEmbedder(fake, tmp_path / "cache.sqlite", commit_every=3)
    try:
        cache.encode(texts[:2])  # two texts already cached before the build
        vectors = cache.encode(texts, show_progress=True)
    finally:
        cache.close()
    assert np.array_equal(vectors, FakeEmbedder().encode(texts))
    assert sorted(fake.embedded) == sorted(set(texts))  # every distinct text embedded exactly once
    assert cache.embedded == len(set(texts))


def test_token_counts_do_not_depend_on_the_batch(embedder: SentenceTransformerEmbedder) -> None:
    texts = [f"Reply {i}: the uploader's checksum failed again on build {i * 37}." for i in range(TOKEN_COUNT_BATCH + 5)]
    counts = embedder.count_tokens(texts)
    assert len(counts) == len(texts)
    assert counts[-3:] == [embedder.count_tokens([t])[0] for t in texts[-3:]]
    assert counts[:2] == [embedder.count_tokens([t])[0] for t in texts[:2]]


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_vectors_go_into_the_index_block_by_block_and_come_back_unchanged(tmp_path: Path, index_type: IndexType) -> None:
    texts = [f"message {i} about the mirror list" for i in range(10)]
    index = empty_vector_index(len(texts), FakeEmbedder.dimension, Settings(index_type=index_type))
    cache = CachedEmbedder(FakeEmbedder(), tmp_path / "cache.sqlite", commit_every=4)
    try:
        cache.encode_into(texts, index.add)
    finally:
        cache.close()
    assert index.ntotal == len(texts)
    # HNSW keeps half precision (generation.empty_vector_index); the exact index keeps the vectors as they are
    assert np.allclose(index.reconstruct_n(0, len(texts)), FakeEmbedder().encode(texts), atol=1e-3 if index_type == "hnsw" else 0)


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_an_index_made_for_n_vectors_takes_them_in_blocks_without_moving_its_storage(index_type: IndexType) -> None:
    """A move copies the whole storage: at 529k sentence vectors that was 0.8 GB more at the build's peak."""
    vectors = FakeEmbedder().encode([f"reply {i} on the mailing list" for i in range(3000)])
    index = empty_vector_index(len(vectors), FakeEmbedder.dimension, Settings(index_type=index_type))
    index.add(vectors[:100])
    where = int(_storage(index).data())
    for start in range(100, len(vectors), 700):
        index.add(vectors[start : start + 700])
    assert int(_storage(index).data()) == where
    assert index.ntotal == len(vectors)


def _storage(index: faiss.Index) -> Any:
    """The array holding the index's vectors (an HNSW index keeps them in its storage index)."""
    return faiss.downcast_index(index.storage).codes if isinstance(index, faiss.IndexHNSW) else index.codes  # type: ignore[attr-defined]
