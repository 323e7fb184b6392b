"""phpBB 2.0 topic pages (subSilver and its look-alikes): one table row per post, anchored by `<a name="N">`.

A post's row holds the poster's cell (`span.name` with the anchor and the name in `<b>`, then the
profile in `span.postdetails`) and the message cell: "Posted: <date> Post subject: …" in its own
`span.postdetails`, then the body cell with `span.postbody`. The labels are the board's language
("Verfasst am: … Titel:"), so the date is what lies between the first label and the last one. A
quote is a table whose first row is "<b>X wrote:</b>" (or "X hat folgendes geschrieben:", …) and
whose `td.quote` holds the words; it is rewritten into the quote form body.py credits
(markup.mark_quote). The signature phpBB 2 appends to the body after a "_________________" line and
the "Last edited by" note (`span.gensmall`) are not text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, inline_text, mark_quote, name_of

_ANCHOR = re.compile(r"^\d+$")
_SIGNATURE_RULE = "_________________"
#: "Posted: Tue Oct 09, 2012 10:12 pm Post subject: Re: …": the label before the date.
_LABEL = re.compile(r"^[^:\d]+:\s*")


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: <a name="N"> in a span.name whose row's next cell holds a span.postbody."""
    found = []
    for anchor in soup.find_all("a", attrs={"name": _ANCHOR}):
        name = anchor.find_parent("span", class_="name")
        row = name.find_parent("tr") if name is not None else None
        cells = row.find_all("td", recursive=False) if row is not None else []
        if row is None or name is None or len(cells) < 2 or (postbody := cells[1].find("span", class_="postbody")) is None:
            continue
        body = postbody.find_parent("td")
        if body is None:
            continue
        _tidy(body)
        details = cells[1].find("span", class_="postdetails")
        date = _date(_LABEL.sub("", inline_text(details), count=1))
        author = inline_text(name.find("b")) or inline_text(name) or None
        found.append(Found(attr(anchor, "name"), row, body, author, date))
    return found


def _date(line: str) -> str | None:
    """The date out of "Tue Oct 09, 2012 10:12 pm Post subject: Re: …": up to the subject's label (the first word
    ending in a colon with no digit in it), less that label's other words ("Post"); "am"/"pm" stay."""
    words: list[str] = []
    for word in line.split():
        if word.endswith(":") and not any(c.isdigit() for c in word):
            break
        words.append(word)
    else:
        return " ".join(words) or None
    while words and not any(c.isdigit() for c in words[-1]) and words[-1].lower() not in ("am", "pm"):
        words.pop()
    return " ".join(words) or None


def _tidy(body: Tag) -> None:
    for note in body.find_all("span", class_="gensmall"):
        note.decompose()  # "Last edited by ana on …; edited 1 time in total"
    for rule in body.find_all(string=lambda text: text.strip() == _SIGNATURE_RULE):
        for following in list(rule.next_siblings):
            following.extract()
        rule.extract()
    for words in reversed(body.select("td.quote")):  # innermost first: an outer quote holds its nested ones
        table = words.find_parent("table")
        header = table.find("tr") if table is not None else None
        if table is None or header is None or header is words.find_parent("tr"):
            continue
        said = name_of(flat_text(header))
        header.decompose()
        mark_quote(table, said, None)


ENGINE = Engine("phpBB 2", find, "a.maintitle", "{}")
