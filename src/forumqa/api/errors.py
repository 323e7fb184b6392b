"""Every error, whoever raises it, has the body `{"detail": "<one line>"}`; the OpenAPI schema declares exactly that."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from forumqa.api.schemas import ErrorOut
from forumqa.errors import (
    DocumentNotFoundError,
    FeedbackStoreError,
    ForumQAError,
    GenerationGoneError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidQuestionError,
    NoDocumentsError,
    ReindexInProgressError,
    describe_invalid,
)
from forumqa.http_guards import SECURITY_HEADERS

log = logging.getLogger("forumqa")

_ERRORS: dict[int, str] = {
    400: "Refused before reaching the route: a Host name this server does not answer to, a credential in the query string, "
    "or a Content-Length that is not a number",
    401: "Missing or wrong admin token (send 'Authorization: Bearer <token>')",
    403: "Admin routes (re-index, upload, delete) are disabled (no admin token configured)",
    404: "No document with that id in the index",
    409: "A rebuild is already running; or an upload names files already there (send overwrite=true); "
    "or a document's file cannot be deleted over HTTP (a folder, or a link leading outside the documents folder)",
    410: "That index generation is no longer held (the server keeps the live one and the one before): ask again",
    413: "Request body larger than the configured limit (FORUMQA_MAX_REQUEST_BYTES; for uploads FORUMQA_MAX_UPLOAD_MB)",
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


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for error codes, all with the ErrorOut body."""
    return {
        code: {"model": ErrorOut, "description": _ERRORS[code], **({"headers": _HEADERS[code]} if code in _HEADERS else {})}
        for code in codes
    }


_STATUS: list[tuple[type[ForumQAError], int]] = [
    (InvalidQuestionError, 422),
    (DocumentNotFoundError, 404),
    (GenerationGoneError, 410),
    (ReindexInProgressError, 409),
    (IndexWriteError, 507),
    (FeedbackStoreError, 507),
    (IndexNotFoundError, 503),
    (IndexMismatchError, 503),
    (NoDocumentsError, 422),
]


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors by their HTTP meaning, validation errors in one readable line, anything else a bare 500."""

    @app.exception_handler(ForumQAError)
    async def domain_error(_: Request, error: ForumQAError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_invalid(error.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, error: Exception) -> JSONResponse:
        # Runs outside every middleware (Starlette's outermost layer), hence the security headers here.
        log.exception("unexpected error")
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500, headers=SECURITY_HEADERS)
