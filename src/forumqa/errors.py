"""Domain errors. The library raises these; only the API and CLI turn them into HTTP codes or messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class ForumQAError(Exception):
    """Base class: the message is written for the person who has to act on it."""


class NoDocumentsError(ForumQAError):
    """The documents folder is missing or holds nothing that could be read."""


class IndexNotFoundError(ForumQAError):
    """No built index where the settings point."""


class IndexMismatchError(ForumQAError):
    """The index on disk was built with other model or chunking settings."""


class InvalidQuestionError(ForumQAError):
    """A question that cannot be answered as asked (empty, too long, unreadable)."""


class DocumentNotFoundError(ForumQAError):
    """A document id that is not in the index."""


class GenerationGoneError(ForumQAError):
    """An index generation the server no longer holds (it keeps the live one and the one before)."""


class ReindexInProgressError(ForumQAError):
    """A rebuild is already running; one at a time."""


class IndexCorruptError(IndexNotFoundError):
    """The live generation cannot be read: a file is missing, truncated or garbage, or CURRENT names no folder of the index.

    A kind of IndexNotFoundError because there is no usable index either way: callers that build a
    missing index (`serve`, `eval`) heal a corrupt one the same way, and the API answers 503. The next
    build notices it too and rebuilds in full, so the message only has to say which file failed.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"the index is unreadable: {self.path}: {reason}; run `forumqa index` to rebuild it")


class IndexWriteError(ForumQAError):
    """Writing the index failed (disk full, no permission, file size limit); the live index was not changed."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"could not write {self.path}: {reason}; the live index was not changed: "
            "free some space or fix the permissions, then run `forumqa index` again"
        )


class BuildLockedError(ReindexInProgressError):
    """Another process is building the same index folder and did not finish within `build_lock_timeout_s`."""


class FeedbackStoreError(ForumQAError):
    """feedback.sqlite could not be read or written (disk full, no permission, not a database, a newer schema)."""


def describe_invalid(errors: Iterable[Mapping[str, Any]]) -> str:
    """pydantic's validation errors as one readable line ("question: Field required; top_k: ..."), for
    the API's 422 and the CLI's settings errors alike. The "body" step of a request's location is noise."""
    parts = []
    for error in errors:
        where = ".".join(str(x) for x in error.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)
