"""What keeping HNSW's vectors in half precision costs: recall@10 against exact search, search and build time, file size.

forumqa's HNSW index (past `ann_above` vectors) stores its vectors as float16 (generation.empty_vector_index)
instead of float32, which halves the index in a build's memory and in the mapped file. Both variants are built
here with the shipped graph parameters over the same real-model vectors of generated sentences, and searched
with the same queries (other generated sentences and the development questions), one thread, in one run.

Run: .venv/bin/python benchmarks/hnsw_storage.py [--sentences 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from scale import recall_at_10
from synthetic import sentence

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.evaluation import load_questions
from forumqa.generation import HNSW_EF_CONSTRUCTION, HNSW_NEIGHBOURS, empty_vector_index

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "hnsw_storage.json"


def float32_hnsw(dimension: int, ef_search: int) -> faiss.Index:
    """The index forumqa built before: the same graph parameters, float32 vectors."""
    index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = ef_search
    return index


def measure(name: str, index: faiss.Index, vectors: np.ndarray, queries: np.ndarray, folder: Path) -> dict[str, object]:
    started = time.perf_counter()
    index.add(vectors)
    build_s = time.perf_counter() - started
    path = folder / f"{name}.faiss"
    faiss.write_index(index, str(path))
    size_mb = round(path.stat().st_size / 1e6, 1)
    return {"index": name, "build_s": round(build_s, 2), "file_mb": size_mb, **recall_at_10(vectors, index, queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sentences", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(11)
    texts = [sentence(rng) for _ in range(args.sentences)]
    asked = [q.q for q in load_questions(ROOT / "eval" / "dev_questions.jsonl")] + [sentence(rng) for _ in range(200)]
    embedder = SentenceTransformerEmbedder()
    vectors = np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
    queries = np.ascontiguousarray(embedder.encode(asked), dtype=np.float32)
    faiss.omp_set_num_threads(1)  # as one question is searched; the ratio is what matters on a shared machine
    settings = Settings(index_type="hnsw")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            measure("hnsw float32 (before)", float32_hnsw(vectors.shape[1], settings.hnsw_ef_search), vectors, queries, Path(tmp)),
            measure("hnsw float16 (shipped)", empty_vector_index(len(vectors), vectors.shape[1], settings), vectors, queries, Path(tmp)),
        ]
    before, now = rows
    result = {
        "sentences": args.sentences,
        "queries": len(queries),
        "rows": rows,
        "file_ratio": round(float(now["file_mb"]) / float(before["file_mb"]), 3),  # type: ignore[arg-type]
        "search_time_ratio": round(float(now["hnsw_ms_per_query"]) / float(before["hnsw_ms_per_query"]), 3),  # type: ignore[arg-type]
        "build_time_ratio": round(float(now["build_s"]) / float(before["build_s"]), 3),  # type: ignore[arg-type]
    }
    print(json.dumps(result, indent=2))
    OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
