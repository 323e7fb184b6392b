"""A question's vectors, in two steps around the model: what to encode, then the Query from the vectors.

Split so that a caller need not hold a thread while its texts wait for the inference worker: the
API plans on the event loop, hands the texts to the worker, and scores on a thread only once the
vectors are back (Engine.submit_ask). A blocking caller does the three steps in a row (`encode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forumqa.index import IndexSnapshot
from forumqa.inference import InferenceWorker
from forumqa.lru import LRUCache
from forumqa.questions import ResolvedQuestion
from forumqa.retrieval import Query
from forumqa.term_vectors import surface_words

#: Question words the corpus lacks whose vectors are kept: 384 floats each, so 4,096 words hold 6 MB.
QUESTION_WORDS_KEPT = 4096


@dataclass(frozen=True)
class QueryPlan:
    """The texts one question needs encoded: the conversation, its follow-up form, words the index lacks."""

    resolved: ResolvedQuestion
    texts: list[str]
    #: Question terms whose vectors the index or an earlier question already gave.
    known: dict[str, np.ndarray] = field(default_factory=dict)
    #: Terms encoded with the question (their surface words are the last texts), in that order.
    unknown: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)


class QuestionVectors:
    """Plans a question's encode and builds its Query, keeping the vectors of words the corpus lacks.

    Each such word is encoded with its question for near-synonym credit, and each extra text in a
    forward pass costs about as much as the question itself (the question alone 22 ms, with two
    words 40 ms; one torch thread). People reuse their words, and a word's vector depends on the
    model only, which an Engine keeps for life.
    """

    def __init__(self, worker: InferenceWorker, words_kept: int = QUESTION_WORDS_KEPT) -> None:
        self.worker = worker
        self._word_vectors: LRUCache[str, np.ndarray] = LRUCache(words_kept)

    def plan(self, resolved: ResolvedQuestion, snapshot: IndexSnapshot | None) -> QueryPlan:
        """What to encode for `resolved`; with no snapshot (or no term vectors in it) the question alone."""
        index_terms = snapshot.term_vectors if snapshot is not None else None
        words = surface_words([resolved.question]) if index_terms is not None else {}
        known: dict[str, np.ndarray] = {}
        unknown: list[str] = []
        for term in resolved.terms:
            if term not in words or term in known or term in unknown:
                continue
            vector = index_terms.vector(term) if index_terms is not None else None
            if vector is None:
                vector = self._word_vectors.get(words[term])
            if vector is None:
                unknown.append(term)
            else:
                known[term] = vector
        texts = [resolved.text] + ([resolved.question] if resolved.follow_up else []) + [words[t] for t in unknown]
        return QueryPlan(resolved, texts, known, unknown, words)

    def query(self, plan: QueryPlan, encoded: np.ndarray) -> Query:
        """The Query from the plan's vectors (rows in `plan.texts` order); keeps the new words' vectors."""
        resolved = plan.resolved
        term_vectors = dict(plan.known)
        for term, vector in zip(plan.unknown, encoded[len(plan.texts) - len(plan.unknown) :], strict=True):
            term_vectors[term] = vector
            self._word_vectors.put(plan.words[term], vector)
        question = encoded[1] if resolved.follow_up else None
        return Query(resolved.terms, encoded[0], resolved.history_terms, question, resolved.question, term_vectors)

    def encode(self, resolved: ResolvedQuestion, snapshot: IndexSnapshot | None) -> Query:
        """Plan, encode on the worker (blocking this thread), build the Query."""
        plan = self.plan(resolved, snapshot)
        return self.query(plan, self.worker.encode(plan.texts))
