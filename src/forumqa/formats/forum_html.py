"""Saved forum thread pages (phpBB, XenForo 2, vBulletin 3/4/5): one page, one thread, posts with their quotes.

A generic HTML reader keeps navigation, profile blocks and signatures, and credits every quoted
sentence to the person who quoted it. These three engines write posts and quotes in stable,
documented markup, so each post is read from its own container and each quote block becomes a
`Quote` with the author and post id the markup records. Recognition is by markup, not extension:
a page with no post containers is left to the plain page reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from urllib.parse import urldefrag

from bs4 import BeautifulSoup, Comment, Tag, UnicodeDammit
from bs4.element import NavigableString

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.threads import Post, Quote, Thread, ThreadFormat, Warn

#: A thread page is a few MB at most; past this it is not one, and its DOM would not fit comfortably.
MAX_BYTES = 64 * 1024 * 1024
#: A page whose first post lies past the 64 KiB head (a long inline script) is looked at this far.
SNIFF_MORE = 1024 * 1024
#: Substrings every supported engine's post markup carries; a page without any is not parsed to sniff it.
_MARKERS = ("postbody", "js-post", "post_message_", "bbwrapper")

_PHPBB_ID = re.compile(r"^p(\d+)$")
_XENFORO_ID = re.compile(r"^js-post-(\d+)$")
_VBULLETIN_BODY_ID = re.compile(r"^post_message_(\d+)$")
_POST_IN_HREF = re.compile(r"(?:[?&]p=|#p|#post-?|[?&]id=)(\d+)")
_TZ = re.compile(r"(?:UTC|GMT)\s*(?:([+\-\u2212])\s*(\d{1,2})(?::(\d{2}))?)?")
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")
_SPACES = re.compile(r"\s+")
_QUOTE_VERBS = (" wrote", " said", " schrieb", " hat geschrieben", " a écrit", " ha scritto", " escribió", " escreveu", " napisał")

_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "section", "article", "header", "footer", "blockquote", "hr", "figure",
})  # fmt: skip
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "img", "svg", "button", "input", "select", "textarea",
    "iframe", "video", "audio", "object", "embed", "form",
})  # fmt: skip
_SKIP_CLASSES = frozenset(
    {
        # phpBB: signature, "Last edited by" notice, attachment boxes and their "Viewed N times" captions
        "signature", "notice", "attachbox", "inline-attachment", "thumbnail", "quotetitle",
        # XenForo: quote titles, "Click to expand...", image/media wrappers, link previews, edits, signatures
        "bbCodeBlock-title", "bbCodeBlock-expandLink", "bbImageWrapper", "bbMediaWrapper", "bbCodeBlock--unfurl",
        "message-lastEdit", "message-signature", "attachmentList", "reactionsBar",
        # vBulletin: "Code:" labels, quote attributions (read by the quote), signatures, attachments, edit notes
        "bbcode_description", "bbcode_postedby", "bbcode_quote_container", "signaturecontainer", "attachments", "lastedited",
        "sr-only",
    }
)  # fmt: skip
_CODE_LABELS = frozenset({"code:", "html code:", "php code:"})

_DATE_FORMATS = (
    "%d %b %Y %H:%M",  # phpBB 3.1+: 21 Jul 2018 00:03
    "%a %b %d, %Y %I:%M %p",  # phpBB 3.0: Sat Jul 21, 2018 3:37 pm
    "%a %b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%d %b %Y, %H:%M",
    "%a %d %b %Y %H:%M",
    "%m-%d-%Y, %I:%M %p",  # vBulletin US default: 01-15-2012, 03:45 PM
    "%m-%d-%Y, %H:%M",
    "%d-%m-%Y, %H:%M",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y %H:%M",
    "%d %B %Y, %I:%M %p",
    "%B %d, %Y, %I:%M %p",
    "%b %d, %Y at %I:%M %p",  # XenForo title attribute
    "%Y-%m-%d %H:%M",
)


# ---------------------------------------------------------------- small helpers


def _attr(tag: Tag | None, name: str) -> str:
    """An attribute as one string: bs4 gives multi-valued ones (class, rel) as lists."""
    if tag is None:
        return ""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _classes(tag: Tag) -> set[str]:
    return set(_attr(tag, "class").split())


def _text(tag: Tag | None) -> str:
    return " ".join(tag.get_text(" ").split()) if tag is not None else ""


def _inline_text(tag: Tag | None) -> str:
    """A heading's, byline's or name's own words, up to its first block: after an unclosed tag the page follows them."""
    if tag is None:
        return ""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag) and node.name in _BLOCK_TAGS and node.name != "br":
            break
        if type(node) is NavigableString:
            parts.append(str(node))
    return " ".join("".join(parts).split())


def _name_of(attribution: str) -> str | None:
    """'Compo wrote:' → 'Compo'; the attribution verbs of the common board languages are cut."""
    name = " ".join(attribution.split()).rstrip(":").strip()
    name = name.removeprefix("Originally Posted by").strip()
    for verb in _QUOTE_VERBS:
        if name.endswith(verb):
            name = name[: -len(verb)].strip()
            break
    return None if name.lower() in ("", "quote", "zitat", "citation") else name


def _post_in(tag: Tag | None) -> str | None:
    """The quoted post's id from a link back to it, in the forms phpBB, XenForo and vBulletin write."""
    if tag is None:
        return None
    for attribute in ("data-post-id", "data-nodeid", "data-content-id"):
        if _attr(tag, attribute).isdigit():
            return _attr(tag, attribute)
    match = _POST_IN_HREF.search(_attr(tag, "href"))
    return match.group(1) if match else None


# ---------------------------------------------------------------- posts on a page


@dataclass(frozen=True)
class _Found:
    """One post container as the engine lays it out; `date` is as the page shows it (or an ISO attribute)."""

    post: str
    container: Tag
    body: Tag | None
    author: str | None
    date: str | None


def _owner(tag: Tag, containers: set[int]) -> Tag | None:
    """The post container a tag sits in: with unclosed tags one post can end up inside another."""
    for parent in tag.parents:
        if id(parent) in containers:
            return parent
    return None


def _own(container: Tag, selectors: str, containers: set[int], avoid: Tag | None = None) -> Tag | None:
    """The first match that belongs to this post (not to a post nested in it by broken markup, nor to its body)."""
    for selector in selectors.split(","):
        for tag in container.select(selector.strip()):
            if _owner(tag, containers) is container and (avoid is None or avoid not in tag.parents):
                return tag
    return None


def _phpbb(soup: BeautifulSoup) -> list[_Found]:
    """prosilver and its descendants: div#p<id>.post with p.author, dl.postprofile and div.content."""
    divs = [d for d in soup.find_all("div", id=_PHPBB_ID) if "post" in _classes(d) and d.find(class_=("postbody", "content", "author"))]
    if not divs:
        return _phpbb_subsilver(soup)
    ids = {id(d) for d in divs}
    found = []
    for div in divs:
        author = _own(
            div, "p.author .username, p.author .username-coloured, dl.postprofile dt .username, dl.postprofile dt .username-coloured", ids
        )
        author = author or _own(div, "dl.postprofile dt a, p.author strong", ids)
        byline = _own(div, "p.author", ids)
        stamp = byline.find("time", datetime=True) if byline else None
        shown = _inline_text(byline)
        date = _attr(stamp, "datetime") or (shown.rsplit("»", 1)[1] if "»" in shown else None)
        found.append(_Found(_attr(div, "id")[1:], div, _own(div, "div.content", ids), _inline_text(author) or None, date))
    return found


def _phpbb_subsilver(soup: BeautifulSoup) -> list[_Found]:
    """subsilver2 (phpBB 3.0): one table per post, anchored by <a name="p<id>">, body in div.postbody."""
    found = []
    for anchor in soup.find_all("a", attrs={"name": _PHPBB_ID}):
        table = anchor.find_parent("table")
        body = table.find("div", class_="postbody") if table else None
        if table is None or body is None:
            continue
        label = next((b for b in table.find_all("b") if _text(b).rstrip(":").lower() == "posted"), None)
        date = str(label.next_sibling) if label is not None and isinstance(label.next_sibling, NavigableString) else None
        found.append(_Found(_attr(anchor, "name")[1:], table, body, _inline_text(table.find(class_="postauthor")) or None, date))
    return found


def _xenforo(soup: BeautifulSoup) -> list[_Found]:
    """XenForo 2: article#js-post-<id>.message with data-author, a time[datetime] and div.bbWrapper."""
    articles = [a for a in soup.find_all("article", id=_XENFORO_ID) if "message" in _classes(a)]
    ids = {id(a) for a in articles}
    found = []
    for article in articles:
        body = _own(article, ".message-body .bbWrapper, .message-userContent .bbWrapper", ids)
        author = _attr(article, "data-author") or _inline_text(_own(article, ".message-name .username, .message-name", ids))
        stamp = _own(article, ".message-attribution-main time[datetime], .message-attribution time[datetime]", ids)
        post = _XENFORO_ID.match(_attr(article, "id"))
        found.append(_Found(post.group(1) if post else "", article, body, author or None, _attr(stamp, "datetime") or None))
    return found


def _vbulletin_container(body: Tag, post: str) -> Tag:
    """vB4 wraps a post in li#post_<id>, vB3 in table#post<id>; failing both, the body's own block."""
    for key in (f"post_{post}", f"post{post}"):
        if (container := body.find_parent(id=key)) is not None:
            return container
    return body.find_parent("li") or body.find_parent("table") or body


def _vbulletin(soup: BeautifulSoup) -> list[_Found]:
    """vBulletin 3/4: div#post_message_<id>; vBulletin 5: [data-node-id] holding .js-post__content-text."""
    pairs: list[tuple[str, Tag, Tag]] = []
    for body in soup.find_all(id=_VBULLETIN_BODY_ID):
        if number := _VBULLETIN_BODY_ID.match(_attr(body, "id")):
            pairs.append((number.group(1), _vbulletin_container(body, number.group(1)), body))
    for body in soup.find_all(class_="js-post__content-text"):
        container = body.find_parent(attrs={"data-node-id": True})
        if container is not None:
            pairs.append((_attr(container, "data-node-id"), container, body))
    ids = {id(container) for _, container, _ in pairs}
    found = []
    for post, container, body in pairs:
        author = _own(
            container,
            ".username_container .username, a.username, .username, a.bigusername, .bigusername, .author a, [itemprop=author]",
            ids,
            avoid=body,
        )
        stamp = _own(container, "time[itemprop=dateCreated], span.date, .postdate, td.thead", ids, avoid=body)
        date = _attr(stamp, "datetime") or _inline_text(stamp) or None
        found.append(_Found(post, container, body, _inline_text(author) or None, date))
    return found


@dataclass(frozen=True)
class _Engine:
    name: str
    find: Callable[[BeautifulSoup], list[_Found]]
    titles: str  # CSS selectors, most specific first
    anchor: str  # the fragment a post's link ends in


_ENGINES = (
    _Engine("phpBB", _phpbb, "h2.topic-title, a.titles, h3.first", "p{}"),
    _Engine("XenForo", _xenforo, "h1.p-title-value", "post-{}"),
    _Engine("vBulletin", _vbulletin, "span.threadtitle, h1.main-title, #pagetitle h1, td.navbar strong", "post{}"),
)


# ---------------------------------------------------------------- a post body as blocks and quotes


@dataclass
class _Collector:
    """A body's own paragraphs and its quotes, in reading order; inline text is gathered until a block ends."""

    items: list[str | Quote] = field(default_factory=list)
    reply_to: str | None = None
    pending: list[str] = field(default_factory=list)

    def text(self, value: str) -> None:
        self.pending.append(_SPACES.sub(" ", value))

    def newline(self) -> None:
        self.pending.append("\n")

    def flush(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self.pending).split("\n"))
        text = "\n".join(line for line in lines if line)
        self.pending.clear()
        if text:
            self.items.append(text)

    def code(self, text: str) -> None:
        self.flush()
        if text:
            self.items.append(text)

    def quotes(self, quotes: list[Quote], post: str | None) -> None:
        self.flush()
        self.items.extend(quotes)
        if self.reply_to is None and post is not None:
            self.reply_to = post


@dataclass(frozen=True)
class _QuoteMark:
    author: str | None
    post: str | None
    content: Tag


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in _SKIP_TAGS or _classes(tag) & _SKIP_CLASSES:
        return True
    if "display:none" in _attr(tag, "style").replace(" ", "").lower():
        return True
    # vBulletin 3 labels a code box with a "Code:" line of its own
    return "smallfont" in _classes(tag) and _text(tag).lower() in _CODE_LABELS and tag.find_next_sibling("pre") is not None


def _code_text(tag: Tag) -> str | None:
    """A code box's lines, or None: `pre`, phpBB div.codebox, XenForo .bbCodeBlock--code, a multi-line `code`."""
    classes = _classes(tag)
    if "codebox" in classes or "bbCodeBlock--code" in classes:
        inner = tag.find("pre") or tag.find("code") or tag.find(class_="bbCodeCode")
        raw = inner.get_text() if inner is not None else ""
    elif tag.name == "pre" or "bbCodeCode" in classes or (tag.name == "code" and "\n" in tag.get_text().strip()):
        raw = tag.get_text()
    else:
        return None
    lines = [line.rstrip() for line in raw.replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")


def _phpbb_quote(tag: Tag) -> _QuoteMark:
    """phpBB 3.x <blockquote><div><cite>X wrote: <a data-post-id=N>↑</a><div>date</div></cite>…; uncited = outside text."""
    cite = tag.find("cite")
    if cite is None or cite.find_parent("blockquote") is not tag:
        return _QuoteMark(None, None, tag)
    back = cite.select_one("[data-post-id]") or next((a for a in cite.find_all("a") if _post_in(a)), None)
    person = next((a for a in cite.find_all("a") if a is not back and _text(a)), None)
    author = _text(person) if person is not None else _name_of(" ".join(cite.find_all(string=True, recursive=False)))
    post = _post_in(back)
    cite.decompose()
    return _QuoteMark(author or None, post, tag)


def _xenforo_quote(tag: Tag) -> _QuoteMark:
    """XenForo 2 records the quoted member and post: data-quote="Name" data-source="post: 27"."""
    source = re.fullmatch(r"\s*post:\s*(\d+)\s*", _attr(tag, "data-source"))
    author = _attr(tag, "data-quote") or _name_of(_text(tag.find(class_="bbCodeBlock-title")))
    content = tag.find(class_="bbCodeBlock-expandContent") or tag.find(class_="bbCodeBlock-content") or tag
    return _QuoteMark(author or None, source.group(1) if source else None, content)


def _vbulletin_quote(tag: Tag) -> _QuoteMark:
    """vBulletin 4/5 div.bbcode_quote: "Originally Posted by <strong>X</strong> <a href=…p=N>" then div.message."""
    by = tag.find(class_="bbcode_postedby")
    name = by.find("strong") if by is not None else None
    author = _text(name) if name is not None else _name_of(_text(by))
    post = _post_in(by.find("a", href=True)) if by is not None else None
    content = tag.find(class_="message") or tag.find(class_="quote_container") or tag
    return _QuoteMark(author or None, post, content)


def _vbulletin3_quote(tag: Tag) -> _QuoteMark | None:
    """vBulletin 3: <div><div class=smallfont>Quote:</div><table>…<td><div>Originally Posted by <strong>X</strong>…"""
    label = tag.find(True, recursive=False)
    if label is None or "smallfont" not in _classes(label) or _text(label).rstrip(":").lower() != "quote":
        return None
    cell = tag.find("td")
    if cell is None:
        return None
    by = next((d for d in cell.find_all("div", recursive=False) if "Originally Posted by" in _text(d)), None)
    if by is None:
        return _QuoteMark(None, None, cell)
    name = by.find("strong")
    mark = _QuoteMark(_text(name) if name is not None else _name_of(_text(by)), _post_in(by.find("a", href=True)), cell)
    by.decompose()
    return mark


def _as_quote(tag: Tag) -> _QuoteMark | None:
    classes = _classes(tag)
    if tag.name == "blockquote":
        if classes & {"postcontent", "signature"}:
            return None  # vBulletin 4 wraps a whole body (and a signature) in a blockquote
        if "bbCodeBlock--quote" in classes or tag.has_attr("data-quote"):
            return _xenforo_quote(tag)
        return _phpbb_quote(tag)
    if "bbcode_quote" in classes:
        return _vbulletin_quote(tag)
    if "quotecontent" in classes:  # older phpBB: div.quotetitle "X wrote:" then div.quotecontent
        title = tag.find_previous_sibling(class_="quotetitle")
        return _QuoteMark(_name_of(_text(title)), None, tag)
    if tag.name == "div":
        return _vbulletin3_quote(tag)
    return None


def _quote_items(mark: _QuoteMark, skip: frozenset[int]) -> list[Quote]:
    """The quote's own words as Quotes credited to its author; quotes nested in it stay Quotes of their own."""
    inner = _Collector()
    _walk(mark.content, inner, skip)
    inner.flush()
    quotes: list[Quote] = []
    run: list[str] = []
    for item in [*inner.items, None]:
        if isinstance(item, str):
            run.append(item)
            continue
        if run:
            quotes.append(Quote("\n".join(run), mark.author, mark.post))
            run = []
        if item is not None:
            quotes.append(item)
    return quotes


def _visit(tag: Tag, out: _Collector, skip: frozenset[int]) -> None:
    if id(tag) in skip or _is_boilerplate(tag):
        return
    if tag.name == "br":
        out.newline()
        return
    if (code := _code_text(tag)) is not None:
        out.code(code)
        return
    if (mark := _as_quote(tag)) is not None:
        out.quotes(_quote_items(mark, skip), mark.post)
        return
    block = tag.name in _BLOCK_TAGS
    if block:
        out.newline()
    _walk(tag, out, skip)
    if block:
        out.newline()


def _walk(node: Tag, out: _Collector, skip: frozenset[int]) -> None:
    for child in list(node.children):
        if isinstance(child, Tag):
            _visit(child, out, skip)
        elif type(child) is NavigableString:  # not a comment, CDATA or doctype
            out.text(str(child))


def _blocks(body: Tag, skip: frozenset[int]) -> _Collector:
    out = _Collector()
    _walk(body, out, skip)
    out.flush()
    return out


# ---------------------------------------------------------------- page-level facts


def _page_timezone(soup: BeautifulSoup) -> tzinfo | None:
    """phpBB's "All times are UTC-06:00" / vBulletin's "All times are GMT -5": the zone the page's dates are in."""
    note = soup.find(string=re.compile("All times are"))
    if note is None or note.parent is None:
        return None
    text = _text(note.parent)
    match = _TZ.search(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if "DST" in text:  # phpBB 3.0 shows "[ DST ]" while summer time adds an hour
        offset += timedelta(hours=1) if sign in (None, "+") else -timedelta(hours=1)
    return timezone(-offset if sign in ("-", "\u2212") else offset)


def _iso(value: str | None, zone: tzinfo | None) -> str | None:
    """ISO 8601 from a datetime attribute or a board's display format; relative ones ("Today, 10:15") give None."""
    if not value:
        return None
    text = _ORDINAL.sub(r"\1", " ".join(value.replace("\xa0", " ").split()).strip(" ,"))
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return parse_date(text)
    if parsed.tzinfo is None and zone is not None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


def _page_url(soup: BeautifulSoup) -> str | None:
    """Where the page lives: an absolute canonical link or og:url, else the URL in HTTrack's "Mirrored from" comment."""
    for tag in soup.find_all(["link", "meta"]):
        is_canonical = tag.name == "link" and "canonical" in _attr(tag, "rel").split()
        url = _attr(tag, "href") if is_canonical else _attr(tag, "content") if _attr(tag, "property") == "og:url" else ""
        if url.startswith(("http://", "https://")):
            return urldefrag(url).url
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        match = re.search(r"Mirrored from (\S+) by HTTrack", str(comment))
        if match:
            url = match.group(1)
            return urldefrag(url if "://" in url else f"https://{url}").url
    return None


def _title(soup: BeautifulSoup, engine: _Engine, fallback: str) -> str:
    for selector in engine.titles.split(","):
        if title := _inline_text(soup.select_one(selector.strip())):
            return title
    return _inline_text(soup.find("title")) or fallback


# ---------------------------------------------------------------- the format


def _find(soup: BeautifulSoup) -> tuple[_Engine, list[_Found]] | None:
    for engine in _ENGINES:
        if found := engine.find(soup):
            return engine, found
    return None


def sniff(path: Path, head: str) -> bool:
    """Post containers of one of the three engines; an article page, however it names its classes, is not claimed."""
    lowered = head.lower()
    if not any(tag in lowered for tag in ("<html", "<!doctype html", "<body", "<div", "<article")):
        return False
    if not any(marker in lowered for marker in _MARKERS):
        try:
            if path.stat().st_size <= len(head.encode("utf-8", errors="replace")):
                return False
            with path.open("rb") as handle:
                head = handle.read(SNIFF_MORE).decode("utf-8", errors="replace")
        except OSError:
            return False
        if not any(marker in head.lower() for marker in _MARKERS):
            return False
    return _find(BeautifulSoup(head, "html.parser")) is not None


def _soup(path: Path) -> BeautifulSoup:
    """The page's declared charset is trusted only when the bytes are not UTF-8: old boards often mislabel them."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UnreadableDocument(f"{size // 2**20} MiB is too large for one forum thread page (limit {MAX_BYTES // 2**20} MiB)")
    dammit = UnicodeDammit(path.read_bytes(), known_definite_encodings=["utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise UnreadableDocument("the page's text encoding could not be determined")
    return BeautifulSoup(dammit.unicode_markup.replace("\r\n", "\n"), "html.parser")


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    soup = _soup(path)
    match = _find(soup)
    if match is None:
        raise UnreadableDocument("no phpBB, XenForo or vBulletin posts found in this page")
    engine, found = match
    zone, base = _page_timezone(soup), _page_url(soup)
    skip = frozenset(id(f.container) for f in found)
    thread = Thread(_title(soup, engine, path.stem))
    seen: set[str] = set()
    for number, item in enumerate(found, start=1):
        label = f"post {number} (id {item.post or '?'})"
        if item.post in seen:
            warn(f"{label}: appears twice on the page; the second copy left out")
            continue
        seen.add(item.post)
        if item.body is None:
            warn(f"{label}: no message body found; left out")
            continue
        try:
            blocks = _blocks(item.body, skip)
        except RecursionError:
            warn(f"{label}: markup nested too deeply to read; left out")
            continue
        if not blocks.items:
            warn(f"{label}: no text; left out")
            continue
        anchor = engine.anchor.format(item.post)
        thread.posts.append(
            Post(
                blocks=tuple(blocks.items),
                author=item.author,
                date=_iso(item.date, zone),
                post=item.post or None,
                reply_to=blocks.reply_to,
                url=f"{base}#{anchor}" if base else f"#{anchor}",
            )
        )
    yield thread


FORMAT = ThreadFormat("phpBB/XenForo/vBulletin page", sniff, read)
