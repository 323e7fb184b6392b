"""What the three archive generators share once a page is read: its bytes as text, its mails, and the Thread they make.

A generator module finds each mail's sender, date, Message-ID and the lines of its body (`Mail`);
`thread` then splits those lines into own words and quotes with the mbox reader's code, so a quote
is credited to whoever its attribution line names exactly as in an mbox.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bs4 import Tag
from bs4.dammit import EncodingDetector

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import attr
from forumqa.formats.mbox import quotes
from forumqa.formats.mbox.attribution import Context, Known, People
from forumqa.formats.mbox.headers import normalise_subject
from forumqa.threads import Post, Thread

#: A message page is a few KB, a HyperKitty thread page a few MB; past this it is not one.
MAX_BYTES = 32 * 1024 * 1024
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_NO_PEOPLE = People(())


@dataclass(frozen=True)
class Mail:
    """One mail as its page shows it; `ancestors` is the reply chain the page names, nearest first."""

    lines: list[str]
    author: str | None
    address: str | None
    date: str | None
    post: str
    url: str | None = None
    reply_to: str | None = None
    ancestors: tuple[Known, ...] = ()

    @property
    def known(self) -> Known:
        return Known(self.author, self.address, self.post)


def decode(path: Path) -> str:
    """The page as text: UTF-8, else the charset the page declares, else Windows-1252; none of them fitting, unreadable.

    No guessing beyond that: archive generators declare their charset, and a guessed one turns
    names and words into mojibake that would then be cited as somebody's.
    """
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UnreadableDocument(f"{size // 2**20} MiB is too large for a mailing-list archive page (limit {MAX_BYTES // 2**20} MiB)")
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    for encoding in dict.fromkeys(e for e in ("utf-8", declared, "windows-1252") if e):
        try:
            return data.decode(encoding).replace("\r\n", "\n")
        except (LookupError, UnicodeDecodeError):
            continue
    named = f", nor its declared charset {declared!r}" if declared else " and it declares no charset"
    raise UnreadableDocument(f"the page's text encoding could not be determined (not UTF-8{named}, nor Windows-1252)")


def is_html(head: str) -> bool:
    """Starts with markup and is a web page; a note or mail that mentions a marker is not."""
    lowered = head.lstrip().lower()
    return lowered.startswith("<") and any(tag in lowered for tag in ("<html", "<!doctype html", "<body"))


def between(text: str, start: str, end: str) -> str | None:
    """The text between two comment markers a generator writes; None when either is missing."""
    at = text.find(start)
    if at < 0:
        return None
    stop = text.find(end, at + len(start))
    return text[at + len(start) : stop] if stop >= 0 else None


def message_id(value: str) -> str | None:
    """'<abc@example.org>' (or a bare id) as the id posts carry, without its angle brackets."""
    found = _MESSAGE_ID.search(value)
    bare = found.group(1) if found else value.strip()
    return bare if bare and " " not in bare else None


def mailto_field(tag: Tag | None, field: str) -> str | None:
    """A field of a mailto: link's query (the reply link's "In-Reply-To", "Subject"), decoded."""
    href = attr(tag, "href")
    if not href.lower().startswith("mailto:"):
        return None
    for key, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(href).query):
        if key.lower() == field.lower():
            return value.strip() or None
    return None


def display_name(name: str | None, address: str | None) -> str | None:
    """The name a post is credited to: the sender's name, else their address's local part, as the mbox reader does."""
    name = " ".join((name or "").split()).strip("\"' ") or None
    if name and "@" in name:  # the archive showed the address where the name goes
        name, address = None, address or name
    return _NO_PEOPLE.name(name, address)


def thread(subject: str, fallback: str, mails: Sequence[Mail]) -> Thread:
    """The page's mails as one thread; each body split into own paragraphs and Quotes by the mbox reader's rules."""
    in_order = [mail.known for mail in mails]
    posts = []
    for position, mail in enumerate(mails):
        context = Context(mail.ancestors, in_order, position, _NO_PEOPLE)
        posts.append(
            Post(
                blocks=tuple(quotes.blocks(mail.lines, context)),
                author=mail.author,
                date=mail.date,
                post=mail.post,
                reply_to=mail.reply_to,
                url=mail.url,
            )
        )
    # a subject that is all brackets ("[jane@example.org: Bug 12]", a forwarded mail) is kept as written
    return Thread(normalise_subject(subject) or " ".join(subject.split()) or fallback, posts)
