"""Pass 1: what threading needs of each message, read from its headers alone.

Parsing is the standard library's `email` package under the compat32 policy, for speed (see
`_Policy`); RFC 2047 words are decoded where a header is used, after the address is split off.
"""

from __future__ import annotations

import email.policy
import email.utils
import io
import mailbox
import re
import urllib.parse
from collections import deque
from contextlib import closing, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import IO, cast

from forumqa.formats.mbox import digest
from forumqa.lru import LRUCache
from forumqa.threads import Warn


class _Policy(email.policy.Compat32):
    """compat32, the email package's fast path, reading 8-bit header bytes as UTF-8 (RFC 6532).

    policy.default builds a parsed header object on every header access, and its parser reads
    Content-Type about ten times a message: 2.5 ms a message against 0.4 ms with compat32
    (measured on 5,000 list mails), ten minutes against one and a half for a 100,000-message
    archive. RFC 2047 words are decoded where a header is used, after the address is split off.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        if _ESCAPED_BYTE.search(value):
            return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
        return value


#: How the parser keeps a header byte above 127: as a lone surrogate.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
POLICY = _Policy()
_MSGID = re.compile(r"<([^<>\s]+)>")
#: "Re:", "AW:", "Fwd:", "Re[2]:" and "[list]" tags in front of a subject.
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|odp|r|fwd?|wg|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])\s*", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:re|aw|sv|vs|antw|odp|r)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
#: "Jane Roe via users": how Mailman and Google Groups rename senders whose domain forbids relaying.
_VIA_LIST = re.compile(r"\s+via\s+\S.*$", re.IGNORECASE)
_HEADER_LIMIT = 1 << 20
#: The list's posting address in its List-Post header (RFC 2369): "<mailto:users@lists.example.org>".
_LIST_POST = re.compile(r"<mailto:([^>?\s]+)", re.IGNORECASE)
#: A body line that mboxrd escaped: any run of ">" before "From " got one ">" more when the mail was stored.
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
#: The blank line that ends the header block.
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Head:
    """What threading needs of one message, read from its headers alone."""

    key: str
    index: int  # 1-based position in the file, the number warnings use
    msgid: str
    refs: tuple[str, ...]  # In-Reply-To first, then References newest first
    subject: str  # normalised: no Re:/Fwd:/[list]
    is_reply: bool
    name: str | None
    address: str | None
    when: float  # UTC timestamp; a message without a date takes the one before it in the file
    date: str | None
    url: str | None  # "mid:<Message-ID>" (RFC 2392): finds the mail in any archive or mail client
    masked_by: tuple[str | None, str] | None = None  # (name, posting address) a list wrote into From: in the sender's place
    #: (display name, address) of To and Cc: the names of people an attribution names by address alone
    #: ("jane@example.org wrote on …:") when they wrote nothing in the file themselves.
    recipients: tuple[tuple[str, str], ...] = ()
    #: Mailman's digest subject or a multipart/digest body: a mail that holds other people's mails (`digest`).
    digest: bool = False
    #: (display name, address) of a reply's only To: recipient, not the list and not the sender (`addressee`).
    addressee: tuple[str | None, str] | None = None


def message_file(box: mailbox.mbox | None, path: Path, key: str) -> IO[bytes]:
    """One message's bytes; without a box the file is a single mail saved without its 'From ' line.

    A key "3/2" is the second mail of the digest that message 3 is ("0/2": of the digest the file
    is), its "From " escaping undone already (`in_digest`).
    """
    container, _, part = key.partition("/")
    if part:
        return io.BytesIO(_digest_mails(box, path, container)[int(part)])
    if box is None:
        return path.open("rb")
    return cast(IO[bytes], box.get_file(_box_key(key)))


#: The mails of the digests last split: a digest's mails are each read twice (head, then body), and splitting the
#: digest for each of them again made reading an mbox of digests quadratic in their size (40 digests of 25 mails:
#: 2,040 splits, 6 of its 7 seconds). Keyed by the file's size and time too, so an edited file is split anew.
_DIGESTS: LRUCache[tuple[Path, int, int, str], list[bytes]] = LRUCache(4)


def _digest_mails(box: mailbox.mbox | None, path: Path, container: str) -> list[bytes]:
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size, container)
    if (found := _DIGESTS.get(key)) is None:
        data = path.read_bytes() if box is None else unescape_from(box.get_bytes(_box_key(container)))
        found = digest.mails(data)
        _DIGESTS.put(key, found)
    return found


def _box_key(key: str) -> str:
    """`mailbox.mbox`'s own key for a message: an int (typeshed calls it str), which heads keep as text like a digest's keys."""
    return cast(str, int(key))


def in_digest(key: str) -> bool:
    """The key is of a mail inside a digest (`message_file`)."""
    return "/" in key


def unescape_from(data: bytes) -> bytes:
    """The body as its sender wrote it: one ">" less on every line that reads ">…>From ".

    An mbox file marks where a mail starts with a "From " line, so the program that stored the mail
    escaped body lines: mboxrd adds a ">" to every line matching `^>*From `, mboxo only to `^From `.
    The standard library's `mailbox.mbox` undoes neither when it reads (it only escapes when it
    writes). Undoing mboxrd's rule is exact for mboxrd and for mboxo's own ">From " lines. A "From "
    line escaped more than once on its way (a relay's mbox, then the archive's) stays a level too
    deep; `quotes` settles that from the lines around it. An mboxo file's quoted ">>From " comes out
    a level short, which nothing here can tell. It is done on the raw bytes, before quoted-printable
    is decoded, since that is where the escaping was done; the header block is left alone.
    """
    end = _HEADER_END.search(data)
    if end is None:
        return data
    return data[: end.end()] + _ESCAPED_FROM.sub(rb"\1", data[end.end() :])


def _header_bytes(handle: IO[bytes]) -> bytes:
    """The header block: up to the first empty line, the end RFC 5322 gives it."""
    lines: list[bytes] = []
    size = 0
    for line in iter(handle.readline, b""):
        if not line.strip(b"\r\n") or size > _HEADER_LIMIT:
            break
        lines.append(line)
        size += len(line)
    return b"".join(lines)


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _decoded(value: str) -> str:
    """RFC 2047 words ("=?iso-8859-1?q?J=FCrgen?=") as text, the header unfolded."""
    if "=?" in value:
        with suppress(HeaderParseError, LookupError, UnicodeError, ValueError):  # else the raw text is the best there is
            value = str(make_header(decode_header(value)))
    return " ".join(value.split())


def _ids(value: str) -> list[str]:
    found = _MSGID.findall(value)
    return found if found else value.split()[:1]


def sender(value: str) -> tuple[str | None, str | None]:
    """(display name, address) of a From value; pipermail's 'jane at example.org' keeps its local part.

    The address is split off before RFC 2047 decoding: a decoded name may hold a comma.
    """
    name, address = email.utils.parseaddr(value)
    name = _VIA_LIST.sub("", _decoded(name)).strip("\"' ")
    return (name if name and "@" not in name else None), (address.lower() or None)


def recipients(to: str, cc: str) -> tuple[tuple[str, str], ...]:
    """(display name, address) of each named To/Cc recipient; the address is split off before RFC 2047 decoding."""
    named = []
    for name, address in email.utils.getaddresses([to, cc]):
        name = _decoded(name).strip("\"' ")
        if name and address and "@" not in name and not is_via_list(name):
            named.append((name, address.lower()))
    return tuple(named)


def _unmasked(from_value: str, list_post: str) -> tuple[str | None, str | None, tuple[str | None, str] | None]:
    """The sender as `sender` reads them, less what a list put in their place, and the list's address if it did.

    A list that hides its senders (Mailman's anonymous_list, as Red Hat's blinux-list is set)
    writes its own name and posting address (List-Post) into From:; crediting that name would put
    every member's words on the list, so such a mail is nobody's. A list that rewrites From for DMARC
    keeps the sender's name ("Jane Roe via users"), which stays; the list's address is never theirs.
    """
    name, address = sender(from_value)
    posting = _LIST_POST.search(list_post)
    if address is None or posting is None or posting.group(1).lower() != address:
        return name, address, None
    if is_via_list(email.utils.parseaddr(from_value)[0]):
        return name, None, None
    return None, None, (name, address)


def is_via_list(display_name: str) -> bool:
    """ "Jane Roe via users": the sender's name, as a list that rewrites From for DMARC keeps it."""
    return bool(_VIA_LIST.search(_decoded(display_name)))


def without_via(display_name: str) -> str:
    """ "Jane Roe via users" → "Jane Roe"."""
    return _VIA_LIST.sub("", display_name).strip()


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # RFC 5322 "-0000" (zone unknown) parses naive; the archive's clock is the best guess, taken as UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_date(value: str) -> str | None:
    """A Date header as posts carry it: ISO 8601 in UTC, to the second; None when it does not parse."""
    when = _date(value)
    return when.isoformat(timespec="seconds") if when else None


def normalise_subject(subject: str) -> str:
    """The subject a thread is known by: reply and forward markers and list tags removed.

    A subject that is nothing but a tag (ruby-dev's numbered "[ruby-dev:4]") keeps it: it is all the title there is.
    """
    subject = " ".join(subject.split())
    while (stripped := _SUBJECT_PREFIX.sub("", subject, count=1)) != subject:
        if not stripped and subject.startswith("["):
            break
        subject = stripped
    return subject


def _read_head(box: mailbox.mbox | None, path: Path, key: str, index: int, last_when: float) -> Head:
    with closing(message_file(box, path, key)) as handle:
        headers = BytesHeaderParser(policy=POLICY).parsebytes(_header_bytes(handle))
    msgid = next(iter(_ids(_header(headers, "Message-ID"))), "")
    url = "mid:" + urllib.parse.quote(msgid, safe="@!$&'()*+,;=:-._~") if msgid else None  # RFC 2392
    msgid = msgid or f"no-message-id-{index}"
    in_reply_to = _ids(_header(headers, "In-Reply-To"))
    references = _ids(_header(headers, "References"))
    refs = tuple(dict.fromkeys(r for r in (*in_reply_to, *reversed(references)) if r != msgid))
    raw_subject = _decoded(_header(headers, "Subject"))
    name, address, masked_by = _unmasked(_header(headers, "From"), _header(headers, "List-Post"))
    when = _date(_header(headers, "Date"))
    date = when.isoformat(timespec="seconds") if when else None
    stamp = when.timestamp() if when else last_when
    subject, is_reply = normalise_subject(raw_subject), bool(_REPLY_PREFIX.match(raw_subject))
    named = recipients(_header(headers, "To"), _header(headers, "Cc"))
    # A reply to a digest ("Re: quilt Digest, Vol 12, Issue 3") is no digest, whatever history it carries unquoted.
    is_digest = not (is_reply or refs) and (digest.is_digest_subject(raw_subject) or headers.get_content_type() == "multipart/digest")
    to = addressee(_header(headers, "To"), _header(headers, "List-Post"), address) if refs else None
    return Head(key, index, msgid, refs, subject, is_reply, name, address, stamp, date, url, masked_by, named, is_digest, to)


def addressee(to: str, list_post: str, own_address: str | None) -> tuple[str | None, str] | None:
    """(name, address) of the one person a reply is addressed To, if it names one and that is not the list or the sender.

    Mailers answer the writer of the mail replied to in To: and everyone else in Cc:; a list that takes
    replies itself puts its own address there, which is no one's.
    """
    found = [(name, address.lower()) for name, address in email.utils.getaddresses([to]) if "@" in address]
    posting = _LIST_POST.search(list_post)
    if len(found) != 1 or found[0][1] == own_address or (posting and posting.group(1).lower() == found[0][1]):
        return None
    name = _decoded(found[0][0]).strip("\"' ")
    return (name if name and "@" not in name and not is_via_list(name) else None), found[0][1]


def scan(box: mailbox.mbox | None, path: Path, warn: Warn) -> list[Head]:
    """Every message's head, in file order; an unreadable message or a second copy of one is left out with a warning.

    A Message-ID is a copy's only when sender and date match too: some mailers and list tools reuse
    ids, and a different message under a used id is still someone's words, so it gets an id of its own.
    """
    heads: list[Head] = []
    by_id: dict[str, Head] = {}
    keys = deque([str(key) for key in box.iterkeys()] if box is not None else _single_file_keys(path, warn))
    index = 0
    while keys:
        key = keys.popleft()
        index += 1
        try:
            head = _read_head(box, path, key, index, heads[-1].when if heads else 0.0)
        except Exception as exc:  # one unreadable message costs itself only
            warn(f"message {index}: headers could not be read ({type(exc).__name__}); left out")
            continue
        if head.digest and not in_digest(key) and (parts := _digest_keys(box, path, key, warn)) != [key]:
            keys.extendleft(reversed(parts))  # each mail of the digest in its place
            index -= 1
            continue
        if (first := by_id.get(head.msgid)) is not None:
            if (head.address, head.date) == (first.address, first.date):
                warn(f"message {index} ({head.msgid}): same Message-ID as message {first.index}; left out as a duplicate")
                continue
            head = replace(head, msgid=f"{head.msgid}#{index}")
        by_id[head.msgid] = head
        heads.append(head)
    return heads


def _single_file_keys(path: Path, warn: Warn) -> list[str]:
    """A single mail's key; a plain digest's text saved alone has no header to tell it by, so its masthead is looked at."""
    with path.open("rb") as handle:
        plain = digest.is_plain_digest(handle.read(4096).decode("utf-8", "replace"))
    return _digest_keys(None, path, "0", warn) if plain else ["0"]


def _digest_keys(box: mailbox.mbox | None, path: Path, key: str, warn: Warn) -> list[str]:
    """Keys of the mails of the digest that message `key` is ("3/0", "3/1"…); [key] when it is none, or none can be read.

    Read as one mail, a digest credited every sender's words to the list's -request address (`digest`).
    """
    try:
        count = len(_digest_mails(box, path, key))
    except Exception as exc:  # a broken digest costs its split only
        warn(f"message {key}: a digest whose mails could not be told apart ({type(exc).__name__}); read as one mail")
        count = 0
    return [f"{key}/{part}" for part in range(count)] or [key]
