"""Misspelt question words put right towards the corpus's terms, and real words left alone."""

from __future__ import annotations

import pytest

from forumqa.engine import Engine
from forumqa.lexical import stem_words
from forumqa.spelling import Speller

#: Stand-ins: the model's whole words, and a corpus's stemmed terms with how many sentences use each.
MODEL_WORDS = ["firm", "form", "chair", "chain", "chained", "licensing", "license", "moderated", "panel", "wine", "line"]
CORPUS = {term: 3 for term in stem_words(["commercialization", "form", "chain", "licensing", "moderated", "line", "panel"])}


def _correct(question: str, speller: Speller | None = None) -> str:
    terms = list(CORPUS)
    return (speller or Speller(lambda: MODEL_WORDS)).correct(question, terms, CORPUS.__contains__, lambda t: CORPUS.get(t, 0))


@pytest.mark.unit
def test_a_slip_is_put_right_and_a_real_word_is_left_alone() -> None:
    # "licensnig": a swap of two letters is one edit; "comercialization": no model word for it, so the slip's own
    # ending goes on the meant stem; "firm", "chair" and "wine" are words (the corpus's "form", "chain", "line" are not meant)
    assert _correct("Which firm chaired the licensnig and comercialization panel?") == (
        "Which firm chaired the licensing and commercialization panel?"
    )
    assert _correct("Does the chair like red wine?") == "Does the chair like red wine?"


@pytest.mark.unit
def test_short_unknown_and_far_words_stay_as_typed() -> None:
    assert _correct("Who ran the frmo?") == "Who ran the frmo?"  # under six letters: too many words lie one edit away
    assert _correct("Who mdrtd it?") == "Who mdrtd it?"  # four edits from "moderated"
    assert _correct("Who Moderatd it?") == "Who Moderated it?"  # the capital stays


def test_a_misspelt_question_gets_the_answer_the_right_spelling_gets(shipped_engine: Engine) -> None:
    right = shipped_engine.ask("What was the total value of the licensing deals?")
    slipped = shipped_engine.ask("What was the total value of the licensnig deals?")
    assert slipped.question == "What was the total value of the licensnig deals?"  # the answer repeats it as asked
    assert not right.abstained and slipped.answer == right.answer
