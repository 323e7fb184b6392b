"""POST /api/feedback through the app (fake embedder), a rebuild that keeps the feedback, and `forumqa feedback export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from forumqa.api import create_app
from forumqa.api.feedback import COMMENT_MAX_CHARS, MAX_CITATIONS
from forumqa.cli import app as cli
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.evaluation import load_questions
from forumqa.feedback import FILENAME, FeedbackStore
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

QUESTION = "Who kept the fire going?"


def make_engine(root: Path, **settings: Any) -> Engine:
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "kiln.txt").write_text(
        "Kiln Firing Night\n2022-11-05\nThe pottery club fired forty bowls in the wood kiln. Ines Varga kept the fire going.\n",
        encoding="utf-8",
    )
    config = Settings(documents_dir=docs, index_dir=root / "index", allowed_hosts=["testserver"], max_question_chars=100, **settings)
    return Engine.open(config, FakeEmbedder(), build_if_missing=True)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(tmp_path)


@pytest.fixture
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine.settings, engine))


def feedback_for(client: TestClient, helpful: bool, comment: str | None = None) -> dict[str, Any]:
    """The body the page sends: the answer object's own fields, as /api/ask returned them."""
    answer = client.post("/api/ask", json={"question": QUESTION}).json()
    return {
        "question": answer["question"],
        "answer": answer["answer"],
        "citations": answer["citations"],
        "helpful": helpful,
        "comment": comment,
        "generation": answer["generation"],
    }


def test_feedback_is_stored_beside_the_generations_and_answered_with_its_id(client: TestClient, engine: Engine) -> None:
    body = feedback_for(client, helpful=False, comment="<script>alert(1)</script> wrong post")
    assert body["citations"], "the fake index should answer this question"
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    (entry,) = FeedbackStore.beside(engine.settings.index_dir).entries()
    assert response.json() == {"id": entry.id}
    stored = entry.feedback
    assert stored.comment == "<script>alert(1)</script> wrong post"  # verbatim, never escaped or interpreted
    assert stored.question == QUESTION and stored.answer == body["answer"] and stored.helpful is False
    assert list(stored.citations) == body["citations"]  # every citation field kept (title, score, author...)
    assert stored.generation == body["generation"] and str(stored.generation).startswith("gen-")
    assert (engine.settings.index_dir / FILENAME).is_file()
    assert not list(engine.settings.index_dir.glob(f"gen-*/{FILENAME}"))


def test_the_smallest_body_is_a_question_and_a_thumb(client: TestClient) -> None:
    first = client.post("/api/feedback", json={"question": QUESTION, "helpful": True})
    second = client.post("/api/feedback", json={"question": QUESTION, "answer": None, "citations": [], "helpful": False})
    assert (first.status_code, second.status_code) == (201, 201) and second.json()["id"] > first.json()["id"]


def test_a_full_rebuild_leaves_the_feedback_intact(client: TestClient, engine: Engine) -> None:
    client.post("/api/feedback", json=feedback_for(client, helpful=False, comment="wrong"))
    client.post("/api/feedback", json=feedback_for(client, helpful=True))
    before = FeedbackStore.beside(engine.settings.index_dir).entries()
    old = engine.status()
    engine.reindex(full=True)
    engine.reindex(full=True)  # twice: the generation the feedback was given on is deleted by now
    assert engine.snapshot.path.name != before[0].feedback.generation and old.generation != engine.status().generation
    assert FeedbackStore.beside(engine.settings.index_dir).entries() == before
    third = client.post("/api/feedback", json=feedback_for(client, helpful=False))
    assert third.status_code == 201 and third.json()["id"] == before[-1].id + 1


def _citation(i: int) -> dict[str, Any]:
    return {"doc_id": "kiln", "start": i, "end": i + 1, "text": "x"}


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"question": "   "}, "the question is empty"),
        ({"question": "q" * 101}, "the question is 101 characters long; the limit is 100"),
        ({"question": "bad\x00question"}, "control characters"),
        ({"comment": "c" * (COMMENT_MAX_CHARS + 1)}, "comment: String should have at most 2000 characters"),
        ({"citations": [_citation(i) for i in range(MAX_CITATIONS + 1)]}, "citations: List should have at most 20 items"),
        ({"citations": [{"doc_id": "kiln", "start": -1, "end": 3, "text": "x"}]}, "citations.0.start"),
        ({"citations": [{"doc_id": "kiln", "text": "x"}]}, "citations.0.start: Field required"),
        ({"helpful": "yes"}, "helpful: Input should be a valid boolean"),
        ({"helpful": 1}, "helpful: Input should be a valid boolean"),
        ({"rating": 5}, "rating: Extra inputs are not permitted"),
    ],
)
def test_bad_feedback_gets_one_readable_line(client: TestClient, change: dict[str, Any], detail: str) -> None:
    response = client.post("/api/feedback", json={"question": QUESTION, "helpful": False, **change})
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"] and "\n" not in response.json()["detail"]


def test_a_lone_surrogate_is_refused_not_a_500(client: TestClient) -> None:
    """JSON can spell one ("\\ud800") though it is no character; SQLite's UTF-8 could not store it."""
    body = b'{"question": "Who kept the fire going?", "helpful": false, "comment": "bad \\ud800 text"}'
    response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "lone surrogate" in response.json()["detail"]


@pytest.mark.parametrize("depth", [40, 950])
def test_deeply_nested_citation_fields_are_refused_not_a_500(client: TestClient, depth: int) -> None:
    """950 levels still parse, but walking them again from inside the app would overflow Python's stack."""
    nested = "[" * depth + "]" * depth
    body = f'{{"question": "q", "helpful": true, "citations": [{{"doc_id": "a", "start": 0, "end": 1, "text": "x", "extra": {nested}}}]}}'
    response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "nest deeper than 32 levels" in response.json()["detail"]


def test_a_missing_thumb_is_refused(client: TestClient) -> None:
    response = client.post("/api/feedback", json={"question": QUESTION})
    assert response.status_code == 422 and response.json() == {"detail": "helpful: Field required"}


def test_no_admin_token_is_needed(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, admin_token="secret")
    response = TestClient(create_app(engine.settings, engine)).post("/api/feedback", json={"question": QUESTION, "helpful": True})
    assert response.status_code == 201


def test_the_body_limit_and_the_rate_limit_apply(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, max_request_bytes=4096, rate_limit_per_second=0.001, rate_limit_burst=2)
    client = TestClient(create_app(engine.settings, engine))
    assert client.post("/api/feedback", json={"question": QUESTION, "helpful": True, "answer": "a" * 5000}).status_code == 413
    statuses = [client.post("/api/feedback", json={"question": QUESTION, "helpful": True}).status_code for _ in range(3)]
    assert 201 in statuses and statuses[-1] == 429


def test_a_store_that_cannot_be_written_answers_507(client: TestClient, engine: Engine) -> None:
    (engine.settings.index_dir / FILENAME).write_bytes(b"this is not a database " * 200)
    response = client.post("/api/feedback", json={"question": QUESTION, "helpful": True})
    assert response.status_code == 507 and "could not save feedback in" in response.json()["detail"]


def test_the_openapi_schema_declares_the_route(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/feedback"]["post"]
    assert {"201", "422", "507"} <= set(operation["responses"]) and "security" not in operation


def test_cli_export_writes_the_thumbs_down_as_eval_questions(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    client.post("/api/feedback", json=feedback_for(client, helpful=False, comment="<script>x</script> not this"))
    client.post("/api/feedback", json=feedback_for(client, helpful=True))
    index_dir = str(engine.settings.index_dir)
    runner = CliRunner()

    printed = runner.invoke(cli, ["feedback", "export", "--index-dir", index_dir])
    assert printed.exit_code == 0, printed.output
    (line,) = [json.loads(row) for row in printed.stdout.splitlines()]
    assert line["q"] == QUESTION and line["kind"] == "review" and line["expect"] == [] and line["doc"] == "kiln"
    assert line["review"] == "thumbs down: <script>x</script> not this"

    out = tmp_path / "all.jsonl"
    written = runner.invoke(cli, ["feedback", "export", "--index-dir", index_dir, "--out", str(out), "--all"])
    assert written.exit_code == 0 and "wrote 2 questions" in written.stderr
    questions = load_questions(out)
    assert [q.kind for q in questions] == ["review", "confirmed"] and questions[1].expect and questions[1].doc == "kiln"

    empty = runner.invoke(cli, ["feedback", "export", "--index-dir", str(tmp_path / "nowhere")])
    assert empty.exit_code == 0 and empty.stdout == "" and not (tmp_path / "nowhere").exists()
