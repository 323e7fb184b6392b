"""The inference worker: batches concurrent callers, never holds a lone one, isolates failures, stops cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.errors import InvalidQuestionError
from forumqa.inference import InferenceWorker
from forumqa.testing import FakeEmbedder


class GatedEmbedder(FakeEmbedder):
    """Holds its first encode until `release` is set, so callers pile up behind it; fails on texts containing BOOM."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(10), "test never released the embedder"
        if any("BOOM" in t for t in texts):
            self.calls.append(list(texts))
            raise ValueError("cannot encode BOOM")
        return super().encode(texts, show_progress)


@pytest.fixture
def gated() -> Iterator[tuple[GatedEmbedder, InferenceWorker]]:
    embedder = GatedEmbedder()
    worker = InferenceWorker(embedder, batch_size=32, wait_ms=0)
    yield embedder, worker
    embedder.release.set()
    worker.close()
    assert not worker.running


def _pile_up(
    embedder: GatedEmbedder, worker: InferenceWorker, jobs: list[list[str]]
) -> tuple[Future[np.ndarray], list[Future[np.ndarray]]]:
    """One job occupies the worker; `jobs` queue behind it; then the worker is let go."""
    first = worker.submit(["a first question holds the worker"])
    assert embedder.entered.wait(10)
    futures = [worker.submit(texts) for texts in jobs]
    embedder.release.set()
    return first, futures


@pytest.mark.unit
def test_waiting_questions_are_encoded_in_one_call(gated: tuple[GatedEmbedder, InferenceWorker]) -> None:
    embedder, worker = gated
    jobs = [[f"question number {i} about topic {i}"] for i in range(20)]
    first, futures = _pile_up(embedder, worker, jobs)
    first.result(10)
    for future in futures:
        future.result(10)
    assert [len(call) for call in embedder.calls] == [1, 20]
    assert worker.batches == 2


@pytest.mark.unit
def test_results_go_back_to_the_caller_that_asked(gated: tuple[GatedEmbedder, InferenceWorker]) -> None:
    embedder, worker = gated
    jobs = [[f"who moderated panel {i}", f"term{i}"] if i % 3 else [f"where was forum {i} held"] for i in range(15)]
    _, futures = _pile_up(embedder, worker, jobs)
    reference = FakeEmbedder()
    for texts, future in zip(jobs, futures, strict=True):
        np.testing.assert_allclose(future.result(10), reference.encode(texts))
    assert len(embedder.calls) == 2  # the 15 callers shared one forward pass


@pytest.mark.unit
def test_one_bad_question_fails_only_itself(gated: tuple[GatedEmbedder, InferenceWorker]) -> None:
    embedder, worker = gated
    jobs = [["fine question one"], ["BOOM goes this one"], ["fine question three", "with a term"]]
    _, futures = _pile_up(embedder, worker, jobs)
    with pytest.raises(ValueError, match="BOOM"):
        futures[1].result(10)
    reference = FakeEmbedder()
    np.testing.assert_allclose(futures[0].result(10), reference.encode(jobs[0]))
    np.testing.assert_allclose(futures[2].result(10), reference.encode(jobs[2]))
    assert worker.submit(["the worker still serves"]).result(10).shape == (1, FakeEmbedder.dimension)


@pytest.mark.unit
def test_batches_stop_at_the_batch_size_in_texts() -> None:
    embedder = GatedEmbedder()
    worker = InferenceWorker(embedder, batch_size=4, wait_ms=0)
    try:
        _, futures = _pile_up(embedder, worker, [["a", "b"], ["c", "d"], ["e", "f", "g"], ["h"]])
        for future in futures:
            future.result(10)
        assert [len(call) for call in embedder.calls] == [1, 4, 4]  # the 3-text job was carried into the next batch
    finally:
        worker.close()


@pytest.mark.unit
def test_a_lone_question_on_an_idle_worker_is_not_held() -> None:
    worker = InferenceWorker(FakeEmbedder(), batch_size=32, wait_ms=60_000)
    try:
        worker.encode(["start the thread"])
        started = time.perf_counter()
        worker.encode(["a lone question"])
        assert time.perf_counter() - started < 5.0  # far below the wait: nobody has been arriving together
    finally:
        worker.close()


@pytest.mark.unit
def test_under_load_the_worker_waits_for_a_straggler_at_most_the_wait() -> None:
    embedder = GatedEmbedder()
    worker = InferenceWorker(embedder, batch_size=32, wait_ms=400)
    try:
        first, futures = _pile_up(embedder, worker, [["one"], ["two"]])  # a batch of two callers: questions come together
        for future in [first, *futures]:
            future.result(10)
        started = time.perf_counter()
        early = worker.submit(["arrives first"])
        time.sleep(0.05)
        late = worker.submit(["arrives 50 ms later"])
        for future in (early, late):
            future.result(10)
        elapsed = time.perf_counter() - started
        assert [len(call) for call in embedder.calls] == [1, 2, 2]  # the straggler joined the batch
        assert elapsed < 2.0  # and the batch went when the wait was up, not when it was full
    finally:
        worker.close()


@pytest.mark.unit
def test_a_full_batch_does_not_wait() -> None:
    worker = InferenceWorker(FakeEmbedder(), batch_size=1, wait_ms=60_000)
    try:
        started = time.perf_counter()
        worker.encode(["one question fills a batch of one"])
        assert time.perf_counter() - started < 5.0
    finally:
        worker.close()


@pytest.mark.unit
def test_many_threads_at_once_get_their_own_vectors() -> None:
    embedder = FakeEmbedder()
    worker = InferenceWorker(embedder, batch_size=8, wait_ms=2)
    texts = [[f"question {i} on subject {i * 7}"] for i in range(64)]
    try:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(worker.encode, texts))
    finally:
        worker.close()
    reference = FakeEmbedder()
    for job, vectors in zip(texts, results, strict=True):
        np.testing.assert_allclose(vectors, reference.encode(job))
    assert all(len(call) <= 8 for call in embedder.calls)
    assert sum(len(call) for call in embedder.calls) == 64


@pytest.mark.unit
def test_close_stops_the_thread_and_a_later_question_starts_a_new_one() -> None:
    worker = InferenceWorker(FakeEmbedder())
    assert not worker.running  # started lazily
    before = set(threading.enumerate())
    worker.encode(["start"])
    assert worker.running
    (thread,) = [t for t in set(threading.enumerate()) - before if t.name == "forumqa-inference"]
    worker.close()
    worker.close()  # idempotent
    assert not worker.running and not thread.is_alive()
    assert worker.encode(["again"]).shape == (1, FakeEmbedder.dimension)
    worker.close()


@pytest.mark.unit
def test_an_idle_worker_ends_its_thread_and_the_next_question_starts_one() -> None:
    worker = InferenceWorker(FakeEmbedder(), idle_s=0.05)
    worker.encode(["start"])
    deadline = time.monotonic() + 5
    while worker.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not worker.running
    assert worker.encode(["again"]).shape == (1, FakeEmbedder.dimension)
    worker.close()


@pytest.mark.unit
def test_close_serves_what_was_queued_first() -> None:
    embedder = GatedEmbedder()
    worker = InferenceWorker(embedder, batch_size=2, wait_ms=0)
    _, futures = _pile_up(embedder, worker, [["one"], ["two"], ["three"]])
    worker.close()
    assert [f.result(0).shape[0] for f in futures] == [1, 1, 1]


@pytest.mark.unit
def test_an_empty_list_is_answered_without_the_thread() -> None:
    worker = InferenceWorker(FakeEmbedder())
    assert worker.encode([]).shape == (0, FakeEmbedder.dimension)
    assert not worker.running


@pytest.mark.unit
def test_engine_questions_go_through_the_worker(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "forum.txt").write_text("Forum report\n\nMira Holt moderated the licensing panel in Shanghai.\n")
    embedder = FakeEmbedder()
    engine = Engine.open(Settings(documents_dir=documents, index_dir=tmp_path / "index"), embedder, build_if_missing=True)
    try:
        before = engine.inference.batches
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(engine.ask, ["Who moderated the licensing panel?"] * 8))
        assert all(a.answer and "Mira Holt" in a.answer for a in answers)
        assert engine.search("licensing panel", 1)
        assert engine.inference.batches > before
        assert engine.inference.running
    finally:
        engine.close()
    assert not engine.inference.running


def _gated_engine(tmp_path: Path) -> tuple[Engine, GatedEmbedder]:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "forum.txt").write_text("Forum report\n\nMira Holt moderated the licensing panel in Shanghai.\n")
    settings = Settings(documents_dir=documents, index_dir=tmp_path / "index", answer_cache_size=0, worker_threads=2)
    embedder = GatedEmbedder()
    embedder.release.set()  # open until a test clears `entered` and `release` to hold the next encode
    return Engine.open(settings, embedder, build_if_missing=True), embedder


@pytest.mark.unit
def test_submitted_questions_wait_for_the_model_together_and_score_on_few_threads(tmp_path: Path) -> None:
    engine, embedder = _gated_engine(tmp_path)
    try:
        expected = engine.ask("Who moderated the licensing panel?")
        embedder.entered.clear()
        embedder.release.clear()
        # Ten questions in flight with two answering threads: none holds a thread while the model is busy,
        # so all ten are queued behind the held encode and the next forward pass takes the nine still waiting.
        held = engine.submit_ask("Who moderated the licensing panel?")
        assert embedder.entered.wait(10)
        waiting = [engine.submit_ask("Who moderated the licensing panel?") for _ in range(9)]
        before = engine.inference.batches
        embedder.release.set()
        answers = [f.result(10) for f in [held, *waiting]]
        assert engine.inference.batches - before <= 2
        assert all(a.answer == expected.answer and a.citations == expected.citations for a in answers)
    finally:
        embedder.release.set()
        engine.close()


@pytest.mark.unit
def test_submit_ask_raises_bad_input_at_once_and_fails_only_the_question_the_model_refused(tmp_path: Path) -> None:
    engine, _ = _gated_engine(tmp_path)
    try:
        with pytest.raises(InvalidQuestionError):
            engine.submit_ask("   ")
        refused = engine.submit_ask("What did BOOM say?")
        fine = engine.submit_ask("Who moderated the licensing panel?")
        with pytest.raises(ValueError, match="BOOM"):
            refused.result(10)
        assert "Mira Holt" in (fine.result(10).answer or "")
        engine.close()  # a closed Engine starts fresh threads for the next question
        assert "Mira Holt" in (engine.submit_ask("Who moderated the licensing panel?").result(10).answer or "")
    finally:
        engine.close()


@pytest.mark.unit
def test_batching_off_encodes_one_question_per_call(tmp_path: Path) -> None:
    settings = Settings(documents_dir=tmp_path, index_dir=tmp_path / "index", inference_batching=False)
    engine = Engine(settings, FakeEmbedder())
    assert engine.inference.batch_size == 1 and engine.inference.wait_s == 0


@pytest.mark.integration
@pytest.mark.unit
def test_the_worker_sets_its_own_torch_thread_count() -> None:
    torch = pytest.importorskip("torch")
    seen: list[int] = []

    class Recording(FakeEmbedder):
        def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
            seen.append(torch.get_num_threads())  # OpenMP's per-thread value, read on the worker thread
            return super().encode(texts, show_progress)

    worker = InferenceWorker(Recording(), threads=1)
    try:
        worker.encode(["how many threads?"])
    finally:
        worker.close()
    assert seen == [1]


def test_batched_vectors_equal_one_at_a_time(embedder: SentenceTransformerEmbedder) -> None:
    questions = [
        "Who moderated the License-in/out & Commercialization Forum?",
        "What is the total deal value of AstraZeneca's licensing agreements?",
        "Where was it held?",
        "moderated",
    ]
    worker = InferenceWorker(embedder, batch_size=32, wait_ms=20)
    try:
        futures = [worker.submit([q]) for q in questions]  # submitted at once: one padded batch
        batched = [f.result(60) for f in futures]
    finally:
        worker.close()
    assert worker.batches < len(questions)
    for question, vectors in zip(questions, batched, strict=True):
        np.testing.assert_allclose(vectors, embedder.encode([question]), atol=1e-5)
