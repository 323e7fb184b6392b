"""The question inside a chatty message: greetings, thanks, apologies and indirect frames set aside, the rest kept."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forumqa.engine import Engine
from forumqa.question_core import core

BARE = "Which plugin did Ottilie recommend for the backup job?"
LOWER = "which plugin did Ottilie recommend for the backup job?"


@pytest.mark.unit
@pytest.mark.parametrize(
    "message",
    [
        f"Hello all! {BARE}",
        f"hey there, {LOWER}",
        f"{BARE} Many thanks in advance.",
        f"{BARE} thx",
        f"{BARE} Any advice is greatly appreciated. -- Piet",
        f"Could anybody tell me {LOWER}",
        f"Do you guys happen to know {LOWER}",
        f"I'm wondering {LOWER}",
        f"I would like to find out {LOWER} Best regards, Ines",
        f"Sorry if this is a silly question, but {LOWER}",
        f"Noob here. Quick question: {BARE}",
        f"Good evening everyone. Apologies if this was asked already. Is there somebody who knows {LOWER} Cheers!",
    ],
)
def test_the_framing_around_a_question_is_set_aside(message: str) -> None:
    question, context = core(message)
    assert question.lower() == BARE.lower()
    assert context == ""


@pytest.mark.unit
def test_a_bare_question_and_a_message_of_framing_alone_are_left_as_they_are() -> None:
    assert core(BARE) == (BARE, "")
    dotted = "How do I keep the 1.6.0 settings after e.g. a reinstall?"
    assert core(dotted) == (dotted, "")
    assert core("Hi everyone, thanks!") == ("Hi everyone, thanks!", "")
    # words that only look like framing stay: "any ideas" as the question's own subject, thanks in the middle
    topical = "Which ideas did the panel thank the sponsors for?"
    assert core(topical) == (topical, "")
    # a framing word inside a compound is the question's own: "Hi-Fi", "So-called", "post-processing"
    for compound in ("Hi-Fi settings for the amp?", "So-called headless boxes, which need a monitor?", "First post-processing step?"):
        assert core(compound) == (compound, "")
    assert core("OK button does nothing in the dialog?")[0] == "OK button does nothing in the dialog?"
    assert core("New to this version, what changed?")[0] == "New to this version, what changed?"


@pytest.mark.unit
def test_phone_apostrophes_and_clipped_question_words_read_as_typed_in_full() -> None:
    assert core("What’s Ottilie’s favourite plugin?") == ("What's Ottilie's favourite plugin?", "")
    assert core("whats the backup plugin") == ("what's the backup plugin?", "")
    assert core("Whos running the mirror?") == ("Who's running the mirror?", "")


@pytest.mark.unit
def test_sentences_that_ask_nothing_are_kept_apart_as_context() -> None:
    question, context = core("Hi, I run the nightly build on a headless box. How do I stop it from updating itself? Thanks.")
    assert question == "How do I stop it from updating itself?"
    assert context == "I run the nightly build on a headless box."
    # a question left as the tail of a statement, or typed without its mark, is searched as a question
    assert core("Hey folks, I'd like to know who set up the mirror.") == ("who set up the mirror?", "")
    assert core("who set up the mirror") == ("who set up the mirror?", "")
    # no sentence asks: the message, out of its framing, is the question
    assert core("Hi, I need the mirror's address.") == ("I need the mirror's address.", "")


def test_a_chatty_question_gets_the_answer_the_bare_one_gets(shipped_engine: Engine) -> None:
    bare = shipped_engine.ask("Who moderated the License-in/out & Commercialization Forum?")
    chatty = shipped_engine.ask("Hello everyone! Does anybody know who moderated the License-in/out & Commercialization Forum? Thanks!")
    assert chatty.question.startswith("Hello everyone!")  # the answer repeats the message as asked
    assert not bare.abstained and chatty.answer == bare.answer
    assert chatty.short is not None and chatty.short.text == "Becky Wong"


def test_context_in_the_message_is_searched_with_a_question_that_leans_on_it(shipped_engine: Engine) -> None:
    leaning = shipped_engine.ask("I am reading about the License-in/out & Commercialization Forum. Who moderated it?")
    assert not leaning.abstained and leaning.short is not None and leaning.short.text == "Becky Wong"


_FRAGMENTS = [
    "Hi",
    "thanks",
    "does anyone know",
    "who",
    "moderated",
    "the",
    "forum",
    "?",
    ".",
    ",",
    "!",
    "-",
    "’s",
    "sorry if",
    "so",
    "I",
    "run",
    "it",
    " ",
]


@pytest.mark.unit
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=8), max_size=30).map(" ".join))
def test_the_question_is_never_empty_and_says_nothing_the_message_does_not(message: str) -> None:
    question, context = core(message)
    assert question.strip() or not message.strip()
    said = message.replace("’", "'").lower()
    for word in re.findall(r"\w+", question + " " + context):
        assert word.lower() in said or word.lower() == "s", word  # "whats" reads "what's"
