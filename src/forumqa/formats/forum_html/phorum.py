"""Phorum 3 thread pages (read.php?f=…&i=…&t=…): a `table.PhorumListTable` per message, its byline in the message.

Phorum 3 marks no post with an id or class of its own. Its read.php writes each message of the thread as a
`table.PhorumListTable` (after an `<a name="reply_N">` anchor on boards that keep the threaded view's anchors):
the subject in a `.PhorumTableHeader` cell, then the message in an element classed `PhorumMessage` (`<font>` in
the stock templates, `<p>` on restyled ones) that starts with two lines the language file words ("Author: ana
(host)", "Date: 03-15-02 10:34"; a Finnish board's "Lähettäjä: ana" / "Päivämäärä: 27.8.24 21:08:52"), a blank
line, then the words. Those two lines are read by their place, not their labels, and taken out of the body. The
stock byline ends with the poster's host in parentheses, which is not part of the name. Phorum 3 has no quote
markup (a reply quotes with "> " lines or quotation marks), so a body is all the poster's. The post's id is the
anchor's N, else the `i=` of a link in the message's table (its reply or report link).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import PageElement

from forumqa.formats.forum_html.markup import Engine, Found, attr, node_text

_ANCHOR = re.compile(r"^reply_(\d+)$")
_MESSAGE_LINK = re.compile(r"[?&]i=(\d+)")
#: The stock byline's "(host)" after the name: an address or a masked hostname, never a name's own brackets.
_HOST = re.compile(r"\s*\((?:[\w\-*]+\.)+[\w\-*]+\)\s*$|\s*\(-+[\w.\-]*\)\s*$")


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: a table.PhorumListTable whose .PhorumMessage starts with a "label: name" and a "label: date" line."""
    found: list[Found] = []
    for table in soup.find_all("table", class_="PhorumListTable"):
        message = table.find(class_="PhorumMessage")
        if not isinstance(message, Tag):
            continue
        byline = _byline(message)
        if byline is None:
            continue
        author, date = byline
        found.append(Found(_post_id(table), table, message, author or None, date or None))
    return found


def _byline(message: Tag) -> tuple[str, str] | None:
    """The name and the date from the message's first two lines, which are taken out of it; None (and the message
    untouched) when those lines are not two "label: value" lines."""
    lines = [_line(message, 0), _line(message, 1)]
    values = [_value(line) for line in lines if line is not None]
    if len(values) < 2 or values[0] is None or values[1] is None or not any(c.isdigit() for c in values[1]):
        return None
    for line in lines:
        for node in line or ():
            node.extract()
    return _HOST.sub("", values[0]).strip(), values[1]


def _line(message: Tag, index: int) -> list[PageElement] | None:
    """The nodes of the message's line `index` (counted by <br>), its closing <br> included."""
    line: list[PageElement] = []
    seen = 0
    for node in message.children:
        if isinstance(node, Tag) and node.name != "br" and node.name not in ("b", "strong", "font", "span", "a"):
            return None  # a block before the byline ended: no Phorum byline
        if seen == index:
            line.append(node)
        if isinstance(node, Tag) and node.name == "br":
            if seen == index:
                return line
            seen += 1
    return None


def _value(line: list[PageElement] | None) -> str | None:
    """ "Author: ana" → "ana"; None for a line without a label."""
    text = " ".join("".join(node_text(node) for node in line or ()).replace("\xa0", " ").split())
    label, colon, value = text.partition(":")
    return value.strip() if colon and label.strip() and len(label) < 40 else None


def _post_id(table: Tag) -> str:
    """The anchor's N right before the table, else the `i=` of the table's last message link (the report or reply
    link under the words, after any link the poster wrote)."""
    anchor = table.find_previous_sibling(True)
    if isinstance(anchor, Tag) and anchor.name == "a" and (match := _ANCHOR.match(attr(anchor, "name"))):
        return match.group(1)
    links = table.find_all("a", href=_MESSAGE_LINK)
    match = _MESSAGE_LINK.search(attr(links[-1], "href")) if links else None
    return match.group(1) if match else ""


ENGINE = Engine("Phorum", find, ".PhorumListTable .PhorumTableHeader", "reply_{}")
