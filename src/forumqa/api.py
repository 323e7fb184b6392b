"""HTTP layer: pydantic schemas, routes, error mapping and the chat page. All the work is the Engine's.

Routes that touch the model or FAISS are plain `def`, so FastAPI runs them in its threadpool
and a slow question never stalls the event loop for other requests.

Every error, whoever raises it (a route, validation, or a guard in forumqa.http_guards), has the
body `{"detail": "<one line>"}`, and the OpenAPI schema declares exactly that (ErrorOut) for each code.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import Match, Mount
from starlette.types import Scope

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import (
    DocumentNotFoundError,
    ForumQAError,
    GenerationGoneError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidQuestionError,
    NoDocumentsError,
    ReindexInProgressError,
)
from forumqa.http_guards import SECURITY_HEADERS, BodySizeLimit, RateLimit, RejectQueryTokens, SecurityHeaders, TrustedHosts
from forumqa.logs import configure_logging, redact_access_log
from forumqa.watcher import RebuildLog, Trigger, Watcher, one_line

log = logging.getLogger("forumqa")

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
MAX_QUESTION_CHARS = 2000
#: Names a browser on this machine uses for it; the configured host and FORUMQA_ALLOWED_HOSTS are added.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

#: Python's str.isspace() characters and the control characters (category Cc) besides tab, newline and
#: return, spelled out so that a pattern means the same in every regex engine that reads the schema.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_TEXT = rf"[^{_SPACE}{_CONTROL}](?:[^{_CONTROL}]*[^{_SPACE}{_CONTROL}])?"
#: What forumqa.questions.validate accepts, for the schema only: the engine gives the readable 422 (a
#: pydantic pattern error would not say "empty" or "control characters").
QUESTION_PATTERN = rf"^[{_SPACE}]*{_TEXT}[{_SPACE}]*$"
#: A history entry may also be blank (it is then ignored).
HISTORY_PATTERN = rf"^[{_SPACE}]*(?:{_TEXT}[{_SPACE}]*)?$"

# ---------------------------------------------------------------- schemas


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        examples=["Who moderated the forum?"],
        json_schema_extra={"pattern": QUESTION_PATTERN},
    )
    history: list[Annotated[str, Field(max_length=MAX_QUESTION_CHARS, json_schema_extra={"pattern": HISTORY_PATTERN})]] = Field(
        default_factory=list, max_length=50
    )
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
    #: The post the quote is from (a thread's post id), and its address in the forum when the export has one.
    post: str | None = None
    url: str | None = None
    #: The words are a quote the post makes of someone outside the export; `author` is then that someone.
    quoted: bool = False


class ShortOut(BaseModel):
    """The phrase inside the answer that answers the question, in document offsets."""

    model_config = ConfigDict(from_attributes=True)
    start: int
    end: int
    text: str


class AnswerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    question: str
    answer: str | None
    short: ShortOut | None = None
    abstained: bool
    confidence: float
    citations: list[CitationOut]
    related: list[CitationOut]
    timings_ms: dict[str, float]
    message: str | None = None
    #: The index generation that answered; pass it to GET /api/documents/{doc_id}?generation= so the
    #: offsets index into the very text they were taken from, even after a rebuild.
    generation: str = ""


class SearchOut(BaseModel):
    results: list[CitationOut]


class DocumentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int


class SectionOut(BaseModel):
    """A span of the document's text; in a thread, (part of) one post, so the page can show it post by post."""

    model_config = ConfigDict(from_attributes=True)
    start: int
    end: int
    author: str | None = None
    date: str | None = None
    post: str | None = None
    url: str | None = None
    quoted: bool = False


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    doc_id: str
    title: str
    source: str
    date: str | None
    text: str
    sections: list[SectionOut]


class RebuildOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: str
    ok: bool
    trigger: Trigger
    error: str | None = None


class HealthOut(BaseModel):
    #: "degraded": the last rebuild failed or the watcher stopped; answers still come from the index loaded before.
    status: Literal["ok", "degraded"]
    documents: int
    chunks: int
    model: str
    index_updated_at: str
    reindexing: bool
    #: The last rebuild this server ran (start-up, --watch or /api/reindex); null before the first.
    last_rebuild: RebuildOut | None = None
    watching: bool = False


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


class ErrorOut(BaseModel):
    """The body of every error response."""

    detail: str


_ERRORS: dict[int, str] = {
    400: "Refused before reaching the route: a Host name this server does not answer to, a credential in the query string, "
    "or a Content-Length that is not a number",
    401: "Missing or wrong admin token (send 'Authorization: Bearer <token>')",
    403: "Re-indexing over HTTP is disabled (no admin token configured)",
    404: "No document with that id in the index",
    409: "A rebuild is already running",
    410: "That index generation is no longer held (the server keeps the live one and the one before): ask again",
    413: "Request body larger than the configured limit (FORUMQA_MAX_REQUEST_BYTES)",
    422: "Invalid request: what was wrong, in one line",
    429: "Too many requests from this address (only when FORUMQA_RATE_LIMIT_PER_SECOND is set)",
    500: "The rebuild failed; the previous index is still served",
    503: "No usable index is loaded",
    507: "The index could not be written (disk full, no permission); the previous index is still served",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750)", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}},
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for error codes, all with the ErrorOut body."""
    return {
        code: {"model": ErrorOut, "description": _ERRORS[code], **({"headers": _HEADERS[code]} if code in _HEADERS else {})}
        for code in codes
    }


# ---------------------------------------------------------------- dependencies


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_rebuilds(request: Request) -> RebuildLog:
    rebuilds: RebuildLog = request.app.state.rebuilds
    return rebuilds


EngineDep = Annotated[Engine, Depends(get_engine)]
RebuildsDep = Annotated[RebuildLog, Depends(get_rebuilds)]
#: FastAPI's parser: scheme "Bearer" required and case-insensitive (RFC 6750 / RFC 9110); also declares the scheme in OpenAPI.
_bearer = HTTPBearer(auto_error=False, description="FORUMQA_ADMIN_TOKEN, as 'Authorization: Bearer <token>'")


def require_admin(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """403 while no admin token is configured, 401 (with a Bearer challenge) for a missing, malformed or wrong one."""
    settings: Settings = request.app.state.settings
    token = settings.admin_token
    if not token:
        raise HTTPException(403, "re-indexing over HTTP is disabled: set FORUMQA_ADMIN_TOKEN to enable it")
    if credentials is None:
        challenge = 'Bearer realm="forumqa"'
        raise HTTPException(401, "missing admin token: send 'Authorization: Bearer <token>'", {"WWW-Authenticate": challenge})
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        challenge = 'Bearer realm="forumqa", error="invalid_token"'
        raise HTTPException(401, "wrong admin token", {"WWW-Authenticate": challenge})


_STATUS: list[tuple[type[ForumQAError], int]] = [
    (InvalidQuestionError, 422),
    (DocumentNotFoundError, 404),
    (GenerationGoneError, 410),
    (ReindexInProgressError, 409),
    (IndexWriteError, 507),
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


# ---------------------------------------------------------------- start-up


def _open_engine(settings: Settings, rebuilds: RebuildLog) -> Engine:
    """The engine over the index on disk, or over one built now; a start-up build is logged and recorded like any other."""
    from forumqa.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(settings.model, settings.device, settings.batch_size)
    try:
        return Engine.open(settings, embedder)
    except IndexNotFoundError as error:  # missing, or unreadable (IndexCorruptError): either way, build one
        log.info("no usable index (%s); building one from %s", error, settings.documents_dir)
    engine = Engine(settings, embedder)
    rebuilds.run(engine, "start")
    return engine


class _PageMount(Mount):
    """The page's files at "/", but never for /api paths: those reach the router, which answers 405 for a
    known path with the wrong method (GET /api/ask) and 404 for an unknown one, instead of the files' 404.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = str(scope.get("path", "")).removeprefix(str(scope.get("root_path", "")))
        if path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


def _guard(app: FastAPI, settings: Settings) -> None:
    """Middleware, innermost first: the body limit sits nearest the app; security headers wrap every answer."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    if settings.rate_limit_per_second is not None:
        app.add_middleware(RateLimit, per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    app.add_middleware(RejectQueryTokens)
    app.add_middleware(TrustedHosts, allowed=[*LOCAL_HOSTS, settings.host, *settings.allowed_hosts])
    app.add_middleware(SecurityHeaders)


# ---------------------------------------------------------------- app


def create_app(settings: Settings, engine: Engine | None = None, watch: bool = False) -> FastAPI:
    """The app; the engine is built at start-up (model loaded once) unless one is passed in.

    No /docs or /redoc: both pages load their scripts from a CDN (broken offline) and run inline
    script (refused by the page's Content-Security-Policy). /openapi.json is the API's description.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging()
        redact_access_log()
        # Sync routes run in AnyIO's thread pool (40 threads by default). Model and FAISS work is
        # CPU-bound, so more threads than cores only add per-thread memory (RSS grew 634 -> 979 MB
        # in a 120 s soak with 32 clients) and contention; see Settings.worker_threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        if app.state.engine is None:
            app.state.engine = _open_engine(settings, app.state.rebuilds)
        if watch:
            app.state.watcher = Watcher(app.state.engine, app.state.rebuilds)
            app.state.watcher.start()
        yield
        if app.state.watcher is not None:
            app.state.watcher.stop()

    app = FastAPI(
        title="forumqa",
        version="0.1.0",
        lifespan=lifespan,
        summary="Extractive, cited answers from forum texts",
        docs_url=None,
        redoc_url=None,
        responses=_errors(400, 413, 422, 429),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.rebuilds = RebuildLog()
    app.state.watcher = None
    _guard(app, settings)

    @app.exception_handler(ForumQAError)
    async def domain_error(_: Request, error: ForumQAError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _readable(list(error.errors()))}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        # Runs outside every middleware (Starlette's outermost layer), hence the security headers here.
        log.exception("unexpected error")
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500, headers=SECURITY_HEADERS)

    @app.post("/api/ask", response_model=AnswerOut, responses=_errors(503))
    def ask(body: AskRequest, engine: EngineDep) -> Any:
        return engine.ask(body.question, body.history, body.top_k)

    @app.get("/api/search", response_model=SearchOut, responses=_errors(503))
    def search(
        engine: EngineDep,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, json_schema_extra={"pattern": QUESTION_PATTERN})],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> Any:
        return {"results": engine.search(q, k)}

    @app.get("/api/documents", response_model=list[DocumentSummary], responses=_errors(503))
    def documents(engine: EngineDep) -> Any:
        return engine.documents()

    @app.get("/api/documents/{doc_id:path}", response_model=DocumentOut, responses=_errors(404, 410, 503))
    def document(
        doc_id: str,
        engine: EngineDep,
        generation: Annotated[str | None, Query(max_length=200, description="An answer's `generation`; default: the live index")] = None,
    ) -> Any:
        # Only ids present in the loaded index are served; the id never reaches the file system.
        return engine.document(doc_id, generation)

    @app.get("/api/health", response_model=HealthOut, responses=_errors(503))
    def health(request: Request, engine: EngineDep, rebuilds: RebuildsDep) -> Any:
        manifest = engine.snapshot.manifest
        last = rebuilds.last
        watcher: Watcher | None = request.app.state.watcher
        healthy = (last is None or last.ok) and (watcher is None or watcher.alive)
        return HealthOut(
            status="ok" if healthy else "degraded",
            documents=manifest.documents,
            chunks=manifest.chunks,
            model=manifest.model_id,
            index_updated_at=manifest.built_at,
            reindexing=engine.reindexing,
            last_rebuild=RebuildOut.model_validate(last) if last else None,
            watching=watcher is not None and watcher.alive,
        )

    @app.post(
        "/api/reindex",
        response_model=ReindexOut,
        responses=_errors(401, 403, 409, 500, 503, 507),
        dependencies=[Depends(require_admin)],
    )
    def reindex(engine: EngineDep, rebuilds: RebuildsDep) -> Any:
        try:
            report = rebuilds.run(engine, "api")
        except ForumQAError:
            raise
        except Exception as error:
            detail = f"re-index failed ({one_line(error)}); answers still come from the previous index"
            return JSONResponse({"detail": detail}, status_code=500)
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
        app.router.routes.append(_PageMount("/", app=StaticFiles(directory=WEB_DIR, html=True), name="web"))
    return app
