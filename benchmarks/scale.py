"""Query latency, build time and memory against corpus size; HNSW recall against exact search.

Run: .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--recall-chunks 10000]

Embedding 100k chunks and their ~470k sentences takes about an hour on a 2-core CPU, so for the
size curve the corpus vectors come from a hashed bag-of-words stand-in of the same dimension: the
cost of FAISS search, BM25 and the sentence scoring does not depend on the vector values. Every
question is still encoded by the real model. Build times here therefore exclude embedding; add
texts / (raw encode throughput from benchmarks/build.py) for a real build. Recall@10 of HNSW is
measured on real embeddings of the synthetic chunks and of their sentences; at each size whose
sentence index is HNSW (past `ann_above` sentences: ~42k chunks by default) it is measured on the
stand-in vectors too.

Memory is measured in a fresh process that loads the index and runs retrieval: its private memory
(documents, metadata, HNSW links, BM25 vocabularies) apart from the mapped files (FAISS vectors,
sentences.npy, BM25 postings), which the page cache holds once for every process serving them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from synthetic import write_corpus

from forumqa.config import Settings
from forumqa.embedding import Embedder, SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.evaluation import load_questions, percentile
from forumqa.index import IndexSnapshot, build_index, chunk_embedding_text, load_index, vector_index
from forumqa.inference import pin_threads
from forumqa.lexical import terms
from forumqa.question_encoder import question_encoder
from forumqa.questions import resolve
from forumqa.retrieval import Query, retrieve_chunks, sentence_evidence
from forumqa.term_vectors import TermVectors, surface_words

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CHUNKS_PER_DOCUMENT = 2.96  # measured on the synthetic generator
#: Queries for a recall figure: the questions plus about this many texts of the corpus itself.
RECALL_SAMPLE = 200
#: Questions timed per size, each answer next to a floor. The machine is shared: four runs of 60 pairs within
#: minutes of each other gave ratios from 1.12 to 1.57 at 10k chunks, so more pairs, and the load average beside them.
TIMED = 200
#: Builds and the bulk encodes of the recall figure use every core, as a `forumqa index` would.
BULK_THREADS = os.cpu_count() or 1


def hashed_vectors(texts: Sequence[str], dimension: int) -> np.ndarray:
    """Stand-in vectors: deterministic, unit length, words hashed to dimensions; no model time."""
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % dimension] += 1
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out


class HashedVectors:
    """Stand-in corpus vectors of the model's dimension; the real tokenizer still sizes the chunks."""

    def __init__(self, real: SentenceTransformerEmbedder) -> None:
        self.real, self.model_id, self.dimension, self.max_tokens = real, "hashed-stand-in", real.dimension, real.max_tokens

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return hashed_vectors(texts, self.dimension)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.real.count_tokens(texts)


def pct(values: list[float], q: int) -> float:
    return round(percentile(values, q), 2)


def measure_size(real: SentenceTransformerEmbedder, chunks: int, questions: list[str], workdir: Path) -> dict[str, Any]:
    documents = max(1, round(chunks / CHUNKS_PER_DOCUMENT))
    write_corpus(workdir / "docs", documents, seed=chunks)
    # Questions repeat across the timed pairs: every answer is computed, none served from the answer cache.
    settings = Settings(documents_dir=workdir / "docs", index_dir=workdir / "index", answer_cache_size=0)
    pin_threads(BULK_THREADS)
    report = build_index(settings, HashedVectors(real))
    snapshot = load_index(settings)
    # The floor runs on this (main) thread with the thread count the engine's inference worker encodes with, as in
    # load_test.py: left at torch's default (2 here), its encode swung between 23 and 500 ms under other users' load.
    pin_threads(settings.inference_threads)
    # ... and with the encoder the engine's worker uses (the model exported to ONNX Runtime, same vectors), so
    # that the ratio is what the corpus size adds to answering, not the difference between two encoders.
    encoder = question_encoder(real, settings.index_dir / "onnx", settings.inference_threads)
    load_before = os.getloadavg()[0]
    answer, floor = timed_pairs(Engine(settings, real, snapshot), snapshot, encoder, questions)
    load_after = os.getloadavg()[0]
    # What the answer costs once the corpus knows every question word: a word it lacks is encoded with the question
    # (near-synonym credit, forumqa.term_vectors), and the synthetic corpus lacks most words of these questions.
    known = replace(snapshot, term_vectors=with_question_words(snapshot, real, questions))
    answer_known, floor_known = timed_pairs(Engine(settings, real, known), known, encoder, questions)
    vector_mb = (snapshot.chunk_index.ntotal + len(snapshot.sentence_vectors)) * real.dimension * 4 / 2**20
    text_mb = sum(len(d.text.encode()) for d in snapshot.documents.values()) / 2**20
    row: dict[str, Any] = {
        "chunks": report.chunks,
        "sentences": report.sentences,
        "documents": report.documents,
        "build_without_embedding_s": round(report.seconds, 1),
        "answer_p50_ms": pct(answer, 50),
        "answer_p95_ms": pct(answer, 95),
        "floor_p50_ms": pct(floor, 50),
        "floor_encoder": type(encoder).__name__,
        "answer_over_floor_p50": round(pct(answer, 50) / pct(floor, 50), 2),
        # The same, question by question (answer over the floor timed right after it): less moved by load bursts.
        "answer_over_floor_per_question_p50": round(percentile([a / f for a, f in zip(answer, floor, strict=True)], 50), 2),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "question_words_unknown_to_corpus": unknown_share(snapshot, questions),
        "answer_p50_ms_question_words_known": pct(answer_known, 50),
        "answer_over_floor_p50_question_words_known": round(pct(answer_known, 50) / pct(floor_known, 50), 2),
        "chunk_index": index_kind(snapshot.chunk_index),
        "sentence_index": index_kind(snapshot.sentence_index),
        "vector_mb": round(vector_mb, 1),
        "text_mb": round(text_mb, 1),
        "generation_files_mb": files_mb(snapshot.path),
        "serving_memory": memory_in_fresh_process(settings, questions, real.dimension),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if isinstance(snapshot.sentence_index, faiss.IndexHNSWFlat):
        sample = [snapshot.text(s.doc_id, s.start, s.end) for s in snapshot.sentences[:: max(1, len(snapshot.sentences) // RECALL_SAMPLE)]]
        queries = hashed_vectors(questions + sample, real.dimension)
        row["sentence_hnsw_stand_in"] = recall_at_10(np.asarray(snapshot.sentence_vectors), snapshot.sentence_index, queries)
    return row


def timed_pairs(engine: Engine, snapshot: IndexSnapshot, encoder: Embedder, questions: list[str]) -> tuple[list[float], list[float]]:
    """TIMED answers, each followed by its floor (the question encoded, the chunk index searched), in ms."""
    for q in questions[:5]:
        engine.ask(q)
    answer, floor = [], []
    for i in range(TIMED):
        q = questions[i % len(questions)]
        started = time.perf_counter()
        engine.ask(q)
        answer.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        snapshot.chunk_index.search(encoder.encode([q]), engine.settings.top_k)
        floor.append((time.perf_counter() - started) * 1000)
    engine.close()
    return answer, floor


def _question_words(snapshot: IndexSnapshot, questions: list[str]) -> tuple[dict[str, str], list[str]]:
    """Each question term with its surface word (as Engine._query picks them), and the terms the corpus lacks."""
    words: dict[str, str] = {}
    for question in questions:
        resolved = resolve(question, [])
        surface = surface_words([resolved.question])
        words |= {t: surface[t] for t in resolved.terms if t in surface}
    lacking = [t for t in words if snapshot.term_vectors is None or snapshot.term_vectors.vector(t) is None]
    return words, lacking


def unknown_share(snapshot: IndexSnapshot, questions: list[str]) -> float:
    words, lacking = _question_words(snapshot, questions)
    return round(len(lacking) / max(1, len(words)), 2)


def with_question_words(snapshot: IndexSnapshot, real: SentenceTransformerEmbedder, questions: list[str]) -> TermVectors:
    """The corpus's term vectors plus the question words it lacks, embedded as a build embeds its terms."""
    words, lacking = _question_words(snapshot, questions)
    base = snapshot.term_vectors or TermVectors([], np.zeros((0, real.dimension), dtype=np.float32))
    extra = real.encode([words[t] for t in lacking]) if lacking else np.zeros((0, real.dimension), dtype=np.float32)
    return TermVectors([*base.terms, *lacking], np.vstack([base.vectors, extra]).astype(np.float32))


def index_kind(index: faiss.Index) -> str:
    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"


def files_mb(generation: Path) -> dict[str, float]:
    """Each file (or folder) of a generation, in MB on disk."""
    sizes = {}
    for path in sorted(generation.iterdir()):
        files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
        sizes[path.name] = round(sum(f.stat().st_size for f in files) / 2**20, 1)
    return sizes


def _status_mb() -> dict[str, float]:
    """This process's resident memory, private (RssAnon) and file-backed (RssFile), in MB (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def _serving_memory(documents_dir: Path, index_dir: Path, questions: list[str], dimension: int) -> dict[str, float]:
    """Runs in a fresh process: what loading the index and retrieving for every question adds to its memory."""
    settings = Settings(documents_dir=documents_dir, index_dir=index_dir)
    before = _status_mb()
    snapshot: IndexSnapshot = load_index(settings)
    loaded = _status_mb()
    for question, vector in zip(questions, hashed_vectors(questions, dimension), strict=True):
        query = Query(tuple(terms(question)), vector, text=question)
        hits = retrieve_chunks(snapshot, query, settings.retrieval, settings.top_k)
        sentence_evidence(snapshot, query, hits, settings.retrieval, settings.candidate_pool, settings.title_credit)
    after = _status_mb()
    return {
        "private_mb_after_load": round(loaded["RssAnon"] - before["RssAnon"], 1),
        "private_mb_after_questions": round(after["RssAnon"] - before["RssAnon"], 1),
        "mapped_resident_mb_after_questions": round(after["RssFile"] - before["RssFile"], 1),
    }


def memory_in_fresh_process(settings: Settings, questions: list[str], dimension: int) -> dict[str, float]:
    if not Path("/proc/self/status").exists():
        return {}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, float] = pool.apply(_serving_memory, (settings.documents_dir, settings.index_dir, questions, dimension))
    return result


def recall_at_10(vectors: np.ndarray, approximate: faiss.Index, queries: np.ndarray) -> dict[str, float]:
    """Share of the exact 10 nearest (inner product) that `approximate` finds, and both searches' time per query.

    `recall_at_10_ties`: a vector found counts when it is as similar as the exact 10th, so that of several
    equally near vectors it does not matter which were returned (stand-in vectors of template sentences tie often).
    """
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(vectors, dtype=np.float32))
    truth_sims, truth = exact.search(queries, 10)
    started = time.perf_counter()
    _, found = approximate.search(queries, 10)
    hnsw_ms = (time.perf_counter() - started) * 1000 / len(queries)
    started = time.perf_counter()
    exact.search(queries, 10)
    flat_ms = (time.perf_counter() - started) * 1000 / len(queries)
    recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))
    near_enough = [
        min(10, int(np.sum(vectors[f[f >= 0]] @ q >= t_sims[-1] - 1e-5))) / 10
        for q, f, t_sims in zip(queries, found, truth_sims, strict=True)
    ]
    return {
        "recall_at_10": round(recall, 4),
        "recall_at_10_ties": round(float(np.mean(near_enough)), 4),
        "hnsw_ms_per_query": round(hnsw_ms, 3),
        "flat_ms_per_query": round(flat_ms, 3),
    }


def hnsw_recall(real: SentenceTransformerEmbedder, chunks: int, questions: list[str], workdir: Path) -> dict[str, dict[str, Any]]:
    """Recall@10 of HNSW (the settings' parameters) against exact search, on real embeddings of chunks and of sentences."""
    write_corpus(workdir / "docs", max(1, round(chunks / CHUNKS_PER_DOCUMENT)), seed=chunks)
    settings = Settings(documents_dir=workdir / "docs", index_dir=workdir / "index")
    pin_threads(BULK_THREADS)
    build_index(settings, HashedVectors(real))
    snapshot = load_index(settings)
    hnsw = settings.model_copy(update={"index_type": "hnsw"})
    chunk_texts = [chunk_embedding_text(snapshot.documents[c.doc_id], snapshot.text(c.doc_id, c.start, c.end)) for c in snapshot.chunks]
    sentence_texts = [snapshot.text(s.doc_id, s.start, s.end) for s in snapshot.sentences]
    results: dict[str, dict[str, Any]] = {}
    for name, texts in (("chunks", chunk_texts), ("sentences", sentence_texts)):
        distinct = list(dict.fromkeys(texts))  # half the synthetic sentences repeat another word for word
        row = {text: i for i, text in enumerate(distinct)}
        vectors = real.encode(distinct)[[row[t] for t in texts]]
        queries = real.encode(questions + [t[:200] for t in texts[:: max(1, len(texts) // RECALL_SAMPLE)]])
        approximate = vector_index(vectors, hnsw)
        assert isinstance(approximate, faiss.IndexHNSW)  # half-precision storage since 11-27 (IndexHNSWSQ)
        results[name] = {
            name: len(texts),
            "distinct": len(distinct),
            "queries": len(queries),
            **recall_at_10(vectors, approximate, queries),
        }
        by_ef = {}
        for ef in (64, 256, 512):  # the search depth a recall figure would call for; the setting's is above
            approximate.hnsw.efSearch = ef
            by_ef[str(ef)] = recall_at_10(vectors, approximate, queries)["recall_at_10_ties"]
        results[name]["recall_at_10_ties_by_ef_search"] = by_ef
    return results


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["chunks"] for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(sizes, [r["answer_p50_ms"] for r in rows], "o-", label="answer p50")
    left.plot(sizes, [r["answer_p95_ms"] for r in rows], "o--", label="answer p95")
    left.plot(sizes, [r["answer_p50_ms_question_words_known"] for r in rows], "^-.", label="answer p50, question words known")
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
    recall: dict[str, dict[str, Any]] = {}
    if args.recall_chunks:
        with tempfile.TemporaryDirectory() as tmp:
            recall = hnsw_recall(real, args.recall_chunks, questions, Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {"sizes": rows, "hnsw": recall.get("chunks", {}), "hnsw_sentences": recall.get("sentences", {})}
    (RESULTS / "scale.json").write_text(json.dumps(results, indent=2))
    plot(rows, RESULTS / "scale.png")
    print(json.dumps({"hnsw": results["hnsw"], "hnsw_sentences": results["hnsw_sentences"]}, indent=2))


if __name__ == "__main__":
    main()
