"""The eval figures at other values of retrieval's size constants: evidence for the values it keeps.

Run: .venv/bin/python benchmarks/retrieval_constants.py   (needs ../shared/forums/corpus; about a minute a row)
Each row re-runs the hybrid over eval/questions_v2.jsonl, both halves, with one constant changed.
Writes benchmarks/results/retrieval_constants.json.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from tune_answering import corpus_v2

from forumqa import retrieval
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.evaluation import evaluate, load_questions, splits

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: (name, {constant: value}); the first row is the values retrieval.py keeps.
VARIANTS: list[tuple[str, dict[str, int]]] = [
    ("kept", {}),
    ("chunk pool 2 per hit, at least 10", {"CHUNK_POOL_PER_HIT": 2, "MIN_CHUNK_POOL": 10}),
    ("chunk pool 8 per hit, at least 40", {"CHUNK_POOL_PER_HIT": 8, "MIN_CHUNK_POOL": 40}),
    ("heading look-back unbounded", {"HEADING_LOOKBACK": 10**9}),
]


def figures(engine: Engine) -> dict[str, Any]:
    questions = load_questions(ROOT / "eval" / "questions_v2.jsonl")
    out = {}
    for half, subset in splits(questions).items():
        report = evaluate(engine, subset, "hybrid")
        out[half] = {"answer_accuracy": round(report.answer_accuracy, 3), "top1_source": round(report.top1_source, 3)}
    return out


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(documents_dir=corpus_v2(Path(tmp) / "docs"), index_dir=Path(tmp) / "index", answer_cache_size=0)
        engine = Engine.open(settings, build_if_missing=True)
        for name, changes in VARIANTS:
            kept = {k: getattr(retrieval, k) for k in changes}
            for k, v in changes.items():
                setattr(retrieval, k, v)
            try:
                rows.append({"variant": name, **figures(engine)})
            finally:
                for k, v in kept.items():
                    setattr(retrieval, k, v)
            print(json.dumps(rows[-1]), flush=True)
        engine.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "retrieval_constants.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
