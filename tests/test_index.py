from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from conftest import SHIPPED_DOCUMENTS
from forumqa.build_plan import plan_build
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.errors import IndexMismatchError, IndexNotFoundError, NoDocumentsError
from forumqa.index import CURRENT, build_index, current_generation, load_index
from forumqa.testing import FakeEmbedder


def settings_for(documents: Path, index: Path, **extra: object) -> Settings:
    return Settings(documents_dir=documents, index_dir=index, **extra)  # type: ignore[arg-type]


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "alpha.txt", "Alpha Forum\n2024-01-01\nThe alpha forum was moderated by Ann Lee. It was held in Paris.\n")
    write(folder, "beta.txt", "Beta Summit\n2024-02-02\nThe beta summit discussed licensing deals. Bob Chan gave the keynote.\n")
    write(folder, "gamma.md", "# Gamma Panel\n\nThe gamma panel talked about manufacturing capacity. Carol Wu moderated it.\n")
    return folder


def test_round_trip_with_the_real_model(embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    settings = settings_for(SHIPPED_DOCUMENTS, tmp_path / "index")
    report = build_index(settings, embedder)
    assert report.documents == 1 and report.chunks > 10 and report.sentences >= report.chunks
    built = Engine(settings, embedder, load_index(settings, embedder.dimension))
    reloaded = Engine.open(settings, embedder)
    question = "What is the total deal value of AstraZeneca's licensing agreements?"
    first, second = built.search(question, 5), reloaded.search(question, 5)
    assert [(p.doc_id, p.start, p.end) for p in first] == [(p.doc_id, p.start, p.end) for p in second]
    assert "$8.5 billion" in first[0].text
    snapshot = reloaded.snapshot
    assert snapshot.chunk_index.ntotal == len(snapshot.chunks)
    assert snapshot.sentence_vectors.shape == (len(snapshot.sentences), embedder.dimension)
    assert np.allclose(np.linalg.norm(snapshot.sentence_vectors, axis=1), 1.0, atol=1e-4)


def test_rebuild_embeds_only_what_changed(small_corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index")
    first = build_index(settings, fake)
    assert first.added == ["alpha", "beta", "gamma"] and first.embedded == len(fake.embedded)

    fake.calls.clear()
    again = build_index(settings, fake)
    assert (again.unchanged, again.embedded, fake.embedded) == (3, 0, [])

    write(small_corpus, "alpha.txt", "Alpha Forum\n2024-01-01\nThe alpha forum was moderated by Dan Roe. It was held in Paris.\n")
    (small_corpus / "beta.txt").unlink()
    write(small_corpus, "delta.txt", "Delta Day\nDelta day was sunny.\n")
    fake.calls.clear()
    report = build_index(settings, fake)
    assert (report.added, report.changed, report.removed, report.unchanged) == (["delta"], ["alpha"], ["beta"], 1)
    # Only texts never embedded before: the edited sentence, its chunk, and the new document.
    # (and the vocabulary words they bring, for near-synonym credit)
    texts = [t for t in fake.embedded if " " in t]
    assert all("Dan Roe" in t or "Delta" in t for t in texts), texts
    assert set(fake.embedded) - set(texts) <= {"dan", "roe", "delta", "day", "sunny"}, fake.embedded
    snapshot = load_index(settings)
    assert set(snapshot.documents) == {"alpha", "gamma", "delta"}
    assert not any("Ann Lee" in snapshot.text(c.doc_id, c.start, c.end) for c in snapshot.chunks)


def test_rename_reuses_vectors_and_leaves_no_duplicates(small_corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index")
    build_index(settings, fake)
    os.rename(small_corpus / "gamma.md", small_corpus / "gamma-renamed.md")
    fake.calls.clear()
    report = build_index(settings, fake)
    assert (report.added, report.removed, report.embedded) == (["gamma-renamed"], ["gamma"], 0)
    build_index(settings, fake)
    db = sqlite3.connect(current_generation(settings.index_dir) / "meta.sqlite")  # type: ignore[operator]
    duplicates = db.execute("SELECT doc_id, start, end, COUNT(*) FROM chunks GROUP BY doc_id, start, end HAVING COUNT(*) > 1").fetchall()
    assert duplicates == []


def test_changed_settings_force_a_loud_full_rebuild(small_corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    build_index(settings_for(small_corpus, tmp_path / "index", model="fake-bag-of-words"), fake)
    changed = settings_for(small_corpus, tmp_path / "index", model="fake-bag-of-words", chunk_tokens=64)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_index(changed, fake.dimension)
    fake.calls.clear()
    report = build_index(changed, fake)
    assert report.full_rebuild_reason and "chunk tokens 128 → 64" in report.full_rebuild_reason
    assert report.embedded == len(fake.embedded) > 0


def test_full_flag_re_embeds_everything(small_corpus: Path, tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index")
    first = build_index(settings, fake)
    assert build_index(settings, fake, full=True).embedded == first.embedded


def test_a_plan_lets_each_document_go_as_its_pieces_are_handed_out(small_corpus: Path, tmp_path: Path) -> None:
    """What keeps a many-thread build's memory down: the build writes each document's records as they are split,
    so the plan must not hold on to the documents it has handed out."""
    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index")
    plan = plan_build(settings, fake, full=False)
    count = len(plan.documents)
    pieces = plan.split(fake, settings)
    first, _, _ = next(pieces)
    assert len(plan.documents) == count - 1 and first.doc_id not in {d.doc_id for d in plan.documents}
    assert len(list(pieces)) == count - 1 and not plan.documents


@pytest.mark.parametrize("step", ["split", "embedded-chunks", "embedded-sentences", "embedded-terms", "written", "renamed"])
def test_a_crash_at_any_step_leaves_the_previous_index_serving(small_corpus: Path, tmp_path: Path, step: str) -> None:
    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index")
    build_index(settings, fake)
    engine = Engine.open(settings, fake)
    before = engine.ask("Who moderated the alpha forum?")
    write(small_corpus, "alpha.txt", "Alpha Forum\n2024-01-01\nThe alpha forum was moderated by Dan Roe.\n")

    def crash(name: str) -> None:
        if name == step:
            raise RuntimeError(f"injected crash after {name}")

    with pytest.raises(RuntimeError, match="injected"):
        build_index(settings, fake, hook=crash)
    survivor = Engine.open(settings, fake)  # a fresh process after the crash
    assert survivor.ask("Who moderated the alpha forum?").answer == before.answer
    report = build_index(settings, fake)  # the next run completes the work
    assert report.changed == ["alpha"]
    assert "Dan Roe" in (Engine.open(settings, fake).ask("Who moderated the alpha forum?").answer or "")
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.startswith((".staging", "gen-"))]
    assert leftovers == [report.generation]


def test_no_index_and_no_documents_are_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    settings = settings_for(empty, tmp_path / "index")
    with pytest.raises(IndexNotFoundError, match="forumqa index"):
        load_index(settings)
    with pytest.raises(NoDocumentsError, match="the folder is empty"):
        build_index(settings, FakeEmbedder())
    (empty / "bad.txt").write_bytes(b"\x00\x00")
    with pytest.raises(NoDocumentsError, match=r"bad.txt: binary"):
        build_index(settings, FakeEmbedder())


def test_bad_files_are_skipped_and_reported(small_corpus: Path, tmp_path: Path) -> None:
    (small_corpus / "broken.txt").write_bytes("caf\xe9".encode("latin-1"))
    report = build_index(settings_for(small_corpus, tmp_path / "index"), FakeEmbedder())
    assert report.documents == 3
    assert [(s.source, "UTF-8" in s.reason) for s in report.skipped] == [("broken.txt", True)]


def test_current_pointer_names_a_complete_generation(small_corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(small_corpus, tmp_path / "index")
    build_index(settings, FakeEmbedder())
    generation = settings.index_dir / (settings.index_dir / CURRENT).read_text()
    assert {p.name for p in generation.iterdir()} >= {"manifest.json", "meta.sqlite", "chunks.faiss", "sentences.npy"}
    shutil.rmtree(generation)
    with pytest.raises(IndexNotFoundError):
        load_index(settings)


def test_hnsw_index_builds_reloads_and_answers(small_corpus: Path, tmp_path: Path) -> None:
    import faiss

    fake = FakeEmbedder()
    settings = settings_for(small_corpus, tmp_path / "index", index_type="hnsw", hnsw_ef_search=64)
    build_index(settings, fake)
    engine = Engine.open(settings, fake)
    assert isinstance(engine.snapshot.chunk_index, faiss.IndexHNSW)
    assert engine.snapshot.chunk_index.hnsw.efSearch == 64
    assert "Ann Lee" in (engine.ask("Who moderated the alpha forum?").answer or "")
