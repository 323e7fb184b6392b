"""The four real forum exports in ../shared/forums/corpus, indexed and asked end to end with the real model.

They were written by other people, so they are read from ../shared at test time and never copied here.
"""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from conftest import ROOT, assert_citations_exact
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.index import BuildReport

CORPUS = ROOT.parent / "shared" / "forums" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} not present: the real exports live in ../shared, beside the repo")


@pytest.fixture(scope="module")
def indexed(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, BuildReport]:
    documents = tmp_path_factory.mktemp("real-exports")
    for path in CORPUS.iterdir():
        shutil.copy(path, documents / path.name)
    engine = Engine(Settings(documents_dir=documents, index_dir=tmp_path_factory.mktemp("real-index")), embedder)
    return engine, engine.reindex()


def test_no_file_is_skipped_and_every_post_is_read(indexed: tuple[Engine, BuildReport]) -> None:
    engine, report = indexed
    skipped = [s for s in report.skipped if not s.reason.startswith("partly read")]
    assert skipped == []
    # Partial reads, each said: the Discourse file holds 20 of the topic's 22 posts, and one answer
    # in Posts.xml belongs to a question that is not in the file.
    partly = {s.source: s.reason for s in report.skipped}
    assert sorted(partly) == ["askubuntu_Posts.xml", "discourse_topic_1148.json"]
    assert "72679" in partly["askubuntu_Posts.xml"] and "22" in partly["discourse_topic_1148.json"]
    posts: Counter[str] = Counter()
    for document in engine.snapshot.documents.values():
        posts[document.source] += len({s.post for s in document.sections})
    assert posts["discourse_topic_1148.json"] == 20
    assert posts["dostips_viewtopic_t8729.html"] == 8
    assert posts["users_ponymail_apache_org_2022-01.mbox"] == 6
    assert posts["askubuntu_Posts.xml"] >= 90  # 42 questions and their answers, less the orphan and empty ones
    sources = Counter(d.source for d in engine.snapshot.documents.values())
    assert sources["users_ponymail_apache_org_2022-01.mbox"] == 2 and sources["askubuntu_Posts.xml"] == 42


def test_every_chunk_lies_in_answerable_text_and_quoted_repeats_are_indexed_once(indexed: tuple[Engine, BuildReport]) -> None:
    engine, _ = indexed
    snapshot = engine.snapshot
    for chunk in snapshot.chunks:
        sections = snapshot.documents[chunk.doc_id].sections
        assert any(s.start <= chunk.start and chunk.end <= s.end for s in sections), chunk
    [thread] = [d for d in snapshot.documents.values() if d.source == "discourse_topic_1148.json"]
    quoted = "make uBO able to detect the media element under the mouse pointer"
    assert thread.text.count(quoted) == 2  # gorhill's post 18, and SteveH66's quote of it in post 19
    holders = [s for s in thread.sections if quoted in thread.text[s.start : s.end]]
    assert [(s.author, s.post, s.quoted) for s in holders] == [("gorhill", "18", False)]


def test_a_sentence_quoted_in_a_later_reply_is_credited_to_its_writer(indexed: tuple[Engine, BuildReport]) -> None:
    engine, _ = indexed
    passages = engine.search("make uBO detect the media element under the mouse pointer when other DOM elements cover it", k=5)
    holding = [p for p in passages if "media element under the mouse pointer" in p.text]
    assert holding and all(p.author == "gorhill" and p.post == "18" for p in holding)
    assert_citations_exact(engine, passages)


@pytest.mark.parametrize(
    "question",
    [
        "How do I block the comments section on a news site with uBlock Origin?",
        "Which variable gives the path in a context menu command?",
        "How can I see attachments in the mail archive?",
        "How do I remove a package together with its configuration files?",
    ],
)
def test_answers_and_passages_over_real_exports_are_exact_and_credited(indexed: tuple[Engine, BuildReport], question: str) -> None:
    engine, _ = indexed
    result = engine.ask(question)
    assert_citations_exact(engine, result.citations + result.related)
    for citation in result.citations + result.related:
        if citation.source != "askubuntu_Posts.xml" or citation.author:  # every post of these exports names its writer
            assert citation.author, citation
