"""What a thread page says once for all its posts: the time zone of its dates, its address and its title."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from urllib.parse import urldefrag
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bs4 import BeautifulSoup, Comment, UnicodeDammit

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.forum_html.markup import Engine, attr, flat_text, inline_text

_TZ = re.compile(r"(?:UTC|GMT)\s*(?:([+\-\u2212])\s*(\d{1,2})(?::(\d{2}))?)?")
#: UBB's "All times are ET (US)": a US zone by its initial, whose offset changes with summer time.
_US_ZONE = re.compile(r"\b([ECMP])T\s*\(US\)")
_US_ZONES = {"E": "America/New_York", "C": "America/Chicago", "M": "America/Denver", "P": "America/Los_Angeles"}
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")

_DATE_FORMATS = (
    "%d %b %Y %H:%M",  # phpBB 3.1+: 21 Jul 2018 00:03
    "%a %b %d, %Y %I:%M %p",  # phpBB 3.0: Sat Jul 21, 2018 3:37 pm
    "%a %b %d, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%d %b %Y, %H:%M",
    "%a %d %b %Y %H:%M",
    "%m-%d-%Y, %I:%M %p",  # vBulletin US default: 01-15-2012, 03:45 PM
    "%m-%d-%Y, %H:%M",
    "%m-%d-%Y %I:%M %p",  # vBulletin 2: 08-25-2004 08:19 PM (the time in a font of its own)
    "%d-%m-%Y, %I:%M %p",  # vBulletin with a day-first language pack (Vietnamese, 2011): 13-09-2011, 06:41 PM
    "%d-%m-%Y, %H:%M",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M:%S",  # Phorum 3 with a day-first language file (Finnish, 2024): 27.8.24 21:08:52
    "%d.%m.%y %H:%M",
    "%m-%d-%y %H:%M",  # Phorum 3's English default: 03-15-02 10:34
    "%d %B %Y, %I:%M %p",
    "%B %d, %Y, %I:%M %p",
    "%B %d, %Y %I:%M %p",  # UBB.classic 6: December 18, 2001 12:38 AM
    "%B %d, %Y, %I:%M:%S %p",  # SMF's default: January 01, 2020, 12:00:00 PM
    "%a, %d %B %Y, %H:%M:%S",  # SMF with a day-first 24-hour time format (geekhack): Fri, 07 January 2022, 11:21:39
    "%b %d, %Y at %I:%M %p",  # XenForo title attribute
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d, %H:%M",  # vBulletin 3 set to ISO dates (AnimeSuki): 2016-02-01, 02:29
)

#: Month names as the common board languages' packs write them (SMF's $txt['months'], phpBB's and vBulletin's date
#: strings): Spanish, Portuguese, French, Italian, German, Dutch, Polish (genitive) and Russian (phpBB's abbreviations
#: and the genitive), to their English abbreviation.
_MONTHS = {
    name: english
    for english, names in (
        ("Jan", "enero janeiro janvier gennaio januar januari stycznia янв января"),
        ("Feb", "febrero fevereiro février febbraio februar februari lutego фев февраля"),
        ("Mar", "marzo março mars märz maart marca мар марта"),
        ("Apr", "abril avril aprile april kwietnia апр апреля"),
        ("May", "mayo maio mai maggio mei maja май мая"),
        ("Jun", "junio junho juin giugno juni czerwca июн июня"),
        ("Jul", "julio julho juillet luglio juli lipca июл июля"),
        ("Aug", "agosto août august augustus sierpnia авг августа"),
        ("Sep", "septiembre setiembre setembro septembre settembre september września сен сентября"),
        ("Oct", "octubre outubro octobre ottobre oktober października окт октября"),
        ("Nov", "noviembre novembro novembre november listopada ноя ноября"),
        ("Dec", "diciembre dezembro décembre dicembre dezember december grudnia дек декабря"),
    )
    for name in names.split()
}
#: The words those languages put between a date's parts ("25 de Octubre de 2013", "25 octobre 2013 à 12:12", "25. Oktober").
_DATE_FILLERS = re.compile(r"\b(?:de|del|à|às|a las|alle|om|um)\b|(?<=\d)\.(?=\s)", re.IGNORECASE)
#: A translated date once its month is English and its fillers are gone: "25 Oct 2013, 12:12:00 pm".
_TRANSLATED_FORMATS = (
    "%d %b %Y, %I:%M:%S %p",
    "%d %b %Y, %I:%M %p",
    "%d %b %Y, %H:%M:%S",
    "%d %b %Y, %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
)


def page_timezone(soup: BeautifulSoup) -> tzinfo | None:
    """phpBB's "All times are UTC-06:00" / vBulletin's "All times are GMT -5": the zone the page's dates are in."""
    note = soup.find(string=re.compile("All times are"))
    if note is None or note.parent is None:
        return None
    text = flat_text(note.parent)
    match = _TZ.search(text)
    if match is None:
        return _us_zone(text)
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    if "DST" in text:  # phpBB 3.0 shows "[ DST ]" while summer time adds an hour
        offset += timedelta(hours=1) if sign in (None, "+") else -timedelta(hours=1)
    return timezone(-offset if sign in ("-", "\u2212") else offset)


def _us_zone(text: str) -> tzinfo | None:
    """UBB's named US zone ("ET (US)"), summer time included; None where the system has no time zone database."""
    match = _US_ZONE.search(text)
    if match is None:
        return None
    try:
        return ZoneInfo(_US_ZONES[match.group(1)])
    except ZoneInfoNotFoundError:
        return None


def iso_date(value: str | None, zone: tzinfo | None) -> str | None:
    """ISO 8601 from a datetime attribute or a board's display format; relative ones ("Today, 10:15") give None."""
    if not value:
        return None
    text = _ORDINAL.sub(r"\1", " ".join(value.replace("\xa0", " ").split()).strip(" ,"))
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        parsed = _translated(text)
    if parsed is None:
        return parse_date(text)
    if parsed.tzinfo is None and zone is not None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


def _translated(text: str) -> datetime | None:
    """A date in a board language's words, as SMF writes it in its language pack's format ("25 de Octubre de 2013,
    12:12:00 pm", "25. Oktober 2013, 12:12:00", "25 octobre 2013 à 12:12:00"); None when no month was translated."""
    words = text.split()
    english = [_MONTHS.get(word.lower().rstrip(","), word) for word in words]
    if english == words:
        return None
    line = " ".join(_DATE_FILLERS.sub(" ", " ".join(english)).split()).replace(" ,", ",")
    for fmt in _TRANSLATED_FORMATS:
        try:
            return datetime.strptime(line, fmt)
        except ValueError:
            continue
    return None


#: The "mark of the web" a browser's "Save page as" writes first: `<!-- saved from url=(0042)https://… -->`.
_SAVED_FROM = re.compile(r"saved from url=\(\d+\)(https?://\S+)")


def page_url(soup: BeautifulSoup) -> str | None:
    """Where the page lives: an absolute canonical link or og:url, else the URL in HTTrack's "Mirrored from" comment
    or in the "saved from url" comment a browser writes when it saves a page (a mail archive's page has no other)."""
    for tag in soup.find_all(["link", "meta"]):
        is_canonical = tag.name == "link" and "canonical" in attr(tag, "rel").split()
        url = attr(tag, "href") if is_canonical else attr(tag, "content") if attr(tag, "property") == "og:url" else ""
        if url.startswith(("http://", "https://")):
            return urldefrag(url).url
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        match = re.search(r"Mirrored from (\S+) by HTTrack", str(comment))
        if match:
            url = match.group(1)
            return urldefrag(url if "://" in url else f"https://{url}").url
        if saved := _SAVED_FROM.search(str(comment)):
            return urldefrag(saved.group(1)).url
    return None


def page_title(soup: BeautifulSoup, engine: Engine, fallback: str) -> str:
    for selector in engine.titles.split(","):
        if title := inline_text(soup.select_one(selector.strip())):
            return title
    return inline_text(soup.find("title")) or fallback


def thread_url(soup: BeautifulSoup, engine: Engine) -> str | None:
    """The full thread's absolute address as a light page (printer view, archive) links to it."""
    for selector in filter(None, (part.strip() for part in engine.thread_link.split(","))):
        url = attr(soup.select_one(selector), "href")
        if url.startswith(("http://", "https://")):
            return urldefrag(url).url
    return None


def read_soup(path: Path, max_bytes: int, what: str) -> BeautifulSoup:
    """A saved page, parsed. Its declared charset is trusted only when the bytes are not UTF-8: old boards often mislabel them."""
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableDocument(f"{size // 2**20} MiB is too large for {what} (limit {max_bytes // 2**20} MiB)")
    dammit = UnicodeDammit(path.read_bytes(), known_definite_encodings=["utf-8"], is_html=True)
    if dammit.unicode_markup is None:
        raise UnreadableDocument("the page's text encoding could not be determined")
    return BeautifulSoup(dammit.unicode_markup.replace("\r\n", "\n"), "html.parser")


#: A page whose first post lies past the 64 KiB head (a long inline script, a long month list) is looked at this far.
SNIFF_MORE = 1024 * 1024


def more_of(path: Path, head: str) -> str | None:
    """The page's first SNIFF_MORE bytes as text, for a sniff the head did not settle; None when the head was all of it."""
    try:
        if path.stat().st_size <= len(head.encode("utf-8", errors="replace")):
            return None
        with path.open("rb") as handle:
            return handle.read(SNIFF_MORE).decode("utf-8", errors="replace")
    except OSError:
        return None
