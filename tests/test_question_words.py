"""A question word the corpus lacks is encoded once per Engine, not once per question (issue 10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.lru import LRUCache
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit


def test_the_least_recently_used_word_is_dropped_at_the_bound() -> None:
    cache: LRUCache[str, np.ndarray] = LRUCache(2)
    for word in ("kiln", "glaze", "kiln", "bisque"):  # "kiln" was used again, so "glaze" is the oldest
        cache.put(word, np.full(3, len(word), dtype=np.float32))
    assert cache.get("glaze") is None
    assert cache.get("kiln") is not None and cache.get("bisque") is not None


def test_size_zero_keeps_nothing() -> None:
    cache: LRUCache[str, np.ndarray] = LRUCache(0)
    cache.put("kiln", np.zeros(3, dtype=np.float32))
    assert cache.get("kiln") is None


def test_a_word_the_corpus_lacks_is_encoded_by_the_first_question_only(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pottery.txt").write_text("Pottery Evening\nThe kiln reached cone six before midnight.\n", encoding="utf-8")
    fake = FakeEmbedder()
    engine = Engine.open(Settings(documents_dir=docs, index_dir=tmp_path / "index", answer_cache_size=0), fake, build_if_missing=True)
    try:
        first = engine.evidence("When was the furnace hottest?")
        assert "furnace" in fake.embedded  # a word the corpus lacks, encoded with the question
        before = len(fake.embedded)
        second = engine.evidence("Was the furnace hot at dawn?")
        asked = fake.embedded[before:]
        assert asked == ["Was the furnace hot at dawn?", "hot", "dawn"]  # "furnace" came from the cache
    finally:
        engine.close()
    assert [e.sentence_id for e in first.sentences] == [e.sentence_id for e in second.sentences]
