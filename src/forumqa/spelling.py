"""A misspelt question word put right before the question is searched: "comercialization" → "commercialization".

A word the corpus lacks weighs most in coverage and matches nothing in BM25, and the model's vector
of a misspelt word drifts too: one slip of the keyboard sank right answers below the abstention line
(one typo in each question of eval/questions_v2.jsonl: test answer accuracy 0.538 → 0.429; README).
A word is taken for a slip when it is neither one of the corpus's terms nor a whole word of the
embedding model's vocabulary. That vocabulary doubles as an offline English word list: "firm",
"chair" and "wine" are in it, so they are never "corrected" to the corpus's "form", "chain" or "line".
The correction is the corpus term within one edit of the slip (two from eight letters on;
Damerau–Levenshtein, so a swap of two letters is one edit), the nearest and then the one the most
sentences use, written as the model's word with that term's stem (or as the slip's own ending on that
stem), so that the question's vector and its terms both see it. A slip with no such term is left as typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from forumqa.lexical import stem_words

_WORD = re.compile(r"(?u)\b\w\w+\b")  # the lexical index's own token pattern
#: Shorter words are left alone: one edit away from a short word lies another word ("asker", "asked"; "cat", "car").
MIN_LETTERS = 6
#: From this length a slip may be two edits from the word meant.
LONG_WORD = 8


class Speller:
    """Knows the model's words; `correct` rewrites a question's slips towards a corpus's terms."""

    def __init__(self, words: Callable[[], Iterable[str]]) -> None:
        """`words` gives the word list when the first question needs it (~0.15 s for the model's 22k words with their
        stems), not when an Engine opens."""
        self._source = words

    @cached_property
    def _words(self) -> list[str]:
        return sorted({word for word in self._source() if word.isalpha() and word.islower()})

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self._words)

    @cached_property
    def _stem_of(self) -> dict[str, str]:
        return dict(zip(self._words, stem_words(self._words), strict=True))

    @cached_property
    def _known_stems(self) -> frozenset[str]:
        """A word whose stem is a known word's is a word too: "chaired" when the list has only "chair"."""
        return frozenset(self._stem_of.values())

    def correct(self, question: str, terms: Sequence[str], is_term: Callable[[str], bool], usage: Callable[[str], float]) -> str:
        """`question` with each slip rewritten; `terms` are the corpus's (stemmed) terms, `is_term` tests one,
        `usage` ranks equally near ones (higher: more sentences use it)."""

        def fix(match: re.Match[str]) -> str:
            word = match.group()
            lowered = word.lower()
            if len(lowered) < MIN_LETTERS or not lowered.isalpha() or lowered in self._known:
                return word
            stem = stem_words([lowered])[0]
            if is_term(stem) or stem in self._known_stems:
                return word
            spelled = self._meant(lowered, stem, terms, is_term, usage)
            if spelled is None:
                return word
            return spelled.capitalize() if word[0].isupper() else spelled

        return _WORD.sub(fix, question)

    def _meant(
        self, word: str, slip: str, terms: Sequence[str], is_term: Callable[[str], bool], usage: Callable[[str], float]
    ) -> str | None:
        """The corpus term nearest the slip's stem, spelled as the model's word with that stem nearest the slip, or
        with the slip's own ending ("comerci|alization" → "commercialization") when that stems back to it. A slip
        that breaks the stemmer's suffix ("licensnig") is no stem near a term: the model's word nearest it whose
        stem the corpus uses ("licensing") is taken instead. Nearest first, then the one the most sentences use."""
        edits = 1 if len(word) < LONG_WORD else 2
        near_words = process.extract(word, self._words, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=None)
        stems = process.extract(slip, terms, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=None)
        if stems:
            _, _, meant = min((distance, -usage(term), term) for term, distance, _ in stems)
            spelled = sorted((distance, w) for w, distance, _ in near_words if self._stem_of[w] == meant)
            if spelled:
                return spelled[0][1]
            respelled = meant + word[len(slip) :] if word.startswith(slip) else ""
            return respelled if respelled and stem_words([respelled])[0] == meant else None
        words = [(distance, -usage(self._stem_of[w]), w) for w, distance, _ in near_words if is_term(self._stem_of[w])]
        return min(words)[2] if words else None
