"""An incremental rebuild must produce the index a full build would: the guard that finding 1 (ids shifted by
every rebuild) lacked. Model-free: the fake embedder is deterministic, so vectors compare exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.index import IndexSnapshot, build_index, current_generation, load_index
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

#: Two versions of each document, so an edit can change, add or remove any of them.
VERSIONS: dict[str, tuple[str, str]] = {
    "alpha.txt": (
        "Alpha Forum\n2024-01-01\nThe alpha forum was moderated by Ann Lee. It was held in Paris. He said nothing.\n",
        "Alpha Forum\n2024-01-01\nThe alpha forum was moderated by Dan Roe. It was held in Lyon.\nA second paragraph follows here.\n",
    ),
    "beta.md": (
        "# Beta Meeting\nThe beta meeting drew 300 people. Tickets cost 20 dollars.\n",
        "# Beta Meeting\nThe beta meeting drew 450 people.\n\n## Later\nTickets cost 25 dollars and sold out.\n",
    ),
    "gamma.json": (
        '{"title": "Gamma thread", "posts": [{"author": "kim", "date": "2024-02-01", "text": "Gamma ships in May."},'
        ' {"author": "lou", "text": "Are you sure? I heard June."}]}',
        '{"title": "Gamma thread", "posts": [{"author": "kim", "date": "2024-02-01", "text": "Gamma ships in July now."}]}',
    ),
    "delta.txt": ("Delta Day\nDelta day was sunny and warm.\n", "Delta Day\nDelta day was rainy. Everyone stayed inside.\n"),
    "epsilon.txt": ("Epsilon Notes\nEpsilon uses a quantum widget.\n", "Epsilon Notes\nEpsilon dropped the widget. It uses gears.\n"),
}
QUESTIONS = (
    "Who moderated the alpha forum?",
    "How many people came to the beta meeting?",
    "When does gamma ship?",
    "What was the weather?",
)

# An edit: (file, None to remove it, or which version to write).
edits = st.lists(st.tuples(st.sampled_from(sorted(VERSIONS)), st.sampled_from([None, 0, 1])), max_size=4)


def apply(folder: Path, batch: list[tuple[str, int | None]]) -> None:
    for name, version in batch:
        path = folder / name
        if version is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(VERSIONS[name][version], encoding="utf-8")


def keep_one(folder: Path) -> None:
    """An empty folder is an error of its own (tested elsewhere): keep one document."""
    if not any(folder.iterdir()):
        apply(folder, [("delta.txt", 0)])


def content(snapshot: IndexSnapshot) -> dict[str, object]:
    """Everything a question reads, with vectors as arrays (compared within float tolerance)."""
    chunk_vectors = snapshot.chunk_index.reconstruct_n(0, snapshot.chunk_index.ntotal)
    return {
        "documents": {d: (doc.text, doc.sections) for d, doc in snapshot.documents.items()},
        "sentences": snapshot.sentences,
        "chunks": snapshot.chunks,
        "chunk_vectors": chunk_vectors,
        "sentence_vectors": snapshot.sentence_vectors,
        "terms": snapshot.term_vectors.terms if snapshot.term_vectors else None,
        "term_vectors": snapshot.term_vectors.vectors if snapshot.term_vectors else None,
    }


def assert_same_index(incremental: Settings, full: Settings, embedder: FakeEmbedder) -> None:
    got, want = content(load_index(incremental)), content(load_index(full))
    for key in ("documents", "sentences", "chunks", "terms"):
        assert got[key] == want[key], key
    for key in ("chunk_vectors", "sentence_vectors", "term_vectors"):
        np.testing.assert_allclose(cast(np.ndarray, got[key]), cast(np.ndarray, want[key]), atol=1e-6)
    for chunk in load_index(incremental).chunks:  # every chunk's sentence range lies inside its own document
        sentences = load_index(incremental).sentences
        assert 0 <= chunk.first_sentence <= chunk.last_sentence < len(sentences)
        assert sentences[chunk.first_sentence].doc_id == sentences[chunk.last_sentence].doc_id == chunk.doc_id
    assert _answers(Engine.open(incremental, embedder)) == _answers(Engine.open(full, embedder))


@pytest.mark.integration
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=edits, steps=st.lists(edits, min_size=1, max_size=4))
def test_incremental_build_equals_full_build(tmp_path_factory: pytest.TempPathFactory, first: list, steps: list) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("equivalence")
    folder = root / "documents"
    folder.mkdir()
    apply(folder, [("alpha.txt", 0), ("beta.md", 0), *first])
    keep_one(folder)
    embedder = FakeEmbedder()
    incremental = Settings(documents_dir=folder, index_dir=root / "incremental", model=embedder.model_id)
    build_index(incremental, embedder)
    for number, batch in enumerate(steps):
        apply(folder, batch)
        keep_one(folder)
        build_index(incremental, embedder)
        full = Settings(documents_dir=folder, index_dir=root / f"full-{number}", model=embedder.model_id)
        build_index(full, embedder, full=True)
        assert_same_index(incremental, full, embedder)


def _tables(index_dir: Path) -> dict[str, list[tuple[object, ...]]]:
    generation = current_generation(index_dir)
    assert generation is not None
    db = sqlite3.connect(generation / "meta.sqlite")
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in ("documents", "sentences", "chunks")}
    finally:
        db.close()


@pytest.mark.integration
def test_twenty_no_op_rebuilds_leave_the_index_identical(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    apply(folder, [(name, 0) for name in VERSIONS])
    embedder = FakeEmbedder()
    settings_ = Settings(documents_dir=folder, index_dir=tmp_path / "index", model=embedder.model_id)
    build_index(settings_, embedder)
    tables = _tables(settings_.index_dir)
    generation = current_generation(settings_.index_dir)
    assert generation is not None
    vectors = (generation / "sentences.npy").read_bytes(), (generation / "chunks.faiss").read_bytes()
    answers = _answers(Engine.open(settings_, embedder))
    for _ in range(20):
        report = build_index(settings_, embedder)
        assert (report.unchanged, report.embedded) == (len(VERSIONS), 0)
    assert _tables(settings_.index_dir) == tables
    generation = current_generation(settings_.index_dir)
    assert generation is not None
    assert ((generation / "sentences.npy").read_bytes(), (generation / "chunks.faiss").read_bytes()) == vectors
    assert _answers(Engine.open(settings_, embedder)) == answers


def _answers(engine: Engine) -> list[tuple[object, ...]]:
    return [(a.answer, a.citations, a.related) for a in map(engine.ask, QUESTIONS)]
