"""Hypermail's message pages (`0013.html`; Open MPI's archive keeps them as `28743.php`).

Hypermail (2.1 to 2.4) writes each mail's headers as a record of HTML comments above the body:
`<!-- name="Jane Roe" -->`, `<!-- email="jane@example.org" -->` (with its spam protection on,
"jane_at_[hidden]" or the like, no address at all), `<!-- sent="<Date header>" -->`,
`<!-- isosent="YYYYMMDDhhmmss" -->` (that date in UTC), `<!-- subject="…" -->`, `<!-- id="…" -->` and
`<!-- inreplyto="…" -->` (the In-Reply-To header as it came: an id, or a subject where a mailer put
one there), each value HTML-escaped. The mail itself lies between `<!-- body="start" -->` and
`<!-- body="end" -->`: its lines end in `<br>`, quoted lines sit in `<span class="quotelev1">` (2.1:
`<em class="quotelev1">`) with their `&gt;` marks kept, so the mbox reader's rules find quotes and
attributions as in the mail. Version 2.2 and later put the From/Date block (`<address class="headers">`)
and a "Received on" line (`<span id="received">`) inside the body markers too: they are the archive's,
not the sender's words. The navigation ("Next message", "In reply to: Jane Roe: "Subject"") lies outside
the markers; "In reply to" names who wrote the mail this one answers, which a quote with no attribution is by.

A page is claimed by its comment record and body markers, with or without an `<html>` around them:
Open MPI's pages are PHP that includes its header from another file.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from bs4 import BeautifulSoup, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import flat_text
from forumqa.formats.forum_html.page import page_url
from forumqa.formats.mail_html.message import Mail, between, display_name, message_id, thread
from forumqa.formats.mbox.attribution import Known
from forumqa.formats.mbox.body import rendered_lines
from forumqa.formats.mbox.headers import iso_date
from forumqa.threads import Thread, Warn

BEGIN = '<!-- body="start" -->'
END = '<!-- body="end" -->'
_FIELD = re.compile(r'<!-- (?P<key>[a-z]+)="(?P<value>[^"]*)" -->')
#: The record Hypermail writes for every mail, in this order; two of them together are no accident of prose.
_RECORD = re.compile(r'<!-- sent="[^"]*" -->\s*<!-- isosent="\d{14}" -->')
_IN_REPLY_TO = re.compile(r"^\s*(?:maybe\s+)?in reply to\s*:?\s*$", re.IGNORECASE)
#: A navigation link's text: 'Jane Roe: "Re: the subject"'.
_LINKED_MAIL = re.compile(r'^(?P<name>.+?):\s+".*"\s*$', re.DOTALL)


def claims(text: str) -> bool:
    """Hypermail's header record and the body's start marker after it."""
    record = _RECORD.search(text)
    return record is not None and BEGIN in text[record.end() :]


def read(text: str, stem: str, warn: Warn) -> Thread:
    fields = _fields(text[: text.find(BEGIN)])
    body = between(text, BEGIN, END)
    if body is None:
        raise UnreadableDocument('a Hypermail page that ends before <!-- body="end" -->: the download was cut short')
    lines = rendered_lines(str(_without_archive_lines(body)))
    if not any(line.strip() for line in lines):
        raise UnreadableDocument("a Hypermail message page with no message between its body markers")
    address = fields.get("email", "")
    address = address if "@" in address else ""  # "jane_at_[hidden]": the archive hid it
    head = BeautifulSoup(text, "html.parser")
    answered = message_id(fields.get("inreplyto", ""))
    parent = _parent_name(head)
    mail = Mail(
        lines,
        author=display_name(fields.get("name"), address or None),
        address=address or None,
        date=_date(fields),
        post=message_id(fields.get("id", "")) or stem,
        url=page_url(head),
        reply_to=answered,
        ancestors=(Known(parent, None, None),) if parent else (),
    )
    heading = head.find("h1")
    subject = fields.get("subject") or (flat_text(heading) if isinstance(heading, Tag) else "")
    return thread(subject, stem, [mail])


def _fields(record: str) -> dict[str, str]:
    """The comment record's values, unescaped (a subject's "&" is "&amp;" there, and sometimes "&amp;amp;")."""
    fields: dict[str, str] = {}
    for match in _FIELD.finditer(record):
        value = html.unescape(match["value"])
        fields.setdefault(match["key"], html.unescape(value) if "&" in value else value)
    return fields


def _without_archive_lines(body: str) -> BeautifulSoup:
    """The body less what Hypermail 2.2+ writes into it: the From/Date block and the "Received on" line."""
    soup = BeautifulSoup(body, "html.parser")
    for tag in soup.select("address.headers, #received"):
        tag.decompose()
    return soup


def _date(fields: dict[str, str]) -> str | None:
    """ISO 8601 from `isosent` (UTC), else from the Date header in `sent`."""
    try:
        return datetime.strptime(fields.get("isosent", ""), "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()
    except ValueError:
        return iso_date(fields["sent"]) if fields.get("sent") else None


def _parent_name(head: BeautifulSoup) -> str | None:
    """Who wrote the mail this one answers, from the "In reply to:" link ('Jane Roe: "Subject"')."""
    for label in head.find_all(["strong", "dfn", "b"]):
        if not _IN_REPLY_TO.match(flat_text(label)):
            continue
        link = label.find_next("a")
        linked = _LINKED_MAIL.match(flat_text(link)) if isinstance(link, Tag) else None
        if linked:
            return display_name(linked["name"], None)
    return None
