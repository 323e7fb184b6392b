"""Telegram Desktop's "Export chat history" as HTML, its default format: `messages.html`, `messages2.html`, … per chat.

Checked against Telegram Desktop's own writer, Telegram/SourceFiles/export/output/export_output_html.cpp
(a recent stored copy): `composeStart` opens every page with the `css/style.css` stylesheet link and a
`page_wrap` div; `writeDialogOpening` writes the `page_header` (the chat's name in `div.text.bold`),
then `page_body chat_page` and `history`; `pushMessage` writes each message as
`<div class="message default clearfix" id="messageN">` (with `joined` appended, and no `from_name`, when
`messageNeedsWrap` finds the same sender within 15 minutes on the same day), its `div.body` holding
`div.pull_right.date.details` (title: `FormatDateTime(date, true)` in export_data_types.cpp,
`DD.MM.YYYY HH:MM:SS UTC+03:00`; older writers leave the offset out), `div.from_name`, a forward's
`div.forwarded.body` (its own `from_name` with a `span.date.details`, again left out for a forward joined
to the one before from the same original sender), `div.reply_to.details` (`wrapMessageLink`:
`#go_to_messageN`, or `messagesK.html#go_to_messageN` for an earlier page; "In reply to a message in
another chat" without a link), the media, then `div.text` (`FormatText`: `<br>` for a line break,
`<a>`, `<strong>`…, `<pre>`, `<blockquote>`). Service messages (and the day separators, with negative
ids) are `message service`; a page holds 1000 messages, and `previous` is reset per page, so each page
opens with a named sender.

Each page file is one document titled by the chat, read with telegram.py's decisions: a blockquote
is a Quote (credited to the replied-to message when its words are that message's), a `pre` block
stands apart, a forward's words are Quotes of the original sender and never the forwarder's, and
service and media-only messages carry no one's words and are left out. Forum topics are not told
apart (the HTML names no topic of a message).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from bs4.element import NavigableString, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.page import read_soup
from forumqa.formats.reddit import Segment, Source
from forumqa.formats.telegram import message_post
from forumqa.threads import Code, Thread, ThreadFormat, Warn

#: A chat page holds 1000 messages: a few MB at most.
MAX_BYTES = 64 * 1024 * 1024
_MESSAGE_ID = re.compile(r"message(\d{1,20})")
_GO_TO = re.compile(r"#go_to_message(\d{1,20})$")
_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC(?:([+-])(\d{2}):?(\d{2}))?)?")
_VIA = re.compile(r"\s+via @\w+$")


def sniff(path: Path, head: str) -> bool:
    """The exporter's page: its stylesheet and page_wrap, the page_header, and the history or a message of it.

    All three are written by `composeStart` and `writeDialogOpening` before any message, so they lie in
    the head; a forum, archive or article page that mentions one of them is not claimed.
    """
    lowered = head.lower()
    return (
        'href="css/style.css"' in lowered
        and '<div class="page_wrap">' in lowered
        and '<div class="page_header">' in lowered
        and ('<div class="history">' in lowered or 'class="message default clearfix' in lowered)
    )


# ---------------------------------------------------------------- values


def _name(tag: Tag | None) -> str | None:
    """A from_name's own words: not the forward's date span, not " via @bot"."""
    if tag is None:
        return None
    words = "".join(child for child in tag.children if isinstance(child, NavigableString))
    return _VIA.sub("", " ".join(words.split())) or None


def _date(title: object) -> str | None:
    """ISO with the written offset; without one (older exports) the exporting computer's local time."""
    if not isinstance(title, str) or (found := _DATE.fullmatch(title.strip())) is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = found.groups()
    iso = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    if " UTC" not in title:
        return iso
    return iso + (f"{sign}{off_h}:{off_m}" if sign else "+00:00")


def _child(parent: Tag, *wanted: str) -> Tag | None:
    """The first direct child div carrying all the classes `wanted`."""
    for child in parent.find_all("div", recursive=False):
        if set(wanted) <= set(child.get("class") or []):
            return child
    return None


# ---------------------------------------------------------------- text → segments


def _inline(node: Tag, out: list[str]) -> None:
    for child in node.children:
        _inline_child(child, out)


def _inline_child(child: object, out: list[str]) -> None:
    """A piece of a message's text as it reads: the exporter's own line breaks are spaces, `<br>` a line break."""
    if isinstance(child, NavigableString):
        out.append(re.sub(r"\s*\n\s*", " ", str(child)))
    elif isinstance(child, Tag):
        if child.name == "br":
            out.append("\n")
        else:
            _inline(child, out)


def _plain(node: Tag) -> str:
    out: list[str] = []
    _inline(node, out)
    return "\n".join(line.strip() for line in "".join(out).strip().split("\n"))


def segments(text: Tag) -> list[Segment]:
    """A `div.text` as runs in reading order: a blockquote at depth 1, a `pre` block on its own."""
    out: list[Segment] = []
    run: list[str] = []

    def flush() -> None:
        joined = "\n".join(line.strip() for line in "".join(run).strip().split("\n"))
        if joined:
            out.append(Segment(joined))
        run.clear()

    for child in text.children:
        if isinstance(child, Tag) and child.name == "pre":
            flush()
            if (code := child.get_text().strip("\n")).strip():
                out.append(Segment(Code(code)))
        elif isinstance(child, Tag) and child.name == "blockquote":
            flush()
            if words := _plain(child):
                out.append(Segment(words, 1))
        else:
            _inline_child(child, run)
    flush()
    return out


# ---------------------------------------------------------------- page → thread


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    soup = read_soup(path, MAX_BYTES, "one Telegram chat page")
    history = soup.find("div", class_="history")
    if not isinstance(history, Tag):
        raise UnreadableDocument("not a Telegram Desktop chat page: no history div (export it with Format: HTML)")
    header = soup.select_one("div.page_header div.text.bold")
    title = (" ".join(header.get_text().split()) if header else "") or path.parent.name or path.stem
    thread = Thread(title)
    said: dict[str, Source] = {}
    author: str | None = None  # the last named sender: a `joined` message is theirs
    original: str | None = None  # the last forward's named original sender, for a joined forward
    repeated = 0
    for message in history.find_all("div", class_="message", recursive=False):
        classes: list[str] = list(message.get("class") or [])
        found_id = _MESSAGE_ID.fullmatch(str(message.get("id") or ""))
        if "default" not in classes or found_id is None:
            author = original = None  # a service message (or a day separator) breaks a run of joined messages
            continue
        message_id = found_id.group(1)
        if message_id in said:
            repeated += 1
            continue
        body = _child(message, "body")
        if body is None:
            said[message_id] = Source(None, message_id, None)
            continue
        if "joined" not in classes or author is None:
            author = _name(_child(body, "from_name"))
        forwarded = _child(body, "forwarded", "body")  # not the forward's userpic_wrap
        container = forwarded or body
        if forwarded is not None:
            named = _child(forwarded, "from_name")
            original = _name(named) if named is not None or original is None else original
        else:
            original = None
        reply = container.select_one("div.reply_to a[href]") or body.select_one("div.reply_to a[href]")
        go_to = _GO_TO.search(str(reply.get("href"))) if reply is not None else None
        reply_to = go_to.group(1) if go_to else None
        date_div = _child(body, "date")
        text = _child(container, "text")
        found = segments(text) if text is not None else []
        date = _date(date_div.get("title") if date_div else None)
        post = message_post(said, message_id, author, date, reply_to, found, forwarded is not None, original)
        if post.blocks:  # a photo, sticker or voice message alone has no words
            thread.posts.append(post)
    if repeated:
        warn(f"{title}: {repeated} messages repeat the id of an earlier one; read once")
    yield thread


FORMAT = ThreadFormat("Telegram Desktop HTML", sniff, read)
