"""Who a quote is by: the attribution line above it ("On …, Jane Roe <jane@example.org> wrote:"), read
in the common mailer languages, matched against the reply chain and the thread's other messages.

A quote `level` deep is the level-th message up the reply chain unless its attribution names
someone else; a match gives the quoted post's number too, so the quote points at that post.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from forumqa.formats.mbox.headers import Head, is_via_list, without_via

#: Lotus Notes puts the date after the verb: "Jane Roe <jane@example.org> wrote on 07/12/2006 06:24:14 PM:" (or
#: "05.03.2012 11:26:08:"); the date is digits, separators and AM/PM, so prose ("wrote on the list:") is not one.
_NOTES_DATE = r"\s+on\s+\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:\s+\d{1,2}:\d\d(?::\d\d)?(?:\s*[AP]M)?)?"
#: Some Claws Mail and mutt users write the mail's own Date after the verb: "jane@example.org wrote on Thu, 9 Mar 2023
#: 10:12:24 +0000:", "Jane Roe wrote on Mon, Feb 3, 2020 at 9:05 AM:"; a day, a month name and a time of day tell it from
#: prose ("wrote on Monday:", "wrote on the list:").
_MAILDATE_AFTER = (
    r"\s+on\s+(?:[A-Za-z]{3,9},?\s+)?(?:\d{1,2}\s+[A-Za-z]{3,9}\.?|[A-Za-z]{3,9}\.?\s+\d{1,2},?)\s+\d{4},?"
    r"(?:\s+at)?\s+\d{1,2}:\d\d(?::\d\d)?(?:\s*[AP]M)?(?:\s+(?:[+-]\d{4}|[A-Z]{2,5}))*(?:\s+\([^()]*\))?"
)
_DATE_AFTER_VERB = f"(?:{_NOTES_DATE}|{_MAILDATE_AFTER})?"
#: Evolution in Czech puts it there too, after "v": "Jane Roe píše v Út 24. 07. 2012 v 20:48 +0100:"; only with a time
#: of day, so that prose ("V návodu se píše v bodě 2:", "it says in point 2:") stays the writer's.
_EVOLUTION_CS = r"píše(?:\s+v\s+(?=.*\d{1,2}:\d\d).*?)?"
_ATTRIBUTION_VERB = re.compile(
    r"\s*\b(?:(?:wrote|writes|said|a écrit|escribió|escreveu|ha scritto|schreef|skrev|kirjoitti|(?:ezt\s+)?írta"
    r"|napisał(?:\(a\)|a)?|napsal(?:\(a\)|a)?|pisze|пишет|написал(?:\(а\)|а)?|написав|написала)"
    + _DATE_AFTER_VERB
    + "|"
    + _EVOLUTION_CS
    + r")\s*:\s*$",
    re.IGNORECASE,
)
_SCHRIEB = re.compile(r"\bschrieb\s+(?P<name>[^:]+?)\s*:\s*$", re.IGNORECASE)
#: Gmail in Danish, Norwegian, Swedish and Dutch puts the verb before the name too ("15. marts 2017 kl. 11.00 skrev
#: Jane Roe <jane@example.org>:", "Op wo 29 jun. 2022 om 12:32 schreef Jane Roe <…>:"); only after a date (a digit)
#: or with an address, so that prose ("Hun skrev følgende:") stays the writer's.
_SKREV = re.compile(r"^(?P<date>.*\d.*?)\s\b(?:skrev|schreef)\s+(?P<name>[^:]+?)\s*:\s*$", re.IGNORECASE)
#: Mail.ru, Yandex and Gmail in Russian write no verb: "Thu, 26 Jun 2014 14:00:51 +0400 от Jane Roe <jane@example.org>:",
#: "пт, 6 мар. 2020 г. в 01:04, Jane Roe <jane@example.org>:". A time of day and an address ending the line tell it.
_ADDRESSED = re.compile(r"^(?=.*\d{1,2}:\d\d)(?P<who>.{0,150}?<?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>?)\s*:\s*$")
_ATTRIBUTION_OPENER = re.compile(r"^(?:On|Am|Le|El|Il|Op|Em|Den|Dne|Dnia|W dniu)\b", re.IGNORECASE)
#: Zimbra sets its attribution off with dashes: "- Le 2021-04-09 23:25, Jean Dupont a écrit :", "----- 2 lip 2020 o 11:00, …".
_LEADING_DASHES = re.compile(r"^\s*[-–—]+\s+")
#: Zoho closes the dashes too: "---- On Wed, 24 Feb 2021 14:02:50 +0530 Jane Roe <jane@example.org> wrote ----", no colon.
_ZOHO = re.compile(r"^\s*-{2,}\s+(?P<inner>.*?\S)\s+-{2,}\s*$")


def _undashed(line: str) -> str:
    """The line without Zimbra's leading dash; Zoho's "---- On …, X wrote ----" as "On …, X wrote:"."""
    zoho = _ZOHO.match(line)
    if zoho and re.search(r"\b(?:wrote|a écrit|schrieb|escribió|ha scritto)$", zoho.group("inner"), re.IGNORECASE):
        return zoho.group("inner") + ":"
    return _LEADING_DASHES.sub("", line)


#: The time in a date part ("15:33", "11.00"): Gmail writes the name right after it with no comma ("… o 15:33 Jane Roe").
CLOCK = re.compile(r"\d{1,2}[:.]\d\d(?::\d\d)?,?")
#: mutt's "* Jane Roe <jane@example.org> [2008-03-17 10:35 +0100]:": the bracket holds a time or a date, which
#: tells it from a bulleted line that ends in a footnote mark ("* Step two [1]:").
_MUTT = re.compile(r"^\s*\*\s+(?P<who>\S.*?)\s*\[[^\[\]]*(?:\d:\d\d|\d[-/.]\d+[-/.]\d)[^\[\]]*\]\s*:\s*$")
#: Mailers in Chinese, Korean and Japanese put the name last, right before the verb: "2025年1月14日 06:27，Jane Roe
#: <jane@example.org> 写道：" (Apple Mail; Coremail and Evolution open with "在"), "2021년 2월 2일 (화) 오전 8:33, Jane Roe
#: <jane@example.org>님이 작성:" (Gmail in Korean), "2025-10-14 23:59 に Jane Roe さんは書きました:" (Thunderbird and Evolution in
#: Japanese). The name is what follows the date part's last comma (or "に"); a date (a digit) must come first.
_CJK_NAME_LAST = re.compile(
    r"^(?P<date>.*?\d.*?)(?:[，,、]|\s+に)\s*(?P<who>[^，,、]+?)\s*"
    r"(?:[写寫]道|님이\s*작성(?:한\s*내용)?|(?:さん|様)(?:は|が)?\s*書きました)\s*[:：]\s*$"
)
#: Gmail in Chinese names the writer first: "Jane Roe <jane@example.org> 于2021年6月3日周四 上午4:01写道：" ("於…寫道：" in
#: Taiwan); so does Japanese "Jane Roe さんは 2026/05/11 21:28 に書きました:".
_CJK_NAME_FIRST = re.compile(r"^(?P<who>[^，,、]+?)\s*(?:[于於]\s*\d.*?[写寫]道|(?:さん|様)(?:は|が)\s*\d.*?に\s*書きました)\s*[:：]\s*$")
#: Thunderbird writes a link of an HTML mail after its text, so a rendered address reads "jane@example.org
#: <mailto:jane@example.org>": the link is the address again.
_MAILTO_LINK = re.compile(r"\s*<mailto:[^<>\s]+>")
#: Horde/IMP's "Quoting Jane Roe <jane@example.org>:"; without an address it is prose ("Quoting the manual:").
_QUOTING = re.compile(r"^\s*Quoting\s+(?P<who>\S.*?)\s*:\s*$", re.IGNORECASE)
_QUOTED_NAME = re.compile(r'"([^"]+)"')
#: Yandex's and Yahoo's sender with no display name: the address quoted in the name's place, then bracketed.
_ADDRESS_AS_NAME = re.compile(r'"[^"\s@]+@[^"\s]+"\s*<[^<>\s@]+@[^<>\s]+>\s*:\s*$')
_COMMENT_NAME = re.compile(r"\(([^()\d]*[^\W\d_][^()\d]*)\)")  # no digits: Gmail's "(időpont: 2013. febr. 8., 7:31)" is a date
_DATED_ASIDE = re.compile(r"\([^()]*\d[^()]*\)")  # Gmail's "Jane Roe <…> (időpont: 2013. febr. 8., P, 7:31) ezt írta:"
_MANGLED_ADDRESS = re.compile(r"\b([\w.+'-]+) at ((?:[\w-]+\.)+[A-Za-z]{2,})\b")
#: The same inside angle brackets, where a mailer put the address: "2016-04-14 11:06 GMT+02:00 Jane Roe <jane at example.org>:".
_MANGLED_BRACKETED = re.compile(r"<([\w.+'-]+) at ((?:[\w-]+\.)+[A-Za-z]{2,})>")
#: An address an archive hid ("<jane_at_[hidden]>", "<jane.domain.name.hidden>"): no address, and no part of the name.
_HIDDEN_ADDRESS = re.compile(r"<[^<>\s@]*>")
#: Mail.ru's web mail pads the bracketed address: "… от Jane Roe < jane@example.org >:".
_SPACED_BRACKETS = re.compile(r"<\s*([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)\s*>")
ADDRESS = re.compile(r"<?([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>?")
#: Words of the date part of an attribution ("On Sun, Jan 2, 2022 at 6:02 AM Jane"), left of the name. Gnus and
#: others write a relative day ("Yesterday at 15:02, Jane wrote:"), so those count as date words too.
_DATE_WORDS = frozenset(
    re.findall(
        r"\S+",
        """at um à a las om kl kl. am pm a.m. p.m. utc gmt cet cest est edt pst pdt
        mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday
        jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august
        september october november december
        today yesterday tonight heute gestern hier aujourd'hui hoy ayer oggi ieri vandaag gisteren idag igår
        o v в г. от odesílatel keltezéssel""",
    )
)
#: What may stand between the time and the name: a zone, or the word for "from" ("14:00:51 +0400 от Jane", "15:33
#: odesílatel Jan"). Month names are not among them: past the time, "Jan" is a name.
#: Gmail in Russian and Ukrainian names the writer a "user": "1 марта 2016 г., 19:15 пользователь Jane Roe <…> написал:",
#: "1 березня 2016 р. о 19:15 користувач Jane Roe <…> написав:".
_AFTER_CLOCK = frozenset(re.findall(r"\S+", "am pm a.m. p.m. utc gmt cet cest est edt pst pdt от odesílatel пользователь користувач"))
#: "15:02", "2008-03-17", "+0100", and "3pm", "10h30", "2nd" in the date part.
#: Gmail's old ISO form writes the zone as "GMT+02:00" after the time.
_DATE_NUMBER = re.compile(r"[\d:./+-]+|\d[\d:./+-]*(?:am|pm|h\d*|st|nd|rd|th)|(?:gmt|utc)[+-]\d{1,2}(?::?\d\d)?", re.IGNORECASE)
#: What prose puts before "wrote:" where an attribution puts a name: "As I wrote:", "Yesterday, you said:".
_PRONOUNS = frozenset(re.findall(r"\S+", "i you we they me us him them someone somebody everyone everybody nobody"))
_NOT_A_NAME_START = frozenset(
    re.findall(r"\S+", "as what that which who like then and but or so also because if when where here there this the my our your")
)
_LONE_PRONOUNS = frozenset({"he", "she", "it"})  # "He Wei" is a name, "he" alone is not


class People:
    """One name per person: a display name is the same whichever of their addresses they write from."""

    def __init__(self, heads: Sequence[Head]) -> None:
        self._spelling: dict[str, str] = {}
        self._by_address: dict[str, str] = {}
        masks = [head.masked_by for head in heads if head.masked_by]
        self._masking_lists = {address for _, address in masks}
        self._masking_names = {_name_key(name) for name, _ in masks if name}
        for head in heads:
            if head.name:
                name = self._spelling.setdefault(_name_key(head.name), head.name)
                if head.address:
                    self._by_address.setdefault(head.address, name)
        for head in heads:  # a recipient's name only where no mail of theirs gives one: senders name themselves best
            for recipient, address in head.recipients:
                self._by_address.setdefault(address, self._spelling.get(_name_key(recipient), recipient))

    def name(self, name: str | None, address: str | None) -> str | None:
        """The name a person goes by; None for a list that hid them ("Users list <users@…> wrote:" is no one's name)."""
        if name and is_via_list(name):
            name, address = without_via(name), None
        elif (address and address.lower() in self._masking_lists) or (name and _name_key(name) in self._masking_names):
            return None
        if name:
            return self._spelling.get(_name_key(name), name)
        if address:
            return self._by_address.get(address.lower()) or address.split("@")[0].split(" at ")[0]
        return None


@dataclass(frozen=True)
class Known:
    """A message of the thread as quote resolution sees it; `post` is None when it has no text."""

    name: str | None
    address: str | None
    post: str | None


@dataclass(frozen=True)
class Context:
    """Whom a reply can be quoting: its reply chain, nearest first, and every message of the thread."""

    ancestors: tuple[Known, ...]
    thread: list[Known]  # the thread's messages in post order
    position: int  # this message's place in `thread`
    people: People


def _name_key(name: str) -> str:
    """A name as attributions spell it: mailers drop accents ("Wrobel" for "Wróbel") and case."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters.casefold()).split())


def _same(known: Known, name: str | None, address: str | None) -> bool:
    if address and known.address and address.lower() == known.address:
        return True
    return bool(name and known.name and _name_key(name) == _name_key(known.name))


def resolve(context: Context, level: int, name: str | None, address: str | None) -> tuple[str | None, str | None]:
    """(author, post) of a quote `level` deep: the level-th message up the reply chain, unless the attribution names another."""
    candidate = context.ancestors[level - 1] if level <= len(context.ancestors) else None
    if name is None and address is None:
        return (candidate.name, candidate.post) if candidate else (None, None)
    match = candidate if candidate and _same(candidate, name, address) else None
    earlier = reversed(context.thread[: context.position])
    match = match or next((k for k in (*context.ancestors, *earlier) if _same(k, name, address)), None)
    if match is not None and (match.post is not None or not name):
        return match.name, match.post
    return context.people.name(name, address), None  # a message the file lacks: the attribution names its writer best


def unmangled(text: str) -> str:
    """An address that pipermail wrote as "<jane at example.org>" (ARCHIVER_OBSCURES_EMAILADDRS) as the mailer wrote it.

    Gmail's verbless attributions ("2016-04-14 11:06 GMT+02:00 Jane Roe <jane@example.org>:") are told by the address
    that ends them; only the bracketed form is undone here, so that prose ("look at example.org:") stays prose. Mail.ru's
    padded "< jane@example.org >" is closed up for the same reason.
    """
    return _SPACED_BRACKETS.sub(r"<\1>", _MANGLED_BRACKETED.sub(r"<\1@\2>", _MAILTO_LINK.sub("", text)))


#: Outlook for Mac names a list's delegate "X on behalf of Y", in its languages: "au nom de", "im Auftrag von", "en nombre de"…
_ON_BEHALF = r"\s+(?:on behalf of|au nom de|im Auftrag von|en nombre de|per conto di|em nome de|namens|w imieniu)\s+"
_BEHALF_NAME = re.compile(r'"[^"]*?' + _ON_BEHALF + r'([^"]+)"', re.IGNORECASE)
_BEHALF_ADDRESS = re.compile(r"<[^<>]*?" + _ON_BEHALF + r"([^<>\s]+@[^<>\s]+)>", re.IGNORECASE)


def _behalf_of(text: str) -> str:
    """Outlook for Mac's delegated sender as the writer alone: '"List on behalf of Jane Roe" <list@… on behalf of jane@…>'.

    The list that relayed the mail comes first, the writer after "on behalf of" (« … au nom de … » in French, whose
    guillemets are quotes too). Read as it stands, the address was the list's bounce address and the name its
    domain, so the quote went to no one in the thread.
    """
    text = text.replace("«", '"').replace("»", '"')
    return _BEHALF_ADDRESS.sub(r"<\1>", _BEHALF_NAME.sub(r'"\1"', text))


#: Gmail writes a narrow no-break space before AM/PM ("7:44\u202fPM"); a list archive or digest in ASCII or Latin-1
#: writes "?" in its place, which glued the time to the word after it and made "2023 at 7:44?PM" the writer's name.
_LOST_CLOCK_SPACE = re.compile(r"(\d:\d\d)\?([AP]M)\b", re.IGNORECASE)


def attributed(text: str) -> tuple[str | None, str | None]:
    """(name, address) in "On Sun, Jan 2, 2022 at 6:02 AM Jane Roe <jane@example.org> wrote:" and its cousins.

    The cousins: "Yesterday at 15:02, Jane Roe wrote:" (a relative date, no opener), mutt's
    "* Jane Roe <jane@example.org> [2008-03-17 10:35]:" and Horde's "Quoting Jane Roe <jane@example.org>:".
    """
    text = _behalf_of(unmangled(_undashed(_LOST_CLOCK_SPACE.sub(r"\1 \2", text))))
    form = _MUTT.match(text) or _QUOTING.match(text) or _SKREV.match(text) or _cjk(text)
    schrieb = _SCHRIEB.search(text)
    if form is None and schrieb is None and not _ATTRIBUTION_VERB.search(text):
        form = _ADDRESSED.match(text)
    name_group = "name" if form is not None and form.re is _SKREV else "who"
    text = form.group(name_group) if form else schrieb.group("name") if schrieb else _ATTRIBUTION_VERB.sub("", text)
    text = _MANGLED_ADDRESS.sub(r"\1@\2", text)  # pipermail's "jane at example.org"
    found = ADDRESS.search(text)
    address = found.group(1).lower() if found else None
    quoted = _QUOTED_NAME.search(text) or (_COMMENT_NAME.search(text) if found else None)  # "jane@x.org (Jane Roe)"
    if quoted:
        # Yandex and Yahoo quote the address in the name's place ('"jane@x.org" <jane@x.org>:'): no name, as `headers.sender` reads it
        name = " ".join(quoted.group(1).split())
        return (name if name and "@" not in name else None), address
    text = _HIDDEN_ADDRESS.sub(" ", ADDRESS.sub(" ", text))
    # Date words are dropped only where a date part may be left: "On Monday Jane Roe", "Tuesday at 3pm, Jane Roe"; an
    # opener's date part ends at its last comma. So "Jan Novák wrote:" and "On Mon, Jan 3, 2022, Jan Roe wrote:" keep "Jan".
    opener = bool(_ATTRIBUTION_OPENER.match(text))
    dated = "," not in text if opener else "," in text or any(c.isdigit() for c in text)
    if opener:
        text = _ATTRIBUTION_OPENER.sub("", text)
        # the name follows the time where there is one, so Outlook's "Roe, Jane" keeps its comma; else the last comma ends the date
        text = text if any(CLOCK.fullmatch(word) for word in text.split()) else text.rsplit(",", 1)[-1]
    words = _DATED_ASIDE.sub(" ", text).replace("(", " ").replace(")", " ").split()
    # Date words and numbers in front of the name, up to the comma that ends a date part with no opener.
    clocks = [at for at, word in enumerate(words) if CLOCK.fullmatch(word)]
    if clocks and len(words) > clocks[-1] + 1:
        words = words[clocks[-1] + 1 :]  # "czw., 12 mar 2020 o 15:33 Jane Roe": the name follows the time
        while words and (_DATE_NUMBER.fullmatch(words[0].strip(",.")) or words[0].casefold().strip(",.") in _AFTER_CLOCK):
            words.pop(0)
    elif clocks and all(_is_date_part(word) or CLOCK.fullmatch(word) for word in words):
        words = []  # GroupWise's "On 20.06.19 at 14:06, <jane@example.org> wrote:": a date and an address, no name
    while dated and not clocks and words and _is_date_part(words[0]):
        words.pop(0)
    name = " ".join(words).strip("\"' ,")
    if not name or len(words) > 5 or not any(c.isalpha() for c in name) or not _could_be_name(name):
        return None, address
    return name, address


def _cjk(text: str) -> re.Match[str] | None:
    """A Chinese, Korean or Japanese attribution, its name in the group "who"."""
    return _CJK_NAME_LAST.match(text) or _CJK_NAME_FIRST.match(text)


def _is_date_part(word: str) -> bool:
    """A word of an attribution's date part: a number ("2022,", "3pm") or a date word ("Tuesday", "at", "Jan")."""
    word = word.strip(",.")
    return bool(_DATE_NUMBER.fullmatch(word)) or word.casefold() in _DATE_WORDS


def _could_be_name(name: str) -> bool:
    """False for the words prose puts before "wrote:" ("As I", "you", "Then he"); a name has none of them."""
    words = name.casefold().split()
    if len(words) == 1 and words[0] in _LONE_PRONOUNS:
        return False
    return words[0] not in _NOT_A_NAME_START and not any(word in _PRONOUNS for word in words)


def ends_attribution(line: str) -> bool:
    """The line ends with an attribution's verb, or is a whole mutt or Horde attribution: it says who wrote the quote below."""
    line = unmangled(_undashed(line))
    if _ATTRIBUTION_VERB.search(line) or _SCHRIEB.search(line) or _MUTT.match(line) or _cjk(line):
        return True
    skrev = _SKREV.match(line)
    if skrev and (ADDRESS.search(skrev.group("name")) or _ATTRIBUTION_OPENER.match(skrev.group("date").strip())):
        return True
    if _ADDRESSED.match(line):  # "Call me at 10:30 or mail jane@example.org:" names no one; '"jane@x.org" <jane@x.org>:' does
        return attributed(line)[0] is not None or bool(_ADDRESS_AS_NAME.search(line))
    quoting = _QUOTING.match(line)
    return bool(quoting and ADDRESS.search(_MANGLED_ADDRESS.sub(r"\1@\2", quoting.group("who"))))


def _opens(line: str) -> bool:
    """The line starts the way an attribution does ("On …", "Le …"), Zimbra's dash in front or not."""
    return bool(_ATTRIBUTION_OPENER.match(_undashed(line.strip())))


#: A mark that the writer cut the quote ("[...]", "<snip>", "..snip..."): it may stand between an attribution and its quote.
_SNIP = re.compile(r"^\s*(?:\[\s*(?:\.\.\.|…)\s*\]|[\[<(]?\s*\.*\s*snip(?:ped)?\s*\.*\s*[\]>)]?)\s*$", re.IGNORECASE)


#: A line that opens with a bracketed address: the tail of an attribution a mailer wrapped before the address.
_ADDRESS_FIRST = re.compile(r"^\s*<\s*[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\s*>")


def split_attribution(lines: list[str]) -> tuple[list[str], str | None]:
    """The own lines less a trailing attribution ("X wrote:", wrapped over up to three lines) and its text.

    A snip mark below the attribution ("X wrote on …:" / "..snip..." / "> …", as Lotus Notes users cut a
    quote's head) goes with it: the quote is still X's.
    """
    end = len(lines) - 1
    while end >= 0 and (not lines[end].strip() or _SNIP.match(lines[end])):
        end -= 1
    if end < 0 or not ends_attribution(lines[end]):
        return lines, None
    start = end
    if not (_opens(lines[end]) or _MUTT.match(lines[end]) or _QUOTING.match(lines[end])):
        for earlier in (end - 1, end - 2):
            if earlier < 0 or not lines[earlier].strip():
                break
            if _opens(lines[earlier]):
                start = earlier
                break
        if start == end and _ADDRESS_FIRST.match(lines[end]) and end > 0 and lines[end - 1].strip():
            start = end - 1  # Gmail wrapped it before the address: "1 марта 2016 г., 19:15 пользователь Jane Roe" / "<…> написал:"
    text = " ".join(line.strip() for line in lines[start : end + 1])
    if start == end and not _opens(text) and attributed(text)[0] is None and not ADDRESS.search(text):
        return lines, None  # "…as the manual says:" is the writer's own sentence
    return lines[:start], text
