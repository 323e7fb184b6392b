"""The choice logic of retrieval without the model: each mode's scores, span joining, and the credit a
sentence earns from what surrounds it (title, heading, author, the sentence before)."""

from __future__ import annotations

import json

import pytest

from forumqa.config import Settings
from forumqa.index import IndexSnapshot, build_index, load_index
from forumqa.lexical import terms
from forumqa.retrieval import (
    AUTHOR_CREDIT,
    NEAR_CREDIT,
    Query,
    SentenceEvidence,
    _nearby_credit,
    _span,
    reciprocal_rank_fusion,
    retrieve_chunks,
    sentence_evidence,
)
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

REPORT = """# Harbour Lantern Festival

## Organisers

The festival was run by the Quayside Trust. She thanked every one of the volunteers by name.
Rain fell. The parade still went ahead along the old pier.

## Music

Three brass bands played until midnight.
"""

THREAD = {
    "title": "Kiln temperatures",
    "posts": [
        {"author": "Orla Finch", "date": "2024-05-01", "text": "My glaze keeps crawling at cone six. What am I doing wrong?"},
        {"author": "Tomas Reyes", "date": "2024-05-02", "text": "Wipe the bisque with a damp sponge before glazing."},
    ],
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> IndexSnapshot:
    root = tmp_path_factory.mktemp("retrieval")
    docs = root / "docs"
    docs.mkdir()
    (docs / "festival.md").write_text(REPORT, encoding="utf-8")
    (docs / "kiln.json").write_text(json.dumps(THREAD), encoding="utf-8")
    settings = Settings(documents_dir=docs, index_dir=root / "index")
    fake = FakeEmbedder()
    build_index(settings, fake)
    return load_index(settings, fake.dimension)


def query(text: str) -> Query:
    return Query(tuple(terms(text)), FakeEmbedder().encode([text])[0], text=text)


def sentence_id(snapshot: IndexSnapshot, opening: str) -> int:
    found = [i for i, s in enumerate(snapshot.sentences) if snapshot.text(s.doc_id, s.start, s.end).startswith(opening)]
    assert len(found) == 1, (opening, found)
    return found[0]


def quoted(snapshot: IndexSnapshot, sid: int) -> str:
    start, end = _span(snapshot, sid)
    return snapshot.text(snapshot.sentences[sid].doc_id, start, end)


# ---------------------------------------------------------------- modes


def test_dense_mode_scores_by_cosine_alone(snapshot: IndexSnapshot) -> None:
    hits = retrieve_chunks(snapshot, query("brass bands midnight"), "dense", 3)
    assert hits and all(h.score == h.dense and h.lexical == 0.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_bm25_mode_scores_by_normalised_bm25_alone(snapshot: IndexSnapshot) -> None:
    hits = retrieve_chunks(snapshot, query("glaze crawling"), "bm25", 3)
    assert hits[0].score == hits[0].lexical == 1.0  # the best row, over itself
    assert all(h.dense == 0.0 and h.score == h.lexical for h in hits)
    assert "glaze" in snapshot.text(
        snapshot.chunks[hits[0].chunk_id].doc_id, snapshot.chunks[hits[0].chunk_id].start, snapshot.chunks[hits[0].chunk_id].end
    )


def test_bm25_mode_finds_nothing_for_words_the_corpus_lacks(snapshot: IndexSnapshot) -> None:
    assert retrieve_chunks(snapshot, query("zeppelin xylophone"), "bm25", 3) == []


def test_hybrid_blend_is_half_cosine_half_normalised_bm25(snapshot: IndexSnapshot) -> None:
    hits = retrieve_chunks(snapshot, query("glaze crawling cone"), "hybrid", 5)
    assert hits
    for h in hits:
        assert h.score == pytest.approx(0.5 * max(h.dense, 0.0) + 0.5 * h.lexical)


def test_hybrid_rrf_scores_by_rank_in_each_list(snapshot: IndexSnapshot) -> None:
    q = query("glaze crawling cone")
    dense = retrieve_chunks(snapshot, q, "dense", 20)
    lexical = retrieve_chunks(snapshot, q, "bm25", 20)
    expected = reciprocal_rank_fusion([h.chunk_id for h in dense], [h.chunk_id for h in lexical])
    hits = retrieve_chunks(snapshot, q, "hybrid", 5, fusion="rrf")
    assert {h.chunk_id: h.score for h in hits} == {i: pytest.approx(expected[i]) for i in [h.chunk_id for h in hits]}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_candidate_sentence_is_quotable_and_in_one_document(snapshot: IndexSnapshot, mode: str) -> None:
    q = query("Who ran the lantern festival?")
    hits = retrieve_chunks(snapshot, q, mode, 3)  # type: ignore[arg-type]
    evidence = sentence_evidence(snapshot, q, hits, mode, pool=10, title_credit=0.75)  # type: ignore[arg-type]
    assert evidence
    for e in evidence:
        assert isinstance(e, SentenceEvidence) and not snapshot.sentences[e.sentence_id].heading
        assert 0 <= e.start < e.end <= len(snapshot.documents[e.doc_id].text)


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        ("Why does the glaze crawl at cone six?", 1.0),  # the opening post restates what the thread asks
        ("What glaze trouble did Orla have?", 0.0),  # it names the opener: the opening post is what it asks about
        ("What cone does the asker fire to?", 0.0),
    ],
)
def test_the_opening_post_counts_against_a_sentence_unless_the_question_names_its_author(
    snapshot: IndexSnapshot, question: str, opening: float
) -> None:
    q = query(question)
    evidence = sentence_evidence(snapshot, q, retrieve_chunks(snapshot, q, "hybrid", 3), "hybrid", pool=10, title_credit=0.75)
    first = sentence_id(snapshot, "My glaze keeps crawling")
    assert [e.opening for e in evidence if e.sentence_id == first] == [opening]


@pytest.mark.parametrize(
    ("opening", "said"),
    [
        ("Rain fell.", "Rain fell. The parade still went ahead along the old pier."),  # quoted with the next: what it says runs on
        ("She thanked", "She thanked every one of the volunteers by name."),  # leans on the one before: that is context
    ],
)
def test_novelty_counts_what_the_sentence_says_with_what_it_runs_on_into(snapshot: IndexSnapshot, opening: str, said: str) -> None:
    question = "Who thanked the parade volunteers when rain fell?"
    q = query(question)
    evidence = sentence_evidence(snapshot, q, retrieve_chunks(snapshot, q, "hybrid", 3), "hybrid", pool=10, title_credit=0.75)
    found = next(e for e in evidence if e.sentence_id == sentence_id(snapshot, opening))
    words = set(terms(said))
    assert found.novelty == pytest.approx(len(words - set(terms(question))) / len(words))


# ---------------------------------------------------------------- spans


def test_a_sentence_leaning_on_the_one_before_is_quoted_with_it(snapshot: IndexSnapshot) -> None:
    assert quoted(snapshot, sentence_id(snapshot, "She thanked")) == (
        "The festival was run by the Quayside Trust. She thanked every one of the volunteers by name."
    )


def test_a_short_sentence_is_quoted_with_the_one_after(snapshot: IndexSnapshot) -> None:
    assert quoted(snapshot, sentence_id(snapshot, "Rain fell.")) == "Rain fell. The parade still went ahead along the old pier."


def test_spans_never_cross_a_heading_or_a_post(snapshot: IndexSnapshot) -> None:
    assert quoted(snapshot, sentence_id(snapshot, "Three brass bands")) == "Three brass bands played until midnight."
    assert quoted(snapshot, sentence_id(snapshot, "Wipe the bisque")) == "Wipe the bisque with a damp sponge before glazing."


# ---------------------------------------------------------------- nearby credit


def test_title_terms_earn_the_title_credit(snapshot: IndexSnapshot) -> None:
    credit = _nearby_credit(snapshot, sentence_id(snapshot, "Three brass bands"), title_credit=0.75)
    assert all(credit[t] == 0.75 for t in terms("Harbour Lantern Festival"))


def test_heading_author_and_previous_sentence_earn_near_credit(snapshot: IndexSnapshot) -> None:
    under_heading = _nearby_credit(snapshot, sentence_id(snapshot, "Three brass bands"), title_credit=0.75)
    assert under_heading[terms("Music")[0]] == NEAR_CREDIT
    after = _nearby_credit(snapshot, sentence_id(snapshot, "She thanked"), title_credit=0.75)
    assert after[terms("Quayside")[0]] == NEAR_CREDIT
    reply = _nearby_credit(snapshot, sentence_id(snapshot, "Wipe the bisque"), title_credit=0.75)
    assert reply[terms("Tomas")[0]] == AUTHOR_CREDIT  # the post's author: whose words these are
    assert terms("crawling")[0] not in reply  # the opening post is another section: no credit from it


def test_the_opening_post_is_credited_with_the_words_that_name_its_writer(snapshot: IndexSnapshot) -> None:
    asker = terms("asker")[0]
    opening = _nearby_credit(snapshot, sentence_id(snapshot, "My glaze keeps crawling"), title_credit=0.75)
    assert opening[asker] == AUTHOR_CREDIT  # "What cone does the asker fire to?" asks for the opening post's words
    assert asker not in _nearby_credit(snapshot, sentence_id(snapshot, "Wipe the bisque"), title_credit=0.75)


def test_a_term_in_the_title_and_nearby_keeps_the_larger_credit(snapshot: IndexSnapshot) -> None:
    credit = _nearby_credit(snapshot, sentence_id(snapshot, "The festival was run"), title_credit=0.2)
    festival = terms("festival")[0]
    assert credit[festival] == 0.2  # in the title only: the heading above is "Organisers"
    high = _nearby_credit(snapshot, sentence_id(snapshot, "The festival was run"), title_credit=0.9)
    assert high[festival] == 0.9
