"""Mailman 2's pipermail message pages (`pipermail/<list>/2024-March/000123.html`).

Laid out by HyperArch.py's `article.html`: an `<H1>` subject, the sender's name in `<B>`, a
mailto `<A>` showing the address ("jane at example.org" where ARCHIVER_OBSCURES_EMAILADDRS is on,
Mailman 2.1's default) whose `In-Reply-To=` field carries the page's own Message-ID in its angle
brackets (it is the link to reply to this mail; pipermail before 2.1 leaves it out). Early 2.1
releases put the mail's own In-Reply-To there instead, bare (HyperArch.py of 2002:
`url_quote(self.in_reply_to)`): a bare id is the mail this one answers. The date is in `<I>` as
`i18n.ctime` writes it ("Tue Mar  5 10:47:12 CET 2024"; older pipermail the raw Date header),
then the body between `<!--beginarticle-->` and `<!--endarticle-->`, a `<PRE>` whose quoted
lines read `&gt;<i> …</I>`. The "Previous message / Next message / Messages sorted by" lists
and the list's footer lie outside the markers, so they never reach the text. The page names
neither the mail it answers nor its own address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bs4 import BeautifulSoup, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import flat_text, inline_text
from forumqa.formats.forum_html.page import page_url
from forumqa.formats.mail_html.message import Mail, between, display_name, mailto_field, message_id, thread
from forumqa.formats.mbox.body import rendered_lines
from forumqa.formats.mbox.headers import iso_date
from forumqa.threads import Thread, Warn

BEGIN = "<!--beginarticle-->"
END = "<!--endarticle-->"
#: ARCHIVER_OBSCURES_EMAILADDRS: "@" written as " at ".
_OBSCURED = re.compile(r"^([\w.+'-]+) at ((?:[\w-]+\.)+[A-Za-z]{2,})$")
_CTIME = re.compile(r"^\w+ (?P<mon>\w+) +(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) (?P<zone>.+?) (?P<year>\d{4})$")


def claims(text: str) -> bool:
    """The article marker with a heading above it, as every pipermail message page has."""
    at = text.find(BEGIN)
    return at > 0 and "<h1" in text[:at].lower()


def read(text: str, stem: str, warn: Warn) -> Thread:
    body = between(text, BEGIN, END)
    if body is None:
        raise UnreadableDocument("a pipermail page that ends before <!--endarticle-->: the download was cut short")
    lines = rendered_lines(body)
    if not any(line.strip() for line in lines):
        raise UnreadableDocument("a pipermail message page with no message between <!--beginarticle--> and <!--endarticle-->")
    head = BeautifulSoup(text[: text.find(BEGIN)], "html.parser")
    heading = head.find("h1")
    anchor = heading if isinstance(heading, Tag) else head
    name_tag = anchor.find_next("b")
    link = (name_tag or anchor).find_next("a", href=re.compile(r"^mailto:", re.IGNORECASE))
    link = link if isinstance(link, Tag) else None
    date_tag = (link or name_tag or anchor).find_next("i")
    name, address = _unobscured(inline_text(name_tag) if isinstance(name_tag, Tag) else ""), _unobscured(flat_text(link))
    made = head.find("link", rel="made")
    linked = mailto_field(link, "In-Reply-To") or mailto_field(made if isinstance(made, Tag) else None, "In-Reply-To")
    own_id, answered = (linked, None) if linked is None or linked.startswith("<") else (None, linked)
    mail = Mail(
        lines,
        author=display_name(name if name != address else None, address if address and "@" in address else None),
        address=address if address and "@" in address else None,
        date=pipermail_date(flat_text(date_tag) if isinstance(date_tag, Tag) else ""),
        post=(message_id(own_id) if own_id else None) or stem,
        url=page_url(head),
        reply_to=message_id(answered) if answered else None,
    )
    subject = flat_text(heading) if isinstance(heading, Tag) else flat_text(head.find("title"))
    return thread(subject, stem, [mail])


def _unobscured(text: str) -> str:
    """'jane at example.org' → 'jane@example.org'; any other text as it is."""
    text = " ".join(text.split())
    return _OBSCURED.sub(r"\1@\2", text)


def pipermail_date(text: str) -> str | None:
    """ISO 8601 from Mailman's ctime ("Tue Mar  5 10:47:12 CET 2024") or a raw Date header (pipermail 2.0).

    Mailman names the server's zone ("CET", "EST"), which does not say its offset: only UTC and GMT
    give one, other times are kept as the archive showed them, without a zone.
    """
    text = " ".join(text.split())
    if not text:
        return None
    match = _CTIME.match(text)
    if match is None:
        return iso_date(text)
    try:
        parsed = datetime.strptime(f"{match['mon']} {match['day']} {match['time']} {match['year']}", "%b %d %H:%M:%S %Y")
    except ValueError:  # a translated archive's month names
        return None
    if match["zone"].upper() in ("UTC", "GMT"):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat(timespec="seconds")
