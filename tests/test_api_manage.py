"""Uploading and deleting documents over HTTP, end to end with the real model on a small copy of the shipped documents."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import SHIPPED_DOCUMENTS, assert_citations_exact
from forumqa.api import create_app
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine

TOKEN = "manage-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MB = 2**20
FACT = (
    "# Zephyrine Lantern Festival\n\n"
    "The Zephyrine Lantern Festival of 2019 was organised by Odalys Brennan on the old pier of Tromsø. "
    "Four hundred paper lanterns were released over the fjord at midnight.\n"
)
QUESTION = "Who organised the Zephyrine Lantern Festival?"


def settings_for(folder: Path) -> Settings:
    return Settings(documents_dir=folder / "documents", index_dir=folder / "index", admin_token=TOKEN, allowed_hosts=["testserver"])


@pytest.fixture(scope="module")
def built(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped documents and their index, built once: a first build costs far more than the rebuilds the tests cause."""
    folder = tmp_path_factory.mktemp("manage-template")
    shutil.copytree(SHIPPED_DOCUMENTS, folder / "documents")
    Engine.open(settings_for(folder), embedder, build_if_missing=True)
    return folder


@pytest.fixture
def engine(embedder: SentenceTransformerEmbedder, built: Path, tmp_path: Path) -> Engine:
    """A writable copy of the template for each test: its documents folder and index change."""
    for name in ("documents", "index"):
        shutil.copytree(built / name, tmp_path / name, symlinks=True)
    return Engine.open(settings_for(tmp_path), embedder)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine.settings, engine)) as test_client:
        yield test_client
        settled(test_client)  # no rebuild thread outlives its test


def send(client: TestClient, *files: tuple[str, bytes], overwrite: bool | None = None, headers: dict[str, str] | None = None) -> Any:
    data = {} if overwrite is None else {"overwrite": "true" if overwrite else "false"}
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/api/documents", files=parts, data=data, headers=AUTH if headers is None else headers)


def settled(client: TestClient, timeout: float = 120.0) -> dict[str, Any]:
    """/api/health once the background rebuild is over: what the page polls for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health: dict[str, Any] = client.get("/api/health").json()
        if not health["reindexing"]:
            return health
        time.sleep(0.1)
    raise AssertionError("the rebuild did not finish")


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# ---------------------------------------------------------------- end to end


def test_an_uploaded_document_answers_and_a_deleted_one_no_longer_does(client: TestClient, engine: Engine) -> None:
    response = send(client, ("zephyrine-lanterns.md", FACT.encode()))
    assert response.status_code == 202, response.text
    assert response.json() == {"stored": ["zephyrine-lanterns.md"], "rejected": [], "reindexing": True}

    health = settled(client)
    assert health["last_rebuild"]["ok"] is True and health["last_rebuild"]["trigger"] == "upload"
    report = client.get("/api/rebuilds/last").json()
    assert report["ok"] and report["trigger"] == "upload" and report["added"] == ["zephyrine-lanterns"]

    answer = client.post("/api/ask", json={"question": QUESTION}).json()
    assert answer["abstained"] is False and "Odalys Brennan" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == "zephyrine-lanterns"
    assert_citations_exact(engine, [SimpleNamespace(**c) for c in answer["citations"] + answer["related"]])

    deleted = client.delete("/api/documents/zephyrine-lanterns", headers=AUTH)
    assert deleted.status_code == 202, deleted.text
    assert deleted.json() == {"deleted": "zephyrine-lanterns.md", "documents": ["zephyrine-lanterns"], "reindexing": True}
    assert not (engine.settings.documents_dir / "zephyrine-lanterns.md").exists()

    health = settled(client)
    assert health["last_rebuild"]["ok"] is True and health["last_rebuild"]["trigger"] == "delete"
    assert client.get("/api/rebuilds/last").json()["removed"] == ["zephyrine-lanterns"]
    after = client.post("/api/ask", json={"question": QUESTION}).json()
    assert all(c["doc_id"] != "zephyrine-lanterns" for c in after["citations"] + after["related"])
    assert after["abstained"] is True or "Odalys" not in (after["answer"] or "")
    assert client.get("/api/documents/zephyrine-lanterns").status_code == 404


def test_a_file_the_rebuild_cannot_read_is_reported_with_its_reason(client: TestClient) -> None:
    assert client.get("/api/rebuilds/last").json() is None  # no rebuild by this server yet
    response = send(client, ("settings.json", b'{"theme": "dark"}'), ("note.txt", b"Note\nThe ferry leaves at nine.\n"))
    assert response.status_code == 202 and response.json()["stored"] == ["settings.json", "note.txt"]
    settled(client)
    report = client.get("/api/rebuilds/last").json()
    assert report["ok"] and report["added"] == ["note"]
    assert [s["source"] for s in report["skipped"]] == ["settings.json"] and "not a forum export" in report["skipped"][0]["reason"]


def test_an_upload_during_a_rebuild_is_indexed_after_it(client: TestClient, engine: Engine) -> None:
    before = client.get("/api/health").json()["last_rebuild"]
    with engine._rebuild:  # a rebuild is running (/api/reindex, --watch): the upload must wait for it, then be indexed
        response = send(client, ("zephyrine-lanterns.md", FACT.encode()))
        assert response.status_code == 202 and response.json()["reindexing"] is True
        time.sleep(0.3)
        health = client.get("/api/health").json()
        assert health["reindexing"] is True and health["last_rebuild"] == before
    settled(client)
    assert client.get("/api/rebuilds/last").json()["added"] == ["zephyrine-lanterns"]
    assert "Odalys Brennan" in (client.post("/api/ask", json={"question": QUESTION}).json()["answer"] or "")


# ---------------------------------------------------------------- names, types, sizes, overwrite


def test_traversal_names_keep_only_their_base_name_or_are_refused(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    folder = engine.settings.documents_dir
    before, around = listing(folder), sorted(p.name for p in tmp_path.iterdir())
    body = b"# Harbour\n\nThe harbour master is Ines Varga.\n"
    response = send(
        client,
        ("../x.md", body),
        ("..\\x.md", body),
        ("/etc/passwd", b"root:x:0:0"),
        ("a/../../b.md", body),
        ("..", body),
        (".env", b"SECRET=1"),
    )
    assert response.status_code == 202, response.text
    result = response.json()
    assert result["stored"] == ["x.md", "b.md"]
    reasons = {r["name"]: r["reason"] for r in result["rejected"]}
    assert "same document id 'x'" in reasons["..\\x.md"] and "unsupported file type" in reasons["/etc/passwd"]
    assert "not a file name" in reasons[".."] and "hidden" in reasons[".env"]
    assert listing(folder) == sorted([*before, "b.md", "x.md"])
    assert sorted(p.name for p in tmp_path.iterdir()) == around  # nothing written beside the documents folder
    assert (folder / "x.md").read_bytes() == body
    settled(client)


@pytest.mark.parametrize("name", [b"nul\x00name.md", b"x.md\x00.exe", b"tab\tname.md"])
def test_a_raw_control_character_in_a_file_name_is_refused(client: TestClient, engine: Engine, name: bytes) -> None:
    """Sent as raw bytes: a client library would percent-encode them (and a literal "%00" is an ordinary name)."""
    body = b"".join(
        [
            b"--sep\r\n",
            b'Content-Disposition: form-data; name="files"; filename="' + name + b'"\r\n',
            b"Content-Type: text/markdown\r\n\r\n# Title\n\nSome text.\n\r\n",
            b"--sep--\r\n",
        ]
    )
    response = client.post("/api/documents", content=body, headers={**AUTH, "Content-Type": "multipart/form-data; boundary=sep"})
    assert response.status_code == 422 and "control" in response.json()["detail"]
    assert listing(engine.settings.documents_dir) == ["cbiic-2024-license-in-out-forum.txt"]


def test_unsupported_types_only_is_a_422_naming_each(client: TestClient, engine: Engine) -> None:
    response = send(client, ("tool.exe", b"MZ"), ("photo.png", b"\x89PNG"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "tool.exe: unsupported file type .exe" in detail and "photo.png: unsupported file type .png" in detail
    assert not (engine.settings.documents_dir / "tool.exe").exists()
    assert client.get("/api/health").json()["reindexing"] is False  # nothing stored, nothing to rebuild


def test_overwrite_is_refused_with_409_until_asked_for(client: TestClient, engine: Engine) -> None:
    target = engine.settings.documents_dir / "notes.md"
    assert send(client, ("notes.md", b"# Notes\n\nFirst version.\n")).status_code == 202
    refused = send(client, ("notes.md", b"# Notes\n\nSecond version.\n"), ("other.md", b"# Other\n\nText.\n"))
    assert refused.status_code == 409 and "notes.md" in refused.json()["detail"] and "overwrite=true" in refused.json()["detail"]
    assert target.read_bytes() == b"# Notes\n\nFirst version.\n" and not (target.parent / "other.md").exists()  # nothing stored
    assert send(client, ("notes.md", b"# Notes\n\nSecond.\n"), overwrite=False).status_code == 409
    allowed = send(client, ("notes.md", b"# Notes\n\nSecond version.\n"), overwrite=True)
    assert allowed.status_code == 202 and allowed.json()["stored"] == ["notes.md"]
    assert target.read_bytes() == b"# Notes\n\nSecond version.\n"
    settled(client)


def test_uploads_have_their_own_size_limit_and_other_routes_keep_theirs(engine: Engine) -> None:
    with TestClient(create_app(engine.settings.model_copy(update={"max_upload_mb": 0.05}), engine)) as client:
        response = send(client, ("big.txt", b"Big\n" + b"word " * 20_000))
        assert response.status_code == 413
        assert response.json()["detail"] == "upload too large: at most 0.05 MB per request (FORUMQA_MAX_UPLOAD_MB)"
        assert not (engine.settings.documents_dir / "big.txt").exists()
    with TestClient(create_app(engine.settings, engine)) as client:
        two_mb = b"Big\n" + b"word " * (2 * MB // 5)
        assert send(client, ("big.txt", two_mb)).status_code == 202  # over FORUMQA_MAX_REQUEST_BYTES, under the upload limit
        asked = client.post("/api/ask", json={"question": "x" * (2 * MB)})
        assert asked.status_code == 413 and "at most 1048576 bytes" in asked.json()["detail"]
        settled(client)


# ---------------------------------------------------------------- admin only


def test_without_a_configured_token_both_routes_are_403(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"admin_token": None})
    with TestClient(create_app(settings, engine)) as client:
        assert send(client, ("a.md", b"# A\n\nText.\n")).status_code == 403
        assert client.delete("/api/documents/cbiic-2024-license-in-out-forum", headers=AUTH).status_code == 403
    assert not (engine.settings.documents_dir / "a.md").exists()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_a_missing_or_wrong_token_is_401(client: TestClient, engine: Engine, headers: dict[str, str]) -> None:
    upload = send(client, ("a.md", b"# A\n\nText.\n"), headers=headers)
    assert upload.status_code == 401 and upload.headers["WWW-Authenticate"].startswith("Bearer")
    removal = client.delete("/api/documents/cbiic-2024-license-in-out-forum", headers=headers)
    assert removal.status_code == 401
    assert not (engine.settings.documents_dir / "a.md").exists()
    assert (engine.settings.documents_dir / "cbiic-2024-license-in-out-forum.txt").exists()


# ---------------------------------------------------------------- delete


@pytest.mark.parametrize(
    "doc_id",
    [
        "no-such-document",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..%2Fdocuments%2Fcbiic-2024-license-in-out-forum",
        "cbiic-2024-license-in-out-forum.txt",
    ],
)
def test_delete_of_an_id_not_in_the_index_is_404(client: TestClient, engine: Engine, tmp_path: Path, doc_id: str) -> None:
    before = listing(tmp_path)
    response = client.delete(f"/api/documents/{doc_id}", headers=AUTH)
    assert response.status_code == 404 and isinstance(response.json()["detail"], str)
    assert listing(tmp_path) == before and client.get("/api/health").json()["reindexing"] is False


def test_deleting_one_thread_of_an_export_removes_the_file_and_names_every_thread_in_it(client: TestClient, engine: Engine) -> None:
    mbox = Path(__file__).parent / "fixtures" / "forums" / "mbox" / "quill-users.mbox"
    assert send(client, ("quill-users.mbox", mbox.read_bytes())).status_code == 202
    settled(client)
    threads = sorted(d["doc_id"] for d in client.get("/api/documents").json() if d["source"] == "quill-users.mbox")
    assert len(threads) > 1 and client.get("/api/rebuilds/last").json()["added"] == threads
    response = client.delete(f"/api/documents/{threads[0]}", headers=AUTH)
    assert response.status_code == 202
    assert response.json()["deleted"] == "quill-users.mbox" and sorted(response.json()["documents"]) == threads
    settled(client)
    assert sorted(client.get("/api/rebuilds/last").json()["removed"]) == threads
    assert [d["source"] for d in client.get("/api/documents").json()] == ["cbiic-2024-license-in-out-forum.txt"]


def test_delete_refuses_a_source_that_became_a_link_leading_outside(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    source = engine.settings.documents_dir / "cbiic-2024-license-in-out-forum.txt"
    outside = tmp_path / "outside.txt"
    outside.write_bytes(source.read_bytes())
    source.unlink()
    source.symlink_to(outside)  # swapped after the index was built
    response = client.delete("/api/documents/cbiic-2024-license-in-out-forum", headers=AUTH)
    assert response.status_code == 409 and "outside" in response.json()["detail"]
    assert source.is_symlink() and outside.exists()
