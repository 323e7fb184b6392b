"""The OpenAI-compatible endpoint as chat apps use it: the official `openai` client against a real uvicorn server.

The formatter, the reading of a conversation and the event stream are pure, and tested without the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import pytest

from conftest import assert_citations_exact
from forumqa.answer import NOT_FOUND, Answer, Citation
from forumqa.answer_text import byline, chat_text
from forumqa.api import create_app
from forumqa.api.openai_compat import (
    ChatCompletionOut,
    ChoiceOut,
    MessageOut,
    OtherMessage,
    TextPart,
    UsageOut,
    UserMessage,
    conversation,
    stream_events,
)
from forumqa.api.schemas import AnswerOut, CitationOut
from forumqa.engine import Engine
from forumqa.errors import InvalidQuestionError
from forumqa.testing import serve_in_thread

if TYPE_CHECKING:  # imported where used: the client takes a second to import, and the fast tier never uses it
    import openai

MODERATOR = "The forum was moderated by Becky Wong, Project Manager of the Hong Kong iCampus at AstraZeneca."

# ---------------------------------------------------------------- model-free


def cite(text: str = "Ines Varga kept the fire going.", **extra: Any) -> Citation:
    return Citation("kiln", "Kiln Firing Night", "kiln.txt", "2022-11-05", 82, 82 + len(text), text, 0.8, **extra)


@pytest.mark.unit
def test_chat_text_quotes_the_answer_and_lists_its_sources() -> None:
    first = cite(author="Ann Lee", post="12", url="https://forum.example/t/1/12")
    second = cite("The kiln stayed hot.", post="abc", quoted=True)
    answer = Answer("Who kept the fire going?", first.text, False, 0.9, [first, second])
    assert chat_text(answer) == (
        "Ines Varga kept the fire going. [1]\n\nSources:\n"
        "[1] Kiln Firing Night — Ann Lee · #12 · 2022-11-05 (kiln.txt) https://forum.example/t/1/12\n"
        "[2] Kiln Firing Night — quote · abc · 2022-11-05 (kiln.txt)"
    )


@pytest.mark.unit
def test_chat_text_when_abstaining_lists_up_to_three_passages_one_per_line() -> None:
    passages = [cite(f"Passage {n}\nspans   lines.") for n in range(1, 6)]
    text = chat_text(Answer("Who wrote Romeo and Juliet?", None, True, 0.1, related=passages, message=NOT_FOUND))
    lines = text.splitlines()
    assert lines[:3] == [NOT_FOUND, "", "Related passages:"]
    assert lines[3:] == [f"[{n}] Kiln Firing Night — 2022-11-05 (kiln.txt): Passage {n} spans lines." for n in (1, 2, 3)]
    assert chat_text(Answer("q", None, True, 0.0, message=NOT_FOUND)) == NOT_FOUND


@pytest.mark.unit
def test_byline_says_only_what_the_document_says() -> None:
    assert byline(Citation("d", "T", "s", None, 0, 1, "x", 0.0)) == ""
    assert byline(cite(author="Ann", post="7")) == "Ann · #7 · 2022-11-05"


def user(content: Any) -> UserMessage:
    return UserMessage.model_validate({"role": "user", "content": content})


@pytest.mark.unit
def test_the_last_user_message_is_the_question_and_earlier_ones_the_history() -> None:
    messages: list[UserMessage | OtherMessage] = [
        OtherMessage(role="system", content="You are helpful."),
        user("When was the forum held?"),
        OtherMessage(role="assistant", content="On December 1, 2024. [1]"),
        user("x" * 50),  # over the limit: refused when asked, left out of the history now
        user([{"type": "text", "text": "Who moderated "}, {"type": "text", "text": " it?\x1c"}]),
    ]
    assert conversation(messages, max_chars=40) == ("Who moderated\nit?", ["When was the forum held?"])


@pytest.mark.unit
@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([OtherMessage(role="system", content="Be brief.")], "no message with role 'user'"),
        ([user("   "), user("Who?")], "messages[0]: the question is empty"),
        ([user([TextPart(type="text", text="ok\x07no")])], "messages[0]: the question contains control characters"),
    ],
)
def test_conversations_without_a_readable_question_are_refused(messages: list[UserMessage | OtherMessage], fragment: str) -> None:
    with pytest.raises(InvalidQuestionError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        conversation(messages, max_chars=100)


@pytest.mark.unit
def test_stream_events_spell_out_the_completion() -> None:
    answer = AnswerOut(question="q", answer="A.", abstained=False, confidence=1.0, citations=[], related=[], timings_ms={})
    content = "A. [1]\n\nSources:\n[1] T (s.txt)"
    completion = ChatCompletionOut(
        id="chatcmpl-x",
        created=1,
        choices=[ChoiceOut(message=MessageOut(content=content))],
        usage=UsageOut(prompt_tokens=1, completion_tokens=6, total_tokens=7),
        forumqa=answer,
    )
    events = list(stream_events(completion, include_usage=True))
    assert all(e.startswith("data: ") and e.endswith("\n\n") for e in events) and events[-1] == "data: [DONE]\n\n"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == content
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"} and chunks[-2]["forumqa"]["answer"] == "A."
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 7
    assert {c["id"] for c in chunks} == {"chatcmpl-x"} and {c["object"] for c in chunks} == {"chat.completion.chunk"}


# ---------------------------------------------------------------- the official client against a real server


@pytest.fixture(scope="module")
def client(shipped_engine: Engine) -> Iterator[openai.OpenAI]:
    import openai

    with serve_in_thread(create_app(shipped_engine.settings, shipped_engine)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)


def ask(client: openai.OpenAI, *messages: tuple[str, str]) -> Any:
    return client.chat.completions.create(
        model="gpt-4o", messages=[cast(Any, {"role": role, "content": text}) for role, text in messages], temperature=0.2
    )


def test_models_lists_forumqa(client: openai.OpenAI) -> None:
    [model] = client.models.list().data
    assert model.id == "forumqa" and model.owned_by == "forumqa" and model.created > 0


def test_the_answer_is_the_quote_with_its_sources(client: openai.OpenAI, shipped_engine: Engine) -> None:
    completion = ask(client, ("system", "Answer briefly."), ("user", "Who moderated the forum?"))
    [choice] = completion.choices
    assert choice.finish_reason == "stop" and choice.message.role == "assistant" and completion.model == "forumqa"
    assert choice.message.content.startswith(f"{MODERATOR} [1]\n\nSources:\n[1] ")
    assert completion.id.startswith("chatcmpl-") and completion.usage.total_tokens > 0
    answer = completion.model_extra["forumqa"]
    assert answer["answer"] == MODERATOR and answer["abstained"] is False
    assert_citations_exact(shipped_engine, [CitationOut.model_validate(c) for c in answer["citations"] + answer["related"]])


def test_streaming_sends_the_same_text_in_pieces(client: openai.OpenAI) -> None:
    question: list[Any] = [{"role": "user", "content": [{"type": "text", "text": "Who moderated the forum?"}]}]
    whole = client.chat.completions.create(model="forumqa", messages=question)
    chunks = list(client.chat.completions.create(model="forumqa", messages=question, stream=True, stream_options={"include_usage": True}))
    texts = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len([t for t in texts if t]) > 1 and "".join(texts) == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "stop" and (last.model_extra or {})["forumqa"]["answer"] == MODERATOR
    assert chunks[-1].usage is not None and whole.usage is not None and chunks[-1].usage.total_tokens == whole.usage.total_tokens


def test_earlier_user_messages_are_the_history(client: openai.OpenAI) -> None:
    completion = ask(
        client,
        ("user", "When was the License-in/out & Commercialization Forum held?"),
        ("assistant", "On December 1, 2024, ... [1]"),
        ("user", "Who moderated it?"),
    )
    assert "Becky Wong" in completion.choices[0].message.content
    assert completion.model_extra["forumqa"]["question"] == "Who moderated it?"


def test_an_off_topic_question_abstains_with_the_closest_passages(client: openai.OpenAI) -> None:
    completion = ask(client, ("user", "Who wrote Romeo and Juliet?"))
    content = completion.choices[0].message.content
    assert content.startswith(f"{NOT_FOUND}\n\nRelated passages:\n[1] ") and "[4]" not in content
    assert completion.model_extra["forumqa"]["abstained"] is True and completion.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"role": "system", "content": "Be brief."}], "no message with role 'user'"),
        ([{"role": "user", "content": "   "}], "the question is empty"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}], "only text parts"),
    ],
)
def test_bad_requests_are_client_errors_with_a_readable_message(
    client: openai.OpenAI, messages: list[dict[str, Any]], fragment: str
) -> None:
    import openai

    with pytest.raises((openai.BadRequestError, openai.UnprocessableEntityError)) as raised:
        client.chat.completions.create(model="forumqa", messages=cast(Any, messages))
    error = raised.value
    assert error.status_code == 422 and fragment in error.message and error.type == "invalid_request_error"
    assert isinstance(error.response.json()["detail"], str) and fragment in error.response.json()["detail"]
