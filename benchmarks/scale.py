"""Query latency, build time and memory against corpus size; HNSW recall against exact search.

Run: .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--recall-chunks 10000]

Embedding 100k chunks and their ~470k sentences takes about an hour on a 2-core CPU, so for the
size curve the corpus vectors come from a hashed bag-of-words stand-in of the same dimension: the
cost of FAISS search, BM25 and the sentence scoring does not depend on the vector values. Every
question is still encoded by the real model. Build times here therefore exclude embedding; add
texts / (raw encode throughput from benchmarks/build.py) for a real build. Recall@10 of HNSW is
measured on real embeddings of the synthetic chunks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from synthetic import write_corpus

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.evaluation import load_questions, percentile
from forumqa.index import build_index, chunk_embedding_text, load_index, vector_index

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CHUNKS_PER_DOCUMENT = 2.96  # measured on the synthetic generator


class HashedVectors:
    """Stand-in corpus vectors: deterministic, unit length, the model's dimension; no model time."""

    def __init__(self, real: SentenceTransformerEmbedder) -> None:
        self.real, self.model_id, self.dimension, self.max_tokens = real, "hashed-stand-in", real.dimension, real.max_tokens

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dimension] += 1
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.real.count_tokens(texts)


def pct(values: list[float], q: int) -> float:
    return round(percentile(values, q), 2)


def measure_size(real: SentenceTransformerEmbedder, chunks: int, questions: list[str], workdir: Path) -> dict[str, float]:
    documents = max(1, round(chunks / CHUNKS_PER_DOCUMENT))
    write_corpus(workdir / "docs", documents, seed=chunks)
    settings = Settings(documents_dir=workdir / "docs", index_dir=workdir / "index")
    report = build_index(settings, HashedVectors(real))
    snapshot = load_index(settings)
    engine = Engine(settings, real, snapshot)
    for q in questions[:5]:
        engine.ask(q)
    answer, floor = [], []
    for i in range(100):
        q = questions[i % len(questions)]
        started = time.perf_counter()
        engine.ask(q)
        answer.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        snapshot.chunk_index.search(real.encode([q]), settings.top_k)
        floor.append((time.perf_counter() - started) * 1000)
    vector_mb = (snapshot.chunk_index.ntotal + len(snapshot.sentence_vectors)) * real.dimension * 4 / 2**20
    text_mb = sum(len(d.text.encode()) for d in snapshot.documents.values()) / 2**20
    return {
        "chunks": report.chunks,
        "sentences": report.sentences,
        "documents": report.documents,
        "build_without_embedding_s": round(report.seconds, 1),
        "answer_p50_ms": pct(answer, 50),
        "answer_p95_ms": pct(answer, 95),
        "floor_p50_ms": pct(floor, 50),
        "answer_over_floor_p50": round(pct(answer, 50) / pct(floor, 50), 2),
        "vector_mb": round(vector_mb, 1),
        "text_mb": round(text_mb, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def hnsw_recall(real: SentenceTransformerEmbedder, chunks: int, questions: list[str], workdir: Path) -> dict[str, float]:
    write_corpus(workdir / "docs", max(1, round(chunks / CHUNKS_PER_DOCUMENT)), seed=chunks)
    settings = Settings(documents_dir=workdir / "docs", index_dir=workdir / "index")
    build_index(settings, HashedVectors(real))
    snapshot = load_index(settings)
    texts = [chunk_embedding_text(snapshot.documents[c.doc_id], snapshot.text(c.doc_id, c.start, c.end)) for c in snapshot.chunks]
    vectors = real.encode(texts)
    exact = vector_index(vectors, settings.model_copy(update={"index_type": "flat"}))
    approximate = vector_index(vectors, settings.model_copy(update={"index_type": "hnsw"}))
    queries = real.encode(questions + [t[:200] for t in texts[:: max(1, len(texts) // 200)]])
    _, truth = exact.search(queries, 10)
    started = time.perf_counter()
    _, found = approximate.search(queries, 10)
    hnsw_ms = (time.perf_counter() - started) * 1000 / len(queries)
    started = time.perf_counter()
    exact.search(queries, 10)
    flat_ms = (time.perf_counter() - started) * 1000 / len(queries)
    recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))
    return {
        "chunks": len(texts),
        "queries": len(queries),
        "recall_at_10": round(recall, 4),
        "hnsw_ms_per_query": round(hnsw_ms, 3),
        "flat_ms_per_query": round(flat_ms, 3),
    }


def plot(rows: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["chunks"] for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["answer_p50_ms"] for r in rows], "o-", label="answer p50")
    left.plot(sizes, [r["answer_p95_ms"] for r in rows], "o--", label="answer p95")
    left.plot(sizes, [r["floor_p50_ms"] for r in rows], "s:", label="floor: encode + FAISS p50")
    left.set(xscale="log", xlabel="chunks", ylabel="ms", title="Query latency (in process)")
    left.legend()
    right.plot(sizes, [r["build_without_embedding_s"] for r in rows], "o-", label="build, embedding excluded")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="s", title="Index build time")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--recall-chunks", type=int, default=10000)
    args = parser.parse_args()
    real = SentenceTransformerEmbedder()
    questions = [q.q for q in load_questions(ROOT / "eval/dev_questions.jsonl")]
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(measure_size(real, size, questions, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        recall = hnsw_recall(real, args.recall_chunks, questions, Path(tmp)) if args.recall_chunks else {}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps({"sizes": rows, "hnsw": recall}, indent=2))
    plot(rows, RESULTS / "scale.png")
    print(json.dumps({"hnsw": recall}, indent=2))


if __name__ == "__main__":
    main()
