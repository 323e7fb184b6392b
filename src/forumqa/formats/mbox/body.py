"""Pass 2: a message's text as the lines a reader sees, whatever MIME, charset and line format it came in.

`get_body` picks the part a reader sees; an HTML-only mail is rendered to the lines a plain one
would have, and format=flowed (RFC 3676) lines are joined back, so quotes are found one way in all.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import EmailMessage, Message
from typing import IO, cast

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag

from forumqa.formats.mbox.headers import POLICY, unescape_from
from forumqa.threads import Warn

#: Elements after which rendered text starts a new line.
_HTML_BLOCKS = ["address", "article", "blockquote", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4", "h5", "h6"]
_HTML_BLOCKS += ["header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"]
_HTML_NOISE = ["script", "style", "head", "title"]
_HTML_SIGNATURES = re.compile("signature")  # gmail_signature, moz-signature
#: Mailman 2 (pipermail) puts this line where it took an attachment out of the archived mail.
_NEXT_PART = re.compile(r"^-{5,} next part -{5,}$")
#: The note that follows it for a scrubbed part, up to its "URL: <…>" line.
_SCRUBBED = re.compile(r"^(?:An? .*attachment was scrubbed\.\.\.|Skipped content of type .*)$")


class _Message(EmailMessage):
    """EmailMessage as the compat32 policy leaves it: header values are plain strings.

    `get_body` skips attachments by asking each part `is_attachment`, which EmailMessage answers
    from a parsed header object (`.content_disposition`); under compat32 the header is a str, so
    every mail with a Content-Disposition header (mutt writes "inline" on all of them, and any
    attachment has one) failed to read. `get_content_disposition` reads the str.
    """

    def is_attachment(self) -> bool:
        return self.get_content_disposition() == "attachment"


def parse(handle: IO[bytes], from_mbox: bool) -> EmailMessage:
    """The message; one read out of an mbox file has its "From " escaping undone first (`unescape_from`)."""
    data = handle.read()
    if from_mbox:
        data = unescape_from(data)
    return cast(EmailMessage, email.message_from_bytes(data, _class=_Message, policy=POLICY))


def _text(part: Message, label: str, warn: Warn) -> str:
    """A text part decoded: transfer encoding undone, then its charset; none declared reads as UTF-8, ASCII's superset."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        warn(f"{label}: unknown charset {charset!r}; read as UTF-8")
        return data.decode("utf-8", errors="replace")


def body_lines(message: EmailMessage, label: str, warn: Warn) -> list[str] | None:
    """The text a reader sees, as lines; the HTML part only when there is no plain one."""
    digests = [p for p in message.walk() if p.get_content_type() == "multipart/digest"]
    if digests:  # each mail of a digest has its own sender, but threading reads one head per message of the file
        count = sum(len(p.get_payload()) for p in digests if p.is_multipart())
        warn(f"{label}: a digest of {count} mails; only the digest's own text is read")
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        warn(f"{label}: no text or HTML part; left out")
        return None
    # Outlook for Mac starts its attribution with a byte order mark ("\ufeffOn 13/05/20, …"), which hid the "On".
    content = _text(part, label, warn).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if part.get_content_type() == "text/html":
        lines = without_pgp_armour(_html_lines(content))
    else:
        lines = _without_scrubber_notes(content.split("\n"))  # "From " escaping is undone in `parse`
        if str(part.get_param("format", "")).lower() == "flowed":
            lines = unflow(lines, str(part.get_param("delsp", "")).lower() == "yes")
        lines = without_pgp_armour(lines)
    return lines if digests else lines + _attached_mails(message, label, warn)


def _attached_mails(message: EmailMessage, label: str, warn: Warn) -> list[str]:
    """Each mail attached whole (message/rfc822, as "Forward as attachment" sends it), as the lines an inline forward has.

    Its text is its writer's, not the forwarder's: written out under "---------- Forwarded message
    ---------" with its From and Date, the quote rules credit it to its writer as they do an inline
    forward. Left out, it was lost; read as the forwarder's, it would put words in their mouth.
    """
    lines: list[str] = []
    for part in _parts_outside_attached_mails(message):
        payload = part.get_payload() if part.get_content_type() == "message/rfc822" else None
        attached = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(attached, EmailMessage):
            continue
        text = body_lines(attached, label, warn)
        if not text:
            continue
        fields = [f"{name}: {attached[name]}" for name in ("From", "Date", "Subject") if attached[name]]
        lines += ["", "---------- Forwarded message ---------", *fields, "", *text]
    return lines


def _parts_outside_attached_mails(message: Message) -> Iterator[Message]:
    """The parts of a mail, not those inside a mail attached to it (that one's own reading finds those)."""
    for part in message.get_payload() if message.is_multipart() and message.get_content_type() != "message/rfc822" else []:
        if isinstance(part, Message):
            yield part
            if part.get_content_type() != "message/rfc822":
                yield from _parts_outside_attached_mails(part)


def rendered_lines(html: str) -> list[str]:
    """A body an archive page shows as HTML, as the lines its mail had: quote blocks back to `>` lines, scrubber notes out.

    For the HTML archive pages (formats.mail_html), so that quotes, attributions and signatures are
    found there by the same code as in an mbox.
    """
    return without_pgp_armour(_without_scrubber_notes(_html_lines(html)))


#: OpenPGP's clear-signing armour (RFC 4880 §7), at any quote depth: what a signed mail wraps its text in.
_PGP_SIGNED = re.compile(r"^-----BEGIN PGP SIGNED MESSAGE-----\s*$")
_PGP_SIGNATURE = re.compile(r"^-----BEGIN PGP SIGNATURE-----\s*$")
_PGP_SIGNATURE_END = re.compile(r"^-----END PGP SIGNATURE-----\s*$")
_PGP_MARKS = re.compile(r"^(?:>[ \t]?)*")


def without_pgp_armour(lines: list[str]) -> list[str]:
    """A clear-signed mail's text as its writer wrote it: the armour lines, the "Hash:" header and the signature dropped.

    The armour is the signing program's, not the writer's words, and the signature's base64 is noise
    that a search matches by chance. Inside the signed text a line that starts with "-" was escaped as
    "- -…" (RFC 4880 §7.1), which is undone. At any quote depth, since replies quote signed mails
    whole; a signature block is dropped only where its END line follows, so that a quote cut short
    loses no text below it.
    """
    out: list[str] = []
    signed = header = False
    skip_until: int | None = None
    for at, line in enumerate(lines):
        marks = _PGP_MARKS.match(line)
        depth, text = (marks.group(), line[marks.end() :]) if marks else ("", line)
        if skip_until is not None:
            skip_until = None if at >= skip_until else skip_until
            continue
        if _PGP_SIGNED.match(text):
            signed = header = True
            continue
        if header:
            header = bool(text.strip())  # "Hash: SHA256" and its like, up to the blank line
            continue
        if _PGP_SIGNATURE.match(text) and (end := _signature_end(lines, at, depth)) is not None:
            signed, skip_until = False, end
            continue
        out.append(depth + text[2:] if signed and text.startswith("- ") else line)
    return out


def _signature_end(lines: list[str], at: int, depth: str) -> int | None:
    """The line of the "-----END PGP SIGNATURE-----" that closes the signature starting at `at`, at the same quote depth."""
    for number in range(at + 1, min(len(lines), at + 80)):
        marks = _PGP_MARKS.match(lines[number])
        prefix = marks.group() if marks else ""
        if _PGP_SIGNATURE_END.match(lines[number][len(prefix) :]) and prefix.replace(" ", "") == depth.replace(" ", ""):
            return number
    return None


def _without_scrubber_notes(lines: list[str]) -> list[str]:
    """The lines less pipermail's "next part" markers and its notes on scrubbed attachments: the archive's words, not the sender's.

    A note runs from the marker to its "URL: <…>" line (or a blank line); a text attachment that
    pipermail shows inline after a marker is kept, since the sender wrote it.
    """
    out: list[str] = []
    note = False
    after_marker = False
    for line in lines:
        text = line.strip()
        if _NEXT_PART.match(text):
            note, after_marker = False, True
            continue
        note = note or (after_marker and bool(_SCRUBBED.match(text)))
        after_marker = False
        if note:
            note = bool(text) and not text.startswith("URL:")
            continue
        out.append(line)
    return out


def unflow(lines: list[str], delsp: bool) -> list[str]:
    """RFC 3676: a line ending in a space continues on the next line of the same quote depth."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for raw in lines:
        depth = len(raw) - len(raw.lstrip(">"))
        text = raw[depth:]
        text = text[1:] if text.startswith(" ") else text  # space-stuffing
        soft = text.endswith(" ") and text != "-- "
        if soft and delsp:
            text = text[:-1]
        if pending is not None and depth != pending_depth:
            out.append(_requote(pending_depth, pending))
            pending = None
        pending = text if pending is None else pending + text
        pending_depth = depth
        if not soft:
            out.append(_requote(depth, pending))
            pending = None
    if pending is not None:
        out.append(_requote(pending_depth, pending))
    return out


def _requote(depth: int, text: str) -> str:
    text = text if text == "-- " else text.rstrip()
    return f"{'>' * depth} {text}" if depth and text else ">" * depth + text


def _html_lines(html: str) -> list[str]:
    """An HTML-only mail as the lines a plain-text mail would have, blockquotes turned into `>` lines.

    Rendering quotes as `>` lines lets one parser find quotes and attributions in both kinds of mail.
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all([*_HTML_NOISE]):
        tag.decompose()
    for tag in soup.find_all(class_=_HTML_SIGNATURES):
        tag.decompose()
    for string in soup.find_all(string=True):
        if isinstance(string, Comment):
            string.extract()
        elif isinstance(string, NavigableString) and string.find_parent("pre") is None:
            string.replace_with(re.sub(r"\s+", " ", string))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for rule in soup.find_all("hr"):  # Outlook's line above the unquoted history it appends
        rule.replace_with("\n" + "_" * 32 + "\n")
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for quote in reversed(soup.find_all("blockquote")):  # innermost first, so nested levels stack up
        if isinstance(quote, Tag):
            lines = [" ".join(line.split()) for line in quote.get_text().split("\n")]
            quote.replace_with("\n" + "\n".join(f"> {line}" if line else ">" for line in lines) + "\n")
    return [" ".join(line.split()) for line in soup.get_text().split("\n")]
