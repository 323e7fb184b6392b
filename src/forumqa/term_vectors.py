"""A vector for every term the corpus uses, so a question's word can earn credit from a near-synonym.

Coverage counts which of the question's (stemmed) terms a sentence contains. People ask in their
own words ("chaired" for "moderated by", "organization" for "company"), and a term the corpus never
uses weighs most, so one paraphrased word could sink a right answer below the abstention line. Each
corpus term gets the embedding model's vector of its commonest surface word (built once per index,
through the embedding cache); a missing question term then earns graded credit from the most similar
term of the sentence. The grading comes from word pairs measured in the model's space: unrelated
words sit at 0.18-0.35 cosine (moderated/weather 0.18, chaired/company 0.35), close synonyms above
0.6 (organization/company 0.63, audience/attendees 0.65, firm/company 0.70). Verbs fare worst
(chaired/moderated 0.35 earns nothing), which is why this is one signal among several.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path

import numpy as np

from forumqa.lexical import stem_words

#: Cosine at which a word starts to earn credit, and where it earns full credit.
SOFT_FLOOR = 0.35
SOFT_FULL = 0.65

_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's own token pattern, so the stems match its terms


def surface_words(texts: Iterable[str]) -> dict[str, str]:
    """Each stem's commonest spelling in the texts: 'moder' -> 'moderated'. Stems are what BM25 indexes."""
    spellings: Counter[str] = Counter()
    for text in texts:  # counted per spelling first: stemming every word of every text was most of the cost
        spellings.update([w.lower() for w in _WORD.findall(text)])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for (word, count), stem in zip(spellings.items(), stem_words(list(spellings)), strict=True):
        counts[stem][word] += count  # first-seen order kept, so ties between spellings fall as before
    return {stem: forms.most_common(1)[0][0] for stem, forms in counts.items()}


class TermVectors:
    """Unit vectors of the corpus's terms, row i for terms[i]."""

    def __init__(self, terms: Sequence[str], vectors: np.ndarray) -> None:
        self.terms = list(terms)
        self.vectors = vectors
        self._row = {term: i for i, term in enumerate(self.terms)}

    @classmethod
    def build(cls, words: Mapping[str, str], embed: Callable[[list[str]], np.ndarray]) -> TermVectors:
        """From `surface_words` of the corpus: each term's vector is its commonest spelling's."""
        terms = sorted(words)
        vectors = embed([words[t] for t in terms]) if terms else np.zeros((0, 1), dtype=np.float32)
        return cls(terms, np.asarray(vectors, dtype=np.float32))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "terms.json").write_text(json.dumps(self.terms))
        np.save(folder / "vectors.npy", self.vectors)

    @classmethod
    def load(cls, folder: Path) -> TermVectors:
        return cls(json.loads((folder / "terms.json").read_text()), np.load(folder / "vectors.npy"))

    def vector(self, term: str) -> np.ndarray | None:
        row = self._row.get(term)
        return None if row is None else self.vectors[row]

    def soft_credit(self, question: Mapping[str, np.ndarray], words: Iterable[str]) -> SoftCredit:
        """The credit each of `words` (terms of a question's candidate sentences) gives each question term,
        from one matrix product per question: one per candidate cost about 3 ms a question."""
        rows = sorted({self._row[w] for w in words if w in self._row})
        if not question or not rows:
            return SoftCredit({})
        terms = list(question)
        similarity = np.stack([question[t] for t in terms]) @ self.vectors[rows].T
        credit = np.clip((similarity - SOFT_FLOOR) / (SOFT_FULL - SOFT_FLOOR), 0.0, 1.0)
        table = {}
        for i, term in enumerate(terms):
            earning = np.flatnonzero(credit[i])
            table[term] = {self.terms[rows[j]]: float(credit[i, j]) for j in earning}
        return SoftCredit(table)


class SoftCredit:
    """One question's near-synonym credits: per question term, the corpus terms that earn it credit and how much."""

    def __init__(self, table: Mapping[str, Mapping[str, float]]) -> None:
        self._table = table

    def best(self, missing: Iterable[str], sentence_terms: Set[str]) -> dict[str, float]:
        """Credit 0..1 for each missing question term: its best graded similarity to a term of the sentence."""
        found = {}
        for term in missing:
            earning = self._table.get(term)
            if not earning:
                continue
            shared = earning.keys() & sentence_terms  # a set operation: a sentence holds few of the terms that earn
            if shared:
                found[term] = max(earning[w] for w in shared)
        return found
