"""Finding evidence: chunks by dense (FAISS) and BM25 scores fused, then the sentences worth quoting.

Lessons from the prototypes (shared notes): rare proper nouns carry these questions, so the
lexical side must be able to win outright (a score blend, not only rank fusion); and sentence
choice must not be confined to the top few chunks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from forumqa.config import RetrievalMode
from forumqa.index import IndexSnapshot
from forumqa.lexical import terms

Fusion = Literal["blend", "rrf"]

#: A sentence that opens with one of these leans on the one before it for its subject.
_LEANS_ON_PREVIOUS = re.compile(r"^(he|she|they|it|this|these|that|those|his|her|their|its|there|then|however|also)\b", re.IGNORECASE)


#: In a follow-up, the share of lexical coverage that the earlier question's terms may supply.
HISTORY_SHARE = 0.25


@dataclass(frozen=True)
class Query:
    """Chunks are searched with the conversation (`vector`, all terms); sentences must answer the question itself."""

    terms: tuple[str, ...]
    vector: np.ndarray
    history_terms: tuple[str, ...] = ()
    question_vector: np.ndarray | None = None

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
    context: float  # fused score of the best retrieved chunk holding the sentence
    coverage: float  # IDF-weighted share of question terms found in the span and its title


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


def _top(scores: np.ndarray, n: int) -> list[int]:
    n = min(n, len(scores))
    if n == 0:
        return []
    ids = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in ids[np.argsort(-scores[ids])] if scores[i] > 0]


def retrieve_chunks(snapshot: IndexSnapshot, query: Query, mode: RetrievalMode, k: int, fusion: Fusion = "blend") -> list[ChunkHit]:
    n = min(max(k * 4, 20), len(snapshot.chunks))
    dense: dict[int, float] = {}
    lexical: dict[int, float] = {}
    if mode != "bm25":
        sims, ids = snapshot.chunk_index.search(query.vector.reshape(1, -1), n)
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
    if mode != "dense":
        scores = snapshot.chunk_lexical.scores(query.all_terms)
        lexical = {i: float(scores[i]) for i in _top(scores, n)}
    if mode == "dense":
        fused = dense
    elif mode == "bm25":
        top = max(lexical.values(), default=1.0) or 1.0
        fused = {i: s / top for i, s in lexical.items()}
    elif fusion == "rrf":
        fused = reciprocal_rank_fusion(sorted(dense, key=lambda i: -dense[i]), sorted(lexical, key=lambda i: -lexical[i]))
    else:
        fused = blend(dense, lexical)
    top_lexical = max(lexical.values(), default=0.0) or 1.0
    ranked = sorted(fused, key=lambda i: -fused[i])[:k]
    return [ChunkHit(i, fused[i], dense.get(i, 0.0), lexical.get(i, 0.0) / top_lexical) for i in ranked]


@lru_cache(maxsize=4096)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _span(snapshot: IndexSnapshot, sid: int) -> tuple[int, int]:
    """The sentence, joined to the one before when it leans on it ('He pointed out…')."""
    sentence = snapshot.sentences[sid]
    text = snapshot.text(sentence.doc_id, sentence.start, sentence.end)
    if sid > 0 and _LEANS_ON_PREVIOUS.match(text):
        previous = snapshot.sentences[sid - 1]
        if previous.doc_id == sentence.doc_id and previous.section == sentence.section and not previous.heading:
            return previous.start, sentence.end
    return sentence.start, sentence.end


def _context_terms(snapshot: IndexSnapshot, sid: int) -> frozenset[str]:
    """The document title and the nearest heading above: what the sentence is about, though not in it."""
    sentence = snapshot.sentences[sid]
    found = set(_terms_of(snapshot.documents[sentence.doc_id].title))
    for back in range(sid - 1, max(sid - 50, -1), -1):
        above = snapshot.sentences[back]
        if above.doc_id != sentence.doc_id:
            break
        if above.heading:
            found |= _terms_of(snapshot.text(above.doc_id, above.start, above.end))
            break
    return frozenset(found)


def sentence_evidence(snapshot: IndexSnapshot, query: Query, hits: list[ChunkHit], mode: RetrievalMode, pool: int) -> list[SentenceEvidence]:
    """Candidates from the retrieved chunks plus the best sentences corpus-wide, each with its features."""
    context: dict[int, float] = {}
    for hit in hits:
        chunk = snapshot.chunks[hit.chunk_id]
        for sid in range(chunk.first_sentence, chunk.last_sentence + 1):
            context[sid] = max(context.get(sid, 0.0), hit.score)
    dense_all = snapshot.sentence_vectors @ query.sentence_vector
    ids = set(context)
    if mode != "bm25":
        ids.update(_top(dense_all, pool))
    if mode != "dense":
        ids.update(_top(snapshot.sentence_lexical.scores(query.all_terms), pool))
    evidence = []
    for sid in sorted(ids):
        sentence = snapshot.sentences[sid]
        if sentence.heading:
            continue
        start, end = _span(snapshot, sid)
        span_terms = _terms_of(snapshot.text(sentence.doc_id, start, end))
        context_terms = _context_terms(snapshot, sid)
        coverage = snapshot.sentence_lexical.coverage(query.terms, span_terms, context_terms)
        if query.history_terms:
            carried = snapshot.sentence_lexical.coverage(query.history_terms, span_terms, context_terms)
            coverage = (1 - HISTORY_SHARE) * coverage + HISTORY_SHARE * carried
        evidence.append(SentenceEvidence(sid, sentence.doc_id, start, end, float(dense_all[sid]), context.get(sid, 0.0), coverage))
    return evidence
