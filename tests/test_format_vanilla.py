"""Vanilla Forums discussion pages: posts from #Discussion_N / #Comment_N items, quotes credited to the quoted member."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, head_of, read_clean
from forumqa.formats import SUPPORTED, forum_html
from forumqa.formats.forum_html import vanilla
from forumqa.threads import Quote, Thread

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html"
PAGE = FIXTURES / "vanilla_discussion.html"
URL = "https://crumbforum.example.com/discussion/301/sourdough-starter-smells-like-nail-polish-remover"


def _thread(tmp_path: Path, message: str, *, comment: str = "5", canonical: bool = True) -> Thread:
    """A one-comment discussion page (discussion 40) whose comment's message is `message`."""
    link = '<link rel="canonical" href="https://forum.example.net/discussion/40/x">' if canonical else ""
    page = (
        f"<html><head>{link}</head><body>"
        '<div id="Discussion_40" class="Item ItemDiscussion"><span class="Author"><a class="Username">ana</a></span>'
        '<div class="Message userContent"><p>First post.</p></div></div>'
        f'<ul class="MessageList Comments"><li id="Comment_{comment}" class="Item ItemComment">'
        '<span class="Author"><a class="Username">bo</a></span>'
        f'<div class="Message userContent">{message}</div></li></ul></body></html>'
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    return next(forum_html.read(path, lambda warning: None))


def test_the_page_is_claimed_by_the_vanilla_engine() -> None:
    assert forum_html.sniff(PAGE, head_of(PAGE))
    match = forum_html._find(BeautifulSoup(PAGE.read_bytes(), "html.parser"))
    assert match is not None and match[0] is vanilla.ENGINE
    assert "Vanilla" in SUPPORTED


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html") if p != PAGE))
def test_the_other_pages_are_not_vanilla_pages(name: str) -> None:
    page = (FIXTURES / name).read_bytes()
    assert vanilla.find(BeautifulSoup(page, "html.parser")) == []
    match = forum_html._find(BeautifulSoup(page, "html.parser"))
    assert match is None or match[0] is not vanilla.ENGINE
    # the engines before Vanilla read it as they did: the same engine, the same posts
    before = next(((e, found) for e in forum_html._ENGINES[:-1] if (found := e.find(BeautifulSoup(page, "html.parser")))), None)
    now = (match[0], [f.post for f in match[1]]) if match else None
    assert now == ((before[0], [f.post for f in before[1]]) if before else None)


def test_posts_authors_dates_and_links() -> None:
    document = read_clean(PAGE)
    assert document.title == "Sourdough starter smells like nail polish remover"
    own = [s for s in document.sections if not s.quoted]
    assert list(dict.fromkeys((s.post, s.author, s.date) for s in own)) == [
        ("301", "Gráinne Ó Súilleabháin", "2023-11-04T09:12+00:00"),
        ("5101", "breadhead", "2023-11-04T11:02+00:00"),
        ("5107", "Mireille", "2023-11-04T13:45:30+00:00"),
        ("5110", "Piet", "2023-11-05T08:05+00:00"),
        ("5112", "Gráinne Ó Súilleabháin", "2023-11-08T19:30+00:00"),
    ]
    # the first post is the page itself; a comment is the page's address with Vanilla's #Comment_N anchor
    assert own[0].url == URL
    assert {s.url for s in own if s.post == "5110"} == {f"{URL}#Comment_5110"}
    assert document.text[own[0].start : own[0].end].startswith("My rye starter is twelve days old")
    assert_sections_exact(document, next(forum_html.read(PAGE, lambda message: None)))


def test_quotes_are_credited_to_the_quoted_member_and_post() -> None:
    document = read_clean(PAGE)
    quoted = [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    # the rich editor's quote of a comment elsewhere (its JSON, not the card drawn from it), the nested BBCode quote of
    # the same comment, and a Markdown "@breadhead said:" quote; the BBCode quote of Mireille's comment on the page is
    # shown but not indexed again
    assert quoted == [
        ("oldmother", "4870", "A solvent smell is hunger, not infection. Keep it warmer, around 26 degrees, and it settles within days."),
        ("oldmother", "4870", "A solvent smell is hunger, not infection."),
        ("breadhead", "5112", "Rye flour wakes a sleepy culture faster than white flour does."),
    ]
    assert "> Mireille wrote:\n> Warmth matters as much as feeding.\nTop of the fridge" in document.text
    replies = {s.post: s.reply_to for s in document.sections if not s.quoted}
    assert replies["5107"] == "4870" and replies["5110"] == "5107"
    piet = [document.text[s.start : s.end] for s in document.sections if s.author == "Piet"]
    assert piet == ["Top of the fridge worked for me too, but watch it in summer: above 30 degrees mine turned slimy."]


def test_nested_quotes_keep_their_own_writers() -> None:
    thread = next(forum_html.read(PAGE, lambda message: None))
    piet = next(p for p in thread.posts if p.post == "5110")
    assert piet.blocks[:2] == (
        Quote("A solvent smell is hunger, not infection.", "oldmother", "4870"),
        Quote("Warmth matters as much as feeding.", "Mireille", "5107"),
    )


def test_code_keeps_its_lines() -> None:
    thread = next(forum_html.read(PAGE, lambda message: None))
    breadhead = next(p for p in thread.posts if p.post == "5101")
    assert "08:00  discard all but 25 g\n08:00  add 50 g rye + 50 g water\n20:00  repeat" in breadhead.blocks


def test_page_furniture_is_not_text() -> None:
    document = read_clean(PAGE)
    chrome = (
        "Bake every day", "kitchen notes", "Proofing Apprentice", "Head Baker", "Galway", "Cork", "edited", "Starters & Levain",
        "In this Discussion", "Start a New Discussion", "All Categories", "Powered by Vanilla", "Sign In", "Register", "Bookmark",
        "Options", "Delete", "Flag", "Like", "Quote", "said:", "»", "[ - ]", "Toggle", "Why does my levain", "October 2",
        "November 4", "Embedded content", "https://", "Home", "Comments",
    )  # fmt: skip
    for text in chrome:
        assert text not in document.text, text
    for section in document.sections:
        assert document.text[section.start : section.end].strip() == document.text[section.start : section.end]


def test_bbcode_quote_of_the_discussion_links_the_first_post(tmp_path: Path) -> None:
    quote = (
        '<blockquote class="Quote UserQuote"><div class="QuoteAuthor"><a href="/profile/ana">ana</a> wrote: '
        '<a href="/discussion/40" class="QuoteLink"><span class="ArrowLink">»</span></a></div>'
        '<div class="QuoteText">First post.</div></blockquote>Agreed.'
    )
    thread = _thread(tmp_path, quote)
    assert [p.post for p in thread.posts] == ["40", "5"]
    assert thread.posts[0].url == "https://forum.example.net/discussion/40/x"
    assert thread.posts[1].blocks == (Quote("First post.", "ana", "40"), "Agreed.")
    assert thread.posts[1].reply_to == "40"


@pytest.mark.parametrize(
    "quote, expected",
    [
        # the Quotes plugin on an Html or Markdown body
        (
            '<blockquote class="UserQuote"><div class="QuoteAuthor"><a href="/profile/Mary%20Ann" rel="nofollow">Mary Ann</a> said:</div>'
            '<div class="QuoteText"><p>Use less water.</p></div></blockquote>',
            Quote("Use less water.", "Mary Ann", None),
        ),
        # Gdn_Format's own BBCode: a name in rel and a "said:" line without a link
        (
            '<blockquote class="Quote" rel="cy"><div class="QuoteAuthor">cy said:</div>'
            '<div class="QuoteText">Use less water.</div></blockquote>',
            Quote("Use less water.", "cy", None),
        ),
        # an Html body's quote the plugin did not render
        ('<blockquote class="Quote" rel="dee">Use less water.</blockquote>', Quote("Use less water.", "dee", None)),
        # a [quote] without a name
        (
            '<blockquote class="Quote UserQuote"><div class="QuoteText">Use less water.</div></blockquote>',
            Quote("Use less water.", None, None),
        ),
        # Markdown "> @ana said:" with the mention as text
        ("<blockquote><p>@eve said:<br>Use less water.</p></blockquote>", Quote("Use less water.", "eve", None)),
    ],
)
def test_quote_forms(tmp_path: Path, quote: str, expected: Quote) -> None:
    thread = _thread(tmp_path, f"{quote}<p>Right.</p>")
    assert thread.posts[1].blocks == (expected, "Right.")


def test_a_plain_blockquote_without_attribution_stays_the_posters_material(tmp_path: Path) -> None:
    thread = _thread(tmp_path, "<blockquote><p>error: no space left on device</p></blockquote><p>Any idea?</p>")
    assert thread.posts[1].blocks == (Quote("error: no space left on device", None, None), "Any idea?")


def _embed(data: Mapping[str, object], inner: str = "") -> str:
    return f'<div class="js-embed embedResponsive" data-embedjson="{html.escape(json.dumps(data))}">{inner}</div>'


def test_rich_embeds(tmp_path: Path) -> None:
    fay = {"name": "fay"}
    nested = _embed({"embedType": "quote", "url": "/discussion/comment/2#Comment_2", "insertUser": fay, "body": "<p>Inner words.</p>"})
    gus = {"name": "gus"}
    quote = {"embedType": "quote", "url": "/discussion/comment/3#Comment_3", "insertUser": gus, "body": f"<p>Outer words.</p>{nested}"}
    # the rich editor's saved form keeps the record under "attributes"; a card the page drew stands in for a missing body
    hal = {"insertUser": {"name": "hal"}, "commentID": 4}
    drawn = {"embedType": "quote", "url": "https://forum.example.net/discussion/comment/4", "attributes": hal}
    card = '<div class="embedQuote"><span class="embedQuote-userName">hal</span><div class="userContent"><p>Drawn words.</p></div></div>'
    link = {"embedType": "link", "url": "https://example.org/bread", "name": "A bread site"}
    image = {"embedType": "image", "url": "https://example.org/loaf.jpg"}
    shown = "<a>A bread site, the best loaves</a>"
    message = "".join((_embed(quote), _embed(drawn, card), _embed(link, shown), _embed(image), "<p>Mine.</p>"))
    thread = _thread(tmp_path, message)
    assert thread.posts[1].blocks == (
        Quote("Outer words.", "gus", "3"),
        Quote("Inner words.", "fay", "2"),
        Quote("Drawn words.", "hal", "4"),
        "https://example.org/bread\nMine.",
    )


def test_a_discussion_list_is_not_a_thread() -> None:
    listing = (
        '<ul class="DataList Discussions"><li id="Discussion_40" class="Item ItemDiscussion"><div class="ItemContent Discussion">'
        '<div class="Title"><a href="/discussion/40/x">Starter help</a></div><div class="Meta">3 comments</div></div></li></ul>'
    )
    assert vanilla.find(BeautifulSoup(listing, "html.parser")) == []


def test_a_comment_sharing_the_discussions_number_keeps_both_posts(tmp_path: Path) -> None:
    thread = _thread(tmp_path, "<p>Me too.</p>", comment="40", canonical=False)
    assert [(p.post, p.url) for p in thread.posts] == [("d40", "#Discussion_40"), ("40", "#Comment_40")]
