"""Index build throughput against the model's own limit: raw SentenceTransformer.encode on the same texts.

Run: .venv/bin/python benchmarks/build.py [--documents 900]
Builds (cold cache) the shipped corpus and a synthetic one, then encodes the same texts with the
bare model and the same batch size (all of them, and the distinct ones the build actually embeds),
and prints the times and their ratios (ours / raw throughput).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from synthetic import write_corpus

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.index import chunk_embedding_text, load_index

ROOT = Path(__file__).resolve().parents[1]


def measure(embedder: SentenceTransformerEmbedder, documents: Path, workdir: Path) -> dict[str, float]:
    from forumqa.index import build_index

    settings = Settings(documents_dir=documents, index_dir=workdir / "index")
    report = build_index(settings, embedder, full=True)
    snapshot = load_index(settings)
    texts = [chunk_embedding_text(snapshot.documents[c.doc_id], snapshot.text(c.doc_id, c.start, c.end)) for c in snapshot.chunks]
    texts += [snapshot.text(s.doc_id, s.start, s.end) for s in snapshot.sentences]
    model = embedder.model
    started = time.perf_counter()
    model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
    raw = time.perf_counter() - started
    # The build embeds each distinct text once (the cache is keyed by text), so the fair floor is
    # the raw model on the distinct texts; the figure on all texts shows what the dedup saves.
    unique = list(dict.fromkeys(texts))
    started = time.perf_counter()
    model.encode(unique, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True)
    raw_unique = time.perf_counter() - started
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "sentences": report.sentences,
        "build_s": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
        "sentences_per_s": round(report.sentences / report.seconds, 1),
        "raw_encode_s": round(raw, 2),
        "raw_texts_per_s": round(len(texts) / raw, 1),
        "build_vs_raw_throughput": round(raw / report.seconds, 3),
        "distinct_texts": len(unique),
        "raw_encode_distinct_s": round(raw_unique, 2),
        "build_vs_raw_distinct_throughput": round(raw_unique / report.seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=900, help="synthetic documents (900 give about 2,000 chunks)")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm up the model"])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["shipped"] = measure(embedder, ROOT / "documents", Path(tmp) / "shipped")
        synthetic = Path(tmp) / "synthetic-docs"
        write_corpus(synthetic, args.documents)
        results["synthetic"] = measure(embedder, synthetic, Path(tmp) / "synthetic")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
