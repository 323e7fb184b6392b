"""Mailing-list archives in mbox form (Mailman/HyperKitty, Pony Mail, Google Takeout, Thunderbird).

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
sees), under the compat32 policy for speed (see `_Policy`).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import mailbox
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import IO, cast

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag

from forumqa.documents import UnreadableDocument
from forumqa.threads import Post, Quote, Thread, ThreadFormat, Warn


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
_POLICY = _Policy()
#: A header field name (printable ASCII but the colon) at the start of a line.
_HEADER_LINE = re.compile(r"[!-9;-~]+:")
_MSGID = re.compile(r"<([^<>\s]+)>")
#: "Re:", "AW:", "Fwd:", "Re[2]:" and "[list]" tags in front of a subject.
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|odp|r|fwd?|wg|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])\s*", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:re|aw|sv|vs|antw|odp|r)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
#: "Jane Roe via users": how Mailman and Google Groups rename senders whose domain forbids relaying.
_VIA_LIST = re.compile(r"\s+via\s+\S.*$", re.IGNORECASE)
_HEADER_LIMIT = 1 << 20


def sniff(path: Path, head: str) -> bool:
    """The mbox separator line followed by a header, or an .mbox file that starts with headers."""
    first, _, rest = head.lstrip("\r\n").partition("\n")
    if first.startswith("From ") and _HEADER_LINE.match(rest):
        return True
    return path.suffix.lower() == ".mbox" and bool(_HEADER_LINE.match(head.lstrip()))


# ---------------------------------------------------------------- pass 1: headers and threads


@dataclass(frozen=True, slots=True)
class _Head:
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


def _message_file(box: mailbox.mbox | None, path: Path, key: str) -> IO[bytes]:
    """One message's bytes; without a box the file is a single mail saved without its 'From ' line."""
    if box is None:
        return path.open("rb")
    return cast(IO[bytes], box.get_file(key))


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


def _sender(value: str) -> tuple[str | None, str | None]:
    """(display name, address) of a From value; pipermail's 'jane at example.org' keeps its local part.

    The address is split off before RFC 2047 decoding: a decoded name may hold a comma.
    """
    name, address = email.utils.parseaddr(value)
    name = _VIA_LIST.sub("", _decoded(name)).strip("\"' ")
    return (name if name and "@" not in name else None), (address.lower() or None)


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # RFC 5322 "-0000" (zone unknown) parses naive; the archive's clock is the best guess, taken as UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def normalise_subject(subject: str) -> str:
    """The subject a thread is known by: reply and forward markers and list tags removed."""
    subject = " ".join(subject.split())
    while (stripped := _SUBJECT_PREFIX.sub("", subject, count=1)) != subject:
        subject = stripped
    return subject


def _read_head(box: mailbox.mbox | None, path: Path, key: str, index: int, last_when: float) -> _Head:
    with closing(_message_file(box, path, key)) as handle:
        headers = BytesHeaderParser(policy=_POLICY).parsebytes(_header_bytes(handle))
    msgid = next(iter(_ids(_header(headers, "Message-ID"))), "")
    url = "mid:" + urllib.parse.quote(msgid, safe="@!$&'()*+,;=:-._~") if msgid else None  # RFC 2392
    msgid = msgid or f"no-message-id-{index}"
    in_reply_to = _ids(_header(headers, "In-Reply-To"))
    references = _ids(_header(headers, "References"))
    refs = tuple(dict.fromkeys(r for r in (*in_reply_to, *reversed(references)) if r != msgid))
    raw_subject = _decoded(_header(headers, "Subject"))
    name, address = _sender(_header(headers, "From"))
    when = _date(_header(headers, "Date"))
    date = when.isoformat(timespec="seconds") if when else None
    stamp = when.timestamp() if when else last_when
    subject, is_reply = normalise_subject(raw_subject), bool(_REPLY_PREFIX.match(raw_subject))
    return _Head(key, index, msgid, refs, subject, is_reply, name, address, stamp, date, url)


def _scan(box: mailbox.mbox | None, path: Path, warn: Warn) -> list[_Head]:
    heads: list[_Head] = []
    seen: dict[str, int] = {}
    keys = box.keys() if box is not None else ["0"]
    for index, key in enumerate(keys, start=1):
        try:
            head = _read_head(box, path, key, index, heads[-1].when if heads else 0.0)
        except Exception as exc:  # one unreadable message costs itself only
            warn(f"message {index}: headers could not be read ({type(exc).__name__}); left out")
            continue
        if head.msgid in seen:
            warn(f"message {index} ({head.msgid}): same Message-ID as message {seen[head.msgid]}; left out as a duplicate")
            continue
        seen[head.msgid] = index
        heads.append(head)
    return heads


class _Groups:
    """Union-find over message ids, including ids of messages that are not in the file.

    Two replies to a message this month's archive lacks still meet at its id; that is what
    "join by References" means.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        while parent != item:
            grand = self._parent[parent]
            self._parent[item] = grand
            item, parent = parent, grand
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[root_b] = root_a


def _threads(heads: list[_Head]) -> list[list[_Head]]:
    """Messages grouped into threads, in order of each thread's first message in the file."""
    groups = _Groups()
    by_subject: dict[str, str] = {}  # the latest thread started under a subject
    for head in heads:
        groups.find(head.msgid)
        for ref in head.refs:
            groups.union(head.msgid, ref)
        if head.refs or not head.subject:
            by_subject.setdefault(head.subject, head.msgid)
        elif head.is_reply and head.subject in by_subject:
            groups.union(by_subject[head.subject], head.msgid)  # an old mailer's reply: only "Re:" ties it
        else:
            by_subject[head.subject] = head.msgid
    threads: dict[str, list[_Head]] = {}
    for head in heads:
        threads.setdefault(groups.find(head.msgid), []).append(head)
    return [sorted(members, key=lambda h: (h.when, h.index)) for members in threads.values()]


class _People:
    """One name per person: a display name is the same whichever of their addresses they write from."""

    def __init__(self, heads: Sequence[_Head]) -> None:
        self._spelling: dict[str, str] = {}
        self._by_address: dict[str, str] = {}
        for head in heads:
            if head.name:
                name = self._spelling.setdefault(_name_key(head.name), head.name)
                if head.address:
                    self._by_address.setdefault(head.address, name)

    def name(self, name: str | None, address: str | None) -> str | None:
        if name:
            return self._spelling.get(_name_key(name), name)
        if address:
            return self._by_address.get(address.lower()) or address.split("@")[0].split(" at ")[0]
        return None


# ---------------------------------------------------------------- pass 2: bodies


def _parse(handle: IO[bytes]) -> EmailMessage:
    return cast(EmailMessage, email.message_from_binary_file(handle, _class=EmailMessage, policy=_POLICY))


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


def _body_lines(message: EmailMessage, label: str, warn: Warn) -> list[str] | None:
    """The text a reader sees, as lines; the HTML part only when there is no plain one."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        warn(f"{label}: no text or HTML part; left out")
        return None
    content = _text(part, label, warn).replace("\r\n", "\n").replace("\r", "\n")
    if part.get_content_type() == "text/html":
        return _html_lines(content)
    lines = [line[1:] if line.startswith(">From ") else line for line in content.split("\n")]  # mboxo's escape
    if str(part.get_param("format", "")).lower() == "flowed":
        return _unflow(lines, str(part.get_param("delsp", "")).lower() == "yes")
    return lines


def _unflow(lines: list[str], delsp: bool) -> list[str]:
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


#: Elements after which rendered text starts a new line.
_HTML_BLOCKS = ["address", "article", "blockquote", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4", "h5", "h6"]
_HTML_BLOCKS += ["header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"]
_HTML_NOISE = ["script", "style", "head", "title"]
_HTML_SIGNATURES = re.compile("signature")  # gmail_signature, moz-signature


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


# ---------------------------------------------------------------- quotes, attributions, boilerplate

_QUOTE_MARKS = re.compile(r"^(?:>[ \t]?)+")
_ONE_MARK = re.compile(r"^>[ \t]?")
_ATTRIBUTION_VERB = re.compile(
    r"\s*\b(?:wrote|writes|said|a écrit|escribió|ha scritto|schreef|skrev|kirjoitti|napisał)\s*:\s*$", re.IGNORECASE
)
_SCHRIEB = re.compile(r"\bschrieb\s+(?P<name>[^:]+?)\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_OPENER = re.compile(r"^(?:On|Am|Le|El|Il|Op|Em|Den|Dne|W dniu)\b", re.IGNORECASE)
_QUOTED_NAME = re.compile(r'"([^"]+)"')
_COMMENT_NAME = re.compile(r"\(([^()]*[^\W\d_][^()]*)\)")
_MANGLED_ADDRESS = re.compile(r"\b([\w.+'-]+) at ((?:[\w-]+\.)+[A-Za-z]{2,})\b")
_ADDRESS = re.compile(r"<?([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>?")
#: Words of the date part of an attribution ("On Sun, Jan 2, 2022 at 6:02 AM Jane"), left of the name.
_DATE_WORDS = frozenset(
    re.findall(
        r"\S+",
        """at um à a las om kl kl. am pm a.m. p.m. utc gmt cet cest est edt pst pdt
        mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday
        jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august
        september october november december""",
    )
)
_DATE_NUMBER = re.compile(r"[\d:./+-]+")
#: Outlook and Gmail put the history below such a line, unquoted.
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$", re.I)
_RULE = re.compile(r"^\s*[-_=*]{20,}\s*$")
_FROM_FIELD = re.compile(r"^\s*(?:From|Von|De|Van):\s*\S", re.IGNORECASE)
_SENT_FIELD = re.compile(r"^\s*(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden):", re.IGNORECASE)
_FOOTER_WORDS = re.compile(r"unsubscribe|mailing list|listinfo|for additional commands|you received this message because", re.I)
_DEVICE_LINE = re.compile(r"^\s*(?:Sent from my [\w ]+|Get Outlook for \w+)\.?\s*$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:\[\d+\]|[-*•]\s|\d{1,2}[.)]\s)")


@dataclass(frozen=True)
class _Known:
    """A message of the thread as quote resolution sees it; `post` is None when it has no text."""

    name: str | None
    address: str | None
    post: str | None


@dataclass(frozen=True)
class _Context:
    """Whom a reply can be quoting: its reply chain, nearest first, and every message of the thread."""

    ancestors: tuple[_Known, ...]
    thread: list[_Known]  # the thread's messages in post order
    position: int  # this message's place in `thread`
    people: _People


def _name_key(name: str) -> str:
    """A name as attributions spell it: mailers drop accents ("Wrobel" for "Wróbel") and case."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters.casefold()).split())


def _same(known: _Known, name: str | None, address: str | None) -> bool:
    if address and known.address and address.lower() == known.address:
        return True
    return bool(name and known.name and _name_key(name) == _name_key(known.name))


def _resolve(context: _Context, level: int, name: str | None, address: str | None) -> tuple[str | None, str | None]:
    """(author, post) of a quote `level` deep: the level-th message up the reply chain, unless the attribution names another."""
    candidate = context.ancestors[level - 1] if level <= len(context.ancestors) else None
    if name is None and address is None:
        return (candidate.name, candidate.post) if candidate else (None, None)
    match = candidate if candidate and _same(candidate, name, address) else None
    earlier = reversed(context.thread[: context.position])
    match = match or next((k for k in (*context.ancestors, *earlier) if _same(k, name, address)), None)
    if match is not None:
        return match.name, match.post
    return context.people.name(name, address), None


def _attributed(text: str) -> tuple[str | None, str | None]:
    """(name, address) in "On Sun, Jan 2, 2022 at 6:02 AM Jane Roe <jane@example.org> wrote:" and its cousins."""
    schrieb = _SCHRIEB.search(text)
    text = schrieb.group("name") if schrieb else _ATTRIBUTION_VERB.sub("", text)
    text = _MANGLED_ADDRESS.sub(r"\1@\2", text)  # pipermail's "jane at example.org"
    found = _ADDRESS.search(text)
    address = found.group(1).lower() if found else None
    quoted = _QUOTED_NAME.search(text) or (_COMMENT_NAME.search(text) if found else None)  # "jane@x.org (Jane Roe)"
    if quoted:
        return " ".join(quoted.group(1).split()) or None, address
    text = _ADDRESS.sub(" ", text)
    if _ATTRIBUTION_OPENER.match(text):
        text = _ATTRIBUTION_OPENER.sub("", text).rsplit(",", 1)[-1]
    words = text.replace("(", " ").replace(")", " ").split()
    while words and (_DATE_NUMBER.fullmatch(words[0].strip(",.")) or words[0].casefold().strip(",.") in _DATE_WORDS):
        words.pop(0)
    name = " ".join(words).strip("\"' ,")
    if not name or len(words) > 5 or not any(c.isalpha() for c in name):
        return None, address
    return name, address


def _split_attribution(lines: list[str]) -> tuple[list[str], str | None]:
    """The own lines less a trailing attribution ("X wrote:", wrapped over up to three lines) and its text."""
    end = len(lines) - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    if end < 0 or not (_ATTRIBUTION_VERB.search(lines[end]) or _SCHRIEB.search(lines[end])):
        return lines, None
    start = end
    if not _ATTRIBUTION_OPENER.match(lines[end].strip()):
        for earlier in (end - 1, end - 2):
            if earlier < 0 or not lines[earlier].strip():
                break
            if _ATTRIBUTION_OPENER.match(lines[earlier].strip()):
                start = earlier
                break
    text = " ".join(line.strip() for line in lines[start : end + 1])
    if start == end and not _ATTRIBUTION_OPENER.match(text) and _attributed(text)[0] is None and not _ADDRESS.search(text):
        return lines, None  # "…as the manual says:" is the writer's own sentence
    return lines[:start], text


def _strip_boilerplate(lines: list[str]) -> list[str]:
    """The lines before a signature ("-- ") or a list footer; device taglines dropped."""
    for at, line in enumerate(lines):
        if line == "-- ":
            return lines[:at]
        if _RULE.match(line) and any(_FOOTER_WORDS.search(after) for after in lines[at + 1 : at + 5]):
            return lines[:at]
    return [line for line in lines if not _DEVICE_LINE.match(line)]


def _wrap_width(lines: list[str]) -> int:
    """The column a mailer wrapped this level's lines at, judged by its longest line of several words."""
    return max([60, *(len(line.rstrip()) for line in lines if " " in line.strip() and not _QUOTE_MARKS.match(line))])


def _paragraphs(lines: list[str], width: int) -> str:
    """Own lines as paragraphs, one per line: hard-wrapped lines are joined back into their sentences.

    A mailer breaks a line only where the next word would not fit, so a line that the next word
    would have fitted on ended there on purpose ("Kind regards," / "Jane"). Mailers wrap a few
    columns short of their longest line (Gmail's lines run 70-78), hence the 10% margin. A line
    that ends a sentence stays a line: harmless if it was wrapped, and it keeps apart the
    paragraphs of an HTML or format=flowed mail, whose lines are whole paragraphs already.
    """
    out: list[str] = []
    previous = ""
    for raw in lines:
        line = raw.strip()
        wrapped = previous and not previous.endswith((".", "!", "?")) and len(previous) + 1 + len(line.split(" ", 1)[0]) > 0.9 * width
        if line and wrapped and not _LIST_ITEM.match(line):
            out[-1] += " " + line
        elif line:
            out.append(line)
        previous = line
    return "\n".join(out)


def _runs(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """Consecutive own lines and quoted lines; a blank line stays with the run it sits in."""
    runs: list[tuple[bool, list[str]]] = []
    for line in lines:
        quoted = bool(_QUOTE_MARKS.match(line)) if line.strip() else (runs[-1][0] if runs else False)
        if runs and runs[-1][0] == quoted:
            runs[-1][1].append(line)
        else:
            runs.append((quoted, [line]))
    return runs


def _from_line(lines: list[str]) -> tuple[str | None, str | None]:
    """(name, address) in the "From:" line of a history's header block."""
    for line in lines:
        if _FROM_FIELD.match(line):
            name, address = email.utils.parseaddr(line.split(":", 1)[1].strip())
            return (" ".join(name.split()).strip("\"' ") or None), (address.lower() or None)
    return None, None


def _original_message(lines: list[str]) -> int | None:
    """Where an unquoted history starts: "-----Original Message-----", a rule over "From:", or "From:" over "Sent:"."""
    for at, line in enumerate(lines):
        following = next((after for after in lines[at + 1 : at + 3] if after.strip()), "")
        if _ORIGINAL.match(line) or (_RULE.match(line) and _FROM_FIELD.match(following)):
            return at
        if _FROM_FIELD.match(line) and _SENT_FIELD.match(following):
            return at
    return None


def _header_block_end(lines: list[str], at: int) -> int:
    """Where the history's header block (From:, Sent:, Subject:) below line `at` ends: its first blank line."""
    start = next((i for i in range(at + 1, len(lines)) if lines[i].strip()), len(lines))
    return next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))


def _items(lines: list[str], context: _Context, level: int, author: str | None, post: str | None) -> list[str | Quote]:
    """Blocks of a text `level` quotes deep: own text at level 0, Quotes of `author` below, nested levels their own Quotes."""
    at = _original_message(lines)
    if at is not None:
        header_end = _header_block_end(lines, at)
        inner_author, inner_post = _resolve(context, level + 1, *_from_line(lines[at:header_end]))
        return _items(lines[:at], context, level, author, post) + _items(lines[header_end:], context, level + 1, inner_author, inner_post)
    items: list[str | Quote] = []
    runs = _runs(lines)
    width = _wrap_width(lines)
    attribution: str | None = None
    last: tuple[str | None, str | None] | None = None  # an interleaved reply's next quote is by the same writer
    for number, (quoted, run) in enumerate(runs):
        if not quoted:
            own, attribution = _split_attribution(run) if number + 1 < len(runs) else (run, None)
            _add_text(items, _paragraphs(_strip_boilerplate(own), width), level, author, post)
            continue
        if attribution is not None:
            last = _resolve(context, level + 1, *_attributed(attribution))
        elif last is None:
            last = _resolve(context, level + 1, None, None)
        inner = [_ONE_MARK.sub("", line, count=1) for line in run]
        items.extend(_items(inner, context, level + 1, *last))
    return items


def _add_text(items: list[str | Quote], text: str, level: int, author: str | None, post: str | None) -> None:
    if text:
        items.append(text if level == 0 else Quote(text, author, post))


# ---------------------------------------------------------------- threads


@dataclass(frozen=True)
class _Mail:
    head: _Head
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


def _parents(heads: Sequence[_Head]) -> dict[str, str]:
    """Each message's parent: In-Reply-To, else the newest of its References that the file holds."""
    present = {h.msgid for h in heads}
    return {h.msgid: parent for h in heads if (parent := next((r for r in h.refs if r in present), None)) is not None}


def _chain(msgid: str, parents: dict[str, str]) -> list[str]:
    chain: list[str] = []
    seen = {msgid}
    while (parent := parents.get(msgid)) is not None and parent not in seen:  # broken headers can loop
        chain.append(parent)
        seen.add(parent)
        msgid = parent
    return chain


def _read_mail(box: mailbox.mbox | None, path: Path, head: _Head, warn: Warn) -> _Mail | None:
    label = f"message {head.index} ({head.msgid})"
    try:
        with closing(_message_file(box, path, head.key)) as handle:
            message = _parse(handle)
        body = _body_lines(message, label, warn)
    except Exception as exc:  # the email package has many ways to fail on a broken message
        warn(f"{label}: could not be read ({type(exc).__name__}: {exc}); left out")
        return None
    return _Mail(head, body) if body is not None else None


def _thread(box: mailbox.mbox | None, path: Path, heads: list[_Head], people: _People, warn: Warn) -> Thread | None:
    mails = [mail for head in heads if (mail := _read_mail(box, path, head, warn)) is not None]
    numbers = {mail.head.msgid: str(number) for number, mail in enumerate(mails, start=1)}
    known = {h.msgid: _Known(people.name(h.name, h.address), h.address, numbers.get(h.msgid)) for h in heads}
    parents = _parents(heads)
    in_order = [known[mail.head.msgid] for mail in mails]
    posts: list[Post] = []
    for position, mail in enumerate(mails):
        head = mail.head
        number = numbers[head.msgid]
        context = _Context(tuple(known[i] for i in _chain(head.msgid, parents)), in_order, position, people)
        parent = parents.get(head.msgid)
        posts.append(
            Post(
                blocks=tuple(_items(mail.lines, context, 0, None, None)),
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


def _open(path: Path) -> mailbox.mbox | None:
    """The mailbox; None for a single mail saved under an .mbox name, headers at byte 0 and no 'From ' line."""
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
        heads = _scan(box, path, warn)
        if not heads:
            raise UnreadableDocument("no readable mail in the file")
        people = _People(heads)
        used: set[str] = set()
        for group in _threads(heads):
            thread = _thread(box, path, group, people, warn)
            if thread is not None:
                yield Thread(thread.title, thread.posts, key=_unique_key(thread.title, group[0].msgid, used))
    finally:
        if box is not None:
            box.close()


FORMAT = ThreadFormat("mbox", sniff, read, many=True)
