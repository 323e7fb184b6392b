"""The /api routes, each a thin call into the Engine.

Routes that touch the model or FAISS run that work off the event loop, so a slow question never
stalls it for other requests. /ask holds no thread while its question waits for the model
(`Engine.submit_ask`: the encode is queued, the scoring runs on the engine's answering threads);
/search hands over only the engine call (`run_in_threadpool`). Both are `async` routes: as plain
`def` routes FastAPI also ran their response validation in the pool, one more round trip between
threads per answer.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from forumqa import __version__
from forumqa.api.deps import EngineDep, RebuildsDep, SettingsDep, WatcherDep, require_admin
from forumqa.api.errors import error_responses
from forumqa.api.schemas import (
    QUESTION_PATTERN,
    AnswerOut,
    AskRequest,
    DocumentOut,
    DocumentSummary,
    HealthOut,
    RebuildOut,
    ReindexOut,
    SearchOut,
)
from forumqa.errors import ForumQAError
from forumqa.watcher import one_line

router = APIRouter(prefix="/api")


@router.post("/ask", response_model=AnswerOut, responses=error_responses(503))
async def ask(body: AskRequest, engine: EngineDep) -> Any:
    return await asyncio.wrap_future(engine.submit_ask(body.question, body.history, body.top_k))


@router.get("/search", response_model=SearchOut, responses=error_responses(503))
async def search(
    engine: EngineDep,
    q: Annotated[str, Query(min_length=1, json_schema_extra={"pattern": QUESTION_PATTERN})],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> Any:
    return {"results": await run_in_threadpool(engine.search, q, k)}


@router.get("/documents", response_model=list[DocumentSummary], responses=error_responses(503))
def documents(engine: EngineDep) -> Any:
    return engine.documents()


@router.get("/documents/{doc_id:path}", response_model=DocumentOut, responses=error_responses(404, 410, 503))
def document(
    doc_id: str,
    engine: EngineDep,
    generation: Annotated[str | None, Query(max_length=200, description="An answer's `generation`; default: the live index")] = None,
) -> Any:
    # Only ids present in the loaded index are served; the id never reaches the file system.
    return engine.document(doc_id, generation)


@router.get("/health", response_model=HealthOut, responses=error_responses(503))
def health(engine: EngineDep, rebuilds: RebuildsDep, watcher: WatcherDep, settings: SettingsDep) -> Any:
    status = engine.status()
    last = rebuilds.last
    watching = watcher is not None and watcher.alive
    healthy = (last is None or last.ok) and (watcher is None or watching)
    return HealthOut(
        status="ok" if healthy else "degraded",
        documents=status.documents,
        chunks=status.chunks,
        model=status.model,
        index_updated_at=status.built_at,
        reindexing=status.reindexing or rebuilds.pending,  # pending: an upload's rebuild, asked for but not begun
        last_rebuild=RebuildOut.model_validate(last) if last else None,
        watching=watching,
        version=__version__,
        max_question_chars=settings.max_question_chars,
        uploads=settings.admin_token is not None and settings.admin_token != "",
    )


@router.post(
    "/reindex",
    response_model=ReindexOut,
    responses=error_responses(401, 403, 409, 500, 503, 507),
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
    return ReindexOut.model_validate(report)
