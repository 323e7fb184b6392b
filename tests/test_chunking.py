from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from conftest import EVAL_DIR, SHIPPED_DOCUMENTS
from forumqa.chunking import is_heading, make_chunks, split_sentences
from forumqa.documents import Document, Section
from forumqa.loading import load_documents
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit

ALL_DOCUMENTS = load_documents(SHIPPED_DOCUMENTS).documents + load_documents(EVAL_DIR / "corpus").documents


def doc(text: str, sections: tuple[Section, ...] | None = None) -> Document:
    return Document("d", "d.txt", "Title", None, text, sections or (Section(0, len(text)),))


@pytest.mark.parametrize("document", ALL_DOCUMENTS, ids=lambda d: d.doc_id)
def test_every_sentence_and_chunk_slices_back_exactly(document: Document) -> None:
    sentences = split_sentences(document)
    assert sentences
    for s in sentences:
        assert document.text[s.start : s.end] == s.text and s.text == s.text.strip()
    chunks = make_chunks(document, sentences, FakeEmbedder().count_tokens, max_tokens=60, overlap=1)
    for c in chunks:
        assert document.text[c.start : c.end] == c.text
        # chunks begin and end on sentence boundaries: no sentence is ever cut in two
        assert c.start == sentences[c.first_sentence].start and c.end == sentences[c.last_sentence].end
    covered = {i for c in chunks for i in range(c.first_sentence, c.last_sentence + 1)}
    assert covered == set(range(len(sentences)))


def test_abbreviations_do_not_split_sentences() -> None:
    text = "Hua Yutao, Vice President of Shanghai BiBo Biopharma Engineering Co., Ltd., delivered a keynote. He spoke."
    assert [s.text for s in split_sentences(doc(text))] == [
        "Hua Yutao, Vice President of Shanghai BiBo Biopharma Engineering Co., Ltd., delivered a keynote.",
        "He spoke.",
    ]


def test_headings_are_marked_not_split() -> None:
    sentences = split_sentences(doc("Opening Ceremony\nThe forum opened at nine. It closed at five.\n## Panel\n"))
    assert [(s.text, s.heading) for s in sentences] == [
        ("Opening Ceremony", True),
        ("The forum opened at nine.", False),
        ("It closed at five.", False),
        ("## Panel", True),
    ]
    assert is_heading("Keynotes") and not is_heading("The keynote was long.")
    assert is_heading(
        "License-in/out & Commercialization Forum - Insights into International Market Challenges and Collaborative Global Cooperation"
    )
    assert not is_heading("thanks everyone for the detailed answers about the newco structure and the board seats question earlier")


def test_a_short_line_without_a_full_stop_in_a_post_is_a_sentence() -> None:
    """Chat messages and forum replies often end without punctuation: there only Title Case makes a heading."""
    text = "Kettle Descaling Tips\nuse citric acid instead\nworked for me"
    post = Document("t", "t.json", "t", None, text, (Section(0, len(text), author="ana", post="2"),))
    assert [(s.text, s.heading) for s in split_sentences(post)] == [
        ("Kettle Descaling Tips", True),
        ("use citric acid instead", False),
        ("worked for me", False),
    ]
    assert is_heading("use citric acid instead") and not is_heading("use citric acid instead", in_post=True)


def test_chunks_respect_the_budget_and_overlap_by_one_sentence() -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(10))
    document = doc(text)
    sentences = split_sentences(document)
    chunks = make_chunks(document, sentences, FakeEmbedder().count_tokens, max_tokens=22, overlap=1)
    assert all(sum(len(sentences[i].text.split()) + 1 for i in range(c.first_sentence, c.last_sentence + 1)) - 1 <= 22 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        assert after.first_sentence == before.last_sentence  # one sentence of overlap


def test_a_sentence_longer_than_the_budget_is_its_own_chunk() -> None:
    long_sentence = "word " * 50 + "end."
    document = doc(f"Short one. {long_sentence} Short two.")
    sentences = split_sentences(document)
    chunks = make_chunks(document, sentences, FakeEmbedder().count_tokens, max_tokens=10, overlap=0)
    assert [c.text for c in chunks] == ["Short one.", long_sentence.strip(), "Short two."]


def test_chunks_never_cross_posts(tmp_path: Path) -> None:
    text = "Thread\n\nA says one thing. A says more.\n\nB replies here. B adds this."
    first, second = text.index("A says"), text.index("B replies")
    document = doc(text, (Section(first, text.index("\n\nB")), Section(second, len(text))))
    sentences = split_sentences(document)
    chunks = make_chunks(document, sentences, FakeEmbedder().count_tokens, max_tokens=100, overlap=1)
    assert [c.text for c in chunks] == ["A says one thing. A says more.", "B replies here. B adds this."]
