"""A deterministic stand-in for the model, for fast tests of pure logic (never for end-to-end tests)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get similar unit vectors. Counts what it embeds."""

    model_id = "fake-bag-of-words"
    dimension = 64
    max_tokens = 128

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]
