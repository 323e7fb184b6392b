"""Reading a folder of forum texts into Documents whose `text` is what every citation offset indexes into."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bs4 import BeautifulSoup

from forumqa.errors import NoDocumentsError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json")


@dataclass(frozen=True)
class Section:
    """A span of the text that holds answerable prose; in a thread, one post and who wrote it."""

    start: int
    end: int
    author: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str
    source: str
    title: str
    date: str | None
    text: str
    sections: tuple[Section, ...]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class UnreadableDocument(ValueError):
    """Raised by a parser; the loader reports the file by name and goes on."""


# ---------------------------------------------------------------- dates

_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d.%m.%Y")


def parse_date(value: str) -> str | None:
    """ISO 8601 form of a date or date-time line, or None when the line is not one."""
    value = value.strip()
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.hour == parsed.minute == parsed.second == 0 and ":" not in value:
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


# ---------------------------------------------------------------- parsers


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


def parse_thread(raw: str, fallback_title: str) -> tuple[str, str | None, str, tuple[Section, ...]]:
    """A thread export: {"title", "posts": [{"author", "date", "text"}]}; each post becomes a Section."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(f"invalid JSON ({exc.msg} at line {exc.lineno})") from exc
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, list) or not posts:
        raise UnreadableDocument('not a thread export: expected {"title": ..., "posts": [{"author", "date", "text"}]}')
    title = str(data.get("title") or fallback_title).strip()
    parts = [title, "\n\n"]
    offset = len(title) + 2
    sections = []
    for number, post in enumerate(posts, start=1):
        if not isinstance(post, dict) or not str(post.get("text") or "").strip():
            raise UnreadableDocument(f"post {number} has no text")
        author = str(post["author"]).strip() if post.get("author") else None
        date = parse_date(str(post.get("date") or "")) or (str(post["date"]) if post.get("date") else None)
        header = " · ".join(x for x in (author or "anonymous", date) if x) + "\n"
        body = str(post["text"]).strip()
        parts += [header, body, "\n\n"]
        start = offset + len(header)
        sections.append(Section(start, start + len(body), author, date))
        offset = start + len(body) + 2
    thread_date = parse_date(str(data.get("date") or "")) or sections[0].date
    return title, thread_date, "".join(parts).rstrip("\n"), tuple(sections)


_PARSERS = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".json": parse_thread,
}


# ---------------------------------------------------------------- loading


def make_doc_id(source: str) -> str:
    """Stable id from the relative path: lower-case, extension dropped, unsafe characters folded to '-'."""
    stem = source.rsplit(".", 1)[0] if "." in Path(source).name else source
    return re.sub(r"[^a-z0-9/_.-]+", "-", stem.lower()).strip("-")


def read_document(path: Path, source: str) -> Document:
    """Parse one file; raises UnreadableDocument with a reason a person can act on."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot be read ({exc.strerror})") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 (bad byte at position {exc.start})") from exc
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():
        raise UnreadableDocument("empty file")
    title, date, text, sections = _PARSERS[path.suffix.lower()](raw, path.stem)
    if not any(text[s.start : s.end].strip() for s in sections):
        raise UnreadableDocument("no text besides the title")
    return Document(make_doc_id(source), source, title, date, text, sections)


def load_documents(folder: Path) -> LoadResult:
    """Every supported file under `folder`, recursively; bad files are skipped and named, never fatal."""
    if not folder.is_dir():
        raise NoDocumentsError(f"documents folder {folder} does not exist: create it and put .txt, .md, .html or .json files in it")
    result = LoadResult()
    seen: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        source = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in Path(source).parts):
            continue
        if path.suffix.lower() not in _PARSERS:
            result.skipped.append(Skipped(source, f"unsupported file type (supported: {', '.join(SUPPORTED_SUFFIXES)})"))
            continue
        try:
            document = read_document(path, source)
        except UnreadableDocument as exc:
            result.skipped.append(Skipped(source, str(exc)))
            continue
        if document.doc_id in seen:
            result.skipped.append(Skipped(source, f"same document id as {seen[document.doc_id]}; rename one of them"))
            continue
        seen[document.doc_id] = source
        result.documents.append(document)
    return result
