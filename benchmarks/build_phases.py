"""Where a build's memory goes: resident and peak RSS at each step of indexing one generated export.

exports_100k.py gives a build's peak; this says which step reached it (splitting, embedding chunks,
embedding sentences, writing), so that work on build memory starts at the right step. Same generator
and hashed stand-in vectors as exports_100k.py, so the figures are the pipeline's own (the model's
tokenizer counts the tokens; nothing is embedded). Linux only (/proc/self/status).

Run: .venv/bin/python benchmarks/build_phases.py [discourse|mbox|stackexchange] [--posts 20000]
(each run's steps are kept in benchmarks/results/build_phases.json under "<format> <posts>")
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from exports_100k import NAMES
from gen_exports import GENERATORS
from scale import HashedVectors

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.index import build_index

RESULTS = Path(__file__).resolve().parent / "results" / "build_phases.json"


def memory_mb() -> dict[str, int]:
    """This process's resident memory now and its peak so far (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) // 1024, "peak_mb": int(fields["VmHWM"].split()[0]) // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("format", nargs="?", default="discourse", choices=list(NAMES))
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        documents = Path(tmp) / "documents"
        documents.mkdir()
        GENERATORS[args.format](args.posts, documents / NAMES[args.format])
        embedder = HashedVectors(SentenceTransformerEmbedder())
        steps = [{"step": "model loaded", "s": 0.0, **memory_mb()}]
        started = time.perf_counter()

        def record(step: str) -> None:
            steps.append({"step": step, "s": round(time.perf_counter() - started, 1), **memory_mb()})
            print(json.dumps(steps[-1]), flush=True)

        settings = Settings(documents_dir=documents, index_dir=Path(tmp) / "index", model="hashed-stand-in")
        build_index(settings, embedder, hook=record)
    print(json.dumps({"format": args.format, "posts": args.posts, "steps": steps}))
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    kept[f"{args.format} {args.posts}"] = steps
    RESULTS.write_text(json.dumps(kept, indent=2) + "\n")


if __name__ == "__main__":
    main()
