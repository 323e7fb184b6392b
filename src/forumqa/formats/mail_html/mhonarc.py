"""MHonArc message pages (`msg00087.html`: lists.debian.org, mail-archive.com, many universities' list archives).

MHonArc opens every message page with its own record of the mail, comments it reads back when it
edits the archive (mhamain.pl's output_mail, mhmsgfile.pl): `<!--X-Subject: … -->`, `<!--X-Date: … -->`
(the Date header), `<!--X-Message-Id: … -->` and a `<!--X-Reference: … -->` per id the mail refers
to, "-" and "&" in them written as character references (ewhutil.pl's commentize). The header
fields follow between `<!--X-Head-of-Message-->` and `<!--X-Head-of-Message-End-->` as
`<li><em>From</em>: …</li>`, the body between `<!--X-Body-of-Message-->` and
`<!--X-Body-of-Message-End-->`: plain text in a `<pre>` with `&gt;` quote marks, or, for
format=flowed mail and the fancyquote option (mhtxtplain.pl), each quote level a `<blockquote>`
without its marks. Below the body the References list (REFSLITXT: the subject linked to its page,
then `<li><em>From:</em> …</li>`) names the sender of each earlier mail of the thread the archive
holds; the In-reply-to field links to the page of the mail this one answers, which is how a quote
with no attribution line is still credited to that mail's sender, as an mbox's reply chain does.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import attr, flat_text
from forumqa.formats.forum_html.page import page_url
from forumqa.formats.mail_html.message import Mail, between, display_name, message_id, thread
from forumqa.formats.mbox.attribution import Known
from forumqa.formats.mbox.body import rendered_lines
from forumqa.formats.mbox.headers import iso_date, sender
from forumqa.threads import Thread, Warn

HEAD = "<!--X-Head-of-Message-->"
HEAD_END = "<!--X-Head-of-Message-End-->"
BODY = "<!--X-Body-of-Message-->"
BODY_END = "<!--X-Body-of-Message-End-->"
REFS = "<!--X-References-->"
REFS_END = "<!--X-References-End-->"
_ID_RECORD = "<!--X-Message-Id:"
_CHARACTER_REFERENCE = re.compile(r"&#(\d+);")


def claims(text: str) -> bool:
    """The header block's marker and MHonArc's own record of the Message-ID, which it writes on every message page."""
    return HEAD in text and _ID_RECORD in text


def read(text: str, stem: str, warn: Warn) -> Thread:
    body = between(text, BODY, BODY_END)
    lines = rendered_lines(body) if body is not None else []
    if not any(line.strip() for line in lines):
        raise UnreadableDocument(
            "an MHonArc message page with no message between <!--X-Body-of-Message--> and <!--X-Body-of-Message-End-->"
        )
    top = BeautifulSoup(text[: text.find(HEAD)], "html.parser")
    record = _record(top)
    fields = _fields(BeautifulSoup(between(text, HEAD, HEAD_END) or "", "html.parser"))
    name, address = sender(_value(fields.get("from")))
    own_id = message_id(_first(record, "message-id") or _value(fields.get("message-id")))
    reply_to = message_id(_value(fields.get("in-reply-to")) or (record.get("reference") or [""])[-1])
    parent_page = attr(_link(fields.get("in-reply-to")), "href") if "in-reply-to" in fields else None
    references = BeautifulSoup(between(text, REFS, REFS_END) or "", "html.parser")
    mail = Mail(
        lines,
        author=display_name(name, address),
        address=address,
        date=iso_date(_first(record, "date") or _value(fields.get("date"))),
        post=own_id or stem,
        url=page_url(top),
        reply_to=reply_to,
        ancestors=_ancestors(references, parent_page, reply_to),
    )
    subject = _first(record, "subject") or _value(fields.get("subject")) or flat_text(top.find("title"))
    return thread(subject, stem, [mail])


def _record(top: BeautifulSoup) -> dict[str, list[str]]:
    """MHonArc's comments ("X-Message-Id: …") by lower-case name, as mhmsgfile.pl reads them back."""
    found: dict[str, list[str]] = {}
    for comment in top.find_all(string=lambda s: isinstance(s, Comment)):
        name, colon, value = str(comment).strip().partition(": ")
        if colon and name.startswith("X-"):
            found.setdefault(name[2:].lower(), []).append(_CHARACTER_REFERENCE.sub(lambda m: chr(int(m[1])), value).strip())
    return found


def _first(record: dict[str, list[str]], name: str) -> str:
    return next(iter(record.get(name) or []), "")


def _fields(head: BeautifulSoup) -> dict[str, Tag]:
    """The header fields' list items by lower-case field name: `<li><em>From</em>: …</li>`."""
    fields: dict[str, Tag] = {}
    for label in head.find_all("em"):
        item = label.find_parent("li")
        if isinstance(item, Tag):
            fields.setdefault(flat_text(label).rstrip(":").strip().lower(), item)
    return fields


def _value(item: Tag | None) -> str:
    """A field's value: the item's text after its label, on one line."""
    if item is None:
        return ""
    label = item.find("em")
    text = " ".join(item.get_text().split())
    return text[len(" ".join(label.get_text().split())) :].lstrip(": ") if isinstance(label, Tag) else text


def _link(item: Tag | None) -> Tag | None:
    link = item.find("a", href=True) if item is not None else None
    return link if isinstance(link, Tag) else None


def _ancestors(references: BeautifulSoup, parent_page: str | None, reply_to: str | None) -> tuple[Known, ...]:
    """The reply chain the References list names, nearest first; the first is the mail this one answers.

    With an In-reply-to field, that mail's page must be in the list (its link in the field is the
    list item's); an In-reply-to without a link is a mail the archive lacks, whose sender the page
    does not say. Without the field, the newest listed mail is taken, as the mbox reader does.
    """
    listed = [_reference(item) for item in references.find_all("em") if flat_text(item).lower().startswith("from")]
    pages = [page for page, _ in listed]
    if parent_page is not None:
        if not parent_page or parent_page not in pages:
            return ()
        listed = listed[: pages.index(parent_page) + 1]
    chain = [known for _, known in reversed(listed)]
    if chain and parent_page:
        chain[0] = Known(chain[0].name, chain[0].address, reply_to)
    return tuple(chain)


def _reference(label: Tag) -> tuple[str, Known]:
    """(its page, its sender) of one References list entry, from the entry's "From:" line."""
    item = label.find_parent("li")
    entry = item.find_parent("li") if isinstance(item, Tag) else None
    name, address = sender(_value(item) if isinstance(item, Tag) else "")
    page = attr(_link(entry), "href") if isinstance(entry, Tag) else ""
    return page, Known(display_name(name, address), address, None)
