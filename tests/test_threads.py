"""The thread layout every export shares: who is credited for which words, and exact offsets."""

from __future__ import annotations

import pytest

from forumqa.chunking import split_sentences
from forumqa.documents import Document
from forumqa.threads import Code, Post, Quote, Thread, documents_of, to_document

pytestmark = pytest.mark.unit


def credited(document: Document) -> list[tuple[str | None, str, bool]]:
    """(author, text, quoted) of every answerable span; also checks each span is exact text."""
    out = []
    for section in document.sections:
        text = document.text[section.start : section.end]
        assert text == text.strip() and text, section
        out.append((section.author, text, section.quoted))
    return out


def thread(*posts: Post) -> Thread:
    return Thread("Widget pricing", list(posts))


def test_own_words_are_credited_to_their_author_with_post_and_date() -> None:
    document = to_document(
        thread(
            Post(("Widgets cost four euros.",), author="ana", date="2024-01-02", post="1", url="https://f.example/t/1#1"),
            Post(("Mine cost five.\nShipping was slow.",), author="ben", post="2", reply_to="1"),
        ),
        "t",
        "t.json",
    )
    assert document is not None
    assert credited(document) == [("ana", "Widgets cost four euros.", False), ("ben", "Mine cost five.\nShipping was slow.", False)]
    first, second = document.sections
    assert (first.post, first.date, first.url) == ("1", "2024-01-02", "https://f.example/t/1#1")
    assert (second.post, second.reply_to) == ("2", "1")
    assert document.text.startswith("Widget pricing\n\nana · #1 · 2024-01-02\nWidgets cost four euros.")


def test_a_quote_of_a_post_in_the_thread_is_shown_but_never_indexed_or_credited_to_the_replier() -> None:
    document = to_document(
        thread(
            Post(("Widgets cost four euros at the market.",), author="ana", post="1"),
            Post((Quote("Widgets cost four euros at the market.", "ana", "1"), "That is cheaper than online."), author="ben", post="2"),
        ),
        "t",
        "t.json",
    )
    assert document is not None
    assert credited(document) == [("ana", "Widgets cost four euros at the market.", False), ("ben", "That is cheaper than online.", False)]
    assert document.text.count("Widgets cost four euros at the market.") == 2  # shown in the reply, indexed once
    assert "> ana wrote:" in document.text


def test_a_quote_found_only_by_its_words_counts_as_a_repeat_despite_rewrapping() -> None:
    original = Post(("The meeting moved to Thursday, because the hall was booked on Wednesday.",), author="cy", post="1")
    rewrapped = Quote("the meeting moved to Thursday,\nbecause the hall was booked on Wednesday", "Cy")
    document = to_document(thread(original, Post((rewrapped, "Thanks for the heads-up."), author="dee", post="2")), "t", "t.json")
    assert document is not None
    assert [author for author, _, _ in credited(document)] == ["cy", "dee"]


def test_a_quote_from_outside_the_export_is_credited_to_the_quoted_writer() -> None:
    quote = Quote("Never run the mixer above speed three.", "eve", "99")
    document = to_document(thread(Post((quote, "Good advice from the old thread."), author="fay", post="5")), "t", "t.json")
    assert document is not None
    assert credited(document) == [("eve", quote.text, True), ("fay", "Good advice from the old thread.", False)]
    assert document.sections[0].post == "99"


def test_an_unattributed_quote_is_outside_material_the_poster_brings_in() -> None:
    document = to_document(thread(Post((Quote("Error 42: disk not ready"), "I get this at boot."), author="gus", post="1")), "t", "t.json")
    assert document is not None
    assert credited(document)[0] == ("gus", "Error 42: disk not ready", True)
    assert document.sections[0].post == "1"  # still points at the post that holds it


def test_the_same_outside_quote_twice_is_indexed_once() -> None:
    quote = Quote("Keep the lid closed.", "hal")
    document = to_document(thread(Post((quote, "Agreed."), author="ivy", post="1"), Post((quote, "Yes."), author="jo", post="2")), "t", "x")
    assert document is not None
    assert [text for _, text, _ in credited(document)].count("Keep the lid closed.") == 1


def test_empty_posts_are_left_out_and_a_thread_without_words_is_no_document() -> None:
    assert to_document(thread(Post(("  ",), author="kim"), Post((), author="lou")), "t", "x") is None
    document = to_document(thread(Post(("",), author="kim", post="1"), Post(("Hello there.",), author="lou", post="2")), "t", "x")
    assert document is not None
    assert "kim" not in document.text


def test_files_of_many_threads_get_one_id_per_thread_key() -> None:
    threads = iter([Thread("A", [Post(("One.",), author="a")], key="Q 17"), Thread("B", [Post(("Two.",), author="b")])])
    assert [d.doc_id for d in documents_of(threads, "dump/posts", "dump/Posts.xml", several=True)] == ["dump/posts/q-17", "dump/posts/2"]


def test_a_quote_of_a_post_missing_from_the_export_is_never_credited_to_the_replier() -> None:
    quote = Quote("Bring the spare key to the front desk.", author=None, post="t1_gone")
    document = to_document(thread(Post((quote, "Done, it is there now."), author="kit", post="t1_reply")), "t", "x.json")
    assert document is not None
    assert credited(document)[0] == (None, quote.text, True)


def test_code_keeps_its_indentation_and_spacing_and_each_line_is_quotable_exactly() -> None:
    script = Code("\n    def drain(tank):\n        while tank.level > 0:\n\n            tank.open(valve=2)   # slowly\n    \n")
    document = to_document(
        thread(Post(("Try this loop:", script, "It  empties  the tank."), author="ana", post="1")),
        "t",
        "t.json",
    )
    assert document is not None
    # the shared margin and the blank lines go; inner indentation and spacing stay; prose is still folded
    laid_out = "\nTry this loop:\ndef drain(tank):\n    while tank.level > 0:\n        tank.open(valve=2)   # slowly\nIt empties the tank."
    assert laid_out in document.text
    assert [text for _, text, _ in credited(document)][1].startswith("def drain(tank):")
    lines = [s.text for s in split_sentences(document)]
    assert "tank.open(valve=2)   # slowly" in lines
    for sentence in split_sentences(document):
        assert document.text[sentence.start : sentence.end] == sentence.text


def test_code_that_opens_indented_starts_its_span_at_its_first_word() -> None:
    document = to_document(thread(Post((Code("  x = 1\ny = 2"),), author="ana", post="1")), "t", "t.json")
    assert document is not None
    assert credited(document) == [("ana", "x = 1\ny = 2", False)]
    assert "\n  x = 1\ny = 2" in document.text


def test_no_break_spaces_in_code_are_spaces_and_a_str_operation_on_code_makes_prose_again() -> None:
    document = to_document(thread(Post((Code("limits:\n\xa0\xa0max: 3"), Code("a   b").upper()), author="ana")), "t", "t.json")
    assert document is not None
    assert "limits:\n  max: 3\nA B" in document.text
