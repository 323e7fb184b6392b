"""Vector indexes built on disk, for corpora whose vectors would not fit a build's memory.

Past `ann_above` vectors an index is IVF (faiss's IndexIVFScalarQuantizer, vectors in half precision): k-means
centroids in the index file, and the inverted lists, which hold the vectors, in a file beside it
(`<name>.ivfdata`, in the layout of faiss's OnDiskInvertedLists), mapped read-only when a generation loads. An
HNSW graph, the choice before, has to be built in memory, vectors and links together (0.77 KB a sentence: 0.5 GB
at 100k posts). This is built from the vectors file the build writes as it embeds (`VectorFile`), read
`READ_ROWS` rows at a time with plain reads, in three passes:

1. the coarse quantizer is trained on a random sample of at most `TRAIN_ROWS` rows;
2. every row is assigned its list, which sizes each list, and so where each starts in the file;
3. each block of rows is encoded and written into its lists' places with positioned writes.

So the build's memory holds the training sample at most, then one block, the centroids and a list number per
vector (4 bytes), whatever the corpus size; and nothing of the file is mapped while it is written: faiss's own
way (shards merged through OnDiskInvertedLists.merge_from_multiple, contrib/ondisk.py) maps every shard and the
whole output, which counts in the process's resident memory until the kernel writes it back. Recall, search time and build figures against
HNSW: benchmarks/ondisk_index.py (README, Performance).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

from forumqa.index_io import writing

#: Where the inverted lists of `<name>.faiss` live: `<name>.ivfdata`, beside it in the same generation.
LISTS_SUFFIX = ".ivfdata"
#: The most rows k-means trains on: 65,536 of 384 dimensions are 96 MB, the largest thing a build of it holds.
TRAIN_ROWS = 65_536
#: Training rows per centroid: faiss warns below 39, and gains little past a few dozen.
TRAIN_PER_LIST = 40
#: Rows read from the vectors file at a time: 8,192 of 384 dimensions are 12 MB.
READ_ROWS = 8_192
#: The training sample is drawn with a fixed seed: the same vectors give the same index.
_SAMPLE_SEED = 7


def lists_for(count: int) -> int:
    """4·√n lists (the FAISS wiki's "Guidelines to choose an index" for up to 1M vectors), fewer where the rows to
    train them on would be more than `TRAIN_ROWS` (past 168k vectors: the build's memory stays the same) or more
    than the corpus has."""
    return max(1, min(int(4 * math.sqrt(count)), min(count, TRAIN_ROWS) // TRAIN_PER_LIST))


def empty_ivf(count: int, dimension: int, nprobe: int) -> faiss.IndexIVFScalarQuantizer:
    """An untrained IVF index sized for `count` vectors, searched `nprobe` lists at a time."""
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dimension),
        dimension,
        lists_for(count),
        faiss.ScalarQuantizer.QT_fp16,
        faiss.METRIC_INNER_PRODUCT,
    )
    index.nprobe = nprobe
    index.by_residual = False  # a code is the vector itself, in half precision: what build_on_disk writes
    return index


def ivf_in_memory(vectors: np.ndarray, nprobe: int) -> faiss.Index:
    """The same index over vectors already in memory (a generation written before sentences.faiss existed)."""
    index = empty_ivf(len(vectors), vectors.shape[1], nprobe)
    index.train(_training_rows(vectors))
    index.add(vectors)
    return index


def build_on_disk(vectors_path: Path, lists: Path, nprobe: int) -> faiss.Index:
    """The index over the float32 .npy at `vectors_path`, its lists written to `lists` (`<index file>.ivfdata`);
    the caller writes the index file itself."""
    with vectors_path.open("rb") as file:
        count, dimension = _shape(file)
    index = empty_ivf(count, dimension, nprobe)
    index.train(_sample(vectors_path, count, dimension))
    assigned = np.empty(count, dtype=np.int32)
    for start, block in _blocks(vectors_path):
        assigned[start : start + len(block)] = index.quantizer.search(block, 1)[1][:, 0]
    sizes = np.bincount(assigned, minlength=index.nlist).astype(np.int64)
    entry = index.code_size + 8  # a vector's code and its id (faiss's idx_t)
    offsets = np.concatenate(([0], np.cumsum(sizes * entry)[:-1]))
    filled = np.zeros(index.nlist, dtype=np.int64)
    with writing(lists):
        _adopt(index, lists, sizes, int(sizes.sum() * entry))
        with lists.open("r+b") as out:
            for start, block in _blocks(vectors_path):
                _write_block(out.fileno(), index, block, start, assigned[start : start + len(block)], (sizes, offsets, filled))
    return index


def map_lists(index: faiss.Index, path: Path) -> None:
    """An on-disk index read from `path` (with IO_FLAG_SKIP_IVF_DATA) gets its lists file mapped, read-only, from
    beside it: the name faiss recorded is where the build wrote it, the staging folder. A lists file shorter than
    the index says would kill the process (SIGBUS) at the first search reading past its end: it is reported instead."""
    if not isinstance(index, faiss.IndexIVF) or index.invlists is None:
        return
    lists = faiss.downcast_InvertedLists(index.invlists)
    if not isinstance(lists, faiss.OnDiskInvertedLists):
        return
    data = path.with_name(path.name + LISTS_SUFFIX)
    if not data.is_file() or data.stat().st_size < int(lists.totsize):
        raise ValueError(f"its lists file {data.name} is missing or shorter than the index says (truncated)")
    lists.filename = os.fspath(data)
    lists.read_only = True
    lists.do_mmap()


def _training_rows(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors[_sample_rows(len(vectors))], dtype=np.float32)


def _sample_rows(count: int) -> np.ndarray:
    """Which rows k-means trains on: at most `TRAIN_ROWS`, at random, in file order."""
    wanted = min(count, TRAIN_PER_LIST * lists_for(count))
    return np.sort(np.random.default_rng(_SAMPLE_SEED).choice(count, wanted, replace=False))


def _shape(file: BinaryIO) -> tuple[int, int]:
    """Rows and dimension from a .npy file's header; the file is left at its first row."""
    np.lib.format.read_magic(file)
    count, dimension = np.lib.format.read_array_header_1_0(file)[0]
    return int(count), int(dimension)


def _blocks(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, rows) of a float32 .npy, `READ_ROWS` rows at a time, read rather than mapped."""
    with path.open("rb") as file:
        count, dimension = _shape(file)
        for start in range(0, count, READ_ROWS):
            rows = min(READ_ROWS, count - start)
            yield start, np.fromfile(file, dtype=np.float32, count=rows * dimension).reshape(rows, dimension)


def _sample(path: Path, count: int, dimension: int) -> np.ndarray:
    """The training rows of the file (`_sample_rows`), picked as the file is read."""
    rows = _sample_rows(count)
    sample = np.empty((len(rows), dimension), dtype=np.float32)
    taken = 0
    for start, block in _blocks(path):
        inside = rows[(rows >= start) & (rows < start + len(block))] - start
        sample[taken : taken + len(inside)] = block[inside]
        taken += len(inside)
    return sample


def _write_block(
    fd: int, index: faiss.IndexIVFScalarQuantizer, block: np.ndarray, start: int, assigned: np.ndarray, layout: tuple[np.ndarray, ...]
) -> None:
    """One block's codes and ids into their lists' places. `layout`: each list's size and offset in the file, and
    how many of its vectors are written. A list is its vectors' codes, then their ids, as OnDiskInvertedLists reads
    them (`get_codes`: offset; `get_ids`: offset + capacity · code size)."""
    sizes, offsets, filled = layout
    codes = index.sq.compute_codes(block)
    order = np.argsort(assigned, kind="stable")
    numbers, firsts, runs = np.unique(assigned[order], return_index=True, return_counts=True)
    for number, first, run in zip(numbers.tolist(), firsts.tolist(), runs.tolist(), strict=True):
        rows = order[first : first + run]
        at, offset = int(filled[number]), int(offsets[number])
        os.pwrite(fd, codes[rows].tobytes(), offset + at * index.code_size)
        os.pwrite(fd, (rows + start).astype(np.int64).tobytes(), offset + int(sizes[number]) * index.code_size + at * 8)
        filled[number] += run


def _adopt(index: faiss.IndexIVF, lists: Path, sizes: np.ndarray, total: int) -> None:
    """`index` takes `lists` as its OnDiskInvertedLists, laid out by list size (set_all_lists_sizes, the layout
    `build_on_disk` writes in): faiss creates the file at its full size and maps it, and the build then writes it
    through a file of its own, so no page of the mapping is touched. The name recorded is this one, in the staging
    folder; readers map the file beside the index (`map_lists`)."""
    on_disk = faiss.OnDiskInvertedLists(index.nlist, index.code_size, os.fspath(lists))
    on_disk.update_totsize(total)  # creates the file (prints a line: faiss's own)
    counts = np.ascontiguousarray(sizes, dtype=np.uint64)  # held here: swig_ptr keeps no reference to it
    on_disk.set_all_lists_sizes(faiss.swig_ptr(counts))
    index.replace_invlists(on_disk, True)
    on_disk.this.disown()  # type: ignore[attr-defined]  # SWIG's handle: the index frees it
    index.ntotal = int(sizes.sum())
