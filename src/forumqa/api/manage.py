"""Adding and deleting documents from the page (admin only), and what the rebuild that follows made of them.

Both change the documents folder at once and answer 202: the index follows in a background rebuild,
which the page watches on /api/health (`reindexing`, `last_rebuild`) and reads on /api/rebuilds/last.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, ConfigDict

from forumqa import uploads
from forumqa.api.deps import EngineDep, RebuildsDep, SettingsDep, require_admin
from forumqa.api.errors import error_responses
from forumqa.api.schemas import SkippedOut
from forumqa.config import Settings
from forumqa.errors import DocumentNotFoundError
from forumqa.watcher import Trigger

router = APIRouter(prefix="/api")

UPLOAD_PATH = "/api/documents"
FILES_HELP = f"One or more files, each of a type the loader reads: {uploads.supported()}"


def max_upload_bytes(settings: Settings) -> int:
    return int(settings.max_upload_mb * 2**20)


def body_limits(settings: Settings) -> dict[tuple[str, str], tuple[int, str]]:
    """The upload route's own body limit, for forumqa.http_guards.BodySizeLimit (every other route keeps a few KB)."""
    detail = f"upload too large: at most {settings.max_upload_mb:g} MB per request (FORUMQA_MAX_UPLOAD_MB)"
    return {("POST", UPLOAD_PATH): (max_upload_bytes(settings), detail)}


class RejectedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    #: The name as sent.
    name: str
    reason: str


class UploadOut(BaseModel):
    #: Names the files were stored under (their base names).
    stored: list[str]
    rejected: list[RejectedOut]
    #: A rebuild that will index the stored files has been started (or will start when the running one ends).
    reindexing: bool


class DeleteOut(BaseModel):
    #: The file removed from the documents folder, relative to it.
    deleted: str
    #: Every document that file held (an mbox or a Posts.xml holds many): all leave the index.
    documents: list[str]
    reindexing: bool


class RebuildReportOut(BaseModel):
    """The last rebuild and, when it succeeded, what it did: an upload's file shows here as added, or skipped with the reason."""

    at: str
    ok: bool
    trigger: Trigger
    error: str | None = None
    added: list[str]
    changed: list[str]
    removed: list[str]
    skipped: list[SkippedOut]


def _names(items: list[str]) -> str:
    return ", ".join(items)


@router.post(
    "/documents",
    status_code=202,
    response_model=UploadOut,
    responses=error_responses(401, 403, 409, 413, 422),
    dependencies=[Depends(require_admin)],
)
def upload(
    files: Annotated[list[UploadFile], File(min_length=1, description=FILES_HELP)],
    engine: EngineDep,
    rebuilds: RebuildsDep,
    settings: SettingsDep,
    overwrite: Annotated[bool, Form(description="Replace files of the same name")] = False,
) -> Any:
    folder, limit = settings.documents_dir, max_upload_bytes(settings)
    plan = uploads.plan_upload(folder, [(f.filename, f.size) for f in files], overwrite, limit)
    if plan.too_large:
        raise HTTPException(413, f"over the upload limit of {settings.max_upload_mb:g} MB: {_names(plan.too_large)}; nothing stored")
    if plan.existing:
        detail = f"already in the documents folder: {_names(plan.existing)}; send overwrite=true to replace them (nothing stored)"
        raise HTTPException(409, detail)
    stored: list[str] = []
    rejected = list(plan.rejected)
    for position, name in plan.accepted:
        try:
            uploads.store(folder, name, files[position].file, limit, overwrite)
        except uploads.UploadRefused as refused:
            rejected.append(uploads.Rejected(files[position].filename or name, str(refused)))
        except OSError as error:
            rejected.append(uploads.Rejected(name, f"could not be written ({error.strerror or error})"))
        else:
            stored.append(name)
    if not stored:
        raise HTTPException(422, "no file stored: " + "; ".join(f"{r.name or '(no name)'}: {r.reason}" for r in rejected))
    rebuilds.run_soon(engine, "upload")
    return UploadOut(stored=stored, rejected=[RejectedOut.model_validate(r) for r in rejected], reindexing=True)


@router.delete(
    "/documents/{doc_id:path}",
    status_code=202,
    response_model=DeleteOut,
    responses=error_responses(401, 403, 404, 409, 503),
    dependencies=[Depends(require_admin)],
)
def delete(doc_id: str, engine: EngineDep, rebuilds: RebuildsDep, settings: SettingsDep) -> Any:
    snapshot = engine.snapshot
    document = snapshot.documents.get(doc_id)
    if document is None:
        raise DocumentNotFoundError(f"no document with id {doc_id!r} in the index")
    try:
        uploads.delete_source(settings.documents_dir, document.source)
    except uploads.DeleteRefused as refused:
        raise HTTPException(409, str(refused)) from None
    # Gone already (removed on the server) counts as deleted: the rebuild drops its documents either way.
    held = [d.doc_id for d in snapshot.documents.values() if d.source == document.source]
    rebuilds.run_soon(engine, "delete")
    return DeleteOut(deleted=document.source, documents=held, reindexing=True)


@router.get("/rebuilds/last", response_model=RebuildReportOut | None)
def last_rebuild(rebuilds: RebuildsDep) -> Any:
    """The last rebuild this server ran, with what it added, changed, removed and skipped; null before the first."""
    last = rebuilds.last
    if last is None:
        return None
    report = last.report
    return RebuildReportOut(
        at=last.at,
        ok=last.ok,
        trigger=last.trigger,
        error=last.error,
        added=report.added if report else [],
        changed=report.changed if report else [],
        removed=report.removed if report else [],
        skipped=[SkippedOut.model_validate(s) for s in report.skipped] if report else [],
    )
