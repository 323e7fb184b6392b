"""The answering quality bar, as a regression test (figures, not timings: latency lives in benchmarks/)."""

from __future__ import annotations

from conftest import EVAL_DIR
from forumqa.engine import Engine
from forumqa.evaluation import evaluate, load_questions

DEV = load_questions(EVAL_DIR / "dev_questions.jsonl")
FORUMS = load_questions(EVAL_DIR / "forums_questions.jsonl")


def test_dev_set_meets_the_bar(shipped_engine: Engine) -> None:
    report = evaluate(shipped_engine, DEV, "hybrid")
    assert report.answer_accuracy >= 0.9, report.failures
    assert report.top1_source >= 0.9
    assert report.offtopic_abstention >= 0.9, report.failures
    assert report.false_abstention <= 0.1, report.failures


def test_both_sets_over_the_larger_corpus_meet_the_bar(forums_engine: Engine) -> None:
    # 0.907 with the weights tuned on these 54 questions alone; 0.884 with those tuned on the 162 of the
    # tuning half (README, Answer quality), which answer fewer questions wrongly on held-out ones.
    report = evaluate(forums_engine, DEV + FORUMS, "hybrid")
    assert report.answer_accuracy >= 0.85, report.failures
    assert report.top1_source >= 0.9
    assert report.offtopic_abstention >= 0.9, report.failures
    assert report.false_abstention <= 0.1, report.failures


def test_hybrid_is_at_least_as_accurate_as_either_signal_alone(forums_engine: Engine) -> None:
    reports = {mode: evaluate(forums_engine, DEV + FORUMS, mode) for mode in ("bm25", "dense", "hybrid")}
    for figure in ("answer_accuracy", "top1_source", "offtopic_abstention"):
        assert getattr(reports["hybrid"], figure) >= max(getattr(reports["bm25"], figure), getattr(reports["dense"], figure)), figure
