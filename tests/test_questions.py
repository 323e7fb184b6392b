from __future__ import annotations

import pytest

from forumqa.errors import InvalidQuestionError
from forumqa.questions import is_follow_up, resolve, validate

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n\t", "empty"), ("x" * 2001, "limit is 2000"), ("who\x00 moderated", "control characters")],
)
def test_invalid_questions_say_what_is_wrong(question: str, message: str) -> None:
    with pytest.raises(InvalidQuestionError, match=message):
        validate(question, 2000)


def test_valid_question_is_trimmed() -> None:
    assert validate("  Who   moderated?\n", 2000) == "Who moderated?"


def test_follow_ups_are_joined_to_the_previous_question() -> None:
    assert is_follow_up("Who moderated it?", ["When was the forum held?"])
    assert is_follow_up("and what did he say about manufacturing?", ["Who is Michael Shi?"])
    assert not is_follow_up("Who is the CEO of VISEN Pharmaceuticals?", ["When was the forum held?"])
    resolved = resolve("Who moderated it?", ["When was the forum held?"])
    assert resolved.follow_up and resolved.text == "When was the forum held? Who moderated it?"
    assert resolved.terms == ("moder",) and "forum" in resolved.history_terms


def test_standalone_question_is_not_changed() -> None:
    resolved = resolve("Who is the CEO of VISEN Pharmaceuticals?", [])
    assert not resolved.follow_up and resolved.text == resolved.question
