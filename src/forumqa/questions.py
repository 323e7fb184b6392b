"""What a question means before retrieval: validated, and a follow-up joined to the turn before it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from forumqa.errors import InvalidQuestionError
from forumqa.lexical import terms

_ANAPHORA = re.compile(r"\b(it|he|she|they|him|her|them|his|hers|their|its|this|these|those)\b", re.IGNORECASE)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|and what|but)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ResolvedQuestion:
    question: str  # the question as asked: the quoted sentence must answer this
    text: str  # what retrieval searches with: a follow-up carries the question it follows
    terms: tuple[str, ...]
    history_terms: tuple[str, ...]

    @property
    def follow_up(self) -> bool:
        return self.text != self.question


def validate(question: str, max_chars: int) -> str:
    """Trimmed question, or InvalidQuestionError saying what is wrong with it."""
    if not isinstance(question, str):
        raise InvalidQuestionError("the question must be a string")
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestionError("the question is empty: type a question about the documents")
    if len(stripped) > max_chars:
        raise InvalidQuestionError(f"the question is {len(stripped)} characters long; the limit is {max_chars}")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in stripped):
        raise InvalidQuestionError("the question contains control characters; remove them and ask again")
    return " ".join(stripped.split())


def is_follow_up(question: str, history: Sequence[str]) -> bool:
    if not history:
        return False
    return bool(_ANAPHORA.search(question) or _CONTINUATION.search(question) or len(set(terms(question))) < 2)


def resolve(question: str, history: Sequence[str]) -> ResolvedQuestion:
    """A follow-up ('Who moderated it?') is searched together with the question it follows."""
    own = tuple(dict.fromkeys(terms(question)))
    previous = next((h.strip() for h in reversed(history) if h and h.strip()), "")
    if not previous or not is_follow_up(question, [previous]):
        return ResolvedQuestion(question, question, own, ())
    carried = tuple(t for t in dict.fromkeys(terms(previous)) if t not in own)
    return ResolvedQuestion(question, f"{previous} {question}", own, carried)
