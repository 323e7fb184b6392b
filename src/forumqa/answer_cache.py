"""Answers to questions asked before, kept for the live index generation only.

The generation is part of the key, so an answer from an older index can never be served: once a
new generation is live, lookups name it and the old entries cannot match. The swap also drops them
(`keep_only`) so a dead index's answers do not hold memory, and an answer that a slow request
computed on the old generation and stores after the swap is refused rather than kept.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from forumqa.answer import Answer
from forumqa.lru import LRUCache


@dataclass(frozen=True)
class AnswerKey:
    """Everything an answer depends on that can differ between two calls to one Engine.

    The settings are fixed for an Engine's life, so they are not part of it. `question` and
    `history` are normalised exactly as answering normalises them (forumqa.questions.validate),
    so two spellings that differ only in whitespace share an entry.
    """

    question: str
    history: tuple[str, ...]
    generation: str
    top_k: int
    mode: str


class AnswerCache(LRUCache[AnswerKey, Answer]):
    """The answers of the live generation, least recently used dropped first.

    Answer is a mutable dataclass (lists and a dict), so entries are copied in and out: a caller
    that edits the Answer it got back cannot change what the next caller gets.
    """

    def __init__(self, size: int) -> None:
        super().__init__(size)
        # None until the engine names its live generation (Engine.open loads one without a swap);
        # until then entries of any generation are accepted, still bounded by `size`.
        self._generation: str | None = None

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def get(self, key: AnswerKey) -> Answer | None:
        answer = super().get(key)
        # Stored answers are never mutated, so the copy need not hold the lock.
        return None if answer is None else copy.deepcopy(answer)

    def put(self, key: AnswerKey, answer: Answer) -> None:
        if not self.enabled:
            return
        stored = copy.deepcopy(answer)
        with self._lock:
            if self._generation is not None and key.generation != self._generation:
                return  # answered by a generation swapped out while it was being computed
            super().put(key, stored)

    def keep_only(self, generation: str) -> None:
        """`generation` is now live: drop every other generation's answers and refuse them from now on."""
        with self._lock:
            self._generation = generation
            for key in [k for k in self._entries if k.generation != generation]:
                del self._entries[key]
