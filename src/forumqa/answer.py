"""Choosing the sentence to quote, its citations, and whether to abstain. Pure functions over evidence."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from forumqa.config import RetrievalMode
from forumqa.retrieval import SentenceEvidence

NOT_FOUND = "I couldn't find this in the documents. The closest passages are listed below."


@dataclass(frozen=True)
class Weights:
    """How much each signal counts, and the score below which we abstain.

    The weights sum to 1 and every signal lies in 0..1, so a score reads as a confidence.
    """

    dense: float
    chunk_score: float
    coverage: float
    abstain_below: float
    #: Coverage with near-synonym credit (SentenceEvidence.soft_coverage), and answer-type fit.
    soft: float = 0.0
    fit: float = 0.0
    opening: float = 0.0  # negative: a penalty
    novelty: float = 0.0


#: Hybrid: chosen by benchmarks/tune_answering.py on the tuning half (the dev set, our forums set, the
#: "tune" documents of eval/questions_v2.jsonl and eval/questions_tune_extra.jsonl: 330 questions) among
#: the settings whose top sentence is right nearly as often as the best's, as the one whose whole decision
#: (with CALIBRATION) earns most, cross-validated; whether to answer at all is CALIBRATION's. Dense and
#: BM25 only keep the weights and score thresholds benchmarks/sweep_weights.py chose for them, so
#: `forumqa eval` compares fairly.
WEIGHTS: dict[RetrievalMode, Weights] = {
    "hybrid": Weights(dense=0.45, chunk_score=0.0, coverage=0.20, soft=0.15, fit=0.0, opening=-0.20, novelty=0.20, abstain_below=0.0),
    "dense": Weights(dense=0.35, chunk_score=0.65, coverage=0.0, abstain_below=0.41),
    "bm25": Weights(dense=0.0, chunk_score=0.0, coverage=1.0, abstain_below=0.50),
}


@dataclass(frozen=True)
class Citation:
    """Where a quote came from: document offsets, and for a thread the post and the person who wrote it.

    `quoted`: the words are a quote a post makes of something outside the export; `author` is then
    the quoted writer, never the person quoting (unattributed material keeps the poster).
    `accepted`: the post is the one its thread marks as the answer (Stack Exchange's accepted answer).
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
    accepted: bool = False


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
    lexical = weights.coverage * evidence.coverage + weights.soft * evidence.soft_coverage
    shape = weights.fit * evidence.fit + weights.opening * evidence.opening + weights.novelty * evidence.novelty
    return weights.dense * max(evidence.dense, 0.0) + weights.chunk_score * min(evidence.chunk_score, 1.0) + lexical + shape


def rank(evidence: list[SentenceEvidence], weights: Weights) -> list[tuple[float, SentenceEvidence]]:
    """Best first; ties go to the earlier sentence so results are deterministic.

    A sentence that is itself a question ("How do I stop the speakers?") never answers one: in a
    thread it is the asker restating the problem, and it matches the question's words best of all.
    Nor does a quote whose original is among the candidates (`echo`): the original is cited, by its writer's post.
    """
    scored = ((score(e, weights), e) for e in evidence if not e.asks and not e.echo)
    return sorted(scored, key=lambda pair: (-pair[0], pair[1].sentence_id))


@dataclass(frozen=True)
class Calibration:
    """P(the top-ranked quote is right), a logistic model of the evidence around it, and the probability to answer at.

    Abstention looks at more than the winning score: how similar the best sentence is in meaning,
    how far it stands above the runner-up (a near tie between different sentences means the
    evidence does not single one out), how much of the question it covers counting near-synonyms,
    whether a question that wants a name, a date or a number finds one there ("How much is X
    paying?" is not answered by a sentence about X whose only figure is a percentage), and whether
    meaning alone and words alone would have picked the same place: a quote that wins only on the
    blend, while another sentence is closer in meaning and a third shares more of the question's
    words, is a compromise between two readings more often than the answer.
    Fitted on the tuning half by benchmarks/tune_answering.py.
    """

    intercept: float
    score: float
    dense: float
    margin: float
    soft_coverage: float
    answer_above: float
    #: Counts when the best sentence lacks the question's answer type (its `fit` is 0); usually negative.
    type_missing: float = 0.0
    #: Count when no other candidate is closer in meaning / covers more of the question (near-synonyms
    #: counted) than the best quote's own span does; usually positive.
    dense_agrees: float = 0.0
    words_agree: float = 0.0

    @property
    def uses_fit(self) -> bool:
        return self.type_missing != 0.0

    def confidence(self, ranked: list[tuple[float, SentenceEvidence]]) -> float:
        if not ranked:
            return 0.0
        best_score, best = ranked[0]
        runner_up = next((value for value, e in ranked[1:] if not _overlaps(e, best)), 0.0)
        z = (
            self.intercept
            + self.score * best_score
            + self.dense * max(best.dense, 0.0)
            + self.margin * (best_score - runner_up)
            + self.soft_coverage * best.soft_coverage
            + self.type_missing * float(best.fit == 0.0)
            + self.dense_agrees * float(_agrees(ranked, lambda e: max(e.dense, 0.0)))
            + self.words_agree * float(_agrees(ranked, lambda e: e.soft_coverage))
        )
        return 1.0 / (1.0 + math.exp(-z))


def _agrees(ranked: list[tuple[float, SentenceEvidence]], signal: Callable[[SentenceEvidence], float]) -> bool:
    """The best span (or a span overlapping it: a sentence joined with its neighbour) has the top value of `signal`; ties agree."""
    best = ranked[0][1]
    own = max(signal(e) for _, e in ranked if _overlaps(e, best))
    return own >= max(signal(e) for _, e in ranked)


def _overlaps(a: SentenceEvidence, b: SentenceEvidence) -> bool:
    return a.doc_id == b.doc_id and a.start < b.end and b.start < a.end


#: At most this many quoted spans back one answer: the answer and two that say the same elsewhere. Chosen
#: by judgement (a chat bubble with more reads as a list of search results), not tuned.
MAX_CITATIONS = 3
#: A further span is cited only when its score is within this of the answer's: on the 0..1 blend scale
#: 0.1 keeps the restatements (a title line, a summary) and drops the merely related. Chosen by judgement;
#: it changes which extra citations appear, never the answer or abstention (the eval figures do not move).
CITATION_MARGIN = 0.1


def select(
    ranked: list[tuple[float, SentenceEvidence]], threshold: float, max_citations: int = MAX_CITATIONS, margin: float = CITATION_MARGIN
) -> list[tuple[float, SentenceEvidence]]:
    """The answer span first, then near-equal spans that do not overlap it; empty means abstain."""
    if not ranked or ranked[0][0] < threshold:
        return []
    best = ranked[0][0]
    chosen: list[tuple[float, SentenceEvidence]] = []
    for value, evidence in ranked:
        if len(chosen) == max_citations or value < max(threshold, best - margin):
            break
        if any(_overlaps(e, evidence) for _, e in chosen):
            continue
        chosen.append((value, evidence))
    return chosen


#: Fitted with the hybrid's WEIGHTS on the same tuning half (benchmarks/results/tune_answering.json). A wrong
#: answer costs 1.5 times what a right one earns, so answering pays when P(right) >= 1.5 / (1 + 1.5) = 0.6.
CALIBRATION: dict[RetrievalMode, Calibration] = {
    "hybrid": Calibration(
        intercept=-3.745,
        score=1.501,
        dense=0.986,
        margin=2.453,
        soft_coverage=3.767,
        answer_above=0.60,
        type_missing=-1.77,
        dense_agrees=-0.19,
        words_agree=0.938,
    ),
}


def decide(
    evidence: list[SentenceEvidence],
    mode: RetrievalMode,
    abstain_below: float | None = None,
    fit: Callable[[SentenceEvidence], float] | None = None,
) -> tuple[float, list[tuple[float, SentenceEvidence]]]:
    """The confidence and the chosen spans (answer first; none: abstain) for one mode's weighting.

    A mode with a calibration answers when P(right) reaches its `answer_above`; one without, when the
    top score reaches its weights' `abstain_below`. `abstain_below` (a setting) overrides either line.
    `fit` gives the best sentence its answer-type fit where the calibration uses it and the evidence
    was gathered without it (retrieval.sentence_fit).
    """
    weights = WEIGHTS[mode]
    ranked = rank(evidence, weights)
    calibration = CALIBRATION.get(mode)
    if calibration is None:
        threshold = weights.abstain_below if abstain_below is None else abstain_below
        return (ranked[0][0] if ranked else 0.0), select(ranked, threshold)
    if fit is not None and calibration.uses_fit and ranked:
        value, top = ranked[0]
        ranked = [(value, replace(top, fit=fit(top))), *ranked[1:]]
    best = calibration.confidence(ranked)  # the probability decides; citations still follow the scores
    threshold = calibration.answer_above if abstain_below is None else abstain_below
    return best, (select(ranked, float("-inf")) if best >= threshold else [])
