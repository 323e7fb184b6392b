"""The HTTP API's request and response bodies: pydantic lives here, at the edge; the engine speaks dataclasses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from forumqa.watcher import Trigger

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


class AskRequest(BaseModel):
    """The length limit is FORUMQA_MAX_QUESTION_CHARS, enforced by the engine (one owner), so it is not in the schema."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1,
        examples=["Who moderated the forum?"],
        json_schema_extra={"pattern": QUESTION_PATTERN},
    )
    history: list[Annotated[str, Field(json_schema_extra={"pattern": HISTORY_PATTERN})]] = Field(default_factory=list, max_length=50)
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
    #: The post is the one its thread marks as the answer: Stack Exchange's accepted answer, a Discourse solution.
    accepted: bool = False


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
    accepted: bool = False


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
    version: str = ""
    #: FORUMQA_MAX_QUESTION_CHARS, so the page's input limit follows the server's.
    max_question_chars: int = 0
    #: Whether admin routes (upload, delete, re-index) are enabled (an admin token is configured).
    uploads: bool = False


class SkippedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    source: str
    reason: str


class ReindexOut(BaseModel):
    """What a rebuild did; built straight from the engine's BuildReport."""

    model_config = ConfigDict(from_attributes=True)
    documents: int
    chunks: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int
    embedded: int
    skipped: list[SkippedOut]
    seconds: float


class ErrorOut(BaseModel):
    """The body of every error response."""

    detail: str
