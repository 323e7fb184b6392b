"""BM25 over a list of texts (bm25s, stemmed), plus the query-term coverage used for abstention."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")
# Question words and reporting verbs say what kind of answer is wanted, not what it is about;
# left in, a question's "say" would count as a rare term the documents lack.
_QUESTION_WORDS = {
    "which",
    "who",
    "whom",
    "whose",
    "what",
    "when",
    "where",
    "why",
    "how",
    "did",
    "does",
    "do",
    "done",
    "much",
    "many",
    "often",
    "according",
}
_REPORTING_VERBS = {"say", "said", "says", "tell", "told", "mention", "mentioned", "talk", "talked", "explain", "explained"}
_STOPWORDS = sorted(set(bm25s.stopwords.STOPWORDS_EN_PLUS) | _QUESTION_WORDS | _REPORTING_VERBS)


def stem_words(words: list[str]) -> list[str]:
    """The stems BM25 indexes, one per word (stop words included: callers filter)."""
    return list(_STEMMER.stemWords(words))


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed, stop words dropped: 'attracted' and 'attract' meet here."""
    tokens = bm25s.tokenize([text], stopwords=_STOPWORDS, stemmer=_STEMMER.stemWords, return_ids=False, show_progress=False)
    return list(tokens[0])


class LexicalIndex:
    """A bm25s retriever whose row i is text i; document frequencies come from its own matrix."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict
        indptr = np.asarray(retriever.scores["indptr"])
        self._df = np.diff(indptr)
        self._n = int(retriever.scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        tokens = bm25s.tokenize(list(texts), stopwords=_STOPWORDS, stemmer=_STEMMER.stemWords, return_ids=False, show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (zeros when no query term is in the vocabulary)."""
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def idf(self, term: str) -> float:
        """A term absent from the corpus gets the highest weight: the documents cannot say it."""
        df = int(self._df[self._vocab[term]]) if term in self._vocab else 0
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def coverage(self, query_terms: Iterable[str], span_terms: Set[str], context: Mapping[str, float] | None = None) -> float:
        """IDF-weighted share of the question's terms in the span (full credit) or its context (the credit given), 0..1."""
        context = context or {}
        total = found = 0.0
        for term in set(query_terms):
            weight = self.idf(term)
            total += weight
            if term in span_terms:
                found += weight
            else:
                found += context.get(term, 0.0) * weight
        return found / total if total else 0.0
