"""Answer quality on a question set: the figures the README and the issue notes quote."""

from __future__ import annotations

import itertools
import json
import statistics
import string
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
    #: The phrase that answers, verbatim ("Becky Wong"); None when no single phrase does.
    short: str | None = None
    #: "tune" or "test": the half of a question set it belongs to (split by document, once).
    split: str | None = None

    def is_right(self, answer: str | None) -> bool:
        """An answer is right when it contains one of the expected phrases (case-insensitive)."""
        return bool(answer) and any(e.lower() in (answer or "").lower() for e in self.expect)

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
    #: Of the answerable questions with an annotated short answer: the `short` phrase matches it exactly.
    short_exact: float | None
    #: (confidence bin, questions, share answered correctly) over answerable and unanswerable questions alike.
    reliability: list[tuple[str, int, float]]
    latency_p50_ms: float
    latency_p95_ms: float
    failures: list[str] = field(default_factory=list)
    #: Of the answerable questions it abstained on: the expected answer is in one of the first RELATED_SHOWN
    #: related passages, which the page and the API still show with "not found" (None: no such abstention).
    related_on_abstention: float | None = None
    false_abstentions: int = 0


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    q=row["q"],
                    expect=tuple(row.get("expect") or ()),
                    doc=row.get("doc"),
                    kind=row.get("kind", "fact"),
                    author=row.get("author"),
                    short=row.get("short"),
                    split=row.get("split"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ForumQAError(f"{path}:{number}: not a question line ({exc}); expected {{q, expect, doc, kind}}") from exc
    return questions


def _same_doc(doc_id: str, expected: str | None) -> bool:
    return expected is not None and (doc_id == expected or doc_id.rsplit("/", 1)[-1] == expected)


def _same_phrase(got: str, want: str) -> bool:
    """Exact match as SQuAD's evaluation counts it: case, punctuation and the articles a / an / the aside."""

    def norm(text: str) -> str:
        text = "".join(" " if c in string.punctuation or c in "“”‘’" else c for c in text.lower())
        return " ".join(w for w in text.split() if w not in ("a", "an", "the"))

    return norm(got) == norm(want)


#: How many related passages count as seen beside a "not found": the chat page shows the first three.
RELATED_SHOWN = 3

#: Confidence bins of the reliability table.
BINS = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.01)


def reliability(outcomes: Sequence[tuple[float, bool]]) -> list[tuple[str, int, float]]:
    """Share of questions whose quoted sentence was right, per confidence bin (an abstention quotes nothing).

    A calibrated confidence rises with the share right, and the threshold sits where it crosses what
    a user would accept; unanswerable questions count as never right, so they weigh on the bins they fall in.
    """
    table = []
    for low, high in itertools.pairwise(BINS):
        inside = [ok for confidence, ok in outcomes if low <= confidence < high]
        if inside:
            table.append((f"{low:.2f}-{min(high, 1.0):.2f}", len(inside), sum(inside) / len(inside)))
    return table


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (1..99), inclusive method; the benchmarks use the same one."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(engine: Engine, questions: Sequence[EvalQuestion], mode: RetrievalMode) -> EvalReport:
    correct = source = abstained_off = abstained_on = authored = credited = shorts = short_hits = related_hits = 0
    outcomes: list[tuple[float, bool]] = []
    latencies = []
    failures = []
    answerable = [q for q in questions if q.answerable]
    for item in questions:
        result = engine.ask(item.q, mode=mode)
        latencies.append(result.timings_ms["total"])
        if not item.answerable:
            outcomes.append((result.confidence, False))  # nothing to quote is ever right here
            abstained_off += result.abstained
            if not result.abstained:
                failures.append(f"answered an unanswerable question: {item.q!r} -> {result.answer!r}")
            continue
        abstained_on += result.abstained
        if result.abstained:
            related_hits += any(item.is_right(p.text) for p in result.related[:RELATED_SHOWN])
        top = result.citations[0] if result.citations else (result.related[0] if result.related else None)
        source += bool(top and _same_doc(top.doc_id, item.doc))
        if item.author and result.citations:
            authored += 1
            credited += (result.citations[0].author or "").lower() == item.author.lower()
        if item.short:
            shorts += 1
            short_hits += bool(result.short and _same_phrase(result.short.text, item.short))
        right = item.is_right(result.answer)
        outcomes.append((result.confidence, right))
        if right:
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
        short_exact=short_hits / shorts if shorts else None,
        reliability=reliability(outcomes),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        failures=failures,
        related_on_abstention=related_hits / abstained_on if abstained_on else None,
        false_abstentions=abstained_on,
    )


def splits(questions: Sequence[EvalQuestion]) -> dict[str, list[EvalQuestion]]:
    """The tuning and test halves reported apart (tuning first), or all questions when a set has no split."""
    halves = {half: [q for q in questions if q.split == half] for half in ("tune", "test")}
    unsplit = [q for q in questions if q.split not in halves]
    out = {half: items for half, items in halves.items() if items}
    if unsplit:
        out["all" if not out else "unsplit"] = unsplit
    return out


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_reports(reports: dict[str, list[EvalReport]]) -> str:
    """The table `forumqa eval` prints: one row per half and mode, then the hybrid's reliability per half."""
    header = [("half", 6), ("mode", 7), ("n", 4), ("answer acc", 10), ("top-1 src", 9), ("off-topic abst", 14), ("false abst", 10)]
    header += [("author", 6), ("short EM", 8), ("p50 ms", 7), ("p95 ms", 7)]
    lines = [" ".join(f"{name:>{width}}" for name, width in header)]
    for half, rows in reports.items():
        for r in rows:
            values = [half, r.mode, str(r.questions), f"{r.answer_accuracy:.3f}", f"{r.top1_source:.3f}", f"{r.offtopic_abstention:.3f}"]
            values += [f"{r.false_abstention:.3f}", _figure(r.right_author), _figure(r.short_exact)]
            values += [f"{r.latency_p50_ms:.1f}", f"{r.latency_p95_ms:.1f}"]
            lines.append(" ".join(f"{v:>{w}}" for v, (_, w) in zip(values, header, strict=True)))
    for half, rows in reports.items():
        for r in rows:
            if r.mode == "hybrid" and r.reliability:
                cells = ", ".join(f"{b}: {share:.2f} of {n}" for b, n, share in r.reliability)
                lines.append(f"reliability ({half}, hybrid; confidence: share right of questions): {cells}")
            if r.mode == "hybrid" and r.related_on_abstention is not None:
                lines.append(
                    f"related passages ({half}, hybrid): on {r.related_on_abstention:.2f} of its {r.false_abstentions} false abstentions"
                    f' the answer is in one of the first {RELATED_SHOWN} passages shown with "not found"'
                )
    return "\n".join(lines)
