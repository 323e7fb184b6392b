"""The indexes a build writes to disk a block at a time: the IVF index holds every vector once, under its row, and
searches as exact search does when it visits every list; the exact index is the file FAISS itself would write."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from forumqa import ondisk_index
from forumqa.config import Settings
from forumqa.generation import VectorFile, flat_index_header, index_kind, read_vector_index, write_vector_index
from forumqa.ondisk_index import LISTS_SUFFIX, build_on_disk, lists_for

pytestmark = pytest.mark.unit


def unit_vectors(count: int, dimension: int = 16, seed: int = 4) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


def test_lists_grow_as_the_root_of_the_corpus_up_to_what_the_training_rows_train() -> None:
    assert lists_for(50_000) == int(4 * 50_000**0.5)
    assert lists_for(1_000_000) == lists_for(200_000) == 65_536 // 40  # trained on TRAIN_ROWS rows at most
    assert lists_for(2_000) == 50  # 4·√2000 = 178 lists would have 11 training rows each
    assert lists_for(10) == 1


def test_an_index_built_a_block_at_a_time_holds_each_row_once_and_searching_all_lists_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ondisk_index, "READ_ROWS", 700)  # five blocks
    vectors = unit_vectors(3_000)
    with VectorFile(tmp_path / "vectors.npy", len(vectors), vectors.shape[1]) as out:
        for start in range(0, len(vectors), 256):
            out.add(vectors[start : start + 256])
    lists = tmp_path / ("index.faiss" + LISTS_SUFFIX)
    index = build_on_disk(tmp_path / "vectors.npy", lists, nprobe=4)
    write_vector_index(index, tmp_path / "index.faiss")
    del index
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.faiss", "index.faiss.ivfdata", "vectors.npy"]  # nothing left over
    assert lists.stat().st_size == len(vectors) * (2 * vectors.shape[1] + 8)  # half-precision codes and an id each, no slack

    loaded = read_vector_index(tmp_path / "index.faiss", Settings(ivf_nprobe=lists_for(len(vectors))))
    assert isinstance(loaded, faiss.IndexIVF) and loaded.nprobe == loaded.nlist
    _, nearest = loaded.search(vectors, 1)
    assert nearest[:, 0].tolist() == list(range(len(vectors)))  # every row is there once, under its own number
    queries = unit_vectors(50, seed=9)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    expected_sims, _ = exact.search(queries, 10)
    found_sims, found = loaded.search(queries, 10)
    assert np.allclose(found_sims, expected_sims, atol=2e-3)  # the same neighbours, up to half precision's ties
    assert (found >= 0).all()


def test_asked_for_ivf_a_corpus_too_small_to_train_one_list_is_searched_exactly() -> None:
    ivf = Settings(index_type="ivf")
    assert [index_kind(n, ivf) for n in (0, 39, 40)] == ["flat", "flat", "ivf"]
    assert [index_kind(n, Settings(ann_above=100)) for n in (100, 101)] == ["flat", "ivf"]


@pytest.mark.parametrize(("count", "dimension"), [(0, 8), (1, 8), (5, 16), (3, 384)])
def test_an_exact_index_written_block_by_block_is_byte_for_byte_what_faiss_writes(tmp_path: Path, count: int, dimension: int) -> None:
    vectors = unit_vectors(count, dimension) if count else np.zeros((0, dimension), dtype=np.float32)
    index = faiss.IndexFlatIP(dimension)
    index.add(vectors)
    assert flat_index_header(count, dimension) + vectors.tobytes() == faiss.serialize_index(index).tobytes()
    with VectorFile(tmp_path / "chunks.faiss", count, dimension, exact_index=True) as out:
        for start in range(0, count, 2):
            out.add(vectors[start : start + 2])
    read = read_vector_index(tmp_path / "chunks.faiss", Settings())
    assert read.ntotal == count and np.array_equal(read.reconstruct_n(0, count), vectors)
