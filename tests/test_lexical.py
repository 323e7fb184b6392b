from __future__ import annotations

import bm25s
import numpy as np
import pytest

from forumqa.lexical import LexicalIndex, _term_ids, terms

pytestmark = pytest.mark.unit


def test_terms_are_stemmed_and_drop_question_words() -> None:
    assert terms("Which companies attracted investors?") == ["compani", "attract", "investor"]
    assert terms("attract") == terms("attracted")


def test_bm25_ranks_the_matching_row_first() -> None:
    index = LexicalIndex.build(["the cat sat on the mat", "investors attract companies", "dogs bark loudly"])
    scores = index.scores(terms("what attracted the investors"))
    assert scores.argmax() == 1
    assert not index.scores(terms("zebra")).any()


def test_coverage_weights_rare_terms_and_context() -> None:
    index = LexicalIndex.build(["alpha common", "beta common", "gamma common", "delta common"])
    query = terms("alpha common")
    assert index.coverage(query, {"alpha", "common"}) == 1.0
    only_rare, only_common = index.coverage(query, {"alpha"}), index.coverage(query, {"common"})
    assert only_rare > only_common  # the rare term carries the question
    assert index.coverage(query, {"common"}, {"alpha": 0.5}) > only_common
    assert index.coverage(terms("unknownword"), set()) == 0.0


def test_packed_term_ids_build_the_index_that_lists_of_ids_build() -> None:
    texts = ["Harbour fair opens in spring", "", "the fair, the fair and the harbour", "Kelp farming at the harbour"]
    ids, vocab = _term_ids(texts)
    assert len(ids) == 4 and ids[1] == [] and ids[2] == [ids[2][0]] * 2 + [ids[0][0]]  # fair fair harbour
    assert list(ids) == [ids[i] for i in range(4)] and ids[1:3] == [ids[1], ids[2]]
    reference = bm25s.BM25()
    reference.index((list(ids), vocab), show_progress=False)
    ours = LexicalIndex.build(texts)._retriever.scores
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(ours[key], reference.scores[key])
