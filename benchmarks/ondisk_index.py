"""The on-disk IVF index against HNSW: recall@10 against exact search, search time, build time, files, build memory.

Past `ann_above` vectors forumqa builds an IVF index whose lists live in a file (ondisk_index), so that a build's
memory does not grow with the corpus; before, it built an HNSW graph in memory. Both are built here over the same
real-model vectors of generated sentences and searched with the same queries (the development questions and other
generated sentences), one thread, in one run; IVF at several `ivf_nprobe` values. The IVF build's private memory
(RssAnon, sampled) is reported beside the HNSW build's growth.

Run: .venv/bin/python benchmarks/ondisk_index.py [--sentences 200000] [--vectors /tmp/v.npy]
(`--vectors` keeps the embedded vectors in that file and reuses them on the next run: embedding 200k takes minutes)
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import faiss
import numpy as np
from scale import recall_at_10
from synthetic import sentence

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.evaluation import load_questions
from forumqa.generation import VectorFile, empty_vector_index, read_vector_index, write_vector_index
from forumqa.ondisk_index import LISTS_SUFFIX, build_on_disk, lists_for

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "ondisk_index.json"
NPROBES = (16, 32, 64, 128)


def private_mb() -> int:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["RssAnon"].split()[0]) // 1024


def peak_private(work: Callable[[], object]) -> tuple[object, float, int]:
    """What `work` returns, its seconds, and how far this process's private memory rose above its start while it ran."""
    start, peak, done = private_mb(), [private_mb()], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], private_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return result, seconds, max(peak[0], private_mb()) - start


def searched(vectors: np.ndarray, index: faiss.Index, queries: np.ndarray) -> dict[str, float]:
    found = recall_at_10(vectors, index, queries)
    found["ms_per_query"] = found.pop("hnsw_ms_per_query")  # scale.py's name: the approximate index's time
    return found


def hnsw_of(vectors: np.ndarray) -> faiss.Index:
    """The index forumqa built past `ann_above` before: storage reserved for all vectors, then each block added."""
    index = empty_vector_index(len(vectors), vectors.shape[1], Settings(index_type="hnsw"))
    index.add(vectors)
    return index


def vectors_of(count: int, cache: Path | None) -> np.ndarray:
    if cache is not None and cache.exists():
        vectors: np.ndarray = np.load(cache)
        if len(vectors) == count:
            return vectors
    rng = random.Random(11)
    vectors = np.ascontiguousarray(SentenceTransformerEmbedder().encode([sentence(rng) for _ in range(count)]), dtype=np.float32)
    if cache is not None:
        np.save(cache, vectors)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--vectors", type=Path, default=None)
    args = parser.parse_args()
    vectors = vectors_of(args.sentences, args.vectors)
    rng = random.Random(12)
    asked = [q.q for q in load_questions(ROOT / "eval" / "dev_questions.jsonl")] + [sentence(rng) for _ in range(200)]
    queries = np.ascontiguousarray(SentenceTransformerEmbedder().encode(asked), dtype=np.float32)
    faiss.omp_set_num_threads(1)  # as one question is searched, and as a build on the 2-core machine would
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hnsw, hnsw_s, hnsw_mb = peak_private(partial(hnsw_of, vectors))
        write_vector_index(hnsw, folder / "hnsw.faiss")  # type: ignore[arg-type]
        hnsw_file = (folder / "hnsw.faiss").stat().st_size / 1e6
        del hnsw
        loaded = read_vector_index(folder / "hnsw.faiss", Settings())
        rows.append({"index": "hnsw (before)", "build_s": round(hnsw_s, 1), "build_private_mb": hnsw_mb, "file_mb": round(hnsw_file, 1)})
        rows[-1].update(searched(vectors, loaded, queries))
        del loaded
        with VectorFile(folder / "v.npy", len(vectors), vectors.shape[1]) as out:
            out.add(vectors)
        lists = folder / ("ivf.faiss" + LISTS_SUFFIX)
        built, ivf_s, ivf_mb = peak_private(partial(build_on_disk, folder / "v.npy", lists, 64))
        write_vector_index(built, folder / "ivf.faiss")  # type: ignore[arg-type]
        del built
        ivf_file = ((folder / "ivf.faiss").stat().st_size + lists.stat().st_size) / 1e6
        for nprobe in NPROBES:
            loaded = read_vector_index(folder / "ivf.faiss", Settings(ivf_nprobe=nprobe))
            built_row = {"build_s": round(ivf_s, 1), "build_private_mb": ivf_mb, "file_mb": round(ivf_file, 1)}
            rows.append({"index": f"ivf on disk, nprobe {nprobe}", **built_row})
            rows[-1].update(searched(vectors, loaded, queries))
            del loaded
    result = {"sentences": len(vectors), "lists": lists_for(len(vectors)), "queries": len(queries), "rows": rows}
    print(json.dumps(result, indent=2))
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
