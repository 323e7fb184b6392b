"""Answers to questions asked before, kept for the live index generation only.

The generation is part of the key, so an answer from an older index can never be served: once a
new generation is live, lookups name it and the old entries cannot match. The swap also drops them
(`keep_only`) so a dead index's answers do not hold memory, and an answer that a slow request
computed on the old generation and stores after the swap is refused rather than kept.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass

from forumqa.answer import Answer


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


class AnswerCache:
    """A bounded least-recently-used map from AnswerKey to Answer, safe to share between threads.

    Answer is a mutable dataclass (lists and a dict), so entries are copied in and out: a caller
    that edits the Answer it got back cannot change what the next caller gets.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[AnswerKey, Answer] = OrderedDict()
        self._lock = threading.Lock()
        # None until the engine names its live generation (Engine.open loads one without a swap);
        # until then entries of any generation are accepted, still bounded by `size`.
        self._generation: str | None = None

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: AnswerKey) -> Answer | None:
        if not self.enabled:
            return None
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                return None
            self._entries.move_to_end(key)
        # Stored answers are never mutated, so the copy need not hold the lock.
        return copy.deepcopy(answer)

    def put(self, key: AnswerKey, answer: Answer) -> None:
        if not self.enabled:
            return
        stored = copy.deepcopy(answer)
        with self._lock:
            if self._generation is not None and key.generation != self._generation:
                return  # answered by a generation swapped out while it was being computed
            self._entries[key] = stored
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def keep_only(self, generation: str) -> None:
        """`generation` is now live: drop every other generation's answers and refuse them from now on."""
        with self._lock:
            self._generation = generation
            for key in [k for k in self._entries if k.generation != generation]:
                del self._entries[key]
