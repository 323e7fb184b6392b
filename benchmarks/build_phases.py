"""Where a build's memory goes: resident and peak RSS at each step of indexing one generated export.

exports_100k.py gives a build's peak; this says which step reached it (splitting, embedding chunks,
embedding sentences, writing), so that work on build memory starts at the right step. Same generator
and hashed stand-in vectors as exports_100k.py, so the figures are the pipeline's own (the model's
tokenizer counts the tokens; nothing is embedded). Linux only (/proc/self/status). Besides RSS, which counts the
pages of files the build maps (an on-disk index's lists as it writes them: page cache the kernel writes back), each
step reports the peak of private memory (RssAnon, sampled every 50 ms): what the build itself holds.

Run: .venv/bin/python benchmarks/build_phases.py [discourse|mbox|stackexchange] [--posts 20000]
(each run's steps are kept in benchmarks/results/build_phases.json under "<format> <posts>")
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from exports_100k import NAMES
from gen_exports import GENERATORS
from scale import HashedVectors

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.index import build_index

RESULTS = Path(__file__).resolve().parent / "results" / "build_phases.json"


def _status() -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) // 1024 for name in ("VmRSS", "VmHWM", "RssAnon")}


class PrivatePeak:
    """The highest RssAnon seen since the last `take`, sampled in a thread: the kernel keeps no peak of it."""

    def __init__(self) -> None:
        self._peak = _status()["RssAnon"]
        self._done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self._peak = max(self._peak, _status()["RssAnon"])

    def take(self) -> int:
        peak, self._peak = max(self._peak, _status()["RssAnon"]), _status()["RssAnon"]
        return peak

    def stop(self) -> None:
        self._done.set()


def memory_mb(private: PrivatePeak) -> dict[str, int]:
    """This process's resident memory now and its peak so far (VmRSS, VmHWM), and its private memory now and at its
    peak since the previous step (RssAnon), in MB."""
    status = _status()
    return {"rss_mb": status["VmRSS"], "peak_mb": status["VmHWM"], "private_mb": status["RssAnon"], "private_peak_mb": private.take()}


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
        private = PrivatePeak()
        steps = [{"step": "model loaded", "s": 0.0, **memory_mb(private)}]
        started = time.perf_counter()

        def record(step: str) -> None:
            steps.append({"step": step, "s": round(time.perf_counter() - started, 1), **memory_mb(private)})
            print(json.dumps(steps[-1]), flush=True)

        settings = Settings(documents_dir=documents, index_dir=Path(tmp) / "index", model="hashed-stand-in")
        build_index(settings, embedder, hook=record)
        private.stop()
    print(json.dumps({"format": args.format, "posts": args.posts, "steps": steps}))
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    kept[f"{args.format} {args.posts}"] = steps
    RESULTS.write_text(json.dumps(kept, indent=2) + "\n")


if __name__ == "__main__":
    main()
