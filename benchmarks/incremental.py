"""What a rebuild costs after a small edit, against a full build and against embedding the changed texts alone.

Run: .venv/bin/python benchmarks/incremental.py [--documents 1000] [--edits 10]
Targets (issue 5): incremental <= 5% of full, and <= 1.2 x (embedding the changed texts alone) + 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from synthetic import edit, write_corpus

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.index import build_index


class Recording:
    """Passes through to the real embedder and remembers what it was asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.model_id, self.dimension, self.max_tokens = inner, inner.model_id, inner.dimension, inner.max_tokens
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        self.texts += texts
        return self.inner.encode(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    embedder = Recording(SentenceTransformerEmbedder())
    embedder.encode(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp) / "docs", args.documents)
        settings = Settings(documents_dir=Path(tmp) / "docs", index_dir=Path(tmp) / "index")
        full = build_index(settings, embedder, full=True)
        rng = random.Random(11)
        for path in rng.sample(paths, args.edits):
            edit(path, rng)
        embedder.texts.clear()
        incremental = build_index(settings, embedder)
        changed = list(embedder.texts)
        started = time.perf_counter()
        embedder.inner.encode(changed)
        embed_alone = time.perf_counter() - started
    result = {
        "documents": full.documents,
        "chunks": full.chunks,
        "sentences": full.sentences,
        "full_s": round(full.seconds, 2),
        "edited_documents": len(incremental.changed),
        "texts_embedded_incremental": incremental.embedded,
        "incremental_s": round(incremental.seconds, 2),
        "incremental_over_full": round(incremental.seconds / full.seconds, 4),
        "embed_changed_alone_s": round(embed_alone, 3),
        "budget_s (1.2 x embed + 1)": round(1.2 * embed_alone + 1, 3),
        "meets_5_percent": incremental.seconds <= 0.05 * full.seconds,
        "meets_embed_budget": incremental.seconds <= 1.2 * embed_alone + 1,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
