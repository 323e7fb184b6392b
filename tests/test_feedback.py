"""The feedback store (feedback.sqlite beside the index) and its export as an eval question set."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from forumqa.errors import FeedbackStoreError
from forumqa.evaluation import load_questions, splits
from forumqa.feedback import FILENAME, SCHEMA_VERSION, Feedback, FeedbackStore, eval_question, export_lines

pytestmark = pytest.mark.unit

CITATION = {"doc_id": "threads/kiln", "start": 10, "end": 42, "text": "Ines Varga kept the fire going.", "author": "ines", "score": 0.71}
BAD = Feedback(
    "Who kept the fire going?",
    "The club fired forty bowls.",
    helpful=False,
    citations=({**CITATION, "author": "bob"},),
    comment="<script>alert('x')</script> & wrong post",
    generation="gen-20240614T100000-abcdef",
)
GOOD = Feedback("Who kept the fire going?", "Ines Varga kept the fire going.", helpful=True, citations=(CITATION,))


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.beside(tmp_path / "index")


def test_an_entry_comes_back_exactly_as_given(store: FeedbackStore) -> None:
    first = store.add(BAD, at=datetime(2024, 6, 14, 12, 30, 5, tzinfo=timezone(timedelta(hours=2))))
    second = store.add(GOOD)
    entries = store.entries()
    assert [e.id for e in entries] == [first, second] and first < second
    assert entries[0].feedback == BAD and entries[1].feedback == GOOD
    assert entries[0].at == "2024-06-14T10:30:05+00:00"  # stored in UTC
    assert abs(datetime.fromisoformat(entries[1].at) - datetime.now(UTC)) < timedelta(minutes=1)
    assert [e.feedback for e in store.entries(helpful=False)] == [BAD]
    assert [e.feedback for e in store.entries(helpful=True)] == [GOOD]


def test_the_file_has_one_versioned_table_in_wal_mode(store: FeedbackStore, tmp_path: Path) -> None:
    store.add(BAD)
    assert store.path == tmp_path / "index" / FILENAME
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        assert tables == ["feedback"]
        columns = [row[1] for row in connection.execute("PRAGMA table_info(feedback)")]
        assert columns == ["id", "at", "question", "answer", "citations", "helpful", "comment", "generation"]
        helpful, citations, comment = connection.execute("SELECT helpful, citations, comment FROM feedback").fetchone()
    assert helpful == 0 and json.loads(citations) == list(BAD.citations) and comment == BAD.comment


def test_reading_before_any_feedback_creates_nothing(store: FeedbackStore) -> None:
    assert store.entries() == [] and not store.path.exists() and not store.path.parent.exists()


def test_concurrent_inserts_from_several_threads_all_land(store: FeedbackStore) -> None:
    """Like FastAPI's thread pool on a fresh index folder: the first writers also race to create the table."""
    threads, each = 6, 15
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def write(number: int) -> None:
        start.wait()
        try:
            for i in range(each):
                ids.append(store.add(Feedback(f"question {number}-{i}", None, helpful=i % 2 == 0)))
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(set(ids)) == threads * each
    assert sorted(e.feedback.question for e in store.entries()) == sorted(f"question {n}-{i}" for n in range(threads) for i in range(each))


def test_a_newer_schema_is_refused_not_overwritten(store: FeedbackStore) -> None:
    store.add(GOOD)
    with sqlite3.connect(store.path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(FeedbackStoreError, match="newer than this forumqa knows"):
        store.add(BAD)
    with pytest.raises(FeedbackStoreError, match="upgrade forumqa"):
        store.entries()


@pytest.mark.parametrize("damage", ["parent is a file", "not a database"])
def test_a_store_that_cannot_be_written_says_which_file(tmp_path: Path, damage: str) -> None:
    if damage == "parent is a file":
        (tmp_path / "index").write_text("not a folder")
    else:
        (tmp_path / "index").mkdir()
        (tmp_path / "index" / FILENAME).write_bytes(b"garbage, not sqlite " * 100)
    store = FeedbackStore.beside(tmp_path / "index")
    with pytest.raises(FeedbackStoreError, match=r"could not save feedback in .*feedback\.sqlite"):
        store.add(GOOD)


def test_a_thumbs_down_exports_as_a_question_waiting_for_review(store: FeedbackStore) -> None:
    store.add(BAD)
    (entry,) = store.entries()
    line = eval_question(entry)
    assert line["q"] == BAD.question and line["expect"] == [] and line["kind"] == "review"
    assert line["doc"] == "threads/kiln" and line["author"] is None  # the cited author is the wrong post's
    assert line["short"] is None and line["split"] is None
    assert line["review"] == "thumbs down: <script>alert('x')</script> & wrong post"
    assert line["comment"] == BAD.comment and line["answer"] == BAD.answer and line["generation"] == BAD.generation
    assert line["feedback_id"] == entry.id and line["at"] == entry.at


def test_a_thumbs_up_exports_as_a_regression_question(store: FeedbackStore) -> None:
    store.add(GOOD)
    store.add(Feedback("Who won the regatta in 1850?", None, helpful=True))  # an abstention the reader agreed with
    answered, abstained = (eval_question(e) for e in store.entries())
    assert answered["expect"] == [GOOD.answer] and answered["kind"] == "confirmed" and answered["author"] == "ines"
    assert answered["review"] == "thumbs up" and answered["doc"] == "threads/kiln"
    assert abstained["expect"] == [] and abstained["doc"] is None


def test_the_export_reads_back_with_the_eval_loader(store: FeedbackStore, tmp_path: Path) -> None:
    store.add(BAD)
    store.add(GOOD)
    store.add(Feedback("Wie heißt 🔥 der Ofen?\nZweite Zeile", None, helpful=False, comment='"quoted"\n\\n not a newline'))
    out = tmp_path / "review.jsonl"
    out.write_text(export_lines(store.entries()), encoding="utf-8")
    text = out.read_text(encoding="utf-8")
    assert "🔥" in text and "<script>alert('x')</script>" in text  # readable text, not escaped or interpreted
    questions = load_questions(out)
    assert [q.q for q in questions] == [BAD.question, GOOD.question, "Wie heißt 🔥 der Ofen?\nZweite Zeile"]
    assert [q.answerable for q in questions] == [False, True, False]
    assert questions[1].expect == (GOOD.answer,) and questions[0].doc == "threads/kiln"
    assert [q.kind for q in questions] == ["review", "confirmed", "review"]
    assert list(splits(questions)) == ["all"]
    assert json.loads(text.splitlines()[2])["comment"] == '"quoted"\n\\n not a newline'


def test_an_empty_store_exports_nothing(store: FeedbackStore) -> None:
    assert export_lines(store.entries()) == ""
