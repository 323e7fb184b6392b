"""Finding evidence: chunks by dense (FAISS) and BM25 scores fused, then the sentences worth quoting.

Lessons from the prototypes (shared notes): rare proper nouns carry these questions, so the
lexical side must be able to win outright (a score blend, not only rank fusion); and sentence
choice must not be confined to the top few chunks.

Per question nothing scans the corpus outside FAISS: the best sentences corpus-wide come from the
sentence index and from BM25's postings (`LexicalIndex.top`), and cosine is computed only for the
candidate sentences and their neighbours (at 100k chunks a scan of all ~470k sentence vectors cost
more than the question's encode).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from forumqa.answer_types import AnswerType, expected_type, short_answer
from forumqa.config import Fusion, RetrievalMode
from forumqa.index import IndexedSentence, IndexSnapshot
from forumqa.lexical import terms
from forumqa.term_vectors import SoftCredit

#: A sentence that opens with one of these leans on the one before it for its subject.
_LEANS_ON_PREVIOUS = re.compile(r"^(he|she|they|it|this|these|that|those|his|her|their|its|there|then|however|also)\b", re.IGNORECASE)


#: In a follow-up, the share of lexical coverage that the earlier question's terms may supply.
HISTORY_SHARE = 0.25
#: Credit for a question term found near a sentence (heading, previous sentence) rather than in it.
NEAR_CREDIT = 0.5
#: Credit for a term of the post author's name: "What did Compo say…" asks for Compo's words, and the
#: post says whose they are as surely as the sentence says what. Full credit measured better than half
#: on the tuning half (benchmarks/tune_answering.py utility 108.5 -> 113.5 over 162 questions; the opener
#: words below, 113.5 -> 118.0).
AUTHOR_CREDIT = 1.0
#: How a question names a thread's first poster without their name ("the asker's server"), stemmed as its terms are:
#: the opening post's sentences earn AUTHOR_CREDIT for them.
_OPENER_WORDS = frozenset(terms("asker OP"))
#: At most this much credit for a near-synonym (a full match earns 1): a paraphrase is weaker evidence than the word.
SOFT_CREDIT = 0.75
#: A sentence this short ("I am more skeptical.") is quoted with the one that follows it.
SHORT_SENTENCE_WORDS = 6
#: How far back a sentence looks for the heading it sits under: a bound keeps the cost per candidate
#: constant in a long headingless thread. In the eval corpus 50 of 945 sentences lie further below their
#: heading, yet an unbounded look-back changes no eval figure (benchmarks/results/retrieval_constants.json).
HEADING_LOOKBACK = 50


@dataclass(frozen=True)
class Query:
    """Chunks are searched with the conversation (`vector`, all terms); sentences must answer the question itself."""

    terms: tuple[str, ...]
    vector: np.ndarray
    history_terms: tuple[str, ...] = ()
    question_vector: np.ndarray | None = None
    #: The question as asked, for its answer type ("who" wants a name).
    text: str = ""
    #: A vector per question term, so a term the sentence lacks can earn credit from a near-synonym.
    term_vectors: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def all_terms(self) -> list[str]:
        return [*self.terms, *self.history_terms]

    @property
    def sentence_vector(self) -> np.ndarray:
        return self.vector if self.question_vector is None else self.question_vector


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: int
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class SentenceEvidence:
    """One quotable span (a sentence, or a sentence with the one it leans on) and why it might answer."""

    sentence_id: int
    doc_id: str
    start: int
    end: int
    dense: float  # cosine(question, sentence)
    chunk_score: float  # fused score of the best retrieved chunk holding the sentence
    coverage: float  # IDF-weighted share of question terms found in the span and its title
    #: Coverage where a missing question term also earns credit from the span's most similar term.
    soft_coverage: float = 0.0
    #: 1 when the sentence holds a phrase of the answer type the question wants (a name for "who"),
    #: 0 when it does not, 0.5 when the question wants no particular type.
    fit: float = 0.5
    #: The sentence is itself a question: in a thread, the asker restating the problem. Never an answer.
    asks: bool = False
    #: 1 in the opening post of a thread with replies: where the asker describes the problem, not where answers are.
    opening: float = 0.0
    #: Share of the sentence's terms that the question does not use: an answer says something the question does not.
    #: A short sentence counts the one it is quoted with after it ("On behalf of the X community. We have a form…");
    #: a sentence leaning on the one before ("He said…") does not count that one: it is context, not what it adds.
    novelty: float = 0.0
    #: The words are a post's quote of words that stand elsewhere in the corpus as their writer's own (a reply in one
    #: file quoting a mail that has its own archive page): the original is cited instead. Never an answer.
    echo: bool = False


def blend(dense: Mapping[int, float], lexical: Mapping[int, float], lexical_weight: float = 0.5) -> dict[int, float]:
    """Cosine and max-normalised BM25 mixed linearly, so a decisive exact match keeps its margin."""
    top = max(lexical.values(), default=0.0) or 1.0
    ids = set(dense) | set(lexical)
    return {i: (1 - lexical_weight) * max(dense.get(i, 0.0), 0.0) + lexical_weight * lexical.get(i, 0.0) / top for i in ids}


def reciprocal_rank_fusion(*rankings: list[int], k: int = 60) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return fused


@dataclass(frozen=True)
class Signals:
    """Which scores a retrieval mode uses: decided here once, so the functions below ask a flag, not a mode name."""

    dense: bool
    lexical: bool


SIGNALS: dict[RetrievalMode, Signals] = {
    "hybrid": Signals(dense=True, lexical=True),
    "dense": Signals(dense=True, lexical=False),
    "bm25": Signals(dense=False, lexical=True),
}

#: Each signal offers CHUNK_POOL_PER_HIT times the chunks kept (at least MIN_CHUNK_POOL), so a chunk that one
#: signal ranks low can still reach the fused top k on the other's strength. With top_k 5 that is 20 a signal;
#: answer accuracy (questions_v2, hybrid, both halves) is the same at 10 and at 40, and top-1 source too but
#: for the tuning half at 40 (0.946 vs 0.957; benchmarks/retrieval_constants.py): sized for a larger top_k, not tuned.
CHUNK_POOL_PER_HIT = 4
MIN_CHUNK_POOL = 20


def _normalised(scores: Mapping[int, float]) -> dict[int, float]:
    """BM25 over its best score: 0..1 like a cosine, so one weight reads the same across questions."""
    top = max(scores.values(), default=0.0) or 1.0
    return {i: s / top for i, s in scores.items()}


def _fused(dense: dict[int, float], lexical: dict[int, float], signals: Signals, fusion: Fusion) -> dict[int, float]:
    if not signals.lexical:
        return dense
    if not signals.dense:
        return _normalised(lexical)
    if fusion == "rrf":
        return reciprocal_rank_fusion(sorted(dense, key=lambda i: -dense[i]), sorted(lexical, key=lambda i: -lexical[i]))
    return blend(dense, lexical)


def retrieve_chunks(snapshot: IndexSnapshot, query: Query, mode: RetrievalMode, k: int, fusion: Fusion = "blend") -> list[ChunkHit]:
    signals = SIGNALS[mode]
    n = min(max(k * CHUNK_POOL_PER_HIT, MIN_CHUNK_POOL), len(snapshot.chunks))
    dense: dict[int, float] = {}
    lexical: dict[int, float] = {}
    if signals.dense:
        sims, ids = snapshot.chunk_index.search(query.vector.reshape(1, -1), n)
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
    if signals.lexical:
        best = snapshot.chunk_lexical.top(query.all_terms, n)
        lexical = {int(i): float(s) for i, s in zip(best.rows, best.scores, strict=True)}
    fused = _fused(dense, lexical, signals, fusion)
    lexical = _normalised(lexical)
    ranked = sorted(fused, key=lambda i: -fused[i])[:k]
    return [ChunkHit(chunk_id=i, score=fused[i], dense=dense.get(i, 0.0), lexical=lexical.get(i, 0.0)) for i in ranked]


@lru_cache(maxsize=4096)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _span(snapshot: IndexSnapshot, sid: int) -> tuple[int, int]:
    """The sentence, joined to the one before when it leans on it ('He pointed out…'), or to the one
    after when it is too short to say much by itself. Either way the span is contiguous text."""
    sentence = snapshot.sentences[sid]
    text = snapshot.text(sentence.doc_id, sentence.start, sentence.end)
    start, end = sentence.start, sentence.end
    if sid > 0 and _LEANS_ON_PREVIOUS.match(text) and _joinable(snapshot, sid - 1, sentence):
        start = snapshot.sentences[sid - 1].start
    if len(text.split()) <= SHORT_SENTENCE_WORDS and sid + 1 < len(snapshot.sentences) and _joinable(snapshot, sid + 1, sentence):
        end = snapshot.sentences[sid + 1].end
    return start, end


def _span_dense(snapshot: IndexSnapshot, dense: Mapping[int, float], sid: int, start: int, end: int) -> float:
    """Similarity of the quoted span: its best sentence ('It was organized by…' is quoted with the sentence it leans on).
    `dense` holds the sentence and both its neighbours (`_neighbourhood`)."""
    ids = [i for i in (sid - 1, sid, sid + 1) if 0 <= i < len(snapshot.sentences)]
    inside = [i for i in ids if snapshot.sentences[i].doc_id == snapshot.sentences[sid].doc_id]
    return max(dense[i] for i in inside if start <= snapshot.sentences[i].start and snapshot.sentences[i].end <= end)


def _nearest_sentences(snapshot: IndexSnapshot, vector: np.ndarray, pool: int) -> list[int]:
    """The `pool` sentences corpus-wide most similar to the question (positive similarity only), from the sentence index."""
    sims, ids = snapshot.sentence_index.search(vector.reshape(1, -1).astype(np.float32, copy=False), pool)
    return [int(i) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0 and s > 0]


def _neighbourhood(snapshot: IndexSnapshot, vector: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
    """Cosine of each sentence in `ids` and of the sentences either side (a span may join one), and of no other."""
    wanted = np.fromiter(sorted({j for i in ids for j in (i - 1, i, i + 1) if 0 <= j < len(snapshot.sentences)}), dtype=np.int64)
    sims = snapshot.sentence_vectors[wanted] @ vector
    return dict(zip(wanted.tolist(), sims.tolist(), strict=True))


def _joinable(snapshot: IndexSnapshot, other: int, sentence: IndexedSentence) -> bool:
    neighbour = snapshot.sentences[other]
    return neighbour.doc_id == sentence.doc_id and neighbour.section == sentence.section and not neighbour.heading


def _nearby_credit(snapshot: IndexSnapshot, sid: int, title_credit: float) -> dict[str, float]:
    """What a sentence is about without saying it, each term with the credit it earns.

    The title says what the whole document is about ('The forum was moderated by Becky Wong'
    answers a question that names the forum only in the title), and so does the post's author
    (the opening post's also for "the asker" / "OP").
    The heading above and the sentence before count half: a joined 'He…' sentence must not get
    full credit for the name in the sentence it leans on.
    """
    sentence = snapshot.sentences[sid]
    document = snapshot.documents[sentence.doc_id]
    near: set[str] = set()
    previous = snapshot.sentences[sid - 1] if sid > 0 else None
    if previous is not None and previous.doc_id == sentence.doc_id and previous.section == sentence.section:
        near |= _terms_of(snapshot.text(previous.doc_id, previous.start, previous.end))
    for back in range(sid - 1, max(sid - HEADING_LOOKBACK, -1), -1):
        above = snapshot.sentences[back]
        if above.doc_id != sentence.doc_id:
            break
        if above.heading:
            near |= _terms_of(snapshot.text(above.doc_id, above.start, above.end))
            break
    credit = dict.fromkeys(near, NEAR_CREDIT)
    section = document.sections[sentence.section]
    if section.author:
        credit.update(dict.fromkeys(_terms_of(section.author), AUTHOR_CREDIT))
    if section.post is not None and section.post == document.sections[0].post:
        credit.update(dict.fromkeys(_OPENER_WORDS, AUTHOR_CREDIT))  # "the asker's server": the opening post's words
    for term in _terms_of(document.title):
        credit[term] = max(credit.get(term, 0.0), title_credit)
    return credit


def sentence_evidence(
    snapshot: IndexSnapshot,
    query: Query,
    hits: list[ChunkHit],
    mode: RetrievalMode,
    pool: int,
    title_credit: float,
    answer_type_fit: bool = True,
) -> list[SentenceEvidence]:
    """Candidates from the retrieved chunks plus the best sentences corpus-wide, each with its features.

    `answer_type_fit=False` leaves `fit` at its neutral 0.5: the phrase search behind it costs about
    1 ms a question, for a feature that no shipped weighting uses (tuning still measures it).
    """
    chunk_scores: dict[int, float] = {}
    for hit in hits:
        chunk = snapshot.chunks[hit.chunk_id]
        for sid in range(chunk.first_sentence, chunk.last_sentence + 1):
            chunk_scores[sid] = max(chunk_scores.get(sid, 0.0), hit.score)
    ids = set(chunk_scores)
    signals = SIGNALS[mode]
    if signals.dense:
        ids.update(_nearest_sentences(snapshot, query.sentence_vector, pool))
    if signals.lexical:
        ids.update(snapshot.sentence_lexical.top(query.all_terms, pool).rows.tolist())
    dense = _neighbourhood(snapshot, query.sentence_vector, ids)
    wanted = expected_type(query.text) if query.text and answer_type_fit else "other"
    asked = frozenset(query.all_terms)
    candidates = [(sid, snapshot.sentences[sid]) for sid in sorted(ids) if not snapshot.sentences[sid].heading]
    texts = {sid: snapshot.text(s.doc_id, s.start, s.end) for sid, s in candidates}
    quoted = {sid for sid, s in candidates if snapshot.documents[s.doc_id].sections[s.section].quoted}
    originals = {" ".join(texts[sid].split()) for sid, _ in candidates if sid not in quoted}
    soft_credit = _soft_credit_for(snapshot, query, [_terms_of(text) for text in texts.values()])
    evidence = []
    for sid, sentence in candidates:
        text = texts[sid]
        start, end = _span(snapshot, sid)
        sentence_terms = _terms_of(text)
        credit = _nearby_credit(snapshot, sid, title_credit)
        coverage = _coverage(snapshot, query, sentence_terms, credit)
        soft = _soft_credit(soft_credit, query, sentence_terms, credit)
        soft_coverage = _coverage(snapshot, query, sentence_terms, {**credit, **soft}) if soft else coverage
        fit = _fit(text, query.text, wanted)
        # What the sentence adds runs on into a sentence joined after it, not into the one it leans on.
        said_terms = _terms_of(snapshot.text(sentence.doc_id, sentence.start, end)) if end != sentence.end else sentence_terms
        evidence.append(
            SentenceEvidence(
                sentence_id=sid,
                doc_id=sentence.doc_id,
                start=start,
                end=end,
                dense=_span_dense(snapshot, dense, sid, start, end),
                chunk_score=chunk_scores.get(sid, 0.0),
                coverage=coverage,
                soft_coverage=soft_coverage,
                fit=fit,
                asks=text.rstrip().endswith("?"),
                opening=_opening(snapshot, sentence, asked),
                novelty=len(said_terms - asked) / len(said_terms) if said_terms else 0.0,
                echo=sid in quoted and " ".join(text.split()) in originals,
            )
        )
    return evidence


def sentence_fit(snapshot: IndexSnapshot, query: Query, sentence_id: int) -> float:
    """SentenceEvidence.fit for one sentence: abstention checks it for the best sentence alone, which is
    cheaper than for every candidate (about 10 ms a question that wants a type, at this corpus size)."""
    sentence = snapshot.sentences[sentence_id]
    wanted = expected_type(query.text) if query.text else "other"
    return _fit(snapshot.text(sentence.doc_id, sentence.start, sentence.end), query.text, wanted)


def _fit(text: str, question: str, wanted: AnswerType) -> float:
    """1 when the sentence holds a phrase of the type the question wants, 0 when it does not, 0.5 when no type is wanted."""
    return 0.5 if wanted == "other" else float(short_answer(text, question, wanted) is not None)


def _opening(snapshot: IndexSnapshot, sentence: IndexedSentence, asked: frozenset[str]) -> float:
    """1 for a sentence of a thread's opening post, which mostly restates what the thread asks.

    Not when the question names the opener ("did Squashman help…", "the asker's server"): then it
    asks what the opening post says.
    """
    sections = snapshot.documents[sentence.doc_id].sections
    first = sections[0].post
    replied = first is not None and sections[-1].post != first
    if not (replied and sections[sentence.section].post == first):
        return 0.0
    opener = sections[0].author
    named = bool(asked & _OPENER_WORDS) or bool(opener and _terms_of(opener) & asked)
    return 0.0 if named else 1.0


def _coverage(snapshot: IndexSnapshot, query: Query, sentence_terms: frozenset[str], credit: Mapping[str, float]) -> float:
    coverage = snapshot.sentence_lexical.coverage(query.terms, sentence_terms, credit)
    if query.history_terms:
        carried = snapshot.sentence_lexical.coverage(query.history_terms, sentence_terms, credit)
        coverage = (1 - HISTORY_SHARE) * coverage + HISTORY_SHARE * carried
    return coverage


def _soft_credit_for(snapshot: IndexSnapshot, query: Query, sentence_terms: Iterable[frozenset[str]]) -> SoftCredit | None:
    """The question's near-synonym credits against every candidate's terms at once; None without term vectors."""
    if snapshot.term_vectors is None or not query.term_vectors:
        return None
    return snapshot.term_vectors.soft_credit(query.term_vectors, set().union(*sentence_terms))


def _soft_credit(
    soft_credit: SoftCredit | None, query: Query, sentence_terms: frozenset[str], credit: Mapping[str, float]
) -> dict[str, float]:
    """Credit for question terms the sentence lacks, from its most similar term; never less than the nearby credit gives."""
    if soft_credit is None:
        return {}
    missing = [t for t in query.term_vectors if t not in sentence_terms and credit.get(t, 0.0) < 1.0]
    soft = soft_credit.best(missing, sentence_terms)
    return {t: SOFT_CREDIT * c for t, c in soft.items() if SOFT_CREDIT * c > credit.get(t, 0.0)}
