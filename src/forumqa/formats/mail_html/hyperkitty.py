"""Mailman 3's HyperKitty pages: one message (`hyperkitty/list/<list>/message/<HASH>/`) or a whole thread (`…/thread/<ID>/`).

Each mail is a `div.email` (hyperkitty/messages/message.html): a `div.email-header`, whose id is
the message-id hash, with the sender's name (`.email-author .name`; "@" shown as "＠" by the
`escapeemail` filter), the date (`.email-date`; the sender's own clock in a "Sender's time: …"
title, in Django's DATETIME_FORMAT: "March 5, 2024, 10:12 a.m.") and the permalink
(`.messagelink a`); then the `div.email-body`; then the reply link, a mailto whose `In-Reply-To=`
field is the mail's own Message-ID. The body's quotes come in three shapes over the versions
(templatetags/hk_generic.py, lib/renderer.py): up to 1.1 `snip_quoted` wraps each quoted run in a
`div.quoted-text` with one `&gt;` taken off each line, deeper levels keeping theirs; later ones
nest a `div.quoted-text.quoted-text-N` per level with every mark taken off; the Markdown renderer
writes a `blockquote.quoted-text` per level. Each becomes `>` lines again, its "..." switch
dropped; a PGP signature, which `snip_pgp` folds the same way, is left out.

A thread page (thread.html) holds the first mail, then the replies (ajax/replies.html): written
into the page for clients it takes for robots, which `wget` is (and, in later versions, at
`?noscript`), fetched by script for a browser, so a page saved from a browser has them once they
have loaded. Until then the page holds a "Loading..." image (`div.replies img.ajaxloader`) that the
script removes after the last reply; a page saved with it (curl, a browser without JavaScript) is
read with a warning that replies are missing. In the default thread order each reply sits in a
`div` whose `reply-level-L` class (later templates; their stylesheet indents it 2L em) or inline
`margin-left: <2L>em` (earlier ones) gives its depth L below the first reply level
(views/thread.py: thread_depth - 1, capped at 5): the mail it answers is the nearest one above it a
level up. Sorted by date (the page then offers "Show replies by thread"), depths are not shown, and
which mail a reply answers is left unsaid.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import attr, classes, flat_text, inline_text
from forumqa.formats.forum_html.page import more_of, page_url
from forumqa.formats.mail_html.message import Mail, display_name, mailto_field, message_id, thread
from forumqa.formats.mbox.attribution import Known
from forumqa.formats.mbox.body import rendered_lines
from forumqa.threads import Thread, Warn

#: Class names every HyperKitty mail carries; a page without them is not parsed to sniff it.
_MARKERS = ("email-header", "email-body")
_INDENT = re.compile(r"margin-left:\s*(\d+(?:\.\d+)?)em")
_LEVEL = re.compile(r"(?<!\S)reply-level-(\d+)(?!\S)")
#: escapeemail's "＠" and urlize's "jane(a)example.org", in addresses as the page shows them.
_HIDDEN_AT = re.compile(r"([\w.+'-]+)(?:\(a\)|\uff20)((?:[\w-]+\.)+[A-Za-z]{2,})")
_DATE_FORMATS = (
    "%B %d, %Y, %I:%M %p",  # DATETIME_FORMAT "N j, Y, P": March 5, 2024, 10:12 a.m.
    "%b %d, %Y, %I:%M %p",
    "%B %d, %Y, %H:%M",
    "%b %d, %Y, %H:%M",
    "%A, %d %B %Y %I:%M %p",  # the date line and time of older templates: Tuesday, 5 March 2024 10:12 a.m.
    "%a, %b %d, %Y %I:%M %p",
    "%A, %d %B %Y %H:%M",
)


def claims(path: Path, head: str) -> bool:
    """A `div.email` with its header and body; a page that names HyperKitty is looked at further for one."""
    if _has_mail(head):
        return True
    if "hyperkitty" not in head.lower():
        return False
    more = more_of(path, head)
    return more is not None and _has_mail(more)


def _has_mail(text: str) -> bool:
    lowered = text.lower()
    return all(marker in lowered for marker in _MARKERS) and bool(_mails(BeautifulSoup(text, "html.parser")))


def _mails(soup: BeautifulSoup) -> list[Tag]:
    return [e for e in soup.select("div.email") if e.select_one(".email-header .email-author") and e.select_one(".email-body")]


def read(text: str, stem: str, warn: Warn) -> Thread:
    soup = BeautifulSoup(text, "html.parser")
    found = _mails(soup)
    if not found:
        raise UnreadableDocument("no HyperKitty mails (div.email with an email-body) in this page")
    base = page_url(soup)
    ids = [_own_id(tag) or _hash(tag) or (stem if len(found) == 1 else f"{stem}-{n}") for n, tag in enumerate(found, start=1)]
    known = [Known(_name(tag), None, post) for tag, post in zip(found, ids, strict=True)]
    parents = _parents(soup, found)
    mails: list[Mail] = []
    for index, tag in enumerate(found):
        label = f"mail {index + 1} ({ids[index]})"
        if ids[index] in ids[:index]:
            warn(f"{label}: appears twice on the page; the second copy left out")
        elif (mail := _mail(tag, ids[index], tuple(known[i] for i in _chain(index, parents)), base)) is None:
            warn(f"{label}: no text; left out")
        else:
            mails.append(mail)
    if not mails:
        raise UnreadableDocument("a HyperKitty page whose mails have no text")
    if soup.select_one("div.replies img.ajaxloader") is not None:  # the script removes it once every reply is in
        warn("the replies had not loaded when the page was saved (HyperKitty fetches them by script): some are missing; save it with wget")
    return thread(_subject(soup, found[0]), stem, mails)


def _mail(tag: Tag, post: str, ancestors: tuple[Known, ...], base: str | None) -> Mail | None:
    """One mail of the page, `ancestors` the mails it answers, nearest first; None when it has no text."""
    lines = _body_lines(tag)
    if not any(line.strip() for line in lines):
        return None
    reply_to = ancestors[0].post if ancestors else None
    return Mail(lines, _name(tag), None, _date(tag), post, _permalink(tag, base), reply_to, ancestors)


def _name(mail: Tag) -> str | None:
    """The sender's name; HyperKitty shows no address, and a name that is one keeps its local part."""
    name = _unhidden(flat_text(mail.select_one(".email-author .name")))
    return display_name(None if name == "(no name)" else name, None)


def _own_id(mail: Tag) -> str | None:
    for link in mail.select("a[href^='mailto:']"):
        if found := mailto_field(link, "In-Reply-To"):
            return message_id(found)
    return None


def _hash(mail: Tag) -> str | None:
    return attr(mail.select_one(".email-header"), "id") or None


def _permalink(mail: Tag, base: str | None) -> str | None:
    """The mail's own page: the permalink made absolute by the page's address; None when neither says where it is."""
    href = attr(mail.select_one(".messagelink a[href]"), "href")
    if href.startswith(("http://", "https://")):
        return urldefrag(href).url
    return urldefrag(urljoin(base, href)).url if base and href else None


def _date(mail: Tag) -> str | None:
    """The sender's time from its title, else the date and time the page shows (the reader's zone)."""
    stamp = mail.select_one(".email-date .time [title]")
    if stamp is not None and (parsed := hyperkitty_date(attr(stamp, "title").split(": ", 1)[-1])):
        return parsed
    shown = flat_text(mail.select_one(".email-date .date"))
    return hyperkitty_date(f"{shown} {flat_text(mail.select_one('.email-date .time'))}")


def hyperkitty_date(text: str) -> str | None:
    """ISO 8601 from Django's display formats: AP-style months ("Sept."), "a.m.", "noon", minutes left off at the hour."""
    text = " ".join(text.replace("'", "").split())
    text = re.sub(r"\b(Jan|Feb|Aug|Sept|Oct|Nov|Dec)\.", lambda m: m[1][:3], text)
    text = re.sub(r"\b([ap])\.m\.", lambda m: m[1].upper() + "M", text, flags=re.IGNORECASE)
    text = re.sub(r"\bnoon\b", "12:00 PM", re.sub(r"\bmidnight\b", "12:00 AM", text, flags=re.I), flags=re.I)
    text = re.sub(r"(?<![\d:])(\d{1,2}) ([AP]M)\b", r"\1:00 \2", text)  # "10 a.m.": Django leaves out ":00"
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat(timespec="minutes")
        except ValueError:
            continue
    return None


def _parents(soup: BeautifulSoup, mails: list[Tag]) -> dict[int, int]:
    """Which earlier mail each one answers, from the depth its indent shows; none when the replies are sorted by date."""
    if soup.select_one(".sort-mode a[href*='sort=thread']") is not None:  # the page offers thread order: it is by date
        return {}
    parents: dict[int, int] = {}
    depths: list[int] = []
    for index, mail in enumerate(mails):
        depth = 0 if "email-first" in classes(mail) else _indent(mail.parent) + 1
        above = next((j for j in range(index - 1, -1, -1) if depths[j] == depth - 1), None)
        if depth > 0 and above is not None:
            parents[index] = above
        depths.append(depth)
    return parents


def _indent(wrapper: Tag | None) -> int:
    """The reply's level L: a `reply-level-L` class in later templates (their stylesheet indents it 2L em), an inline margin before."""
    if level := _LEVEL.search(attr(wrapper, "class")):
        return int(level[1])
    match = _INDENT.search(attr(wrapper, "style"))
    return int(float(match[1]) / 2) if match else 0


def _chain(index: int, parents: dict[int, int]) -> list[int]:
    chain: list[int] = []
    while (index := parents.get(index, -1)) >= 0 and index not in chain:
        chain.append(index)
    return chain


def _body_lines(mail: Tag) -> list[str]:
    """The body as the mail's lines: quote blocks back to `>` lines (HyperKitty keeps line breaks as text, hence <pre>)."""
    body = mail.select_one(".email-body")
    if body is None:
        return []
    for switch in body.select(".quoted-switch"):
        switch.decompose()
    for quoted in body.select(".quoted-text"):
        if "BEGIN PGP SIGNATURE" in quoted.get_text():
            quoted.decompose()
        else:
            quoted.name = "blockquote"
    for link in body.find_all("a", href=True):
        _untruncate(link)
    return [_unhidden(line) for line in rendered_lines(f"<pre>{body.decode_contents()}</pre>")]


def _untruncate(link: Tag) -> None:
    """urlizetrunc's "https://example.org/long-pa…" shows its whole address again."""
    shown, href = link.get_text(), attr(link, "href")
    if shown.endswith(("…", "...")) and href.startswith(shown.rstrip(".…")):
        link.string = href


def _unhidden(text: str) -> str:
    return _HIDDEN_AT.sub(r"\1@\2", text).replace("\uff20", "@")


def _subject(soup: BeautifulSoup, first: Tag) -> str:
    for selector in (".message-header h1", ".thread-header h3", ".thread-header h2"):
        if shown := inline_text(soup.select_one(selector)):
            return shown
    reply = next((s for link in first.select("a[href^='mailto:']") if (s := mailto_field(link, "Subject"))), None)
    return reply or flat_text(soup.find("title")).split(" - ")[0]
