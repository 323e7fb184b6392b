"""forumqa: extractive, cited question answering over a folder of forum texts.

    >>> import forumqa
    >>> qa = forumqa.open(documents_dir="documents", index_dir="index")
    >>> qa.ask("Who moderated the forum?").answer

The HTTP API and the CLI are thin layers over the same Engine this returns.
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path
from typing import Any

from forumqa.answer import Answer, Citation, Short
from forumqa.config import Settings
from forumqa.documents import Document, Section, Skipped
from forumqa.engine import DocumentInfo, Engine, IndexStatus
from forumqa.errors import (
    BuildLockedError,
    DocumentNotFoundError,
    ForumQAError,
    GenerationGoneError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidQuestionError,
    NoDocumentsError,
    ReindexInProgressError,
)
from forumqa.index import BuildReport

__all__ = [
    "Answer",
    "BuildLockedError",
    "BuildReport",
    "Citation",
    "Document",
    "DocumentInfo",
    "DocumentNotFoundError",
    "Engine",
    "ForumQAError",
    "GenerationGoneError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStatus",
    "IndexWriteError",
    "InvalidQuestionError",
    "NoDocumentsError",
    "ReindexInProgressError",
    "Section",
    "Settings",
    "Short",
    "Skipped",
    "__version__",
    "open",
]


def open(  # shadows the builtin inside this module only: `forumqa.open(...)` is the front door
    documents_dir: str | Path = "documents",
    index_dir: str | Path = "index",
    *,
    build_if_missing: bool = True,
    **settings: Any,
) -> Engine:
    """Open the index over a folder of documents, building it first if there is none (as `make run` does).

    Loads the embedding model once; keep the returned Engine for the life of the program.

    Args:
        documents_dir: the folder of forum exports, pages and reports to answer from.
        index_dir: where the index lives (built here when missing or unreadable).
        build_if_missing: False to raise IndexNotFoundError instead of building.
        **settings: any other Settings field, e.g. ``model="path/to/model"`` or ``top_k=8``;
            unset fields come from FORUMQA_* environment variables, then the defaults.

    Returns:
        The Engine: ``ask``, ``search``, ``documents``, ``document``, ``reindex``, ``status``.

    Raises:
        IndexNotFoundError: no index and ``build_if_missing`` is False.
        NoDocumentsError: the index had to be built and the folder holds nothing readable.
        pydantic.ValidationError: a settings value of the wrong type.
    """
    config = Settings(documents_dir=Path(documents_dir), index_dir=Path(index_dir), **settings)
    return Engine.open(config, build_if_missing=build_if_missing)
