"""End to end on the real model, real FAISS and real SQLite over the shipped corpus."""

from __future__ import annotations

import json

import pytest

from conftest import EVAL_DIR, assert_citations_exact
from forumqa.engine import Engine
from forumqa.errors import DocumentNotFoundError, InvalidQuestionError

DEV_QUESTIONS = [json.loads(line)["q"] for line in (EVAL_DIR / "dev_questions.jsonl").read_text().splitlines() if line.strip()]


def test_answers_the_deal_value_question_with_an_exact_citation(shipped_engine: Engine) -> None:
    result = shipped_engine.ask("What is the total deal value of AstraZeneca's licensing agreements?")
    assert not result.abstained and result.answer is not None
    assert "$8.5 billion" in result.answer
    first = result.citations[0]
    assert first.text == result.answer
    assert first.source == "cbiic-2024-license-in-out-forum.txt" and first.date == "2025-03-09T23:14"
    assert shipped_engine.document(first.doc_id).text[first.start : first.end] == result.answer


@pytest.mark.parametrize("question", DEV_QUESTIONS)
def test_every_citation_and_related_passage_is_exact(shipped_engine: Engine, question: str) -> None:
    result = shipped_engine.ask(question)
    assert_citations_exact(shipped_engine, result.citations + result.related)
    if result.answer is not None:
        text = shipped_engine.document(result.citations[0].doc_id).text
        assert result.answer in text  # verbatim: an answer is a substring of a document
    assert 0.0 <= result.confidence <= 1.0


def test_off_topic_question_abstains_with_related_passages(shipped_engine: Engine) -> None:
    result = shipped_engine.ask("What is the boiling point of water at sea level?")
    assert result.abstained and result.answer is None and result.citations == []
    assert result.message and "couldn't find" in result.message
    assert result.related
    assert_citations_exact(shipped_engine, result.related)


def test_follow_up_question_is_resolved_against_the_previous_turn(shipped_engine: Engine) -> None:
    result = shipped_engine.ask("Who moderated it?", history=["When was the License-in/out & Commercialization Forum held?"])
    assert result.answer and "Becky Wong" in result.answer
    manufacturing = shipped_engine.ask(
        "and what did he say about manufacturing?", history=["Who is the Chief Medical Officer at Hutchmed?"]
    )
    assert manufacturing.answer and "stable manufacturing processes" in manufacturing.answer
    assert_citations_exact(shipped_engine, manufacturing.citations)


def test_a_pronoun_led_answer_is_quoted_with_the_sentence_it_leans_on(shipped_engine: Engine) -> None:
    result = shipped_engine.ask("What did Michael Shi say about manufacturing processes?")
    assert result.answer and result.answer.startswith("In the keynote titled") and "stable manufacturing processes" in result.answer


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001, "who\x07 moderated?"])
def test_bad_questions_raise_a_clear_error(shipped_engine: Engine, question: str) -> None:
    with pytest.raises(InvalidQuestionError):
        shipped_engine.ask(question)


@pytest.mark.parametrize("question", ["论坛的主持人是谁？", "Кто модерировал форум?", "?!?", "the of and"])
def test_unreadable_or_foreign_questions_abstain_cleanly(shipped_engine: Engine, question: str) -> None:
    result = shipped_engine.ask(question)
    assert result.abstained and result.answer is None


def test_search_and_documents(shipped_engine: Engine) -> None:
    passages = shipped_engine.search("BiBo Biopharma stainless-steel production lines", 3)
    assert len(passages) == 3 and "30,000 liters" in passages[0].text
    assert_citations_exact(shipped_engine, passages)
    [info] = shipped_engine.documents()
    assert info.doc_id == "cbiic-2024-license-in-out-forum" and info.chunks > 10
    with pytest.raises(DocumentNotFoundError):
        shipped_engine.document("../etc/passwd")


def test_thread_citations_name_the_post_author(forums_engine: Engine) -> None:
    result = forums_engine.ask("What should you negotiate in a NewCo before signing?")
    assert result.answer and "board seats" in result.answer
    assert result.citations[0].author == "marco_vc" and result.citations[0].date == "2024-12-08"
    assert_citations_exact(forums_engine, result.citations + result.related)
