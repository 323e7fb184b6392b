"""HTTP layer: pydantic schemas, routes, error mapping and the chat page. All the work is the Engine's.

Routes that touch the model or FAISS are plain `def`, so FastAPI runs them in its threadpool
and a slow question never stalls the event loop for other requests.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import (
    DocumentNotFoundError,
    ForumQAError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQuestionError,
    NoDocumentsError,
    ReindexInProgressError,
)

log = logging.getLogger("forumqa")

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
MAX_QUESTION_CHARS = 2000

# ---------------------------------------------------------------- schemas


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, examples=["Who moderated the forum?"])
    history: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS)]] = Field(default_factory=list, max_length=50)
    top_k: int | None = Field(default=None, ge=1, le=50)


class CitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    doc_id: str
    title: str
    source: str
    date: str | None
    start: int
    end: int
    text: str
    score: float
    author: str | None = None


class AnswerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    question: str
    answer: str | None
    abstained: bool
    confidence: float
    citations: list[CitationOut]
    related: list[CitationOut]
    timings_ms: dict[str, float]
    message: str | None = None


class SearchOut(BaseModel):
    results: list[CitationOut]


class DocumentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    doc_id: str
    title: str
    source: str
    date: str | None
    text: str


class HealthOut(BaseModel):
    status: str
    documents: int
    chunks: int
    model: str
    index_updated_at: str
    reindexing: bool


class ReindexOut(BaseModel):
    documents: int
    chunks: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int
    embedded: int
    skipped: list[dict[str, str]]
    seconds: float


# ---------------------------------------------------------------- dependencies


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]

_STATUS: list[tuple[type[ForumQAError], int]] = [
    (InvalidQuestionError, 422),
    (DocumentNotFoundError, 404),
    (ReindexInProgressError, 409),
    (IndexNotFoundError, 503),
    (IndexMismatchError, 503),
    (NoDocumentsError, 422),
]


def _readable(errors: list[Any]) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(x) for x in error.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


# ---------------------------------------------------------------- watching


def _watch(engine: Engine, stop: threading.Event) -> None:
    """Re-index after changes in the documents folder settle; answers keep coming from the old index meanwhile."""
    from watchfiles import watch

    folder = engine.settings.documents_dir
    for changes in watch(folder, debounce=engine.settings.watch_debounce_ms, stop_event=stop, raise_interrupt=False):
        log.info("documents changed (%d files): re-indexing", len(changes))
        try:
            report = engine.reindex()
        except ForumQAError as error:
            log.warning("re-index after a change failed: %s", error)
            continue
        log.info(
            "re-indexed: %d added, %d changed, %d removed, %d embedded",
            len(report.added),
            len(report.changed),
            len(report.removed),
            report.embedded,
        )
        for skipped in report.skipped:
            log.warning("skipped %s: %s", skipped.source, skipped.reason)


# ---------------------------------------------------------------- app


def create_app(settings: Settings, engine: Engine | None = None, watch: bool = False) -> FastAPI:
    """The app; the engine is built at start-up (model loaded once) unless one is passed in."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "engine", None) is None:
            app.state.engine = Engine.open(settings, build_if_missing=True)
        stop = threading.Event()
        watcher = None
        if watch:
            watcher = threading.Thread(target=_watch, args=(app.state.engine, stop), name="forumqa-watch", daemon=True)
            watcher.start()
        yield
        stop.set()
        if watcher is not None:
            watcher.join(timeout=5)

    app = FastAPI(title="forumqa", version="0.1.0", lifespan=lifespan, summary="Extractive, cited answers from forum texts")
    app.state.engine = engine
    app.state.settings = settings

    @app.exception_handler(ForumQAError)
    async def domain_error(_: Request, error: ForumQAError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _readable(list(error.errors()))}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    @app.post("/api/ask", response_model=AnswerOut)
    def ask(body: AskRequest, engine: EngineDep) -> Any:
        return engine.ask(body.question, body.history, body.top_k)

    @app.get("/api/search", response_model=SearchOut)
    def search(
        engine: EngineDep, q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS)], k: Annotated[int, Query(ge=1, le=50)] = 5
    ) -> Any:
        return {"results": engine.search(q, k)}

    @app.get("/api/documents", response_model=list[DocumentSummary])
    def documents(engine: EngineDep) -> Any:
        return engine.documents()

    @app.get("/api/documents/{doc_id:path}", response_model=DocumentOut)
    def document(doc_id: str, engine: EngineDep) -> Any:
        # Only ids present in the loaded index are served; the id never reaches the file system.
        return engine.document(doc_id)

    @app.get("/api/health", response_model=HealthOut)
    def health(engine: EngineDep) -> Any:
        snapshot = engine.snapshot
        manifest = snapshot.manifest
        return HealthOut(
            status="ok",
            documents=manifest.documents,
            chunks=manifest.chunks,
            model=manifest.model_id,
            index_updated_at=manifest.built_at,
            reindexing=engine.reindexing,
        )

    @app.post("/api/reindex", response_model=ReindexOut)
    def reindex(engine: EngineDep, authorization: Annotated[str | None, Header()] = None) -> Any:
        token = settings.admin_token
        if not token:
            return JSONResponse({"detail": "re-indexing over HTTP is disabled: set FORUMQA_ADMIN_TOKEN to enable it"}, status_code=403)
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not authorization or not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"detail": "missing or wrong admin token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        report = engine.reindex()
        return ReindexOut(
            documents=report.documents,
            chunks=report.chunks,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            unchanged=report.unchanged,
            embedded=report.embedded,
            skipped=[{"source": s.source, "reason": s.reason} for s in report.skipped],
            seconds=report.seconds,
        )

    if WEB_DIR.is_dir():
        app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
