"""Grid search of the answer-scoring weights and the score threshold over the eval sets, for one mode.

Used for the single-signal modes (dense, bm25); the hybrid is tuned by tune_answering.py on a
tuning half, with abstention from a calibrated probability.

Features do not depend on the weights, so each question's evidence is computed once and only
the scoring is repeated. Run: .venv/bin/python benchmarks/sweep_weights.py [hybrid|dense|bm25]
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from forumqa import answer
from forumqa.config import RetrievalMode, Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.evaluation import EvalQuestion, load_questions
from forumqa.retrieval import SentenceEvidence

ROOT = Path(__file__).resolve().parents[1]
SETS = [(ROOT / "documents", ROOT / "eval/dev_questions.jsonl"), (ROOT / "eval/corpus", ROOT / "eval/forums_questions.jsonl")]


def features(engine: Engine, question: EvalQuestion, mode: RetrievalMode) -> tuple[EvalQuestion, list[SentenceEvidence], Engine]:
    return question, engine.evidence(question.q, mode=mode).sentences, engine


def main() -> None:
    embedder = SentenceTransformerEmbedder()
    mode: RetrievalMode = sys.argv[1] if len(sys.argv) > 1 else "hybrid"  # type: ignore[assignment]
    rows = []
    with TemporaryDirectory() as tmp:
        for number, (documents, questions) in enumerate(SETS):
            engine = Engine.open(Settings(documents_dir=documents, index_dir=Path(tmp) / str(number)), embedder, build_if_missing=True)
            rows += [features(engine, q, mode) for q in load_questions(questions)]
    grid = [x / 20 for x in range(0, 21)]
    results = []
    for dense, chunk_score in itertools.product(grid, grid):
        coverage = 1 - dense - chunk_score
        if coverage < -1e-9 or (mode == "dense" and coverage > 1e-9) or (mode == "bm25" and dense > 0):
            continue
        weights = answer.Weights(dense=dense, chunk_score=chunk_score, coverage=coverage, abstain_below=0.0)
        best = []
        for question, evidence, engine in rows:
            ranked = answer.rank(evidence, weights)
            if not ranked:
                best.append((question, 0.0, ""))
                continue
            value, top = ranked[0]
            best.append((question, value, engine.snapshot.text(top.doc_id, top.start, top.end)))
        for threshold in [x / 100 for x in range(20, 80)]:
            ok_answer = sum(1 for q, v, t in best if q.answerable and v >= threshold and q.is_right(t))
            ok_abstain = sum(1 for q, v, _ in best if not q.answerable and v < threshold)
            answerable = sum(1 for q, _, _ in best if q.answerable)
            acc, abst = ok_answer / answerable, ok_abstain / (len(best) - answerable)
            results.append((min(acc, abst), acc + abst, dense, chunk_score, round(coverage, 2), threshold, acc, abst))
    results.sort(reverse=True)
    print("worst-of(acc, abst)  sum  w_dense w_chunk w_coverage threshold  answer_acc offtopic_abst", file=sys.stderr)
    for row in results[:25]:
        print("  ".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in row))


if __name__ == "__main__":
    main()
