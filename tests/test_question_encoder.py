"""Questions through ONNX Runtime: the model's own vectors, the export kept, torch whenever that is not safe."""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
import pytest

from forumqa import question_encoder as module
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.question_encoder import OnnxQuestionEncoder, question_encoder
from forumqa.testing import FakeEmbedder

QUESTIONS = [
    "Who moderated the licensing panel?",
    "How much did the market grow after the pandemic, and which deals drove it?",
    "Where?",
    "What did the speaker from the Guangzhou incubator say about early-stage valuations in 2024?",
]


@pytest.mark.unit
def test_a_stand_in_embedder_is_used_as_it_is(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    assert question_encoder(fake, tmp_path, 1) is fake
    assert not list(tmp_path.iterdir())  # nothing exported


def test_the_exported_encoder_gives_the_models_vectors_alone_and_in_batches(
    embedder: SentenceTransformerEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "_ENCODERS", weakref.WeakKeyDictionary())  # export afresh into tmp_path
    encoder = question_encoder(embedder, tmp_path, 1)
    assert isinstance(encoder, OnnxQuestionEncoder)
    (exported,) = tmp_path.glob("question-encoder-*.onnx")
    assert np.abs(encoder.encode(QUESTIONS) - embedder.encode(QUESTIONS)).max() < 1e-5
    for question in QUESTIONS:
        assert np.abs(encoder.encode([question]) - embedder.encode([question])).max() < 1e-5
    assert encoder.encode([]).shape == (0, embedder.dimension)
    assert question_encoder(embedder, tmp_path, 1) is encoder  # one per embedder

    monkeypatch.setattr(module, "_ENCODERS", weakref.WeakKeyDictionary())
    before = exported.stat().st_mtime_ns
    assert isinstance(question_encoder(embedder, tmp_path, 1), OnnxQuestionEncoder)
    assert exported.stat().st_mtime_ns == before  # the kept export is reused, not written again


def test_a_damaged_export_falls_back_to_torch_and_says_why(
    embedder: SentenceTransformerEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(module, "_ENCODERS", weakref.WeakKeyDictionary())
    question_encoder(embedder, tmp_path, 1)
    (exported,) = tmp_path.glob("question-encoder-*.onnx")
    exported.write_bytes(b"not a graph")
    monkeypatch.setattr(module, "_ENCODERS", weakref.WeakKeyDictionary())
    with caplog.at_level("INFO", logger="forumqa.question_encoder"):
        assert question_encoder(embedder, tmp_path, 1) is embedder
    assert "encoded with torch, not ONNX Runtime" in caplog.text


def test_the_engine_answers_alike_with_either_encoder(embedder: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    documents = Path(__file__).resolve().parents[1] / "documents"
    answers = {}
    for name in ("onnx", "torch"):
        settings = Settings(documents_dir=documents, index_dir=tmp_path / "index", question_encoder=name, answer_cache_size=0)
        engine = Engine.open(settings, embedder, build_if_missing=True)
        try:
            answers[name] = [engine.ask(q) for q in QUESTIONS]
        finally:
            engine.close()
    for onnx, torch in zip(answers["onnx"], answers["torch"], strict=True):
        assert (onnx.answer, onnx.citations, onnx.abstained) == (torch.answer, torch.citations, torch.abstained)
        assert onnx.confidence == pytest.approx(torch.confidence, abs=1e-3)
