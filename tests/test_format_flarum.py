"""Flarum discussion JSON: posts in number order, mention quotes credited to the quoted post, and what the file lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import assert_sections_exact, covering, head_of, read_damaged, read_one
from forumqa.documents import Document, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, discord, discourse, flarum, reddit, thread_json
from forumqa.loading import read_file
from forumqa.threads import Post, Quote, Thread

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
DISCUSSION = FIXTURES / "flarum" / "discussion_318.json"
LINK = "https://bakers.example.org/d/318-sourdough-starter-smells-like-nail-polish"


def _thread(path: Path = DISCUSSION) -> tuple[Thread, list[str]]:
    warnings: list[str] = []
    return next(flarum.read(path, warnings.append)), warnings


def _posts() -> dict[str, Post]:
    thread, _ = _thread()
    return {p.post or "": p for p in thread.posts}


def _comment(post_id: int, number: int, html: str | None, user: str | None = "1", **attributes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"number": number, "createdAt": f"2024-05-0{number}T10:00:00+00:00", "contentType": "comment"}
    if html is not None:
        values["contentHtml"] = html
    return {
        "type": "posts",
        "id": str(post_id),
        "attributes": values | attributes,
        "relationships": {"user": {"data": {"type": "users", "id": user} if user else None}},
    }


def _write(folder: Path, included: list[Any], slug: str = "7-hinge-oil", **discussion: Any) -> Path:
    """A small discussion 7 whose posts are `included` (ids listed in included order), with user 1 'Ana'."""
    listed = [{"type": "posts", "id": r["id"]} for r in included if isinstance(r, dict) and r.get("type") == "posts"]
    posts = {"posts": {"data": listed}}
    data = {"type": "discussions", "id": "7", "attributes": {"title": "Hinge oil", "slug": slug}, "relationships": posts}
    user = {"type": "users", "id": "1", "attributes": {"username": "ana", "displayName": "Ana"}}
    path = folder / "discussion_7.json"
    path.write_text(json.dumps({"data": data | discussion, "included": [*included, user]}), encoding="utf-8")
    return path


def _read(path: Path) -> tuple[Document, list[str]]:
    document, reasons = read_one(path)
    return document, [reason.split(": ", 1)[1] for reason in reasons]


# ---------------------------------------------------------------- the discussion


def test_discussion_is_one_document_whose_sections_slice_exactly() -> None:
    document, _ = read_one(DISCUSSION)
    thread, _ = _thread()
    assert document.doc_id == "discussion_318"
    assert document.title == "Sourdough starter smells like nail polish"
    assert document.date == "2023-02-11T09:14:03+00:00"
    assert_sections_exact(document, thread)  # each own section one paragraph, each quoted one a line of its quote


def test_posts_in_number_order_with_display_names_dates_replies_and_links() -> None:
    thread, _ = _thread()
    assert [p.post for p in thread.posts] == ["1", "3", "5", "6", "7", "9"]  # 2 is an event, 4 hidden, 8 broken
    assert [p.author for p in thread.posts] == ["Søren Ødegård", "Priya N.", None, "Søren Ødegård", "Ilse", "Priya N."]
    assert [p.date for p in thread.posts][:3] == ["2023-02-11T09:14:03+00:00", "2023-02-11T11:02:40+00:00", "2023-02-12T08:30+00:00"]
    assert [p.reply_to for p in thread.posts] == [None, "1", "4", "3", None, None]  # 7 mentions a post of another discussion
    assert [p.url for p in thread.posts] == [f"{LINK}/{p.post}" for p in thread.posts]  # the forum's address, from the mention links


def test_a_mention_quote_is_the_quoted_writers_words_never_the_repliers() -> None:
    document, _ = read_one(DISCUSSION)
    quoted = "Since yesterday it smells sharply of nail polish remover"
    assert document.text.count(quoted) == 2  # written in post 1, quoted in post 3
    for section in document.sections:
        if quoted in document.text[section.start : section.end]:
            assert (section.author, section.post, section.quoted) == ("Søren Ødegård", "1", False)
    assert "> Søren Ødegård wrote:\n> Since yesterday" in document.text
    assert "Søren Ødegård Since yesterday" not in document.text  # the attributing mention is no part of the words


def test_nested_quotes_keep_their_own_writers() -> None:
    post = _posts()["6"]
    assert post.blocks == (
        Quote("That smell means the yeast is hungry, not that the starter has gone bad.", "Priya N.", "3"),
        Quote("Is it ruined?", "Søren Ødegård", "1"),
        "Thanks, twice a day it is. Does the water temperature matter?",
    )
    document, _ = read_one(DISCUSSION)
    assert [s.author for s in document.sections if s.post == "6"] == ["Søren Ødegård"]  # only his own line
    for words in ("Is it ruined?", "That smell means the yeast is hungry"):
        assert {(s.author, s.quoted) for s in covering(document, words)} <= {("Søren Ødegård", False), ("Priya N.", False)}
    (own,) = covering(document, "That smell means the yeast is hungry")
    assert (own.author, own.post) == ("Priya N.", "3")


def test_quotes_of_posts_not_in_the_file_stay_citable_as_their_writers() -> None:
    document, _ = read_one(DISCUSSION)
    (hidden,) = covering(document, "Pour off the grey liquid")  # post 4 of this discussion, hidden from the saver
    assert (hidden.author, hidden.post, hidden.quoted) == ("Jonas", "4", True)
    (elsewhere,) = covering(document, "Rye starters ferment faster")  # post 4 of discussion 77: not our post 4
    assert (elsewhere.author, elsewhere.post, elsewhere.quoted) == ("Tomás", "7", True)
    assert not covering(document, "Tomás wrote:")  # the attribution line is no one's words
    assert all(s.author != "Ilse" for s in covering(document, "Rye starters"))


def test_bbcode_quote_names_its_writer_and_a_plain_blockquote_is_outside_material() -> None:
    posts = _posts()
    assert posts["9"].blocks[0] == Quote("Water around 26 °C keeps mine happy", "Ilse", None)
    leaflet = "A starter that is fed too rarely gives off acetone-like notes once it runs out of food."
    assert Quote(leaflet) in posts["3"].blocks
    document, _ = read_one(DISCUSSION)
    (section,) = covering(document, leaflet)
    assert (section.author, section.post, section.quoted) == ("Priya N.", "3", True)  # brought in by the poster
    (ilse,) = covering(document, "Water around 26 °C keeps mine happy")
    assert (ilse.author, ilse.post, ilse.quoted) == ("Ilse", "7", False)  # Priya's quote of it repeats Ilse's post


def test_a_deleted_users_post_has_no_author() -> None:
    document, _ = read_one(DISCUSSION)
    (section,) = covering(document, "Seconding this.")
    assert (section.author, section.post, section.quoted) == (None, "5", False)
    assert "\nanonymous · #5 · 2023-02-12T08:30+00:00\n" in document.text


def test_event_posts_are_silent_and_the_broken_and_missing_posts_are_reported() -> None:
    document, reasons = _read(DISCUSSION)
    assert reasons == [
        "2 of the discussion's 10 posts are not in this file (Flarum's API sends 20 at a time); "
        "save the rest with /api/discussions/318?page[offset]=20 (then 40, …), or page[limit]=50 per request",
        "post 8 (id 5115): no contentHtml; left out",
    ]
    assert "Starter smells weird" not in document.text
    assert {s.post for s in document.sections} == {"1", "3", "4", "5", "6", "7", "9"}


# ---------------------------------------------------------------- detection


def test_sniff_claims_flarum_discussions_only() -> None:
    head = head_of(DISCUSSION)
    assert flarum.sniff(DISCUSSION, head)
    assert next(f for f in THREAD_FORMATS if f.sniff(DISCUSSION, head)) is flarum.FORMAT
    assert not any(other.sniff(DISCUSSION, head) for other in (discourse, reddit, discord))
    assert thread_json.sniff(DISCUSSION, head)  # it holds "posts": why flarum comes before thread_json
    others = [*FIXTURES.glob("discourse/*.json"), *FIXTURES.glob("reddit/*.json"), *FIXTURES.glob("discord/*.json")]
    assert others
    for other in others:
        assert not flarum.sniff(other, head_of(other)), other
    assert not flarum.sniff(Path("t.json"), json.dumps({"title": "discussions", "posts": [{"text": '"type": "discussions"'}]}))
    index = {"links": {"first": "https://f.example/api/discussions"}, "data": [{"type": "discussions", "id": "1"}]}
    assert not flarum.sniff(Path("index.json"), json.dumps(index))  # the discussion list holds no posts


# ---------------------------------------------------------------- shapes and damage


def test_links_only_where_the_file_gives_the_forums_address(tmp_path: Path) -> None:
    plain = _write(tmp_path, [_comment(70, 1, "<p>Use light machine oil.</p>")])
    assert next(flarum.read(plain, print)).posts[0].url is None  # no host to be had: none invented
    flarum2 = _write(
        tmp_path,
        [_comment(70, 1, "<p>Use light machine oil.</p>")],
        slug="hinge-oil",
        links={"self": "https://f.example/forum/api/discussions/7"},
    )
    (post,) = next(flarum.read(flarum2, print)).posts
    assert post.url == "https://f.example/forum/d/7-hinge-oil/1"  # a slug written without its id (before 1.0) gets it


def test_a_bad_entry_costs_only_itself(tmp_path: Path) -> None:
    included = [
        "not a resource",
        {"type": "posts", "id": "71", "attributes": ["junk"]},
        _comment(72, 2, "<p>Spam, hidden by a moderator.</p>", isHidden=True),
        _comment(73, 3, "<p>Sorry, this post could not be displayed.</p>", renderFailed=True),
        _comment(74, 4, "<p> </p>"),
        _comment(75, 5, "<p>Still here.</p>", user=None),
        _comment(76, 6, None, user="1", contentType="discussionLocked", content={"locked": True}),
        _comment(80, 1, "<p>In another discussion.</p>") | {"relationships": {"discussion": {"data": {"type": "discussions", "id": "9"}}}},
    ]
    path = _write(tmp_path, included[:-1])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["included"].append(included[-1])  # a mentionedBy post of another discussion: included, but not listed
    path.write_text(json.dumps(data), encoding="utf-8")
    document, reasons = _read(path)
    assert [(s.author, document.text[s.start : s.end]) for s in document.sections] == [(None, "Still here.")]
    assert reasons == [
        "entry 1 of included is not a resource; left out",
        "post ? (id 71): no attributes; left out",
        "post 2 (id 72): hidden (deleted) by its author or a moderator; left out",
        "post 3 (id 73): Flarum could not render it; left out",
        "post 4 (id 74): no text; left out",
    ]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # "@Ana" alone on the line before the quote names it, and goes
        (
            '<p><a class="PostMention" data-id="70">Ana</a></p><blockquote><p>Oil it yearly.</p></blockquote>',
            (Quote("Oil it yearly.", "Ana", "1"),),
        ),
        # a sentence that mentions someone is the replier's, and the quote after it unattributed
        (
            '<p>As <a class="PostMention" data-id="70">Ana</a> showed:</p><blockquote><p>Oil it yearly.</p></blockquote>',
            ("As Ana showed:", Quote("Oil it yearly.")),
        ),
        # a quote of a deleted post: Flarum's placeholder name, no number
        (
            '<blockquote><p><span class="PostMention PostMention--deleted" data-id="5">[unknown]</span> Oil it yearly.</p></blockquote>',
            (Quote("Oil it yearly.", "[unknown]", None),),
        ),
        # a mention inside the quoted words is not its attribution
        ('<blockquote><p>Ask <a class="PostMention" data-id="70">Ana</a> first.</p></blockquote>', (Quote("Ask Ana first."),)),
    ],
)
def test_quote_attribution_shapes(tmp_path: Path, html: str, expected: tuple[str | Quote, ...]) -> None:
    path = _write(tmp_path, [_comment(70, 1, "<p>First.</p>"), _comment(71, 2, html)])
    thread = next(flarum.read(path, print))
    assert thread.posts[1].blocks == expected


def test_truncated_file_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "discussion.json"
    broken.write_text(DISCUSSION.read_text(encoding="utf-8")[:3000], encoding="utf-8")
    with pytest.raises(UnreadableDocument, match=r"invalid JSON at line \d+, column \d+"):
        read_file(broken, "discussion.json")


def test_not_a_discussion_is_unreadable(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"data": {"type": "users", "id": "1"}}', encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not a Flarum discussion"):
        next(flarum.read(odd, print))


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(flarum.FORMAT, DISCUSSION, data, tmp_path)
