"""Pages: a file that is one document (plain text, Markdown, an HTML article), not a thread of posts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

from forumqa.documents import Section, parse_date


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"[^\n]*", text):
        if match.group().strip():
            yield match.start(), match.group()


def _title_date_body(text: str, fallback_title: str, heading_prefix: str = "") -> tuple[str, str | None, int]:
    """Title from the first line (or first `# ` heading for Markdown), a date line right after it, then the body."""
    lines = list(_lines_with_offsets(text))
    if not lines:
        return fallback_title, None, 0
    title_index = 0
    if heading_prefix:
        title_index = next((i for i, (_, line) in enumerate(lines) if line.startswith(heading_prefix)), -1)
        if title_index == -1:
            return fallback_title, None, 0
    start, line = lines[title_index]
    title = line.lstrip("#").strip() if heading_prefix else line.strip()
    body_start = start + len(line)
    date = None
    if title_index + 1 < len(lines):
        next_start, next_line = lines[title_index + 1]
        date = parse_date(next_line)
        if date is not None:
            body_start = next_start + len(next_line)
    if title_index > 0:  # text before a Markdown title is prose too
        return title, date, 0
    return title, date, body_start


def parse_text(raw: str, fallback_title: str) -> tuple[str, str | None, str, tuple[Section, ...]]:
    title, date, body_start = _title_date_body(raw, fallback_title)
    return title, date, raw, (Section(body_start, len(raw)),)


def parse_markdown(raw: str, fallback_title: str) -> tuple[str, str | None, str, tuple[Section, ...]]:
    title, date, body_start = _title_date_body(raw, fallback_title, heading_prefix="# ")
    return title, date, raw, (Section(body_start, len(raw)),)


_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt",
)  # fmt: skip


class _VisibleText(HTMLParser):
    """Visible text with a line break at every block element, plus the title and a published date.

    The standard library's event parser keeps this linear in the page size: BeautifulSoup's
    `insert_after` per block tag was quadratic on deeply nested pages (8,000 levels: 5 s).
    """

    #: Not the page's words: code, styles, and <nav>, the element HTML gives a site's menus and breadcrumbs
    #: ("Home | Reports" would otherwise be a line of every page, and a passage a question can match).
    _HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "nav"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.date: str | None = None
        self._hidden = 0
        self._in_title = False
        self._in_time = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and self.date is None and (values.get("name") in ("date", "pubdate") or values.get("property") == _PUBLISHED):
            self.date = parse_date(values.get("content") or "")
        elif tag == "time" and self.date is None:
            self.date = parse_date(values.get("datetime") or "")
            self._in_time = self.date is None
        if tag in self._HIDDEN:
            self._hidden += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "time":
            self._in_time = False
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._in_time and self.date is None:
            self.date = parse_date(data)
        if not self._hidden:
            self.parts.append(data)


_PUBLISHED = "article:published_time"


def parse_html(raw: str, fallback_title: str) -> tuple[str, str | None, str, tuple[Section, ...]]:
    """Visible text, one line per block element, so sentences never run across paragraphs."""
    page = _VisibleText()
    page.feed(raw)
    page.close()
    title = " ".join("".join(page.title).split())
    lines = [" ".join(line.split()) for line in "".join(page.parts).splitlines()]
    body_lines = [line for line in lines if line]
    if not title:
        title = body_lines[0] if body_lines else fallback_title
    if body_lines and body_lines[0] == title:
        body_lines = body_lines[1:]
    head = title + "\n"
    text = head + "\n".join(body_lines)
    return title, page.date, text, (Section(len(head), len(text)),)


#: A page is one document; its parser gives (title, date, text, sections).
PageParser = Callable[[str, str], tuple[str, str | None, str, tuple[Section, ...]]]

PAGE_PARSERS: dict[str, PageParser] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
}
