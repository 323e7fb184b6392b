"""BM25 over a list of texts (bm25s, stemmed), plus the query-term coverage used for abstention.

A question's best rows come from the postings of its terms alone (`LexicalIndex.top`): bm25s keeps each
term's precomputed row scores as a column of a sparse matrix, so scoring touches what the terms occur in,
not every row the way `get_scores` (a dense array per question, then a sort of it) does.
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import overload

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
_STOPWORD_SET = frozenset(_STOPWORDS)
_ALIGN_STOPWORDS = _STOPWORD_SET - _REPORTING_VERBS
#: bm25s.tokenize's default token pattern (scikit-learn's): the index and the questions must split alike.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
#: Past this many postings a row, a question's terms are summed into an array of every row instead (bm25s's
#: get_scores): merging postings costs their length times a log, the array its rows. Measured on the 100k-chunk
#: benchmark corpus (benchmarks/scale.py; 100k chunk rows, 470k sentence rows), median per question: postings of
#: 1-10% of the rows 0.24-0.62 ms merged vs 0.52-1.2 ms summed into the array; 10-20% even; above 20% the array wins.
_SCRATCH_ABOVE = 1 / 8


@dataclass(frozen=True)
class Ranked:
    """Rows best first (ties: lower row first), with their BM25 scores; only rows holding a query term."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float32


def stem_words(words: list[str]) -> list[str]:
    """The stems BM25 indexes, one per word (stop words included: callers filter)."""
    return list(_STEMMER.stemWords(words))


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed, stop words dropped: 'attracted' and 'attract' meet here.

    The terms bm25s.tokenize gives (its token pattern, then stop words, then the stemmer), without its cost
    per call (progress bars and a set of the stop words built per text): scoring a question's candidate
    sentences calls this ~100 times, and at 100k chunks that was most of the time spent on them.
    """
    return list(_STEMMER.stemWords(_words(text)))


def content_terms(text: str) -> list[str]:
    """terms() with reporting verbs kept: lining a question up with a sentence, "talk" is a word like any other."""
    return list(_STEMMER.stemWords([w for w in _TOKEN.findall(text.lower()) if w not in _ALIGN_STOPWORDS]))


def _words(text: str) -> list[str]:
    """The words that become terms: lower-cased, stop words dropped. One rule for questions and the index."""
    return [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORD_SET]


class _TermIds(Sequence[list[int]]):
    """Every text's term ids in one flat int32 array: bm25s reads the corpus three times, a text at a time.

    A list of Python ints per text costs a pointer a term and an int object per term id past 256, held while
    the build also holds every vector; here 4 bytes a term, and one text's list at a time. Measured on 400k
    generated texts (7.3M terms): the BM25 build's peak above what it started from fell 349 -> 290 MB, the
    index the same bit for bit.
    """

    def __init__(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        self._flat, self._offsets = flat, offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> list[int]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[int]]: ...
    def __getitem__(self, i: int | slice) -> list[int] | list[list[int]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._flat[self._offsets[i] : self._offsets[i + 1]].tolist()  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[list[int]]:
        for start, end in itertools.pairwise(self._offsets.tolist()):
            yield self._flat[start:end].tolist()


def _term_ids(texts: Iterable[str]) -> tuple[_TermIds, dict[str, int]]:
    """Each text's terms as ids into the returned vocabulary: the terms `terms` gives, each distinct word
    stemmed once. Ids follow first appearance (bm25s's own tokenizer numbers them in set order)."""
    vocab: dict[str, int] = {}
    word_ids: dict[str, int] = {}
    flat = array("i")
    offsets = array("q", [0])
    for text in texts:
        for word in _words(text):
            term_id = word_ids.get(word)
            if term_id is None:
                term_id = word_ids[word] = vocab.setdefault(_STEMMER.stemWord(word), len(vocab))
            flat.append(term_id)
        offsets.append(len(flat))
    return _TermIds(np.frombuffer(flat, dtype=np.int32), np.frombuffer(offsets, dtype=np.int64)), vocab


class LexicalIndex:
    """A bm25s retriever whose row i is text i; document frequencies come from its own matrix."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        # Loaded mapped, the score arrays are np.memmap: each slice bm25s takes per query term then runs
        # memmap's Python hooks (__getitem__, __array_finalize__), 13% of a loaded server's time. Plain
        # ndarray views of the same mapped pages slice in C.
        retriever.scores = {key: np.asarray(value) if isinstance(value, np.ndarray) else value for key, value in retriever.scores.items()}
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict
        # Column t of the term-by-row score matrix (CSC): rows indices[indptr[t]:indptr[t+1]], scores in data.
        self._data = retriever.scores["data"]
        self._indices = retriever.scores["indices"]
        self._indptr = retriever.scores["indptr"]
        self._df = np.diff(self._indptr)
        self._n = int(retriever.scores["num_docs"])
        # BM25L and BM25+ give every row a score for a term it lacks: there the postings are not the whole score.
        self._postings_only = retriever.nonoccurrence_array is None
        self._terms: list[str] | None = None

    @property
    def terms(self) -> list[str]:
        """Every term the index knows (the spelling step looks among them for the one a slip meant); listed once."""
        if self._terms is None:
            self._terms = list(self._vocab)
        return self._terms

    def knows(self, term: str) -> bool:
        return term in self._vocab

    def rows_with(self, term: str) -> int:
        """How many rows hold the term."""
        return int(self._df[self._vocab[term]]) if term in self._vocab else 0

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Indexed from term ids, not term strings: bm25s.tokenize then rebuilds its stop-word set per text, and
        index() maps every token string back to an id; together half of an incremental rebuild's BM25 time."""
        retriever = bm25s.BM25()
        ids, vocab = _term_ids(texts)
        retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The score matrix stays in its files, mapped: a question reads only its terms' postings."""
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0))

    @property
    def rows(self) -> int:
        return self._n

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (zeros when no query term is in the vocabulary); `top` is what questions use."""
        known = [t for t in query_terms if t in self._vocab]
        if not known:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def top(self, query_terms: Sequence[str], n: int) -> Ranked:
        """The `n` best rows for the query, scored from its terms' postings; the scores equal `scores`' to the bit.

        A term asked twice counts twice, as in bm25s. Each row's score is summed term by term in query order,
        as bm25s sums, so ties and near-ties fall the same way whichever path computed them.
        """
        ids = np.asarray([self._vocab[t] for t in query_terms if t in self._vocab], dtype=np.int64)
        if n <= 0 or len(ids) == 0:
            return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        starts, ends = self._indptr[ids], self._indptr[ids + 1]
        postings = int((ends - starts).sum())
        if not self._postings_only or postings > _SCRATCH_ABOVE * self._n:
            totals = np.asarray(self._retriever.get_scores_from_ids(ids.tolist()), dtype=np.float32)
            rows = np.flatnonzero(totals > 0)
            return _best(rows, totals[rows], n)
        return _best(*self._summed_over_postings(starts, ends), n)

    def _summed_over_postings(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding any query term, each with its summed score: cost in the postings (times log of the term count)."""
        rows = np.concatenate([self._indices[a:b] for a, b in zip(starts, ends, strict=True)]).astype(np.int64)
        weights = np.concatenate([self._data[a:b] for a, b in zip(starts, ends, strict=True)])
        order = np.argsort(rows, kind="stable")  # each term's postings are sorted: this merges runs, keeping query order
        rows, weights = rows[order], weights[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        totals = np.zeros(int(first.sum()), dtype=np.float32)
        np.add.at(totals, np.cumsum(first) - 1, weights)  # in order, from zero: the same float sums as bm25s
        return rows[first], totals

    def idf(self, term: str) -> float:
        """A term absent from the corpus gets the highest weight: the documents cannot say it."""
        df = self.rows_with(term)
        return math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))

    def coverage(self, query_terms: Iterable[str], sentence_terms: Set[str], credit: Mapping[str, float] | None = None) -> float:
        """IDF-weighted share of the question's terms in the sentence (full credit) or around it (the credit `credit` gives), 0..1."""
        credit = credit or {}
        total = found = 0.0
        for term in set(query_terms):
            weight = self.idf(term)
            total += weight
            if term in sentence_terms:
                found += weight
            else:
                found += credit.get(term, 0.0) * weight
        return found / total if total else 0.0


def _best(rows: np.ndarray, totals: np.ndarray, n: int) -> Ranked:
    """The `n` highest positive totals, best first, a tie going to the lower row (so the result is the same however
    the candidates were gathered); cost linear in the candidates."""
    keep = totals > 0
    rows, totals = rows[keep], totals[keep]
    if len(totals) > n:
        nth = np.partition(totals, len(totals) - n)[len(totals) - n]
        within = totals >= nth  # every row tied with the n-th, so the tie-break below decides, not the partition
        rows, totals = rows[within], totals[within]
    order = np.lexsort((rows, -totals))[:n]
    return Ranked(rows[order].astype(np.int64), totals[order].astype(np.float32))
