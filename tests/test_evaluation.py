"""The eval figures from answers, with a stand-in engine: what counts as right, abstained, and seen beside "not found"."""

from __future__ import annotations

from typing import cast

from forumqa.answer import Answer, Citation
from forumqa.engine import Engine
from forumqa.evaluation import EvalQuestion, evaluate, format_reports


def _passage(text: str, doc_id: str = "report") -> Citation:
    return Citation(doc_id=doc_id, title=doc_id, source=f"{doc_id}.txt", date=None, start=0, end=len(text), text=text, score=0.5)


class _Answers:
    """Answers each question as scripted."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers

    def ask(self, question: str, mode: str | None = None) -> Answer:
        return self.answers[question]


def _abstained(question: str, related: list[Citation]) -> Answer:
    return Answer(question=question, answer=None, abstained=True, confidence=0.2, related=related, timings_ms={"total": 1.0})


def test_an_abstention_counts_its_answer_among_the_first_three_related_passages() -> None:
    filler = [_passage("The hall was painted blue.", f"filler-{i}") for i in range(3)]
    found = _abstained("Who led the walk?", [*filler[:2], _passage("The walk was led by Mirela Ost.")])
    missed = _abstained("When did the fair open?", [*filler, _passage("The fair opened on 3 May.")])
    engine = _Answers({"Who led the walk?": found, "When did the fair open?": missed})
    questions = [
        EvalQuestion(q="Who led the walk?", expect=("Mirela Ost",), doc="report", kind="fact"),
        EvalQuestion(q="When did the fair open?", expect=("3 May",), doc="report", kind="fact"),
    ]

    report = evaluate(cast(Engine, engine), questions, "hybrid")

    assert report.false_abstention == 1.0
    assert report.false_abstentions == 2
    assert report.related_on_abstention == 0.5  # the fourth passage is not among those shown
    assert "on 0.50 of its 2 false abstentions the answer is in one of the first 3" in format_reports({"all": [report]})


def test_without_a_false_abstention_there_is_no_related_figure() -> None:
    cited = _passage("The walk was led by Mirela Ost.")
    answered = Answer(
        question="Who led the walk?",
        answer=cited.text,
        abstained=False,
        confidence=0.9,
        citations=[cited],
        timings_ms={"total": 1.0},
    )
    report = evaluate(
        cast(Engine, _Answers({"Who led the walk?": answered})),
        [EvalQuestion(q="Who led the walk?", expect=("Mirela Ost",), doc="report", kind="fact")],
        "hybrid",
    )
    assert report.answer_accuracy == 1.0 and report.related_on_abstention is None
    assert "related passages" not in format_reports({"all": [report]})
