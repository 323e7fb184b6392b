"""Keeping answers current: rebuilds while questions are being answered, and `serve --watch` end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import SHIPPED_DOCUMENTS
from forumqa import chunking
from forumqa.config import Settings
from forumqa.documents import Document
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.index import build_index
from forumqa.testing import FakeEmbedder, free_port

QUESTION = "Who moderated the License-in/out & Commercialization Forum?"


def test_questions_during_a_rebuild_get_only_valid_answers(embedder: SentenceTransformerEmbedder, corpus: Path, tmp_path: Path) -> None:
    # The cache off: every ask in the loop must really answer while the rebuild swaps the index under it.
    settings = Settings(documents_dir=corpus, index_dir=tmp_path / "index", answer_cache_size=0)
    engine = Engine.open(settings, embedder, build_if_missing=True)
    path = corpus / "cbiic-2024-license-in-out-forum.txt"
    old_text = engine.document("cbiic-2024-license-in-out-forum").text
    new_text = old_text.replace("Becky Wong", "Jordan Avery").replace("in Guangzhou.", "in Guangzhou. A new sentence was added here.")
    path.write_text(new_text, encoding="utf-8")
    (corpus / "extra.txt").write_text("Extra Notes\nThe extra notes mention a rooftop garden in Guangzhou.\n", encoding="utf-8")
    versions = {old_text, new_text}
    errors: list[BaseException] = []
    answers: list[str] = []
    done = threading.Event()

    def ask_in_a_loop() -> None:
        try:
            while not done.is_set():
                result = engine.ask(QUESTION)
                for citation in result.citations + result.related:
                    if citation.doc_id == "cbiic-2024-license-in-out-forum":
                        # the quote is exact against the version of the text that answered: never a mix
                        assert any(text[citation.start : citation.end] == citation.text for text in versions), citation
                answers.append(result.answer or "")
        except BaseException as error:
            errors.append(error)

    askers = [threading.Thread(target=ask_in_a_loop) for _ in range(2)]
    for thread in askers:
        thread.start()
    try:
        report = engine.reindex()
        time.sleep(0.3)
    finally:
        done.set()
        for thread in askers:
            thread.join()
    assert errors == []
    assert report.changed == ["cbiic-2024-license-in-out-forum"] and report.added == ["extra"]
    assert len(answers) > 2
    assert "Jordan Avery" in (engine.ask(QUESTION).answer or "")
    assert all("Becky Wong" in a or "Jordan Avery" in a for a in answers)


def _built_and_recording(corpus: Path, index: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, list[str]]:
    """An index of the corpus plus a short second report, then the ids of the documents later builds split."""
    (corpus / "second.txt").write_text("Second Report\nThe second report is short. It has two sentences.\n", encoding="utf-8")
    settings = Settings(documents_dir=corpus, index_dir=index)
    build_index(settings, FakeEmbedder())
    split: list[str] = []
    real = chunking.split_sentences

    def recording(document: Document, *rest: Any) -> Any:
        split.append(document.doc_id)
        return real(document, *rest)

    monkeypatch.setattr("forumqa.build_plan.split_sentences", recording)
    return settings, split


def test_unchanged_documents_are_not_split_again(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, split = _built_and_recording(corpus, tmp_path / "index", monkeypatch)
    (corpus / "second.txt").write_text("Second Report\nThe second report changed. It has two sentences.\n", encoding="utf-8")
    build_index(settings, FakeEmbedder())
    assert split == ["second"]


def test_new_splitting_rules_split_every_document_again_and_embed_only_new_texts(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index built under other splitting rules (chunking.SPLIT_VERSION) keeps nothing of its split, but its
    vectors stay good: what the new rules cut alike comes from the embedding cache."""
    settings, split = _built_and_recording(corpus, tmp_path / "index", monkeypatch)
    monkeypatch.setattr("forumqa.build_plan.SPLIT_VERSION", chunking.SPLIT_VERSION + 1)
    monkeypatch.setattr("forumqa.index.SPLIT_VERSION", chunking.SPLIT_VERSION + 1)
    report = build_index(settings, FakeEmbedder())
    assert len(split) == report.documents and report.embedded == 0 and report.full_rebuild_reason is None
    split.clear()
    build_index(settings, FakeEmbedder())  # built under the new rules now: nothing to split again
    assert split == []


def test_serve_watch_picks_up_an_edit_without_restart(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    shutil.copytree(SHIPPED_DOCUMENTS, documents)
    port = free_port()
    env = {
        **os.environ,
        "FORUMQA_DOCUMENTS_DIR": str(documents),
        "FORUMQA_INDEX_DIR": str(tmp_path / "index"),
        "FORUMQA_WATCH_DEBOUNCE_MS": "300",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "forumqa.cli", "serve", "--watch", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            assert "Becky Wong" in client.post("/api/ask", json={"question": QUESTION}).json()["answer"]
            path = documents / "cbiic-2024-license-in-out-forum.txt"
            path.write_text(path.read_text().replace("moderated by Becky Wong", "moderated by Jordan Avery"), encoding="utf-8")
            edited_at = time.monotonic()
            answer = ""
            while time.monotonic() - edited_at < 60 and "Jordan Avery" not in answer:
                other = client.post("/api/ask", json={"question": "Who is the CEO of VISEN Pharmaceuticals?"})
                assert other.status_code == 200 and "Pony Lu" in other.json()["answer"]  # others keep being answered
                answer = client.post("/api/ask", json={"question": QUESTION}).json()["answer"] or ""
                time.sleep(0.2)
            assert "Jordan Avery" in answer, (tmp_path / "server.log").read_text()[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
