"""Invision Community topic pages: posts read from their article#elComment_N markup, with or without microdata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from export_checks import read_clean

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html" / "invision_topic.html"


def _invision_5(tmp_path: Path) -> Path:
    """The same topic as a newer Invision writes it: no schema.org microdata at all."""
    html = re.sub(r' (itemscope|itemtype="[^"]*"|itemprop="[^"]*")', "", PAGE.read_text(encoding="utf-8"))
    path = tmp_path / "topic.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.mark.parametrize("version", ["4, Comment microdata", "5, none"])
def test_posts_authors_dates_and_quotes(tmp_path: Path, version: str) -> None:
    document = read_clean(PAGE if version.startswith("4") else _invision_5(tmp_path))
    assert document.title == "Sourdough starter smells like nail polish"
    own = [s for s in document.sections if not s.quoted]
    assert [(s.post, s.author, s.date) for s in own] == [
        ("40011", "wren", "2023-03-04T08:15+00:00"),
        ("40017", "Ostrowski", "2023-03-04T10:02+00:00"),
        ("40020", "wren", "2023-03-06T19:40+00:00"),
    ]
    assert own[1].url == "https://crumbcrust.example.net/topic/2210-sourdough-starter-smells-like-nail-polish/#elComment_40017"
    # a quote of a post on the page is not indexed again; one of a post elsewhere stays, credited to its writer
    quoted = [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    assert quoted == [("Marguerite", "35500", "A cooler kitchen slows a starter down more than any flour does.")]
    assert "That smell means the yeast has run out of food." in document.text[own[1].start : own[1].end]
    for chrome in ("Sign In", "said:", "Edited March", "Quote", "Report", "212 posts", "Powered by", "Home"):
        assert chrome not in document.text
    for section in document.sections:
        assert document.text[section.start : section.end].strip() == document.text[section.start : section.end]


def test_a_page_of_other_articles_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "blog.html"
    path.write_text(
        "<html><head><title>Notes</title></head><body><article id='post-3'><h1>Oven spring</h1>"
        "<p>Steam helps the crust stay soft while the loaf rises.</p></article></body></html>",
        encoding="utf-8",
    )
    document = read_clean(path)
    assert len(document.sections) == 1 and document.sections[0].author is None
