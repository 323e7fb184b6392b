"""Phorum 3 thread pages: a table per message, the byline ("label: name", "label: date") at the head of its words."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, head_of, read_one
from forumqa.formats import THREAD_FORMATS, forum_html
from forumqa.formats.forum_html import phorum

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html" / "phorum3_read.html"


def test_the_page_is_recognised_as_a_forum_thread() -> None:
    assert next(f for f in THREAD_FORMATS if f.sniff(PAGE, head_of(PAGE))) is forum_html.FORMAT
    match = forum_html._find(BeautifulSoup(PAGE.read_bytes(), "html.parser"))
    assert match is not None and match[0].name == "Phorum"


def test_posts_authors_dates_and_ids_from_the_byline_lines() -> None:
    """The byline is read by place, whatever the language file calls it; the stock "(host)" is not the name; a name
    like ":-)" is a name; the id is the reply anchor's, else the message link's i=."""
    document, warnings = read_one(PAGE)
    thread = next(forum_html.read(PAGE, lambda message: None))
    assert warnings == []
    assert thread.title == "Green water every June"
    assert [(p.post, p.author, p.date, p.url) for p in thread.posts] == [
        ("5101", "lilypad", "2023-06-04T08:15:02", "#reply_5101"),
        ("5107", ":-)", "2023-06-04T09:40:11", "#reply_5107"),
        ("5112", "Orfe Owner", "2023-06-05T18:02", "#reply_5112"),
    ]
    assert thread.posts[0].blocks == ("Every June the pond turns pea green for three weeks.\nIs a UV clarifier worth it for 4000 litres?",)
    assert_sections_exact(document, thread)
    for chrome in ("Sender", "Date:", "cpe-12-34", "Report this message", "Reply to this message", "New message", "closed"):
        assert chrome not in document.text


def test_a_message_table_without_a_byline_is_no_post() -> None:
    html = (
        '<html><body><table class="PhorumListTable"><tr><td><font class="PhorumMessage">'
        "<p>Welcome to the pond forum.</p>Read the rules first.<br>Be kind.<br></font></td></tr></table></body></html>"
    )
    assert phorum.find(BeautifulSoup(html, "html.parser")) == []
