"""Thumbs up/down on answers, stored beside the index so they survive rebuilds.

Open to anyone who can use the page (no admin token), like /api/ask: the rate limit and the body limit
middleware bound what one client can write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from forumqa.api.deps import SettingsDep
from forumqa.api.errors import error_responses
from forumqa.api.schemas import QUESTION_PATTERN, ErrorOut
from forumqa.feedback import Feedback, FeedbackStore
from forumqa.questions import validate

#: Longest comment kept: a few paragraphs say what was wrong; anything longer is a document, not feedback.
COMMENT_MAX_CHARS = 2000
#: An answer cites a few passages; 20 is more than any answer has, and bounds what one request stores.
MAX_CITATIONS = 20
#: Deepest nesting of the body: a citation's extra fields are flat on the page, and a body nested as deep as
#: the JSON parser allows (~1000) would overflow the stack of whatever walks it next (json.dumps, a 500).
MAX_DEPTH = 32

router = APIRouter(prefix="/api")


def _unstorable(data: Any) -> str | None:
    """Why the parsed body cannot be stored as it is, or None. A loop, not recursion: the body may nest as deep
    as the JSON parser allows, which is about as deep as Python's stack, so a recursive walk would overflow.
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"values nest deeper than {MAX_DEPTH} levels"
        if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            # JSON may spell one ("\ud800"); it is no character, and UTF-8 (SQLite's text) cannot hold it.
            return "the text holds a lone surrogate (such as \\ud800), which is not a character"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def _integral(value: Any) -> Any:
    """JSON Schema counts 452.0 as an integer, so the schema allows it; the strict int check alone would not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Offset = Annotated[int, Field(ge=0), BeforeValidator(_integral)]


class FeedbackCitation(BaseModel):
    """One citation of the answer as the page received it; its other fields (title, author, score...) are kept too."""

    model_config = ConfigDict(extra="allow", strict=True)
    doc_id: str
    start: Offset
    end: Offset
    text: str


class FeedbackIn(BaseModel):
    """The question's length limit is FORUMQA_MAX_QUESTION_CHARS, checked like /api/ask's, so it is not in the schema.

    Strict: a schema-invalid value ("yes" for helpful) is refused, not coerced.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(min_length=1, json_schema_extra={"pattern": QUESTION_PATTERN})
    answer: str | None = None
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_CITATIONS)
    helpful: bool
    comment: str | None = Field(default=None, max_length=COMMENT_MAX_CHARS)
    generation: str | None = Field(default=None, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if problem := _unstorable(data):
            raise ValueError(problem)
        return data


class FeedbackOut(BaseModel):
    id: int


def get_store(settings: SettingsDep) -> FeedbackStore:
    return FeedbackStore.beside(settings.index_dir)


StoreDep = Annotated[FeedbackStore, Depends(get_store)]


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses={
        **error_responses(422),
        507: {"model": ErrorOut, "description": "The feedback could not be saved (disk full, no permission)"},
    },
)
def give_feedback(body: FeedbackIn, store: StoreDep, settings: SettingsDep) -> Any:
    validate(body.question, settings.max_question_chars)
    citations = tuple(citation.model_dump() for citation in body.citations)
    feedback = Feedback(body.question, body.answer, body.helpful, citations, body.comment, body.generation)
    return FeedbackOut(id=store.add(feedback))
