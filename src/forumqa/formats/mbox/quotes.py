"""A reply's text split into its own words and the history it quotes, level by level.

History comes as `>` lines (any depth, interleaved with answers) or unquoted below an
"-----Original Message-----" header block; each level becomes a Quote credited by `attribution`.
Own text loses its signature, list footer and device taglines, and hard-wrapped lines are joined
back into paragraphs.
"""

from __future__ import annotations

import email.utils
import re
from collections import Counter

from forumqa.formats.mbox.attribution import (
    ADDRESS,
    CLOCK,
    Context,
    attributed,
    ends_attribution,
    resolve,
    split_attribution,
    unmangled,
)
from forumqa.threads import Quote

_QUOTE_MARKS = re.compile(r"^(?:>[ \t]?)+")
_ONE_MARK = re.compile(r"^>[ \t]?")
#: A quote-mark run glued to "From ": the line an mbox's "From " escaping may have made a level deeper.
_GLUED_FROM = re.compile(r"^(?P<marks>(?:>[ \t]?)*>)(?=From )")
#: Outlook and Gmail put the history below such a line, unquoted; so does Apple Mail, in its languages ("Begin forwarded
#: message:", "Inizio messaggio inoltrato:", "Inicio del mensaje reenviado:", "Início da mensagem encaminhada:").
_ORIGINAL = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine|Message transféré"
    r"|Weitergeleitete Nachricht|Mensaje original|Mensaje reenviado|Messaggio originale|Messaggio inoltrato|Oorspronkelijk bericht"
    r"|Doorgestuurd bericht|Wiadomość oryginalna|Wiadomość przekazana dalej|Původní zpráva|Исходное сообщение|Пересылаемое сообщение"
    r"|Перенаправленное сообщение)"
    r"\s*-{2,}|(?:Begin forwarded message|Début du message réexpédié|Anfang der weitergeleiteten Nachricht|Inizio messaggio inoltrato"
    r"|Inicio del mensaje reenviado|Início da mensagem (?:encaminhada|reencaminhada)|Begin doorgestuurd bericht)\s*:)\s*$",
    re.I,
)
_RULE = re.compile(r"^\s*[-_=*]{20,}\s*$")
#: Thunderbird's title line over a forwarded or original message, in whatever language it runs in
#: ("-------- Forwarded Message --------", "-------- Перенаправленное сообщение --------", "-------- 転送メッセージ --------").
_DASHED_TITLE = re.compile(r"^\s*-{4,}\s*\S[^-]*?\s*-{4,}\s*$")
#: The fields of a history's header block as Outlook, Windows Mail, Yahoo and others write them in their languages:
#: From/Von/De/Van/Da/Od/От/Från/Fra/发件人; Sent/Gesendet/Envoyé/Enviada em/Wysłano/Отправлено/发送时间/日期; and the rest.
#: Gmail's plain-text part of a rich mail writes the fields bold as "*From:*", Zendesk's and other Markdown renderings
#: as "**From:**"; the stars are not part of the field. Gmail and Mail.ru in Russian write "От кого:" ("from whom").
_COLON = r"\**\s*[:：]\**"
_FROM_FIELD = re.compile(
    r"^\s*\**(?:From|Von|De|Van|Da|Od|От(?: кого)?|Från|Fra|Feladó|发件人|寄件者|差出人)" + _COLON + r"\s*\S", re.IGNORECASE
)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)
_SENT_FIELD = re.compile(
    r"^\s*\**(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado(?: el| em)?|Enviada em|Verzonden|Inviato|Data|Wysłano|Wysłany|Отправлено"
    r"|Дата|Skickat|Sendt|Odesláno|Elküldve|发送时间|日期|寄件日期|送信日時|日付)" + _COLON,
    re.IGNORECASE,
)
_OTHER_FIELD = re.compile(
    r"^\s*\**(?:To|Cc|Subject|An|Kopie|Betreff|À|Objet|Para|Asunto|Assunto|Aan|Onderwerp|A|Oggetto|Do|DW|Temat|Кому|Копия|Тема"
    r"|Till|Kopia|Ämne|Til|Emne|Komu|Předmět|Címzett|Tárgy|收件人|抄送|主题|收件者|副本|主旨|宛先|件名)" + _COLON,
    re.IGNORECASE,
)
#: How many lines a history's header block runs to: From, Sent, To, Cc, Subject, and a wrapped To or Cc.
_HEADER_BLOCK_LINES = 6
#: What a list's or a notifier's footer says under its rule; "reply to this email" is how GitHub ("Reply to this email
#: directly"), Discourse ("To respond, reply to this email or visit") and Apache's GitHub bridge ("you can reply to this
#: email and have your reply appear on GitHub") open theirs.
_FOOTER_WORDS = re.compile(
    r"unsubscribe|mailing list|listinfo|for additional commands|you received this message because|reply to this email", re.I
)
#: GitHub's notification footer under a short rule: "---" / "Reply to this email directly or view it on GitHub:".
_SHORT_RULE = re.compile(r"^\s*-{3,}\s*$")
#: A device's or a mail service's tagline ("Sent with Proton Mail secure email."); in other languages only with a
#: device's name, so that "Inviato da Marco" stays text.
_DEVICE = (
    r"(?:(?:mi|mein(?:em)?|mon|mio|meu|mijn|min|moego|моего)\s+)?"
    r"(?:iPhone|iPad|Android|BlackBerry|Samsung|Galaxy|Huawei|Xiaomi|Handy|mobile|smartphone|телефона)[\w' -]*"
)
_DEVICE_LINE = re.compile(
    r"^\s*(?:Sent from my [\w ]+|Sent from (?:Mail|Outlook) for [\w ]+|Get Outlook for \w+"
    r"|Sent with (?:\[Proton ?Mail\]\([^()\s]*\)|Proton ?Mail) secure email"
    r"|(?:Von|Envoyé de|Enviado desde|Enviado do|Inviato da|Verstuurd vanaf|Skickat från|Sendt fra|Wysłane z|Отправлено с) "
    + _DEVICE
    + r"(?: gesendet)?)\.?\s*$",
    re.IGNORECASE,
)
#: A list item, or a line of a patch ("+    err = NULL;"): never the tail of the line above.
_LIST_ITEM = re.compile(r"^\s*(?:\[\d+\]|[-+*•]\s|\d{1,2}[.)]\s)")
#: How a sentence or a statement of code ends: a line that ends so ended there on purpose.
_LINE_ENDS = (".", "!", "?", ";", "{", "}")
#: A line set in by the writer: two spaces or a tab (one space is format=flowed's stuffing, or a stray).
_INDENTED = re.compile(r"^(?: {2}|\t)")


def blocks(lines: list[str], context: Context) -> list[str | Quote]:
    """A reply's blocks: its own paragraphs, and Quotes of the messages it quotes."""
    return _items(_initials_quotes(_groupwise_attributions(_settle_escaped_from(lines))), context, 0, None, None)


#: GroupWise sets its attribution off with ">>>": ">>> On 20.06.19 at 14:06, <jane@example.org> wrote:" (newer), and
#: '>>> "Jane Roe" <jane@example.org> 16.10.06 16:17 >>>' (older, the date after the sender, closed by ">>>" too).
_GROUPWISE_MARKS = re.compile(r"^>>>[ \t]*(?P<inner>\S.*?)\s*$")
_GROUPWISE_OLD = re.compile(r"^(?P<who>.*?<[^<>\s]+@[^<>\s]+>)\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s+\d{1,2}:\d\d(?::\d\d)?\s*>>>$")


def _groupwise_attributions(lines: list[str]) -> list[str]:
    """GroupWise's ">>>" attribution lines as plain attribution lines over the one-level quote they head.

    Read as marks, the line was a three-level quote of its own and the `>` quote below it went unattributed,
    to the replier. Only over a shallower quote: inside a three-level quote the line is the quote's text.
    """
    out = list(lines)
    filled = [at for at, line in enumerate(lines) if line.strip()]
    for number, at in enumerate(filled):
        marks = _GROUPWISE_MARKS.match(lines[at])
        following = lines[filled[number + 1]] if number + 1 < len(filled) else ""
        if marks is None or not 0 < _depth(following) < 3:
            continue
        old = _GROUPWISE_OLD.match(marks.group("inner"))
        text = f"{old.group('who')} wrote:" if old else marks.group("inner")
        if split_attribution([text])[1] is not None:
            out[at] = text
    return out


#: The Bat!'s and Supercite's quote marks, the writer's initials before ">": "JN> Then run the graft step."
_INITIALS_MARK = re.compile(r"^ ?(?P<initials>[A-Z][A-Za-z]{0,3})(?P<marks>>+)(?=[ \t]|$)")


def _initials_quotes(lines: list[str]) -> list[str]:
    """Lines quoted under the writer's initials ("JN> …") as `>` lines, so that they are a quote like any other.

    Read as they stand, The Bat!'s and Supercite's quotes were the replier's own text. Only initials that mark
    two lines or more: a lone "PS> dir" is a prompt in the writer's own text.
    """
    found = [_INITIALS_MARK.match(line) for line in lines]
    counts = Counter(match.group("initials") for match in found if match)
    return [
        match.group("marks") + line[match.end() :] if match and counts[match.group("initials")] > 1 else line
        for line, match in zip(lines, found, strict=True)
    ]


def _depth(line: str) -> int:
    marks = _QUOTE_MARKS.match(line)
    return marks.group().count(">") if marks else 0


def _settle_escaped_from(lines: list[str]) -> list[str]:
    """Lines whose ">" run glued to "From " is deeper than the quote around them, put back at that quote's depth.

    A line that starts "From " gains a ">" wherever a mail is stored in an mbox, and a mail may be
    stored several times on its way (the sender's folder, a relay, the list archive), so the writer's
    "From the figures…" can reach the archive as ">>>From the figures…" inside a one-level quote.
    `body.unescape_from` takes off the archive's own ">", but not what earlier stores added. A glued
    line deeper than both its neighbours (blank lines aside) is one such line: it takes the deeper
    neighbour's depth. Only inside a quote: between two lines of own text, ">From …" may as well be
    a one-line quote, and a quote never becomes the replier's words by guesswork.
    """
    filled = [at for at, line in enumerate(lines) if line.strip()]
    out = list(lines)
    for number, at in enumerate(filled):
        glued = _GLUED_FROM.match(lines[at])
        if glued is None:
            continue
        around = [_depth(lines[filled[i]]) for i in (number - 1, number + 1) if 0 <= i < len(filled)]
        depth = glued.group("marks").count(">")
        if around and all(d < depth for d in around) and max(around) > 0:
            out[at] = ">" * max(around) + lines[at][glued.end() :]
        else:
            above = around[0] if number > 0 else 0
            below = around[-1] if number + 1 < len(filled) else 0
            adjacent = number + 1 < len(filled) and filled[number + 1] == at + 1
            lower = adjacent and lines[at + 1].lstrip("> \t")[:1].islower()
            if _escaped_own_line(lines[at][glued.end() :], depth, above, below, adjacent, lower):
                out[at] = ">" * (depth - 1) + lines[at][glued.end() :]
    return out


def _escaped_own_line(text: str, depth: int, above: int, below: int, adjacent: bool, next_starts_lower: bool) -> bool:
    """An escaped "From …" line that is the writer's own, a level shallower than it reads.

    A mail saved whole out of an mbox keeps the ">" the mbox gave it. Two shapes tell it from a one-line quote:
    the line opens the quote below it ("From [1]:" over "> A code injection was found…": it ends in a colon, the
    text above is shallower and the quote below is at its depth), or its sentence runs on, with no blank line,
    into the writer's next line a level up ("From my side, the emulator matters for" / "binary compatibility."):
    no end of a sentence, the next line going on in lower case. A mailer that wraps a quote marks every line of it;
    a whole quoted sentence between two own lines ("The manual says:" / ">From cold, heat it slowly." / "So I did.")
    stays a quote.
    """
    opens_quote = text.rstrip().endswith(":") and above < depth == below
    runs_on = adjacent and above < depth and below == depth - 1 and not text.rstrip().endswith((".", "!", "?", ":"))
    return opens_quote or (runs_on and next_starts_lower)


#: A signature is a few lines (RFC 1855 asks for four; company ones with a disclaimer run to a dozen). Past this many
#: lines with words after a "-- " line, the sender used it to set off something they wrote (a posted file), which is kept.
SIGNATURE_LINES = 15


def _strip_boilerplate(lines: list[str]) -> list[str]:
    """The lines before a signature ("-- ") or a list footer; device taglines dropped."""
    for at, line in enumerate(lines):
        # "-- ", or "--" where the trailing space was lost (HTML mail, archive clean-up)
        if line.rstrip() == "--" and sum(bool(after.strip()) for after in lines[at + 1 :]) <= SIGNATURE_LINES:
            return lines[:at]
        if _RULE.match(line) and any(_FOOTER_WORDS.search(after) for after in lines[at + 1 : at + 5]):
            return lines[:at]
        if _SHORT_RULE.match(line) and any(_FOOTER_WORDS.search(after) for after in lines[at + 1 : at + 3]):
            return lines[:at]
    return [line for line in lines if not _DEVICE_LINE.match(line) and line.rstrip() != "--"]


def _wrap_width(lines: list[str]) -> int:
    """The column a mailer wrapped this level's lines at, judged by its longest line of several words.

    An attribution counts only where the level has less than two other lines to tell by: a mailer writes
    it whole however long it runs, and format=flowed's unwrapping joins it back from two lines, so it
    would make the width too wide and keep a quote's hard-wrapped lines ("…is done already in" / "the
    library core.") apart. A lone line ("Tested-by: …" over "Thanks") tells no width of its own.
    """
    text = [line for line in lines if " " in line.strip() and not _QUOTE_MARKS.match(line)]
    prose = [line for line in text if not ends_attribution(line)]
    return max([60, *(len(line.rstrip()) for line in (prose if len(prose) >= 2 else text))])


def _paragraphs(lines: list[str], width: int) -> str:
    """Own lines as paragraphs, one per line: hard-wrapped lines are joined back into their sentences.

    A mailer breaks a line only where the next word would not fit, so a line that the next word
    would have fitted on ended there on purpose ("Kind regards," / "Jane"). Mailers wrap a few
    columns short of their longest line (Gmail's lines run 70-78), hence the 10% margin. A line
    that ends a sentence (or a statement of code) stays a line: harmless if it was wrapped, and it keeps apart the
    paragraphs of an HTML or format=flowed mail, whose lines are whole paragraphs already. An indented
    line is never a wrap either: a mailer starts its continuation at the margin, so indentation is the
    writer's layout (code, a command, a table), whose lines joined would run two statements into one.
    """
    out: list[str] = []
    previous = ""
    for raw in lines:
        line = raw.strip()
        wrapped = previous and not previous.endswith(_LINE_ENDS) and len(previous) + 1 + len(line.split(" ", 1)[0]) > 0.9 * width
        if line and wrapped and not _LIST_ITEM.match(line) and not _INDENTED.match(raw):
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


_ON_BEHALF = re.compile(r"\s+On Behalf Of\s+", re.IGNORECASE)


def _from_line(lines: list[str]) -> tuple[str | None, str | None]:
    """(name, address) in the "From:" line of a history's header block."""
    for line in lines:
        if _FROM_FIELD.match(line):
            # Outlook's "Jane Roe [mailto:jane@example.org]"; bold fields' stars dropped
            value = _MAILTO.sub(r"<\1>", re.split("[:：]", line, maxsplit=1)[1].replace("*", " ").strip())
            # "list@… <list@…> On Behalf Of Jane Roe": the first is who sent it
            value = _ON_BEHALF.split(value, maxsplit=1)[0].strip()
            name, address = email.utils.parseaddr(value)
            if "@" not in address:  # Windows Mail's "From: Jane Roe" (the address was only a link): a name, not an address
                name, address = name or value, ""
            name = " ".join(name.split()).strip("\"' ")
            # Yahoo writes the address in the name's place ('"jane@example.org" <jane@example.org>'), as headers.sender knows
            return (name if name and "@" not in name else None), (address.lower() or None)
    return None, None


def _original_message(lines: list[str]) -> int | None:
    """Where an unquoted history starts: "-----Original Message-----", a rule over "From:", or a header block.

    A header block is a run of header fields, starting a paragraph, that names a sender and a date.
    Outlook writes From, Sent, To, Subject; Yahoo Mail From, To, Sent ("Von:", "An:", "Gesendet:" in
    German); GMX and web.de put Sent first ("Gesendet:", "Von:", "An:", "Betreff:"). Asking for one order
    only left the others' history, unquoted, as the replier's own words.
    """
    for at, line in enumerate(lines):
        following = next((after for after in lines[at + 1 : at + 3] if after.strip()), "")
        if _ORIGINAL.match(line) or (_RULE.match(line) and _FROM_FIELD.match(following)):
            return at
        below = next((i for i in range(at + 1, min(at + 3, len(lines))) if lines[i].strip()), None)
        # Hotmail's rule over "Date: / Subject: / From: / To:"; Thunderbird's titled line over its field table
        ruled = _RULE.match(line) or _DASHED_TITLE.match(line)
        if ruled and below is not None and _is_header_block(lines[below : below + _HEADER_BLOCK_LINES]):
            return at
        opens_paragraph = at == 0 or not lines[at - 1].strip()
        if opens_paragraph and _is_header_block(lines[at : at + _HEADER_BLOCK_LINES]) and not _heads_a_quote(lines, at):
            return at
    return None


def _heads_a_quote(lines: list[str], at: int) -> bool:
    """The header block at `at` runs straight into a `>` quote, with no blank line: it names the quote's writer.

    Some mailers attribute a quote with the quoted mail's own fields ("From: Jane Roe <jane@example.org>" /
    "Date: Sat, Oct 19, 2002 at 03:40:22PM -0400" right over her "> …" lines), and the quoting writer goes on
    below. Read as the head of an unquoted history, the block ran on to the next blank line: the quote and the
    writer's answer under it were taken for header lines and lost.
    """
    end = next((i for i in range(at, len(lines)) if not _is_field(lines[i])), len(lines))
    return end > at and end < len(lines) and bool(_QUOTE_MARKS.match(lines[end]))


def _is_field(line: str) -> bool:
    return bool(_FROM_FIELD.match(line) or _SENT_FIELD.match(line) or _OTHER_FIELD.match(line))


def _header_attribution(own: list[str]) -> tuple[list[str], str | None]:
    """Own lines that end in a header block right over a quote (`_heads_a_quote`): the lines before it, and the block as an
    attribution ("Jane Roe <jane@example.org> wrote:") of that quote."""
    start = len(own)
    while start > 0 and _is_field(own[start - 1]):
        start -= 1
    block = own[start:]
    if not block or (start > 0 and own[start - 1].strip()) or not _is_header_block(block):
        return own, None
    name, address = _from_line(block)
    if name is None and address is None:
        return own, None
    who = f"{name or ''} <{address}>".strip() if address else name
    return own[:start], f"{who} wrote:"


def _over_quoted_reply(lines: list[str], at: int) -> bool:
    """The "Original Message" line at `at` only heads an attribution and its `>` quote, as Proton Mail writes them.

    Proton Mail puts "------- Original Message -------" over "On Tuesday, May 16th, 2023 at 23:39, Jane Roe
    <jane@example.org> wrote:" and the quoted mail, every line marked. The marker then opens no unquoted
    history with a header block of its own: read as one, the attribution stood in for the header block and
    named no sender, so the quote, a level too deep, went to nobody and was shown as the replier's.
    """
    below = [i for i in range(at + 1, min(at + 6, len(lines))) if lines[i].strip()]
    if len(below) < 2 or not _ORIGINAL.match(lines[at]) or _QUOTE_MARKS.match(lines[below[0]]):
        return False
    attribution_end = next((n for n, i in enumerate(below) if _QUOTE_MARKS.match(lines[i])), None)
    if attribution_end is None or attribution_end > 3:
        return False
    own, attribution = split_attribution(lines[below[0] : below[attribution_end]])
    return attribution is not None and not any(line.strip() for line in own)


def _unquoted_attribution(lines: list[str]) -> tuple[int, int] | None:
    """Where a history starts that sits, unquoted, under "On May 30, 2020, at 4:24 PM, Jane Roe <jane@example.org> wrote:".

    Some mailers and help desks turn a reply's quote into plain paragraphs, `>` marks lost, so the history
    reads on as if the replier wrote it. Only a whole attribution with a date, a time and an address,
    followed by text and with no `>` line anywhere below it (where there are some, the quote rules read them):
    a replier's own line never names an address and a time before "wrote:". Gmail wraps a long one over two
    lines ("pe 20. lokakuuta 2017 klo 17.50 Jane Roe" / "<jane@example.org> kirjoitti:"), read as one.
    The answer is (first line of the attribution, first line below it).
    """
    # Found once, not per candidate line: the lines below a candidate must hold text and no quote mark.
    last_quote = max((i for i, line in enumerate(lines) if _QUOTE_MARKS.match(line)), default=-1)
    last_text = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for at in range(max(1, last_quote + 1), len(lines)):
        line = lines[at]
        if lines[at - 1].strip():
            continue
        for end in (at + 1, at + 2):
            if end > last_text:
                break
            text = " ".join(part.strip() for part in lines[at:end])
            if end > at + 1 and not lines[end - 1].strip():
                break
            own, attribution = split_attribution([text])
            if attribution and not own and ADDRESS.search(unmangled(text)) and CLOCK.search(text) and re.match(r"^\s*\S", line):
                return at, end
    return None


def _is_header_block(lines: list[str]) -> bool:
    """The lines open with header fields, up to the first blank line, among them a From and a Sent (or Date) field."""
    fields: list[str] = []
    for line in lines:
        if not line.strip():
            break
        if not (_FROM_FIELD.match(line) or _SENT_FIELD.match(line) or _OTHER_FIELD.match(line)):
            if not fields:
                return False
            continue  # a To or Cc line wrapped onto the next line
        fields.append(line)
    return any(_FROM_FIELD.match(f) for f in fields) and any(_SENT_FIELD.match(f) for f in fields)


def _header_block_end(lines: list[str], at: int) -> int:
    """Where the history's header block (From:, Sent:, Subject:) below line `at` ends: its first blank line."""
    start = next((i for i in range(at + 1, len(lines)) if lines[i].strip()), len(lines))
    return next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))


def _dedented(lines: list[str]) -> list[str]:
    """An unquoted history that Outlook for Mac set in by four spaces, back at the margin.

    Outlook for Mac marks the mail it answers by indenting it, `>` lines and all, under "On …, X wrote:".
    Left indented, the `>` quotes inside it were not seen (a quote mark starts a line) and the quoted
    writer's quotes went to them; its lines stayed apart as if they were code. Only when every line up to
    the end (or up to the list footer's rule that the list added below the mail) is set in alike.
    """
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not (indent.startswith("\t") or len(indent) >= 2):
        return lines
    end = next((at for at, line in enumerate(lines) if _RULE.match(line) and not line.startswith(indent)), len(lines))
    if not all(line.startswith(indent) for line in lines[:end] if line.strip()):
        return lines
    return [_one_space_less(line[len(indent) :]) if line.strip() else "" for line in lines[:end]] + lines[end:]


def _one_space_less(line: str) -> str:
    """A `>` line that an indented history sets in one space further than its text (" > On …"), at the margin.

    Thunderbird lays out an HTML mail's quote as an indent and keeps the quoted writer's own `>` lines inside it a
    space deeper; left there, they were no quote (a mark starts a line) and the writer's quotes went to them.
    """
    return line[1:] if line.startswith(" >") and not line.startswith("  ") else line


def _indented_run_end(lines: list[str], start: int) -> int:
    """Where a history that starts at `start` set in by an indent ends: its first line back at the margin.

    Gmail and Thunderbird show an HTML mail's quote as an indented block, and the writer may answer below it at the
    margin ("I will look into it."); those lines are the writer's again, not the history's. A history that is not
    indented runs to the end.
    """
    first = next((line for line in lines[start:] if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not (indent.startswith("\t") or len(indent) >= 2):
        return len(lines)
    return next((at for at in range(start, len(lines)) if lines[at].strip() and not lines[at].startswith(indent)), len(lines))


def _items(lines: list[str], context: Context, level: int, author: str | None, post: str | None) -> list[str | Quote]:
    """Blocks of a text `level` quotes deep: own text at level 0, Quotes of `author` below, nested levels their own Quotes."""
    found = _unquoted_attribution(lines)
    at = _original_message(lines)
    if found is not None and at is not None and at < found[0]:
        found = None  # the attribution is inside a forwarded or original message: that message's reading finds it
    if found is not None:
        begin, end = found
        inner_author, inner_post = resolve(context, level + 1, *attributed(" ".join(line.strip() for line in lines[begin:end])))
        stop = _indented_run_end(lines, end)
        history_items = _items(_dedented(lines[end:stop]), context, level + 1, inner_author, inner_post)
        return _items(lines[:begin], context, level, author, post) + history_items + _items(lines[stop:], context, level, author, post)
    if at is not None and _over_quoted_reply(lines, at):
        return _items(lines[:at] + lines[at + 1 :], context, level, author, post)
    if at is not None:
        header_end = _header_block_end(lines, at)
        inner_author, inner_post = resolve(context, level + 1, *_from_line(lines[at:header_end]))
        history = _dedented(lines[header_end:])
        return _items(lines[:at], context, level, author, post) + _items(history, context, level + 1, inner_author, inner_post)
    items: list[str | Quote] = []
    runs = _runs(lines)
    width = _wrap_width(lines)
    attribution: str | None = None
    last: tuple[str | None, str | None] | None = None  # an interleaved reply's next quote is by the same writer
    for number, (quoted, run) in enumerate(runs):
        if not quoted:
            own, attribution = split_attribution(run) if number + 1 < len(runs) else (run, None)
            if attribution is None and number + 1 < len(runs) and run[-1].strip():
                own, attribution = _header_attribution(own)
            _add_text(items, _paragraphs(_strip_boilerplate(own), width), level, author, post)
            continue
        inner = [_ONE_MARK.sub("", line, count=1) for line in run]
        if attribution is None:
            attribution, inner = _leading_attribution(inner)
        if attribution is not None:
            last = resolve(context, level + 1, *attributed(attribution))
        elif last is None:
            last = resolve(context, level + 1, *_opening_header_writer(inner))
        attribution = None
        items.extend(_items(inner, context, level + 1, *last))
    return items


def _opening_header_writer(inner: list[str]) -> tuple[str | None, str | None]:
    """(name, address) in the "From:" field of an original message's header block that opens a quote; none without one.

    A quote that opens with "-----Original Message-----" / "From: Jane Roe" is Jane's mail; a later part of the
    same quote that a mailer's re-wrapping cut off from it ("> Subject: … for" / "firmware" / "> coefficients")
    goes on with her words, not those of whoever the reply is addressed to.
    """
    at = _original_message(inner)
    if at is None or any(line.strip() for line in inner[:at]):
        return None, None
    return _from_line(inner[at : _header_block_end(inner, at)])


def _leading_attribution(inner: list[str]) -> tuple[str | None, list[str]]:
    """An attribution that opens the quote itself, and the quote without it.

    Apple Mail puts "On Mar 20, 2023, at 13:59, Jane Roe <jane@example.org> wrote:" inside the quote it
    introduces, so it reaches the plain text as a `>` line over the `>` lines it names. Only when more
    of the same quote level follows: an attribution over a deeper quote ("> On …, X wrote:" over
    ">> …") is the quoted writer quoting X, which that level's own reading credits.
    """
    start = next((at for at, line in enumerate(inner) if line.strip()), None)
    if start is None or _QUOTE_MARKS.match(inner[start]):
        return None, inner
    end = next((at for at in range(start, len(inner)) if not inner[at].strip() or _QUOTE_MARKS.match(inner[at])), len(inner))
    if end - start > 3:
        return None, inner
    own, attribution = split_attribution(inner[start:end])
    following = next((line for line in inner[end:] if line.strip()), None)
    if attribution is None or own or following is None or _QUOTE_MARKS.match(following):
        return None, inner
    return attribution, inner[end:]


def _add_text(items: list[str | Quote], text: str, level: int, author: str | None, post: str | None) -> None:
    if text:
        items.append(text if level == 0 else Quote(text, author, post))
