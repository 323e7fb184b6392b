"""Pages: a file that is one document (plain text, Markdown, an HTML article), not a thread of posts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bs4 import BeautifulSoup

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


def parse_html(raw: str, fallback_title: str) -> tuple[str, str | None, str, tuple[Section, ...]]:
    """Visible text, one line per block element, so sentences never run across paragraphs."""
    soup = BeautifulSoup(raw, "html.parser")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    date = None
    for meta in soup.find_all("meta"):
        if meta.get("name") in ("date", "pubdate") or meta.get("property") == "article:published_time":
            date = parse_date(str(meta.get("content", "")))
            break
    if date is None and (time_tag := soup.find("time")) is not None:
        date = parse_date(str(time_tag.get("datetime") or time_tag.get_text()))
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    body_lines = [line for line in lines if line]
    if not title:
        title = body_lines[0] if body_lines else fallback_title
    if body_lines and body_lines[0] == title:
        body_lines = body_lines[1:]
    head = title + "\n"
    text = head + "\n".join(body_lines)
    return title, date, text, (Section(len(head), len(text)),)


#: A page is one document; its parser gives (title, date, text, sections).
PageParser = Callable[[str, str], tuple[str, str | None, str, tuple[Section, ...]]]

PAGE_PARSERS: dict[str, PageParser] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
}
