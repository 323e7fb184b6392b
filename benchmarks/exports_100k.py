"""Indexing a generated 100,000-post export of each of Discourse, mbox and Stack Exchange: time and peak memory.

Each format is built in a child process (its own peak RSS), with the hashed stand-in vectors of
scale.py so that the figure is the pipeline's own cost: reading and parsing the export, laying out
threads, sentence splitting and chunking (the model's real tokenizer counts the tokens), writing
FAISS, BM25 and SQLite. Embedding is then estimated from the number of texts and the raw encode
throughput measured in the same run on a sample of them.

Run: .venv/bin/python benchmarks/exports_100k.py [--posts 100000] [discourse mbox stackexchange]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"discourse": "topic.json", "mbox": "list.mbox", "stackexchange": "Posts.xml"}


def child(fmt: str, posts: int, workdir: Path) -> dict[str, object]:
    """Generate, then build with stand-in vectors; runs inside the child process."""
    from gen_exports import GENERATORS
    from scale import HashedVectors

    from forumqa.config import Settings
    from forumqa.embedding import SentenceTransformerEmbedder
    from forumqa.index import build_index

    documents = workdir / "documents"
    documents.mkdir()
    GENERATORS[fmt](posts, documents / NAMES[fmt])
    real = SentenceTransformerEmbedder()
    started = time.perf_counter()
    report = build_index(Settings(documents_dir=documents, index_dir=workdir / "index", model="hashed-stand-in"), HashedVectors(real))
    seconds = time.perf_counter() - started
    texts = report.chunks + report.sentences
    sample = [f"A sample sentence number {i} about the thread and its replies." for i in range(512)]
    real.encode(sample[:32])
    encode_started = time.perf_counter()
    real.encode(sample)
    per_second = len(sample) / (time.perf_counter() - encode_started)
    return {
        "format": fmt,
        "posts": posts,
        "file_mb": round((documents / NAMES[fmt]).stat().st_size / 2**20, 1),
        "documents": report.documents,
        "chunks": report.chunks,
        "sentences": report.sentences,
        "skipped_or_partly_read": len(report.skipped),
        "build_s_without_embedding": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "raw_encode_texts_per_s": round(per_second, 1),
        "embedding_estimate_s": round(texts / per_second, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("formats", nargs="*", default=list(NAMES))
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(args.child, args.posts, Path(tmp))))
        return
    results = []
    for fmt in args.formats:
        out = subprocess.run(
            [sys.executable, __file__, "--child", fmt, "--posts", str(args.posts)], capture_output=True, text=True, check=True
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(results[-1]))
    (ROOT / "benchmarks" / "results" / "exports_100k.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
