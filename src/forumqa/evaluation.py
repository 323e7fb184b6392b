"""Answer quality on a question set: the figures the README and the issue notes quote."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forumqa.config import RetrievalMode
from forumqa.engine import Engine
from forumqa.errors import ForumQAError


@dataclass(frozen=True)
class EvalQuestion:
    q: str
    expect: tuple[str, ...]
    doc: str | None
    kind: str
    #: For thread exports: who wrote the answering post (the original writer when a reply quotes it).
    author: str | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.expect)


@dataclass
class EvalReport:
    mode: str
    questions: int
    answer_accuracy: float
    top1_source: float
    offtopic_abstention: float
    false_abstention: float
    #: Of the answered questions that name an author: the first citation credits that person.
    right_author: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    failures: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(row["q"], tuple(row.get("expect") or ()), row.get("doc"), row.get("kind", "fact"), row.get("author"))
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ForumQAError(f"{path}:{number}: not a question line ({exc}); expected {{q, expect, doc, kind}}") from exc
    return questions


def _same_doc(doc_id: str, expected: str | None) -> bool:
    return expected is not None and (doc_id == expected or doc_id.rsplit("/", 1)[-1] == expected)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (1..99), inclusive method; the benchmarks use the same one."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(engine: Engine, questions: Sequence[EvalQuestion], mode: RetrievalMode) -> EvalReport:
    correct = source = abstained_off = abstained_on = authored = credited = 0
    latencies = []
    failures = []
    answerable = [q for q in questions if q.answerable]
    for item in questions:
        result = engine.ask(item.q, mode=mode)
        latencies.append(result.timings_ms["total"])
        if not item.answerable:
            abstained_off += result.abstained
            if not result.abstained:
                failures.append(f"answered an unanswerable question: {item.q!r} -> {result.answer!r}")
            continue
        abstained_on += result.abstained
        top = result.citations[0] if result.citations else (result.related[0] if result.related else None)
        source += bool(top and _same_doc(top.doc_id, item.doc))
        if item.author and result.citations:
            authored += 1
            credited += (result.citations[0].author or "").lower() == item.author.lower()
        if result.answer and any(e.lower() in result.answer.lower() for e in item.expect):
            correct += 1
        else:
            failures.append(f"{item.q!r} expected {item.expect[0]!r}, got {result.answer!r}")
    unanswerable = len(questions) - len(answerable)
    return EvalReport(
        mode=mode,
        questions=len(questions),
        answer_accuracy=correct / len(answerable) if answerable else 1.0,
        top1_source=source / len(answerable) if answerable else 1.0,
        offtopic_abstention=abstained_off / unanswerable if unanswerable else 1.0,
        false_abstention=abstained_on / len(answerable) if answerable else 0.0,
        right_author=credited / authored if authored else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        failures=failures,
    )
