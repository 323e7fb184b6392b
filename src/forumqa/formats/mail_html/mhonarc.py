"""MHonArc message pages (`msg00087.html`: lists.debian.org, mail-archive.com, many universities' list archives).

MHonArc opens every message page with its own record of the mail, comments it reads back when it
edits the archive (mhamain.pl's output_mail, mhmsgfile.pl): `<!--X-Subject: … -->`, the sender,
`<!--X-Date: … -->` (the date it sorts by), `<!--X-Message-Id: … -->` and one comment per id the mail
refers to, up to `<!--X-Head-End-->`; "-" and "&" in them are written as character references
(ewhutil.pl's commentize). The record holds the header fields as the mail had them, RFC 2047 words
and all. Its names changed over the versions, and all of them are read:

- 2.4 and later: `X-From-R13`, the From field through MHonArc's "modified rot13" (mrot13, which
  turns "@A-Z[" as one 28-letter ring and a-z as rot13), `X-Content-Type`, `X-Reference`;
- 2.3: `X-From` in clear, `X-Content-Type`, `X-Reference`;
- 2.2: `X-From`, `X-ContentType`, `X-Reference-Id` (mhmsgfile.pl reads these as "older versions").

The message itself is a block between `<!--X-MsgBody-->` and `<!--X-MsgBody-End-->`: the subject
header, the header fields as a list (`<li><em>From</em>: …</li>`; the label's markup is the
LABELSTYLES resource, so `<strong>`, `<b>` or plain "From:" as well), `<!--X-Head-Body-Sep-Begin-->`,
and the body from `<!--X-Body-of-Message-->`. From 2.3 on the field list sits between
`<!--X-Head-of-Message-->` and `<!--X-Head-of-Message-End-->`; 2.2 writes it with no markers,
straight after the subject header. The body ends at `<!--X-Body-of-Message-End-->` in every
version whose source was checked, but the MHonArc list's own page of February 2002 (2.2's record
names, no "MHonArc v…" line: older than 2.2, it seems) has none: there it ends where the block does.
An archive edited by a later MHonArc keeps each page's old block (output_mail copies it when it adds
mail) under a new record, so any record may come with any block.

The body is plain text in a `<pre>` with `&gt;` quote marks, or, for format=flowed mail and the
fancyquote option (mhtxtplain.pl), each quote level a `<blockquote>` without its marks. Below it
the References list (REFSLITXT: the subject linked to its page, then `<li><em>From:</em> …</li>`)
names the sender of each earlier mail of the thread the archive holds; the In-reply-to field links
to the page of the mail this one answers, which is how a quote with no attribution line is still
credited to that mail's sender, as an mbox's reply chain does.

The record is read first for the Message-ID, the references and the sender's address (the field
list may leave fields out, and SPAMMODE or ADDRESSMODIFYCODE hide its addresses). The date is the
field list's Date, the record's only where the list has none: MHonArc dates a mail by the newest
Received hop before its Date header (DATEFIELDS, "received:date" by default), which is when the
archive got it, minutes or days after it was written, and before it where clocks disagree; the
sender's name is the field list's, which MHonArc decodes into the page's charset, where the record
keeps the header's raw bytes. Checked against output_mail and read_mail_header in mhamain.pl 2.2.0
(1998), 2.3.0 and 2.4.0 (gitpan/MHonArc) and 2.6.7 (sympa-community/MHonArc), that repository's
mhmsgfile.pl (how the record is read back) and ewhutil.pl (commentize), MHonArc's mrot13, and that
page of the MHonArc list; the pre-2.2 fixture mirrors the page's layout in an invented mail.
"""

from __future__ import annotations

import re
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from bs4 import BeautifulSoup, Comment, Tag

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html.markup import attr, flat_text
from forumqa.formats.forum_html.page import page_url
from forumqa.formats.mail_html.message import Mail, between, display_name, message_id, thread
from forumqa.formats.mbox.attribution import Known
from forumqa.formats.mbox.body import rendered_lines
from forumqa.formats.mbox.headers import iso_date, sender
from forumqa.threads import Thread, Warn

RECORD_END = "<!--X-Head-End-->"
MSGBODY = "<!--X-MsgBody-->"
MSGBODY_END = "<!--X-MsgBody-End-->"
SUBJECT_HEADER_END = "<!--X-Subject-Header-End-->"
HEAD = "<!--X-Head-of-Message-->"
HEAD_END = "<!--X-Head-of-Message-End-->"
SEPARATOR = "<!--X-Head-Body-Sep-Begin-->"
SEPARATOR_END = "<!--X-Head-Body-Sep-End-->"
BODY = "<!--X-Body-of-Message-->"
BODY_END = "<!--X-Body-of-Message-End-->"
REFS = "<!--X-References-->"
REFS_END = "<!--X-References-End-->"
_ID_RECORD = "<!--X-Message-Id:"
#: The comment MHonArc opens every page it writes with (after the SSMARKUP resource, if set), index pages too.
_VERSION = re.compile(r"<!--\s*MHonArc v\d")
#: mboxrd's escaping of a body line that reads "From " (mbox.body.unescape_from), which MHonArc shows as it was stored.
_ESCAPED_FROM = re.compile(r"^>(>*From )")
_CHARACTER_REFERENCE = re.compile(r"&#(\d+);")
#: MHonArc's mrot13: tr/@A-Z[a-z/N-Z[@A-Mn-za-m/, its own inverse (Sympa decodes X-From-R13 the same way).
_MROT13 = str.maketrans(
    "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[abcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZ[@ABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)
#: The markup a field's label may have (LABELSTYLES); without any, the label is the text before the colon.
_LABELS = ("em", "strong", "b")
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def claims(text: str) -> bool:
    """MHonArc's record of the Message-ID, which it writes on every message page, and its markers around the message.

    A page with the header block's marker (2.3 on) is claimed as before; one without (2.2 and
    older) needs the record closed by `<!--X-Head-End-->` and a message block or body marker after it.
    An index page is claimed too, so that it is skipped with its reason rather than read as a page.
    An archive made with NOPRINTXCOMMENTS has no record at all: its header block and body markers are
    still there, and the header block's list gives what the record would (`read` falls back to it).
    """
    record = text.find(_ID_RECORD)
    if record < 0:
        return (HEAD in text and BODY in text) or is_index(text)
    if HEAD in text:
        return True
    end = text.find(RECORD_END, record)
    return end >= 0 and any(text.find(marker, end) >= 0 for marker in (MSGBODY, BODY))


def is_index(text: str) -> bool:
    """An index page (maillist.html, threads.html, mail2.html…): MHonArc's version comment near the top, and no message.

    It lists each mail's subject and sender, linked to the mail's own page: read as a page it would
    be a document of subjects and names that matches every question on them and credits no one.
    """
    return _VERSION.search(text, 0, 2048) is not None and not any(marker in text for marker in (MSGBODY, BODY, _ID_RECORD))


def read(text: str, stem: str, warn: Warn) -> Thread:
    if is_index(text):
        raise UnreadableDocument(
            "an MHonArc index page (maillist.html, threads.html): it lists the mails, which are read from their own pages"
        )
    body = _body(text)
    lines = _lines(body) if body is not None else []
    if not any(line.strip() for line in lines):
        raise UnreadableDocument(
            "an MHonArc message page with no message between <!--X-Body-of-Message--> and "
            "<!--X-Body-of-Message-End--> (or <!--X-MsgBody-End-->)"
        )
    top = BeautifulSoup(text[: _message_start(text)], "html.parser")
    record = _record(top)
    fields = _fields(BeautifulSoup(_field_block(text), "html.parser"))
    shown_name, shown_address = sender(_value(fields.get("from")))
    kept_name, kept_address = sender(_recorded_sender(record))
    name, address = shown_name or kept_name, kept_address or shown_address
    own_id = message_id(_first(record, "message-id") or _value(fields.get("message-id")))
    refs = record.get("reference") or record.get("reference-id") or [""]
    reply_to = message_id(_value(fields.get("in-reply-to")) or refs[-1])
    parent_page = attr(_link(fields.get("in-reply-to")), "href") if "in-reply-to" in fields else None
    references = BeautifulSoup(between(text, REFS, REFS_END) or "", "html.parser")
    if parent_page == "" and reply_to:
        parent_page = _listed_page(references, [message_id(ref) for ref in refs], reply_to)
    mail = Mail(
        lines,
        author=display_name(name, address),
        address=address,
        date=iso_date(_value(fields.get("date"))) or iso_date(_first(record, "date")),
        post=own_id or stem,
        url=page_url(top),
        reply_to=reply_to,
        ancestors=_ancestors(references, parent_page, reply_to),
    )
    subject = _words(_first(record, "subject")) or _value(fields.get("subject")) or flat_text(top.find("title"))
    return thread(subject, stem, [mail])


def _lines(body: str) -> list[str]:
    """The body's lines as the mail had them: MHonArc's notes on attachments and its frame of an attached mail out, mbox escaping undone.

    An attachment saved to its own file leaves a note (mhexternal.pl: "Attachment: <a><tt>name</tt></a>"
    over "<em>Description:</em> type") that is the archive's words, not the sender's, like
    pipermail's scrubber notes. An attached mail (message/rfc822) is framed by "--- Begin Message ---"
    and "--- End Message ---" (readmail.pl) with its header fields as a list; its From and Date are
    given back as the header block the quote rules read, so its text is credited to its sender.
    MHonArc shows a mail as its mbox stored it, and mboxrd writes a body line "From …" as ">From …":
    one ">" comes off as the mbox reader takes it off, or the sender's own line would be read as a quote.
    An HTML part's `<title>` is shown above it as MHonArc's own line (`_drop_html_titles`), which goes too.
    """
    soup = BeautifulSoup(body, "html.parser")
    changed = _drop_attachment_notes(soup) + _unframe_attached_mails(soup) + _drop_html_titles(soup)
    return [_ESCAPED_FROM.sub(r"\1", line) for line in rendered_lines(str(soup) if changed else body)]


def _drop_attachment_notes(soup: BeautifulSoup) -> int:
    """Take out mhexternal.pl's notes (a `<p>`, or with its frame option a one-cell table); how many there were."""
    notes = 0
    for label in soup.find_all("em"):
        holder = label.parent
        if flat_text(label) != "Description:" or not isinstance(holder, Tag) or holder.name not in ("p", "td"):
            continue
        name = holder.find("strong")
        link = name.find("a", href=True) if isinstance(name, Tag) else None
        if isinstance(link, Tag) and link.find("tt") is not None:
            table = holder.find_parent("table") if holder.name == "td" else None
            (table or holder).decompose()
            notes += 1
    return notes


def _drop_html_titles(soup: BeautifulSoup) -> int:
    """Take out the line mhtxthtml.pl puts over an HTML part, `<address>Title: <strong>…</strong></address>`; how many.

    It is the part's `<title>` (Outlook writes the subject there), shown by the archive, not written by the sender.
    """
    titles = 0
    for address in soup.find_all("address"):
        children = [c for c in address.children if not (isinstance(c, str) and not c.strip())]
        label = children[0] if children else None
        if len(children) == 2 and isinstance(label, str) and label.strip() == "Title:" and getattr(children[1], "name", None) == "strong":
            address.decompose()
            titles += 1
    return titles


def _unframe_attached_mails(soup: BeautifulSoup) -> int:
    """An attached mail's frame markers out, its header list turned into "From:" and "Date:" lines; how many mails."""
    mails = 0
    for marker in soup.find_all("small"):
        words = flat_text(marker)
        if words not in ("--- Begin Message ---", "--- End Message ---"):
            continue
        header = marker.find_next_sibling() if words.startswith("--- Begin") else None
        if isinstance(header, Tag) and header.name == "ul":
            fields = _fields(header)
            shown = [f"{name}: {_value(fields[name.lower()])}" for name in ("From", "Date") if name.lower() in fields]
            pre = soup.new_tag("pre")
            pre.string = "\n".join(shown) + "\n"
            header.replace_with(pre)
            mails += 1
        marker.decompose()
    return mails


def _listed_page(references: BeautifulSoup, recorded: list[str | None], reply_to: str) -> str:
    """The References list's page of the mail an unlinked In-reply-to names; "" when the list cannot say which it is.

    MHonArc links an id only where it reads as an address with a 2-4 letter top-level domain
    ($AddrExp in mhinit.pl), so "CAHk-=wx…@mail.gmail.com" or "…@host.localdomain" is shown bare
    although that mail's page is in the archive. The record lists every reference, the References
    list those the archive holds, both in the mail's order (mhamain.pl); when the two are as long,
    they are the same mails one for one.
    """
    pages = [page for page, _ in _listed(references)]
    if reply_to not in recorded or len(pages) != len(recorded):
        return ""
    return pages[recorded.index(reply_to)]


def _body(text: str) -> str | None:
    """The body: from `<!--X-Body-of-Message-->` (else the head/body separator's end) to its end marker or the message block's end."""
    for start_marker in (BODY, SEPARATOR_END):
        start = text.find(start_marker)
        if start >= 0:
            start += len(start_marker)
            ends = [at for end_marker in (BODY_END, MSGBODY_END) if (at := text.find(end_marker, start)) >= 0]
            return text[start : min(ends)] if ends else None
    return None


def _message_start(text: str) -> int:
    """Where the message block begins: the record and the page's head lie before it."""
    found = [at for marker in (MSGBODY, HEAD, BODY) if (at := text.find(marker)) >= 0]
    return min(found) if found else len(text)


def _field_block(text: str) -> str:
    """The header fields' markup: between the `<!--X-Head-of-Message-->` markers, or (2.2) after the subject header up to the separator."""
    marked = between(text, HEAD, HEAD_END)
    if marked is not None:
        return marked
    stop = next((at for marker in (SEPARATOR, BODY) if (at := text.find(marker)) >= 0), -1)
    if stop < 0:
        return ""
    starts = [at + len(marker) for marker in (SUBJECT_HEADER_END, MSGBODY) if (at := text.rfind(marker, 0, stop)) >= 0]
    return text[max(starts) : stop] if starts else ""


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


def _recorded_sender(record: dict[str, list[str]]) -> str:
    """The From field the record keeps: `X-From-R13` decoded (2.4 on), else `X-From` (before), as mhmsgfile.pl reads it."""
    if encoded := _first(record, "from-r13"):
        return encoded.translate(_MROT13)
    return _first(record, "from")


def _words(value: str) -> str:
    """A raw header value from the record with its RFC 2047 words ("=?utf-8?q?…?=") decoded."""
    if "=?" in value:
        with suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
            value = str(make_header(decode_header(value)))
    return " ".join(value.split())


def _fields(head: Tag) -> dict[str, Tag]:
    """The header fields' list items by lower-case field name: `<li><em>From</em>: …</li>`, or with `<strong>`, `<b>`, no markup."""
    fields: dict[str, Tag] = {}
    for item in head.find_all("li"):
        name, _ = _field(item)
        if name:
            fields.setdefault(name.lower(), item)
    return fields


def _field(item: Tag) -> tuple[str, str]:
    """(name, value) of a field's list item, the value on one line; the name is "" when the item is no "Name: value" field."""
    text = " ".join(item.get_text().split())
    label = _label(item)
    if label is None:
        name, colon, value = text.partition(":")
        return (name, value.strip()) if colon and _FIELD_NAME.fullmatch(name) else ("", text)
    shown = " ".join(label.get_text().split())
    name, value = shown.rstrip(":").strip(), text[len(shown) :]
    if _FIELD_NAME.fullmatch(name) and (shown.endswith(":") or value.startswith(":")):
        return name, value.lstrip(": ")
    return "", text


def _label(item: Tag) -> Tag | None:
    """The item's label element: its first child, when it is `<em>`, `<strong>` or `<b>` with only space before it."""
    for child in item.children:
        if isinstance(child, Tag):
            return child if child.name in _LABELS else None
        if str(child).strip():
            return None
    return None


def _value(item: Tag | None) -> str:
    """A field's value: the item's text after its label, on one line."""
    return _field(item)[1] if item is not None else ""


def _link(item: Tag | None) -> Tag | None:
    link = item.find("a", href=True) if item is not None else None
    return link if isinstance(link, Tag) else None


def _ancestors(references: BeautifulSoup, parent_page: str | None, reply_to: str | None) -> tuple[Known, ...]:
    """The reply chain the References list names, nearest first; the first is the mail this one answers.

    With an In-reply-to field, that mail's page must be in the list (its link in the field is the
    list item's); an In-reply-to without a link whose mail `_listed_page` cannot find is a mail the
    archive lacks, whose sender the page does not say. Without the field, the newest listed mail is taken, as the mbox reader does.
    """
    listed = _listed(references)
    pages = [page for page, _ in listed]
    if parent_page is not None:
        if not parent_page or parent_page not in pages:
            return ()
        listed = listed[: pages.index(parent_page) + 1]
    chain = [known for _, known in reversed(listed)]
    if chain and parent_page:
        chain[0] = Known(chain[0].name, chain[0].address, reply_to)
    return tuple(chain)


def _listed(references: BeautifulSoup) -> list[tuple[str, Known]]:
    """(page, sender) of each References list entry, oldest first."""
    return [_reference(label) for label in references.find_all(_LABELS) if flat_text(label).rstrip(":").strip().lower() == "from"]


def _reference(label: Tag) -> tuple[str, Known]:
    """(its page, its sender) of one References list entry, from the entry's "From:" line.

    With SPAMMODE the line holds the sender's name alone ($FROMNAME$), which is a name, not an address.
    """
    item = label.find_parent("li")
    entry = item.find_parent("li") if isinstance(item, Tag) else None
    shown = _value(item) if isinstance(item, Tag) else ""
    name, address = sender(shown) if "@" in shown or "<" in shown else (shown, None)
    page = attr(_link(entry), "href") if isinstance(entry, Tag) else ""
    return page, Known(display_name(name, address), address, None)
