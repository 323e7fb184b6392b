from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forumqa.api import create_app
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine


def served(settings: Settings) -> Settings:
    """TestClient sends Host: testserver, which the app refuses unless it is allowed (DNS-rebinding defence)."""
    return settings.model_copy(update={"allowed_hosts": ["testserver"]})


@pytest.fixture
def client(shipped_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(served(shipped_engine.settings), shipped_engine)) as test_client:
        yield test_client


def test_ask_returns_the_answer_object(client: TestClient, shipped_engine: Engine) -> None:
    response = client.post("/api/ask", json={"question": "Who moderated the License-in/out & Commercialization Forum?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"question", "answer", "abstained", "confidence", "citations", "related", "timings_ms"}
    assert "Becky Wong" in body["answer"] and body["abstained"] is False
    citation = body["citations"][0]
    assert set(citation) >= {"doc_id", "title", "source", "date", "start", "end", "text", "score"}
    text = client.get(f"/api/documents/{citation['doc_id']}").json()["text"]
    for item in body["citations"] + body["related"]:
        assert text[item["start"] : item["end"]] == item["text"]


def test_ask_with_history_and_top_k(client: TestClient) -> None:
    body = client.post(
        "/api/ask",
        json={"question": "Who moderated it?", "history": ["When was the License-in/out & Commercialization Forum held?"], "top_k": 2},
    ).json()
    assert "Becky Wong" in body["answer"] and len(body["related"]) == 2


def test_off_topic_question_abstains(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Who wrote Romeo and Juliet?"}).json()
    assert body["abstained"] is True and body["answer"] is None and body["related"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "empty"),
        ({"question": "x" * 2001}, "2000"),
        ({"question": 42}, "question"),
        ({}, "question: Field required"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
        ({"question": "ok?", "history": "not a list"}, "history"),
        ({"question": "ok?", "unknown": 1}, "unknown"),
    ],
)
def test_bad_requests_get_a_readable_422(client: TestClient, payload: dict[str, object], fragment: str) -> None:
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and fragment in detail and "Traceback" not in detail


def test_malformed_json_gets_a_422(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)


def test_search(client: TestClient, shipped_engine: Engine) -> None:
    body = client.get("/api/search", params={"q": "stainless-steel production lines", "k": 3}).json()
    assert len(body["results"]) == 3 and "30,000 liters" in body["results"][0]["text"]
    assert client.get("/api/search", params={"q": ""}).status_code == 422
    assert client.get("/api/search", params={"q": "x", "k": 500}).status_code == 422


def test_documents_list_and_one(client: TestClient) -> None:
    [summary] = client.get("/api/documents").json()
    assert summary["doc_id"] == "cbiic-2024-license-in-out-forum" and summary["chunks"] > 10
    document = client.get(f"/api/documents/{summary['doc_id']}").json()
    assert document["text"].startswith("License-in/out & Commercialization Forum")


@pytest.mark.parametrize(
    "path",
    [
        "nope",
        "../pyproject.toml",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "cbiic-2024-license-in-out-forum/../../x",
        "C:%5Cwindows",
    ],
)
def test_unknown_ids_and_traversal_attempts_are_404(client: TestClient, path: str) -> None:
    response = client.get(f"/api/documents/{path}")
    assert response.status_code == 404
    assert "root:" not in response.text and "[project]" not in response.text


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["documents"] == 1 and body["chunks"] > 10
    assert body["model"] == "all-MiniLM-L6-v2" and body["index_updated_at"]


def test_chat_page_is_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "forumqa" in page.text
    assert client.get("/app.js").status_code == 200


# ---------------------------------------------------------------- reindex


@pytest.fixture
def writable(embedder: SentenceTransformerEmbedder, corpus: Path, tmp_path: Path) -> Engine:
    settings = Settings(documents_dir=corpus, index_dir=tmp_path / "index", admin_token="s3cret-token", allowed_hosts=["testserver"])
    return Engine.open(settings, embedder, build_if_missing=True)


def test_reindex_needs_the_admin_token(writable: Engine) -> None:
    with TestClient(create_app(writable.settings, writable)) as client:
        assert client.post("/api/reindex").status_code == 401
        assert client.post("/api/reindex", headers={"Authorization": "Bearer wrong"}).status_code == 401
        response = client.post("/api/reindex", headers={"Authorization": "Bearer s3cret-token"})
        assert response.status_code == 200 and response.json()["unchanged"] == 1


def test_reindex_is_disabled_without_a_token(shipped_engine: Engine) -> None:
    with TestClient(create_app(served(shipped_engine.settings), shipped_engine)) as client:
        response = client.post("/api/reindex", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 403 and "FORUMQA_ADMIN_TOKEN" in response.json()["detail"]


def test_second_reindex_while_one_runs_gets_409(writable: Engine) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(step: str) -> None:
        if step == "split":
            started.set()
            release.wait(10)

    worker = threading.Thread(target=writable.reindex, kwargs={"hook": slow})
    worker.start()
    try:
        assert started.wait(10)
        with TestClient(create_app(writable.settings, writable)) as client:
            response = client.post("/api/reindex", headers={"Authorization": "Bearer s3cret-token"})
            assert response.status_code == 409 and "already running" in response.json()["detail"]
            assert client.get("/api/health").json()["reindexing"] is True
    finally:
        release.set()
        worker.join()


def test_reindex_picks_up_an_edit(writable: Engine, corpus: Path) -> None:
    path = corpus / "cbiic-2024-license-in-out-forum.txt"
    path.write_text(path.read_text().replace("Becky Wong", "Jordan Avery"))
    with TestClient(create_app(writable.settings, writable)) as client:
        report = client.post("/api/reindex", headers={"Authorization": "Bearer s3cret-token"}).json()
        assert report["changed"] == ["cbiic-2024-license-in-out-forum"] and 0 < report["embedded"] < 10
        body = client.post("/api/ask", json={"question": "Who moderated the License-in/out & Commercialization Forum?"}).json()
        assert "Jordan Avery" in body["answer"]
        text = client.get(f"/api/documents/{body['citations'][0]['doc_id']}").json()["text"]
        assert all(text[c["start"] : c["end"]] == c["text"] for c in body["citations"] + body["related"])
