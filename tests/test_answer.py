"""Fusion and answer selection are pure functions: hand-written inputs, no model."""

from __future__ import annotations

import pytest

from forumqa.answer import Weights, rank, select
from forumqa.retrieval import SentenceEvidence, blend, reciprocal_rank_fusion

pytestmark = pytest.mark.unit


def ev(sid: int, dense: float, chunk_score: float, coverage: float, doc: str = "d", start: int | None = None) -> SentenceEvidence:
    start = sid * 100 if start is None else start
    return SentenceEvidence(
        sentence_id=sid, doc_id=doc, start=start, end=start + 50, dense=dense, chunk_score=chunk_score, coverage=coverage
    )


def test_blend_lets_a_decisive_exact_match_win() -> None:
    fused = blend({1: 0.60, 2: 0.55}, {2: 12.0, 1: 1.0})
    assert max(fused, key=fused.__getitem__) == 2


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([1, 2, 3], [2, 1, 3])
    assert fused[1] == fused[2] > fused[3]


def test_rank_orders_by_weighted_score_then_position() -> None:
    weights = Weights(dense=0.5, chunk_score=0.0, coverage=0.5, abstain_below=0.3)
    ranked = rank([ev(2, 0.5, 0, 0.5), ev(1, 0.5, 0, 0.5), ev(3, 0.9, 0, 0.9)], weights)
    assert [e.sentence_id for _, e in ranked] == [3, 1, 2]


def test_select_abstains_below_threshold() -> None:
    ranked = rank([ev(1, 0.2, 0.1, 0.1)], Weights(0.4, 0.2, 0.4, 0.5))
    assert select(ranked, threshold=0.5) == []


def test_select_keeps_near_equal_non_overlapping_spans() -> None:
    weights = Weights(0.5, 0.0, 0.5, 0.3)
    ranked = rank([ev(1, 0.9, 0, 0.9), ev(2, 0.85, 0, 0.85), ev(3, 0.9, 0, 0.88, start=110), ev(4, 0.4, 0, 0.4)], weights)
    chosen = [e.sentence_id for _, e in select(ranked, threshold=0.3)]
    assert chosen[0] == 1
    assert 3 not in chosen  # overlaps the answer span
    assert 4 not in chosen  # far below the best
    assert 2 in chosen
