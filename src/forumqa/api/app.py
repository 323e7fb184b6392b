"""The FastAPI app: middleware, error handlers, the /api routers and the chat page, over one Engine.

No /docs or /redoc: both pages load their scripts from a CDN (broken offline) and run inline
script (refused by the page's Content-Security-Policy). /openapi.json is the API's description.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount
from starlette.types import Scope

from forumqa import __version__
from forumqa.api import feedback, manage, openai_compat, routes
from forumqa.api.errors import error_responses, install_error_handlers
from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.errors import IndexNotFoundError
from forumqa.http_guards import BodySizeLimit, RateLimit, RejectQueryTokens, SecurityHeaders, TrustedHosts
from forumqa.logs import configure_logging, redact_access_log
from forumqa.watcher import RebuildLog, Watcher

log = logging.getLogger("forumqa")

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
#: Names a browser on this machine uses for it; the configured host and FORUMQA_ALLOWED_HOSTS are added.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Paths the routers own; the page is served everywhere else.
API_PREFIXES = ("/api", "/v1")


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
    """The page's files at "/", but never for API paths (/api, /v1): those reach the router, which answers 405
    for a known path with the wrong method (GET /api/ask) and 404 for an unknown one, instead of the files' 404.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = str(scope.get("path", "")).removeprefix(str(scope.get("root_path", "")))
        if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES):
            return Match.NONE, {}
        return super().matches(scope)


def _guard(app: FastAPI, settings: Settings) -> None:
    """Middleware, innermost first: the body limit sits nearest the app; security headers wrap every answer."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes, routes=manage.body_limits(settings))
    if settings.rate_limit_per_second is not None:
        app.add_middleware(RateLimit, per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    app.add_middleware(RejectQueryTokens)
    app.add_middleware(TrustedHosts, allowed=[*LOCAL_HOSTS, settings.host, *settings.allowed_hosts])
    app.add_middleware(SecurityHeaders)


def create_app(settings: Settings, engine: Engine | None = None, watch: bool = False) -> FastAPI:
    """The app; the engine is built at start-up (model loaded once) unless one is passed in."""

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
        version=__version__,
        lifespan=lifespan,
        summary="Extractive, cited answers from forum texts",
        docs_url=None,
        redoc_url=None,
        responses=error_responses(400, 413, 422, 429),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.rebuilds = RebuildLog()
    app.state.watcher = None
    _guard(app, settings)
    install_error_handlers(app)
    for module in (routes, manage, feedback, openai_compat):
        app.include_router(module.router)
    if WEB_DIR.is_dir():
        app.router.routes.append(_PageMount("/", app=StaticFiles(directory=WEB_DIR, html=True), name="web"))
    return app
