"""Choosing the sentence to quote, its citations, and whether to abstain. Pure functions over evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from forumqa.config import RetrievalMode
from forumqa.retrieval import SentenceEvidence

NOT_FOUND = "I couldn't find this in the documents. The closest passages are listed below."


@dataclass(frozen=True)
class Weights:
    """How much each signal counts, and the score below which we abstain.

    The weights sum to 1 and every signal lies in 0..1, so a score reads as a confidence.
    """

    dense: float
    context: float
    coverage: float
    abstain_below: float


#: Chosen per mode by benchmarks/sweep_weights.py on both evaluation sets (54 questions).
#: Hybrid: dense 0.10-0.25 with coverage 0.75-0.90 and a threshold of 0.46-0.47 score alike
#: (answer accuracy 0.93, abstention 0.91); the retrieved chunk's own score adds nothing to
#: sentence choice once coverage is in (its weight 0 measured best), though chunk retrieval
#: still decides which sentences are candidates. Single-signal modes get their own best, so
#: the comparison in `forumqa eval` is fair.
WEIGHTS: dict[RetrievalMode, Weights] = {
    "hybrid": Weights(dense=0.25, context=0.0, coverage=0.75, abstain_below=0.47),
    "dense": Weights(dense=0.35, context=0.65, coverage=0.0, abstain_below=0.41),
    "bm25": Weights(dense=0.0, context=0.0, coverage=1.0, abstain_below=0.50),
}


@dataclass(frozen=True)
class Citation:
    """Where a quote came from: document offsets, and for a thread the post and the person who wrote it.

    `quoted`: the words are a quote a post makes of something outside the export; `author` is then
    the quoted writer, never the person quoting (unattributed material keeps the poster).
    """

    doc_id: str
    title: str
    source: str
    date: str | None
    start: int
    end: int
    text: str
    score: float
    author: str | None = None
    post: str | None = None
    url: str | None = None
    quoted: bool = False


@dataclass(frozen=True)
class Short:
    """The phrase inside the quoted answer that answers the question, in document offsets."""

    start: int
    end: int
    text: str


@dataclass
class Answer:
    question: str
    answer: str | None
    abstained: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    #: The index generation that answered: its documents are what the offsets index into.
    generation: str = ""
    #: The phrase within `answer` that answers ("Becky Wong", "$8.5 billion"); None when no single phrase does.
    short: Short | None = None


def score(evidence: SentenceEvidence, weights: Weights) -> float:
    return weights.dense * max(evidence.dense, 0.0) + weights.context * min(evidence.context, 1.0) + weights.coverage * evidence.coverage


def rank(evidence: list[SentenceEvidence], weights: Weights) -> list[tuple[float, SentenceEvidence]]:
    """Best first; ties go to the earlier sentence so results are deterministic."""
    return sorted(((score(e, weights), e) for e in evidence), key=lambda pair: (-pair[0], pair[1].sentence_id))


def select(
    ranked: list[tuple[float, SentenceEvidence]], threshold: float, max_citations: int = 3, margin: float = 0.1
) -> list[tuple[float, SentenceEvidence]]:
    """The answer span first, then near-equal spans that do not overlap it; empty means abstain."""
    if not ranked or ranked[0][0] < threshold:
        return []
    best = ranked[0][0]
    chosen: list[tuple[float, SentenceEvidence]] = []
    for value, evidence in ranked:
        if len(chosen) == max_citations or value < max(threshold, best - margin):
            break
        if any(e.doc_id == evidence.doc_id and e.start < evidence.end and evidence.start < e.end for _, e in chosen):
            continue
        chosen.append((value, evidence))
    return chosen
