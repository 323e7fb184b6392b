"""Issue 10: a repeated identical question is answered from a small cache, never from an older index."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from forumqa.answer import Answer, Citation
from forumqa.answer_cache import AnswerCache, AnswerKey
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import IndexNotFoundError, InvalidQuestionError
from forumqa.retrieval import retrieve_chunks
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

QUESTION = "Who chaired the orchard meeting?"
OTHER = "What did the market day sell?"
#: Short documents in our own words, one chunk each.
DOCUMENTS = {
    "orchard.txt": "Orchard Meeting\n2024-03-02\nThe orchard meeting was chaired by Mira Holt. Forty growers came.\n",
    "market.txt": "Market Day\nThe market day sold honey and bread. It rained after noon.\n",
    "bridge.txt": "Bridge Repair\nThe bridge repair closed the east road for a week. Crews worked at night.\n",
}


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def open_engine(documents: Path, size: int = 256) -> tuple[Engine, FakeEmbedder]:
    fake = FakeEmbedder()
    settings = Settings(documents_dir=documents, index_dir=documents.parent / "index", answer_cache_size=size)
    return Engine.open(settings, fake, build_if_missing=True), fake


@pytest.fixture
def engine(documents: Path) -> Iterator[tuple[Engine, FakeEmbedder]]:
    opened = open_engine(documents)
    yield opened
    opened[0].close()


def encodes(fake: FakeEmbedder, ask: Callable[[], object]) -> int:
    """How many encode calls `ask()` made: a cached answer makes none."""
    before = len(fake.calls)
    ask()
    return len(fake.calls) - before


def same(a: Answer, b: Answer) -> bool:
    return replace(a, timings_ms={}) == replace(b, timings_ms={})


def test_a_repeated_question_is_answered_from_the_cache(engine: tuple[Engine, FakeEmbedder]) -> None:
    qa, fake = engine
    first = qa.ask(QUESTION)
    assert "Mira Holt" in (first.answer or "")
    before = len(fake.calls)
    again = qa.ask(QUESTION)
    assert len(fake.calls) == before
    assert same(again, first)
    assert set(again.timings_ms) == {"cache", "total"} and set(first.timings_ms) == {"retrieve", "total"}
    # Whitespace is normalised exactly as answering normalises it, so these are the same question.
    assert encodes(fake, lambda: qa.ask(f"  {QUESTION.replace(' ', '   ')}\n")) == 0


def test_every_argument_that_changes_the_answer_is_in_the_key(engine: tuple[Engine, FakeEmbedder]) -> None:
    qa, fake = engine
    qa.ask(QUESTION)
    assert encodes(fake, lambda: qa.ask(OTHER)) == 1
    assert encodes(fake, lambda: qa.ask(QUESTION, history=["What did the market day sell?"])) == 1
    assert encodes(fake, lambda: qa.ask(QUESTION, history=["What closed the east road?"])) == 1
    assert encodes(fake, lambda: qa.ask(QUESTION, top_k=2)) == 1
    assert encodes(fake, lambda: qa.ask(QUESTION, mode="bm25")) == 1
    # The defaults spelt out are the same question as the defaults left out.
    assert encodes(fake, lambda: qa.ask(QUESTION, top_k=qa.settings.top_k, mode=qa.settings.retrieval)) == 0
    assert encodes(fake, lambda: qa.ask(QUESTION, history=["What closed the east road?"])) == 0


def test_a_caller_editing_its_answer_cannot_change_the_next_one(engine: tuple[Engine, FakeEmbedder]) -> None:
    qa, _ = engine
    first = qa.ask(QUESTION)
    reference = replace(first, citations=list(first.citations), related=list(first.related))
    first.citations.clear()
    first.related.append(first.related[0])
    first.answer = "poisoned"
    hit = qa.ask(QUESTION)
    assert same(hit, reference)
    hit.citations.clear()
    hit.timings_ms["total"] = -1.0
    assert same(qa.ask(QUESTION), reference)


def test_after_a_rebuild_the_new_generation_answers(engine: tuple[Engine, FakeEmbedder], documents: Path) -> None:
    qa, fake = engine
    old = qa.ask(QUESTION)
    assert "Mira Holt" in (old.answer or "")
    (documents / "orchard.txt").write_text(DOCUMENTS["orchard.txt"].replace("Mira Holt", "Jonas Pell"), encoding="utf-8")
    qa.reindex()
    assert len(qa._answers) == 0  # the dead generation's answers are dropped, not just unreachable
    assert encodes(fake, lambda: qa.ask(QUESTION)) == 1
    new = qa.ask(QUESTION)
    assert new.generation != old.generation
    assert "Jonas Pell" in (new.answer or "") and "Mira Holt" not in (new.answer or "")
    assert qa.document(new.citations[0].doc_id).text[new.citations[0].start : new.citations[0].end] == new.citations[0].text


def test_errors_are_never_cached(engine: tuple[Engine, FakeEmbedder], monkeypatch: pytest.MonkeyPatch) -> None:
    qa, fake = engine
    failures = [RuntimeError("boom")]

    def failing_once(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return retrieve_chunks(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("forumqa.engine.retrieve_chunks", failing_once)
    with pytest.raises(RuntimeError):
        qa.ask(QUESTION)
    assert len(qa._answers) == 0
    assert encodes(fake, lambda: qa.ask(QUESTION)) == 1
    assert encodes(fake, lambda: qa.ask(QUESTION)) == 0
    # A bad question or history is refused the same way whether or not the cache is consulted.
    for bad in ("", " ", "x" * (qa.settings.max_question_chars + 1)):
        with pytest.raises(InvalidQuestionError):
            qa.ask(bad)
    with pytest.raises(InvalidQuestionError):
        qa.ask(QUESTION, history=["bad\x00turn"])
    assert len(qa._answers) == 1


def test_no_index_raises_as_before(documents: Path) -> None:
    qa = Engine(Settings(documents_dir=documents, index_dir=documents.parent / "index"), FakeEmbedder())
    with pytest.raises(InvalidQuestionError):
        qa.ask("")  # the question is checked before the index, as without a cache
    with pytest.raises(IndexNotFoundError):
        qa.ask(QUESTION)


def test_size_zero_turns_the_cache_off(documents: Path) -> None:
    qa, fake = open_engine(documents, size=0)
    try:
        first = qa.ask(QUESTION)
        assert encodes(fake, lambda: qa.ask(QUESTION)) == 1
        assert same(qa.ask(QUESTION), first) and len(qa._answers) == 0
    finally:
        qa.close()


def test_the_least_recently_used_answer_is_dropped_at_the_bound(documents: Path) -> None:
    qa, fake = open_engine(documents, size=2)
    try:
        qa.ask(QUESTION)
        qa.ask(OTHER)
        assert encodes(fake, lambda: qa.ask(QUESTION)) == 0  # now the most recent of the two
        qa.ask("What closed the east road?")  # a third: OTHER, least recently used, goes
        assert len(qa._answers) == 2
        assert encodes(fake, lambda: qa.ask(QUESTION)) == 0
        assert encodes(fake, lambda: qa.ask(OTHER)) == 1
    finally:
        qa.close()


@pytest.mark.integration  # threads racing for seconds: make test, not make test-fast
def test_concurrent_askers_get_right_answers(documents: Path) -> None:
    qa, _ = open_engine(documents, size=2)  # smaller than the questions, so threads evict each other's entries
    questions = [QUESTION, OTHER, "What closed the east road?", "Who came to the orchard meeting?"]
    expected = {q: qa.ask(q) for q in questions}
    errors: list[BaseException] = []

    def ask_many(offset: int) -> None:
        try:
            for i in range(40):
                question = questions[(i + offset) % len(questions)]
                got = qa.ask(question)
                assert same(got, expected[question]), question
                got.citations.clear()  # each thread edits what it got; no other thread may see that
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ask_many, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        qa.close()
    assert not errors, errors[0]
    assert len(qa._answers) <= 2


# ---------------------------------------------------------------- the cache on its own


def answer(generation: str, text: str = "A.") -> Answer:
    citation = Citation(doc_id="d", title="T", source="d.txt", date=None, start=0, end=len(text), text=text, score=1.0)
    return Answer(question="q", answer=text, abstained=False, confidence=1.0, citations=[citation], generation=generation)


def key(generation: str, question: str = "q") -> AnswerKey:
    return AnswerKey(question, (), generation, 5, "hybrid")


def test_an_answer_computed_on_a_swapped_out_generation_is_not_kept() -> None:
    cache = AnswerCache(8)
    cache.keep_only("gen-1")
    cache.put(key("gen-1"), answer("gen-1"))
    cache.keep_only("gen-2")  # the swap: gen-1's answers go
    assert cache.get(key("gen-1")) is None and len(cache) == 0
    cache.put(key("gen-1", "late"), answer("gen-1"))  # a slow request on gen-1 finishing after the swap
    assert len(cache) == 0
    cache.put(key("gen-2"), answer("gen-2"))
    got = cache.get(key("gen-2"))
    assert got is not None and got.generation == "gen-2"


@pytest.mark.integration  # threads racing for seconds: make test, not make test-fast
def test_threads_sharing_the_cache_keep_it_bounded_and_consistent() -> None:
    cache = AnswerCache(16)
    errors: list[BaseException] = []

    def churn(n: int) -> None:
        try:
            for i in range(2000):
                generation = f"gen-{i // 500}"
                k = key(generation, f"q{(i * 7 + n) % 40}")
                if n == 0 and i % 500 == 0:
                    cache.keep_only(generation)
                cache.put(k, answer(generation, k.question))
                got = cache.get(k)
                assert got is None or (got.generation == generation and got.answer == k.question)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[0]
    assert len(cache) <= 16
