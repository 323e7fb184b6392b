"""An OpenAI-compatible chat endpoint, so existing chat clients and SDKs can ask forumqa.

`POST /v1/chat/completions` takes OpenAI's request body: the last user message is the question, the
user messages before it are the conversation's history (oldest first); system and assistant
messages are read past. The reply's text is the quote with a "Sources:" list (forumqa.answer_text);
the structured answer, exact offsets and all, rides along in an extra top-level `forumqa` field
(on the last chunk when streaming).

Sampling options (temperature, max_tokens, n, ...) are accepted and ignored: the answer is a quote,
not a generation. `usage` counts words, not tokens: forumqa has no tokenizer for its replies, and a
count of 0 would read as "nothing was said".

Errors keep the API's `{"detail": "<one line>"}` body and add OpenAI's `error` object with the same
line, because OpenAI's SDKs and the chat apps built on them show `error.message` (without it the
Python SDK reports only "Error code: 422").
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator

from forumqa.answer import Answer
from forumqa.answer_text import chat_text
from forumqa.api.deps import EngineDep
from forumqa.api.errors import error_responses
from forumqa.api.schemas import QUESTION_PATTERN, AnswerOut, ErrorOut
from forumqa.errors import ForumQAError, InvalidQuestionError
from forumqa.questions import validate

#: The one model this server offers: the index, answered by quoting it.
MODEL_ID = "forumqa"

# ---------------------------------------------------------------- request

#: The schema says what the route checks (forumqa.questions.validate); the route gives the readable 422.
_UserText = Annotated[str, Field(json_schema_extra={"pattern": QUESTION_PATTERN})]
#: The messages hold a user message; the route refuses a conversation without one, with a readable 422.
_HAS_USER_MESSAGE: dict[str, Any] = {"contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}}


class _Lenient(BaseModel):
    # Unknown fields are what other clients send (name, tool_calls, logprobs, ...): accepted and ignored.
    # Strict: a declared field is its declared JSON type ("0.7" is not a temperature), as the schema says.
    model_config = ConfigDict(extra="allow", strict=True)


class TextPart(_Lenient):
    type: Literal["text"]
    text: _UserText


class UserMessage(_Lenient):
    """A question; text parts are joined. Images and other parts are refused: forumqa reads only text."""

    role: Literal["user"]
    content: _UserText | Annotated[list[TextPart], Field(min_length=1)]

    @field_validator("content", mode="before")
    @classmethod
    def _text_parts_only(cls, content: Any) -> Any:
        # One readable line instead of pydantic's error for each branch of the union.
        if isinstance(content, list):
            kinds = sorted({str(part["type"]) for part in content if isinstance(part, dict) and "type" in part} - {"text"})
            if kinds:
                raise ValueError(f"forumqa reads only text parts, not {', '.join(kinds)}")
        return content


class OtherMessage(_Lenient):
    """Read past: system prompts do not steer a quote, and the assistant's own replies are not questions."""

    role: Literal["system", "developer", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(_Lenient):
    include_usage: bool | None = None


class ChatRequest(_Lenient):
    #: Any name is accepted (clients insist on sending one); the reply names "forumqa".
    model: str = MODEL_ID
    messages: list[Annotated[UserMessage | OtherMessage, Field(discriminator="role")]] = Field(
        min_length=1, json_schema_extra=_HAS_USER_MESSAGE
    )
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    user: str | None = None


# ---------------------------------------------------------------- response


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    #: When the index was built (Unix seconds): the "model" is the index.
    created: int
    owned_by: str = MODEL_ID


class ModelListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class MessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(BaseModel):
    index: int = 0
    message: MessageOut
    finish_reason: Literal["stop"] = "stop"


class UsageOut(BaseModel):
    """Words, not tokens (see the module's docstring)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[ChoiceOut]
    usage: UsageOut
    #: The answer as POST /api/ask returns it: the exact offsets behind the text above.
    forumqa: AnswerOut


class OpenAIErrorOut(BaseModel):
    message: str
    type: Literal["invalid_request_error", "server_error"]
    param: str | None = None
    code: str | None = None


class ChatErrorOut(ErrorOut):
    """The API's error body plus OpenAI's `error` object, with the same line as its message."""

    error: OpenAIErrorOut


# ---------------------------------------------------------------- errors in OpenAI's shape too


async def _handled(request: Request, error: Exception) -> Response:
    """The app's own answer to `error` (its handlers are the one owner of status codes and wording)."""
    handlers = request.app.exception_handlers
    handler = next(handlers[kind] for kind in type(error).__mro__ if kind in handlers)
    response: Response = await handler(request, error)
    return response


def with_openai_error(response: Response) -> Response:
    """The `{"detail"}` response with `error: {message, type, param, code}` added; other bodies unchanged."""
    body = json.loads(bytes(response.body)) if response.media_type == "application/json" else None
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        return response
    kind: Literal["invalid_request_error", "server_error"] = "server_error" if response.status_code >= 500 else "invalid_request_error"
    error = OpenAIErrorOut(message=body["detail"], type=kind)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse({**body, "error": error.model_dump()}, status_code=response.status_code, headers=headers)


class _OpenAIErrorRoute(APIRoute):
    """Catches the errors the app's handlers turn into 4xx/503 (a bug's 500 is left to the app) and adds `error`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except (HTTPException, RequestValidationError, ForumQAError) as error:
                return with_openai_error(await _handled(request, error))

        return route


router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], route_class=_OpenAIErrorRoute)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {**entry, "model": ChatErrorOut} for code, entry in error_responses(*codes).items()}


_STREAM = {
    "description": "The chat.completion; with `stream: true`, Server-Sent Events instead",
    # One event as schemathesis and OpenAPI 3.2 read an SSE schema: the event's fields.
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "string",
                        "description": "A chat.completion.chunk as JSON: the role, then the text a line at a time, then an empty "
                        'delta with `finish_reason: "stop"` and the `forumqa` answer (then the usage when `stream_options.include_usage`); '
                        "last, `[DONE]`",
                    }
                },
            }
        }
    },
}

# ---------------------------------------------------------------- the conversation


def _text(message: UserMessage, position: int) -> str:
    parts = [message.content] if isinstance(message.content, str) else [part.text for part in message.content]
    for part in parts:
        try:
            validate(part, len(part))  # empty or control characters; the length limit is applied per use below
        except InvalidQuestionError as error:
            raise InvalidQuestionError(f"messages[{position}]: {error}") from None
    # Stripped first: a part may end in a character str.strip() takes for space but that is a control
    # character inside a text (U+001C-U+001F), and the joined parts must still be a valid question.
    return "\n".join(part.strip() for part in parts)


def conversation(messages: list[UserMessage | OtherMessage], max_chars: int) -> tuple[str, list[str]]:
    """The question (the last user message) and the history (the user messages before it, oldest first).

    An earlier message over the length limit is left out of the history rather than refused: it was
    refused when it was asked, and a chat app keeps sending it with every later question.
    """
    texts = [_text(m, n) for n, m in enumerate(messages) if isinstance(m, UserMessage)]
    if not texts:
        raise InvalidQuestionError("messages: no message with role 'user'; the last user message is the question")
    return texts[-1], [t for t in texts[:-1] if len(t.strip()) <= max_chars]


def _words(*texts: str) -> int:
    return sum(len(text.split()) for text in texts)


# ---------------------------------------------------------------- streaming


def _sse(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n"


def stream_events(completion: ChatCompletionOut, include_usage: bool) -> Iterator[str]:
    """The completion as OpenAI's chunks: the role, the text a line at a time, the stop (with `forumqa`), [DONE].

    The answer is computed whole before the first event, so a bad question still gets its 4xx status.
    """
    head = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created, "model": completion.model}

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

    yield _sse(chunk({"role": "assistant", "content": ""}))
    for line in completion.choices[0].message.content.splitlines(keepends=True):
        yield _sse(chunk({"content": line}))
    yield _sse(chunk({}, "stop", forumqa=completion.forumqa.model_dump(mode="json")))
    if include_usage:
        yield _sse({**head, "choices": [], "usage": completion.usage.model_dump()})
    yield _sse("[DONE]")


async def _sent_as_they_are(events: list[str]) -> AsyncIterator[str]:
    # Async, over ready strings: a sync iterator would take a worker thread for every event, and those
    # few threads (Settings.worker_threads) are busy answering other questions.
    for event in events:
        yield event


# ---------------------------------------------------------------- routes


def _completion(answer: Answer, history: list[str]) -> ChatCompletionOut:
    content = chat_text(answer)
    prompt = _words(answer.question, *history)
    completion = _words(content)
    return ChatCompletionOut(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        choices=[ChoiceOut(message=MessageOut(content=content))],
        usage=UsageOut(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion),
        forumqa=AnswerOut.model_validate(answer),
    )


@router.post(
    "/chat/completions",
    response_model=ChatCompletionOut,
    responses={200: _STREAM, **_errors(422, 503)},
    summary="Ask, in OpenAI's chat format",
)
def chat_completions(body: ChatRequest, engine: EngineDep) -> Any:
    question, history = conversation(list(body.messages), engine.settings.max_question_chars)
    completion = _completion(engine.ask(question, history), history)
    if not body.stream:
        return completion
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    events = _sent_as_they_are(list(stream_events(completion, include_usage)))
    return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/models", response_model=ModelListOut, responses=_errors(503), summary="The one model: forumqa")
def models(engine: EngineDep) -> Any:
    """Lists "forumqa", the index answered by quoting; the embedding model in the settings is not a chat model."""
    built = datetime.fromisoformat(engine.status().built_at)
    return ModelListOut(data=[ModelOut(id=MODEL_ID, created=int(built.timestamp()))])
