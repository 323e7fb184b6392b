"""The service under hostile or unlucky use (issue 14, findings 3, 6, 9 and 10): request limits, headers and hosts,
credentials, routing, logging, and rebuilds that fail while the server keeps answering. All with the fake embedder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from forumqa.api import WEB_DIR, create_app
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.http_guards import CONTENT_SECURITY_POLICY, RateLimit, host_of
from forumqa.logs import LOGGER, RedactQueryTokens, configure_logging
from forumqa.testing import FakeEmbedder, free_port
from forumqa.watcher import RebuildLog, Watcher, one_line

pytestmark = pytest.mark.unit

TOKEN = "tok-Admin_123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MIB = 1024 * 1024


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "harbour.txt").write_text(
        "Harbour Cleanup Day\n2023-04-02\nVolunteers cleared the east harbour of litter. Mira Solberg organised the day.\n",
        encoding="utf-8",
    )
    (folder / "orchard.txt").write_text(
        "Orchard Workshop\n2023-09-17\nThe orchard workshop taught grafting of apple trees. It was led by Tomas Reed.\n",
        encoding="utf-8",
    )
    return folder


def make_engine(root: Path, **settings: Any) -> Engine:
    values: dict[str, Any] = {"admin_token": TOKEN, "allowed_hosts": ["testserver"], "watch_debounce_ms": 50, **settings}
    config = Settings(documents_dir=write_corpus(root / "docs"), index_dir=root / "index", **values)
    return Engine.open(config, FakeEmbedder(), build_if_missing=True)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(tmp_path)


def client_for(engine: Engine, watch: bool = False, **overrides: Any) -> TestClient:
    return TestClient(create_app(engine.settings.model_copy(update=overrides), engine, watch=watch))


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with client_for(engine) as test_client:
        yield test_client


# ---------------------------------------------------------------- finding 6: body size


async def _post_streamed(app: FastAPI, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any], int]:
    """POST /api/ask straight into the ASGI app; returns the status, the JSON body and how many body bytes the app pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/ask",
        "raw_path": b"/api/ask",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), pulled


def _twenty_megabytes(chunk: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"question": "'
    for _ in range(20 * MIB // chunk):
        yield b"a" * chunk


def test_a_streamed_20_mb_body_is_refused_after_one_mib_not_read_to_the_end(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    status, body, pulled = asyncio.run(_post_streamed(app, _twenty_megabytes(), []))
    assert status == 413 and "at most 1048576 bytes" in body["detail"]
    assert pulled <= MIB + 64 * 1024 + 16, pulled  # the limit plus the chunk that crossed it; never the 20 MB


def test_a_declared_20_mb_body_is_refused_before_any_of_it_is_read(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    status, body, pulled = asyncio.run(_post_streamed(app, _twenty_megabytes(), [(b"content-length", str(20 * MIB).encode())]))
    assert (status, pulled) == (413, 0) and "too large" in body["detail"]


def test_the_limit_is_a_setting_and_small_bodies_pass(engine: Engine) -> None:
    question = {"question": "Who organised the harbour cleanup?", "history": ["x" * 1500]}
    with client_for(engine) as client:
        assert client.post("/api/ask", json=question).status_code == 200
    with client_for(engine, max_request_bytes=1024) as client:
        response = client.post("/api/ask", json=question)
        assert response.status_code == 413 and response.json()["detail"].endswith("at most 1024 bytes are accepted")
        assert client.post("/api/ask", content=b"12", headers={"Content-Length": "x2"}).status_code == 400


# ---------------------------------------------------------------- finding 6: rate limit


def test_rate_limit_is_off_by_default(client: TestClient) -> None:
    assert {client.get("/api/health").status_code for _ in range(60)} == {200}


def test_rate_limit_answers_429_with_retry_after_when_on(engine: Engine) -> None:
    with client_for(engine, rate_limit_per_second=0.1, rate_limit_burst=3) as client:
        assert [client.get("/api/health").status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get("/api/health")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"
        assert "too many requests" in refused.json()["detail"]


def test_token_bucket_refills_per_client() -> None:
    now = [0.0]
    limit = RateLimit(app=None, per_second=2.0, burst=2, max_clients=2, clock=lambda: now[0])  # type: ignore[arg-type]
    assert [limit.wait_for("a"), limit.wait_for("a")] == [0.0, 0.0]
    assert limit.wait_for("a") == pytest.approx(0.5) and limit.wait_for("b") == 0.0
    now[0] = 0.5
    assert limit.wait_for("a") == 0.0 and limit.wait_for("a") == pytest.approx(0.5)
    limit.wait_for("c")
    assert len(limit._buckets) == 2  # the least recently seen address is dropped, memory stays bounded


# ---------------------------------------------------------------- finding 9: headers and hosts


def test_security_headers_on_every_response(engine: Engine) -> None:
    with client_for(engine, max_request_bytes=1024) as client:
        responses = [
            client.get("/"),
            client.get("/app.js"),
            client.get("/api/health"),
            client.get("/api/documents/nope"),
            client.post("/api/ask", json={}),
            client.post("/api/ask", content=b"x" * 2048),
            client.get("/api/health", headers={"Host": "attacker.example"}),
            client.get("/api/health?token=x"),
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 422, 413, 400, 400]
    for response in responses:
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_runs_under_its_csp_with_no_inline_script_or_style() -> None:
    page = BeautifulSoup((WEB_DIR / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert all(script.get("src") for script in page.find_all("script")), "inline <script> is blocked by script-src 'self'"
    assert not page.find_all("style"), "inline <style> is blocked by style-src 'self'"
    for tag in page.find_all(True):
        assert "style" not in tag.attrs and not any(name.startswith("on") for name in tag.attrs), tag
    script = (WEB_DIR / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"\beval\(|new Function\(|setAttribute\(\s*['\"](style|on\w+)['\"]|\.cssText\b", script)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:8000", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("LOCALHOST.", True),
        ("testserver", False),
        ("attacker.example", False),
        ("localhost@attacker.example", False),
        ("attacker.example/localhost", False),
        ("", False),
    ],
)
def test_default_hosts_are_the_local_names_only(tmp_path: Path, host: str, allowed: bool) -> None:
    engine = make_engine(tmp_path, allowed_hosts=[])
    with TestClient(create_app(engine.settings, engine)) as client:
        response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == (200 if allowed else 400)
    if not allowed:
        assert "FORUMQA_ALLOWED_HOSTS" in response.json()["detail"]


def test_configured_host_and_allowed_hosts_are_answered(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, host="qa.internal", allowed_hosts=["*.example.org", "forum.test"])
    with TestClient(create_app(engine.settings, engine)) as client:
        codes = {h: client.get("/api/health", headers={"Host": h}).status_code for h in ("qa.internal", "a.example.org", "forum.test")}
        assert codes == {"qa.internal": 200, "a.example.org": 200, "forum.test": 200}
        assert client.get("/api/health", headers={"Host": "example.org.attacker.example"}).status_code == 400
        assert client.get("/api/health", headers={"Host": "example.org"}).status_code == 400


def test_host_header_parsing() -> None:
    assert host_of("[0:0::1]:80") == "::1" and host_of("Example.ORG:443") == "example.org"
    assert host_of("[zz::1]") is None and host_of("a b") is None and host_of(None) is None


def test_docs_pages_are_off_and_the_schema_is_served(client: TestClient) -> None:
    """Swagger UI and ReDoc load scripts from a CDN (broken offline) and run inline script (refused by the CSP)."""
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "forumqa"


# ---------------------------------------------------------------- finding 10: credentials


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}", f"Bearer   {TOKEN}  "])
def test_bearer_scheme_is_case_insensitive(client: TestClient, header: str) -> None:
    assert client.post("/api/reindex", headers={"Authorization": header}).status_code == 200


@pytest.mark.parametrize("header", [None, TOKEN, f"Basic {TOKEN}", "Bearer", "Bearer ", "Bearer wrong", f"Bearer{TOKEN}"])
def test_a_missing_bare_or_wrong_token_gets_401_with_a_bearer_challenge(client: TestClient, header: str | None) -> None:
    response = client.post("/api/reindex", headers={"Authorization": header} if header is not None else {})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("query", [f"token={TOKEN}", f"access_token={TOKEN}", f"Access_Token={TOKEN}", f"%74oken={TOKEN}", "a=1&token="])
def test_tokens_in_the_query_string_are_refused(engine: Engine, query: str) -> None:
    with client_for(engine) as client:
        response = client.post(f"/api/reindex?{query}")
        assert response.status_code == 400 and "Authorization: Bearer" in response.json()["detail"]
        assert client.app.state.rebuilds.last is None  # type: ignore[attr-defined]  # refused before any rebuild


def test_access_log_filter_blanks_a_query_that_holds_a_token() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', (), None)
    record.args = ("127.0.0.1:5", "POST", f"/api/reindex?x=1&access_token={TOKEN}", "1.1", 400)
    assert RedactQueryTokens().filter(record)
    assert TOKEN not in record.getMessage() and "/api/reindex?[query removed" in record.getMessage()
    record.args = ("127.0.0.1:5", "GET", "/api/search?q=token+rings", "1.1", 200)
    RedactQueryTokens().filter(record)
    assert "q=token+rings" in record.getMessage()


# ---------------------------------------------------------------- a real server: Content-Length and the access log


@pytest.fixture
def live_server(engine: Engine) -> Iterator[tuple[int, list[str]]]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine.settings, engine), host="127.0.0.1", port=port, log_level="info"))
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep()
    logging.getLogger("uvicorn.access").addHandler(keep)  # after uvicorn.Config set up its loggers
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield port, lines
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        logging.getLogger("uvicorn.access").removeHandler(keep)


def _raw_request(port: int, head: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode("latin-1"))
        return sock.recv(65536)


def test_server_answers_413_from_content_length_without_waiting_for_the_body(live_server: tuple[int, list[str]]) -> None:
    port, _ = live_server
    started = time.monotonic()
    head = f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {20 * MIB}\r\n\r\n"
    answer = _raw_request(port, head)  # not one byte of the 20 MB is ever sent
    assert answer.startswith(b"HTTP/1.1 413") and time.monotonic() - started < 5


def test_server_never_logs_a_token_from_the_query_string(live_server: tuple[int, list[str]]) -> None:
    port, lines = live_server
    answer = _raw_request(port, f"GET /api/health?access_token={TOKEN} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lines and all(TOKEN not in line for line in lines), lines


# ---------------------------------------------------------------- finding 10: routing and schema


def test_wrong_method_on_an_api_path_is_405_and_unknown_api_paths_are_json_404(client: TestClient) -> None:
    wrong = client.get("/api/ask")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"
    assert client.put("/api/health").status_code == 405
    for path in ("/api/nope", "/api", "/api/"):
        response = client.get(path)
        assert response.status_code == 404 and isinstance(response.json()["detail"], str)
    assert client.get("/").status_code == 200 and client.get("/style.css").status_code == 200


def test_schema_declares_the_error_body_the_api_returns(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    # The OpenAI-compatible routes add OpenAI's `error` object beside the same `detail` line (ChatErrorOut).
    error_refs = [{"$ref": "#/components/schemas/ErrorOut"}, {"$ref": "#/components/schemas/ChatErrorOut"}]
    assert (
        schema["components"]["schemas"]["ChatErrorOut"]["properties"]["detail"]
        == schema["components"]["schemas"]["ErrorOut"]["properties"]["detail"]
    )
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "413", "422", "429"):
                declared = operation["responses"][code]["content"]["application/json"]["schema"]
                assert declared in error_refs[: 1 + path.startswith("/v1/")], (method, path, code)
    reindex = schema["paths"]["/api/reindex"]["post"]["responses"]
    assert {"401", "403", "409", "500"} <= set(reindex) and "WWW-Authenticate" in reindex["401"]["headers"]
    assert "404" in schema["paths"]["/api/documents/{doc_id}"]["get"]["responses"]
    assert schema["paths"]["/api/reindex"]["post"]["security"] == [{"HTTPBearer": []}]
    detail = client.post("/api/ask", json={"question": 3}).json()["detail"]
    assert isinstance(detail, str)


def test_documents_and_citations_carry_posts(client: TestClient) -> None:
    document = client.get("/api/documents/harbour").json()
    fields = {"start", "end", "author", "date", "post", "url", "quoted", "accepted"}
    assert document["sections"] and set(document["sections"][0]) == fields
    citation = client.post("/api/ask", json={"question": "Who organised the harbour cleanup day?"}).json()["related"][0]
    assert {"post", "url", "quoted", "accepted"} <= set(citation)


# ---------------------------------------------------------------- finding 10: logging


def test_configure_logging_makes_forumqa_info_visible(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger(LOGGER)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    configure_logging()
    configure_logging()  # idempotent: one handler, no line printed twice
    logger.info("re-indexed (watch): a test line")
    assert capsys.readouterr().err.count("re-indexed (watch): a test line") == 1


def test_the_server_logs_rebuilds_and_skipped_files(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    (engine.settings.documents_dir / "broken.json").write_text("{not json", encoding="utf-8")
    with client_for(engine) as client:  # start-up sets the forumqa logger to INFO: no caplog.set_level needed
        assert client.post("/api/reindex", headers=AUTH).status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any(m.startswith("re-indexed (api)") for m in messages), messages
    assert any(m.startswith("skipped broken.json") for m in messages), messages


# ---------------------------------------------------------------- finding 3: failed rebuilds


def _failing_once(engine: Engine, error: Exception) -> Callable[..., Any]:
    real = engine.reindex
    calls = [0]

    def reindex(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise error
        return real(*args, **kwargs)

    return reindex


def test_a_failed_rebuild_over_http_is_a_readable_500_and_health_reports_it(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "reindex", _failing_once(engine, RecursionError("maximum recursion depth exceeded")))
    with client_for(engine) as client:
        failed = client.post("/api/reindex", headers=AUTH)
        assert failed.status_code == 500
        assert failed.json()["detail"] == (
            "re-index failed (RecursionError: maximum recursion depth exceeded); answers still come from the previous index"
        )
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and health["last_rebuild"]["ok"] is False
        assert health["last_rebuild"]["error"] == "RecursionError: maximum recursion depth exceeded"
        assert health["last_rebuild"]["trigger"] == "api" and health["last_rebuild"]["at"]
        assert client.post("/api/ask", json={"question": "Who organised the harbour cleanup day?"}).status_code == 200
        assert client.post("/api/reindex", headers=AUTH).status_code == 200
        healed = client.get("/api/health").json()
        assert healed["status"] == "ok" and healed["last_rebuild"] == {**healed["last_rebuild"], "ok": True, "error": None}


def test_a_rebuild_with_no_documents_left_is_a_readable_4xx(engine: Engine) -> None:
    for path in engine.settings.documents_dir.iterdir():
        path.unlink()
    with client_for(engine) as client:
        response = client.post("/api/reindex", headers=AUTH)
        assert response.status_code == 422 and "\n" not in response.json()["detail"]
        assert client.get("/api/health").json()["last_rebuild"]["error"] == response.json()["detail"]


def _wait_for(condition: Callable[[], bool], touch: Callable[[int], None], seconds: float = 30.0) -> None:
    """Changes the folder until the watcher has acted on it (its first events may come before it watches)."""
    deadline, step = time.monotonic() + seconds, 0
    while not condition():
        assert time.monotonic() < deadline, "the watcher did not react"
        touch(step)
        step += 1
        time.sleep(0.3)


@pytest.mark.integration  # waits on a real watcher thread and the clock
def test_the_watcher_survives_a_failed_rebuild_and_health_says_so(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "reindex", _failing_once(engine, ValueError("Exceeds the limit (4300 digits) for integer string")))
    folder = engine.settings.documents_dir

    def touch(step: int) -> None:
        (folder / f"note-{step}.txt").write_text(f"Note {step}\nThe pier lights were repaired by crew {step}.\n", encoding="utf-8")

    with client_for(engine, watch=True) as client:
        _wait_for(lambda: client.get("/api/health").json()["last_rebuild"] is not None, touch)
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and health["watching"] is True
        assert health["last_rebuild"]["error"].startswith("ValueError: Exceeds the limit") and health["last_rebuild"]["trigger"] == "watch"
        _wait_for(lambda: client.get("/api/health").json()["last_rebuild"]["ok"], touch)
        assert client.get("/api/health").json() | {"status": "ok", "watching": True} == client.get("/api/health").json()
        assert any(d["doc_id"].startswith("note-") for d in client.get("/api/documents").json())


@pytest.mark.integration  # waits on a real watcher thread and the clock
def test_the_watcher_waits_out_a_rebuild_started_elsewhere(engine: Engine) -> None:
    rebuilds = RebuildLog()
    watcher = Watcher(engine, rebuilds)
    started, release = threading.Event(), threading.Event()

    def slow(step: str) -> None:
        started.set()
        release.wait(10)

    other = threading.Thread(target=engine.reindex, kwargs={"hook": slow})
    other.start()
    assert started.wait(10)
    runner = threading.Thread(target=watcher.rebuild)
    runner.start()
    time.sleep(0.3)
    assert rebuilds.last is None  # refused while the other one runs, not given up
    release.set()
    other.join()
    runner.join(10)
    assert rebuilds.last is not None and rebuilds.last.ok


def test_one_line() -> None:
    assert one_line(RecursionError("maximum recursion depth exceeded\nmore")) == "RecursionError: maximum recursion depth exceeded"
    assert one_line(OSError()) == "OSError" and len(one_line(ValueError("x" * 1000))) == 300


def test_an_answer_names_its_generation_and_the_document_can_be_fetched_from_it(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "Who organised the harbour cleanup day?"}).json()
    assert answer["generation"]
    assert client.get("/api/documents/harbour", params={"generation": answer["generation"]}).status_code == 200
    gone = client.get("/api/documents/harbour", params={"generation": "gen-long-gone"})
    assert gone.status_code == 410 and "ask the question again" in gone.json()["detail"]
