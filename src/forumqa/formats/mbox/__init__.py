"""Mailing-list archives in mbox form (Mailman/HyperKitty, Pony Mail, Google Takeout, Thunderbird), and
a single saved mail (.eml, public-inbox's "m") read as an mbox of one message.

A mail archive is not a list of threads: it is a flat run of messages tied together by
Message-ID / In-Reply-To / References, and every reply carries the history it answers as `>`
lines, often three or four levels deep. What matters for a cited answer is who wrote which
words, so each reply's own text is told apart from the quoted history, and every quote level
becomes a Quote credited to the person its attribution line names and, when the reply chain
shows it, to that person's message in the thread (which `threads.to_document` then shows but does
not index again). The quoted message's number is the same number its own post carries.

The file is read twice, both times lazily through `mailbox.mbox`: first the headers alone, to
build the threads (a thread's messages may lie anywhere in a month of mail), then one thread at a
time in full, so memory holds the threading table and one thread's bodies, never the archive.
Parsing is the standard library's `email` package throughout (`get_body` picks the part a reader
sees), under the compat32 policy for speed (see `headers._Policy`).

Modules in the order a file goes through them: headers (pass 1), grouping (threads and reply
chains), body (pass 2: MIME parts to lines), quotes (own text and quote levels), attribution (who
each quote is by).
"""

from __future__ import annotations

import hashlib
import mailbox
import re
import unicodedata
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from forumqa.documents import UnreadableDocument
from forumqa.formats.mbox import digest, grouping, quotes
from forumqa.formats.mbox.attribution import Context, Known, People
from forumqa.formats.mbox.body import body_lines, parse
from forumqa.formats.mbox.headers import Head, in_digest, message_file, scan
from forumqa.threads import Post, Thread, ThreadFormat, Warn

#: A header field name (printable ASCII but the colon) at the start of a line.
_HEADER_LINE = re.compile(r"[!-9;-~]+:")
#: Names a single saved mail goes by: "x.eml", and no extension at all (public-inbox keeps each mail as a file "m").
_SINGLE_MAIL_SUFFIXES = frozenset({".eml", ""})


def sniff(path: Path, head: str) -> bool:
    """The mbox separator line followed by a header; or a single mail saved with its headers at byte 0.

    An .mbox name is taken at its word when a header comes first. A saved mail (.eml, or a file with
    no extension) must show it is one: its header block names the sender (From:) and a Date: or a
    Message-ID:, which notes or a README that start with "Subject:" do not. A .txt is a page unless
    its header block is a mail's as it travelled, with a field only transport writes (`_TRANSPORT`):
    news articles, archivers' test mails and Thunderbird's stored messages are kept as .txt, and read
    as a page they were a wall of Received: and DKIM lines, their base64 body unread. A Mailman digest's text saved
    without its headers is claimed by its masthead and read as the mails it holds (`digest`): as a page it was one
    text by nobody.
    """
    first, _, rest = head.lstrip("\r\n").partition("\n")
    if (first.startswith("From ") and _HEADER_LINE.match(rest)) or digest.is_plain_digest(head):
        return True
    suffix = path.suffix.lower()
    if suffix == ".mbox":
        return bool(_HEADER_LINE.match(head.lstrip()))
    if suffix == ".txt":
        names = _mail_header_names(head)
        return {"from", "date", "message-id"} <= names and bool(names & _TRANSPORT)
    return suffix in _SINGLE_MAIL_SUFFIXES and _is_mail_header(head)


#: Header fields a mail gains on its way (servers, news, MIME mailers), never in notes that open with "From:" and "Date:".
_TRANSPORT = frozenset({"received", "return-path", "delivered-to", "path", "newsgroups", "mime-version", "x-mozilla-status"})


def _is_mail_header(head: str) -> bool:
    """The text starts with an RFC 5322 header block that holds From: and Date: or Message-ID:."""
    names = _mail_header_names(head)
    return "from" in names and bool(names & {"date", "message-id"})


def _mail_header_names(head: str) -> set[str]:
    """The field names of the RFC 5322 header block the text starts with; none when it does not start with one."""
    names: set[str] = set()
    for raw in head.lstrip("\r\n").split("\n"):
        line = raw.rstrip("\r")
        if not line.strip():
            break
        if line[0] in " \t" and names:  # a folded header's continuation
            continue
        if not _HEADER_LINE.match(line):
            return set()
        names.add(line.split(":", 1)[0].lower())
    else:
        return set()  # no end of the header block in the first 64 KiB: not a mail
    return names


@dataclass(frozen=True)
class _Mail:
    head: Head
    lines: list[str]


def _unique_key(title: str, msgid: str, used: set[str]) -> str:
    """The subject's slug, "-2", "-3"… for a later thread of the same subject; a subject in another script gets a hash."""
    base = _slug(title) or "thread-" + hashlib.sha1(msgid.encode()).hexdigest()[:8]
    key, number = base, 1
    while key in used:
        number += 1
        key = f"{base}-{number}"
    used.add(key)
    return key


def _slug(subject: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rsplit("-", 1)[0] if len(slug) > 80 else slug


def _read_mail(box: mailbox.mbox | None, path: Path, head: Head, warn: Warn) -> _Mail | None:
    label = f"message {head.index} ({head.msgid})"
    try:
        with closing(message_file(box, path, head.key)) as handle:
            message = parse(handle, from_mbox=box is not None and not in_digest(head.key))
        body = body_lines(message, label, warn)
    except Exception as exc:  # the email package has many ways to fail on a broken message
        warn(f"{label}: could not be read ({type(exc).__name__}: {exc}); left out")
        return None
    return _Mail(head, body) if body is not None else None


def _thread(box: mailbox.mbox | None, path: Path, heads: list[Head], people: People, warn: Warn) -> Thread | None:
    mails = [mail for head in heads if (mail := _read_mail(box, path, head, warn)) is not None]
    numbers = {mail.head.msgid: str(number) for number, mail in enumerate(mails, start=1)}
    known = {h.msgid: Known(people.name(h.name, h.address), h.address, numbers.get(h.msgid)) for h in heads}
    parents = grouping.parents(heads)
    in_order = [known[mail.head.msgid] for mail in mails]
    posts: list[Post] = []
    for position, mail in enumerate(mails):
        head = mail.head
        number = numbers[head.msgid]
        context = Context(_ancestors(head, grouping.chain(head.msgid, parents), known, people), in_order, position, people)
        parent = parents.get(head.msgid)
        posts.append(
            Post(
                blocks=tuple(quotes.blocks(mail.lines, context)),
                author=known[head.msgid].name,
                date=head.date,
                post=number,
                reply_to=numbers.get(parent) if parent else None,
                url=head.url,
            )
        )
    if not posts:
        return None
    root = next((m.head for m in mails if m.head.msgid not in parents), mails[0].head)
    return Thread(root.subject or "(no subject)", posts)


def _ancestors(head: Head, chain: list[str], known: dict[str, Known], people: People) -> tuple[Known, ...]:
    """The reply chain a message's quotes are credited along; for a reply whose parent the file lacks, its addressee.

    A reply saved alone (or one whose thread the archive cut) has no chain, and its quote with no
    attribution went to the replier. The person it is addressed To is whom a mailer answers, so the
    first quote level is theirs; deeper levels stay unknown.
    """
    if chain or head.addressee is None:
        return tuple(known[i] for i in chain)
    name, address = head.addressee
    return (Known(people.name(name, address), address, None),)


def _open(path: Path) -> mailbox.mbox | None:
    """The mailbox; None for a single mail (an .eml, or one saved under an .mbox name): headers at byte 0, no 'From ' line."""
    with path.open("rb") as handle:
        if not handle.read(1024).lstrip(b"\r\n").startswith(b"From "):
            return None
    try:
        return mailbox.mbox(path, create=False)
    except mailbox.Error as exc:
        raise UnreadableDocument(f"cannot open as mbox ({exc})") from exc


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    box = _open(path)
    try:
        heads = scan(box, path, warn)
        if not heads:
            raise UnreadableDocument("no readable mail in the file")
        people = People(heads)
        used: set[str] = set()
        for group in grouping.threads(heads):
            thread = _thread(box, path, group, people, warn)
            if thread is not None:
                yield Thread(thread.title, thread.posts, key=_unique_key(thread.title, group[0].msgid, used))
    finally:
        if box is not None:
            box.close()


FORMAT = ThreadFormat("mbox", sniff, read, many=True)
