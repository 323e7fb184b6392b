"""The mails a Mailman digest holds, each as the bytes of a mail of its own, so that they are read as any other mail.

A digest is one mail that carries a day's worth of a list's mails: as a MIME digest (a
multipart/digest part whose parts are the mails, headers and all), or as a plain-text one (RFC
1153), which Mailman 2 and 3 write as a masthead ("Send quilt mailing list submissions to"),
"Today's Topics:", and then each mail under a line of dashes as "Message: 3" over the headers it
keeps (Date, From, Subject, Message-ID, sometimes In-Reply-To and References), a blank line and its body. Subscribers
save such a digest as it came (an mbox message), or only its text (a .txt with no mail headers).
Read as one mail, every sender's words went to the list's -request address, or to nobody.

The standard library's `email` package only, under its compat32 policy: `headers` opens a digest's
mails through this module, and `body` imports `headers`, so nothing here may import either.
"""

from __future__ import annotations

import email
import re
from email.message import Message

#: A digest's subject: Mailman's "quilt Digest, Vol 12, Issue 3", RFC 1153's "INFO-QUILT Digest V12 #3", "Digest Number 345".
_SUBJECT = re.compile(r"\bDigest\b.*?(?:\bVol(?:ume)?\b|\bV\d|#\s*\d|\bIssue\b|\bNumber\s*\d)", re.IGNORECASE)
#: The masthead a plain-text digest opens with.
_MASTHEAD = re.compile(r"^Send .+ mailing list submissions to\s*$", re.MULTILINE)
_TOPICS = re.compile(r"^Today's Topics:\s*$", re.MULTILINE)
#: The lines of dashes between the digest's parts: 70 over the first mail, 30 between mails.
_SEPARATOR = re.compile(r"^-{20,}\s*$")
#: What follows the last mail's separator: the footer's pseudo-header, or the closing line.
_AFTER_LAST = re.compile(r"^(?:Subject:\s*Digest Footer|End of .*Digest\b)", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^[!-9;-~]+:")
#: A part of a mail that a plain digest keeps but no longer describes: Mailman decoded the body into the digest's charset.
_DROPPED_FIELDS = ("content-transfer-encoding:",)
_CHARSET = re.compile(r"""(;\s*charset\s*=\s*)("[^"]*"|[^;\s]*)""", re.IGNORECASE)


def is_digest_subject(subject: str) -> bool:
    """The subject Mailman gives its digests."""
    return bool(_SUBJECT.search(subject))


def is_plain_digest(text: str) -> bool:
    """The text is a plain-text digest as saved without its mail headers: the masthead comes first, the topics after it."""
    first = text.lstrip("\ufeff\r\n \t").split("\n", 1)[0].rstrip("\r")
    return bool(_MASTHEAD.match(first)) and bool(_TOPICS.search(text))


def mails(data: bytes) -> list[bytes]:
    """Each mail of the digest in `data` (a whole digest mail, or a plain digest's text alone); none when it holds none."""
    head = data[:4096].decode("utf-8", "replace")
    if is_plain_digest(head):
        return plain_mails(_decoded(data))
    message = email.message_from_bytes(data)
    inner = [part for part in message.walk() if part.get_content_type() == "multipart/digest"]
    if inner:
        return [mail.as_bytes() for part in inner for mail in _rfc822_payloads(part)]
    text = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
    return plain_mails(_part_text(text)) if text is not None else []


def _rfc822_payloads(digest: Message) -> list[Message]:
    """The mails of a multipart/digest part (whose parts are message/rfc822 by default)."""
    found: list[Message] = []
    for part in digest.get_payload() if digest.is_multipart() else []:
        payload = part.get_payload() if isinstance(part, Message) and part.get_content_type() == "message/rfc822" else None
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            found.append(payload[0])
    return found


def _decoded(data: bytes) -> str:
    """A plain digest saved as text: UTF-8 as Mailman 3 writes it, else Latin-1, which any byte is (Mailman 2's default)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    try:
        return data.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def plain_mails(text: str) -> list[bytes]:
    """The mails of a plain digest's text, each as a mail's bytes (UTF-8, whatever charset it declared).

    RFC 1153 lays a digest out as parts under lines of dashes, each part a mail's header block, a blank
    line and its body; Mailman puts "Message: N" over each header block. A line of dashes starts a part
    only where what follows it is a mail (a header block naming a sender), the footer ("Subject: Digest
    Footer") or the closing "End of … Digest" line, so one in a mail's own text stays in the mail. What
    comes before the first such line (masthead, "Today's Topics:") is the list's, not a mail.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cuts = [at for at, line in enumerate(lines) if _SEPARATOR.match(line) and _opens_part(lines, at + 1)]
    found: list[bytes] = []
    for start, end in zip(cuts, [*cuts[1:], len(lines)], strict=True):
        mail = _as_mail(_without_blank_edges(lines[start + 1 : end]))
        if mail is not None:
            found.append(mail)
    return found


def _opens_part(lines: list[str], at: int) -> bool:
    """What follows a line of dashes (from `at` on) is a mail, the footer, the closing line, or nothing."""
    following = next((number for number in range(at, len(lines)) if lines[number].strip()), None)
    if following is None or _AFTER_LAST.match(lines[following]):
        return True
    return _as_mail(lines[following:]) is not None


def _without_blank_edges(block: list[str]) -> list[str]:
    start = next((at for at, line in enumerate(block) if line.strip()), len(block))
    end = next((at for at in range(len(block), start, -1) if block[at - 1].strip()), start)
    return block[start:end]


def _as_mail(block: list[str]) -> bytes | None:
    """One "Message: N" block as a mail: its header block, less the fields that no longer hold, a blank line, its body."""
    blank = next((at for at, line in enumerate(block) if not line.strip()), len(block))
    fields = block[:blank]
    if not any(line.lower().startswith("from:") for line in fields):
        return None
    if not all(_HEADER_LINE.match(line) or line[:1] in (" ", "\t") for line in fields):
        return None
    kept = _CHARSET.sub(r"\1utf-8", "\n".join(line for line in fields if not line.lower().startswith(_DROPPED_FIELDS)))
    return "\n".join([kept, "", *block[blank + 1 :], ""]).encode("utf-8")
