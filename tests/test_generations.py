"""Answers name the index generation they came from, and that version of a document stays readable
across the next rebuild (hardening finding 8: highlights after a rebuild pointed at the wrong place)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import GenerationGoneError
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit


def test_a_cited_version_outlives_one_rebuild_and_then_says_it_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    path = folder / "fair.txt"
    path.write_text("Spring Fair\nThe spring fair was opened by Ann Lee in the town hall.\n")
    engine = Engine.open(Settings(documents_dir=folder, index_dir=tmp_path / "index"), FakeEmbedder(), build_if_missing=True)
    answer = engine.ask("Who opened the spring fair?")
    [citation, *_] = answer.citations
    assert answer.generation == engine.snapshot.path.name

    path.write_text("Spring Fair\nA new first line shifts every offset.\nThe spring fair was opened by Dan Roe in the town hall.\n")
    engine.reindex()
    assert engine.document("fair").text[citation.start : citation.end] != citation.text  # the live version moved on
    assert engine.document("fair", answer.generation).text[citation.start : citation.end] == citation.text

    engine.reindex()
    with pytest.raises(GenerationGoneError, match="ask the question again"):
        engine.document("fair", answer.generation)
