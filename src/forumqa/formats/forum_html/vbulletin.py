"""vBulletin 3, 4 and 5 pages and their quote blocks ("Originally Posted by")."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, QuoteMark, attr, classes, flat_text, inline_text, name_of, own, post_in

_VBULLETIN_BODY_ID = re.compile(r"^post_message_(\d+)$")


def _container(body: Tag, post: str) -> Tag:
    """vB4 wraps a post in li#post_<id>, vB3 in table#post<id>; failing both, the body's own block."""
    for key in (f"post_{post}", f"post{post}"):
        if (container := body.find_parent(id=key)) is not None:
            return container
    return body.find_parent("li") or body.find_parent("table") or body


def find(soup: BeautifulSoup) -> list[Found]:
    """vBulletin 3/4: div#post_message_<id>; vBulletin 5: [data-node-id] holding .js-post__content-text."""
    pairs: list[tuple[str, Tag, Tag]] = []
    for body in soup.find_all(id=_VBULLETIN_BODY_ID):
        if number := _VBULLETIN_BODY_ID.match(attr(body, "id")):
            pairs.append((number.group(1), _container(body, number.group(1)), body))
    for body in soup.find_all(class_="js-post__content-text"):
        container = body.find_parent(attrs={"data-node-id": True})
        if container is not None:
            pairs.append((attr(container, "data-node-id"), container, body))
    ids = {id(container) for _, container, _ in pairs}
    found = []
    for post, container, body in pairs:
        author = own(
            container,
            ".username_container .username, a.username, .username, a.bigusername, .bigusername, .author a, [itemprop=author]",
            ids,
            avoid=body,
        )
        # vB3's plain postbit puts "#2" (floated right) and the date in one td.thead, each in a div.normal; a div-based
        # postbit (PPRuNe's "trow thead" of "tcell"s) puts the date in the header row's first cell, the "#2" in the next
        dates = (
            "time[itemprop=dateCreated], span.date, .postdate, td.thead > div.normal:not([style*=float]), td.thead, "
            "div.thead > div:first-child"
        )
        stamp = own(container, dates, ids, avoid=body)
        date = attr(stamp, "datetime") or inline_text(stamp) or None
        found.append(Found(post, container, body, inline_text(author) or None, date))
    return found


def quote(tag: Tag) -> QuoteMark:
    """vBulletin 4/5 div.bbcode_quote: "Originally Posted by <strong>X</strong> <a href=…p=N>" then div.message."""
    by = tag.find(class_="bbcode_postedby")
    name = by.find("strong") if by is not None else None
    author = flat_text(name) if name is not None else name_of(flat_text(by))
    post = post_in(by.find("a", href=True)) if by is not None else None
    content = tag.find(class_="message") or tag.find(class_="quote_container") or tag
    return QuoteMark(author or None, post, content)


def _posted_by(cell: Tag) -> Tag | None:
    """The attribution line: "Originally Posted by <strong>X</strong>", or a translation ("Zitat von <strong>X</strong>")."""
    divs = cell.find_all("div", recursive=False)
    first = next((node for node in cell.children if isinstance(node, Tag) or str(node).strip()), None)
    if len(divs) >= 2 and first is divs[0] and divs[0].find("strong", recursive=False) is not None:
        return divs[0]
    return next((d for d in divs if "Originally Posted by" in flat_text(d)), None)


def quote_v3(tag: Tag) -> QuoteMark | None:
    """vBulletin 3: <div><div class=smallfont>Quote:</div><table>…<td><div>Originally Posted by <strong>X</strong>…

    Translated boards label it otherwise ("Zitat:", "Citation :"), so the label is known by its place: a short
    smallfont line ending in a colon, followed by the quote's table.
    """
    label = tag.find(True, recursive=False)
    following = label.find_next_sibling(True) if label is not None else None
    if label is None or "smallfont" not in classes(label) or following is None or following.name != "table":
        return None
    if not flat_text(label).endswith(":") or len(flat_text(label)) > 30:
        return None
    cell = tag.find("td")
    if cell is None:
        return None
    by = _posted_by(cell)
    if by is None:
        return QuoteMark(None, None, cell)
    name = by.find("strong")
    mark = QuoteMark(flat_text(name) if name is not None else name_of(flat_text(by)), post_in(by.find("a", href=True)), cell)
    by.decompose()
    return mark


ENGINE = Engine("vBulletin", find, "span.threadtitle, h1.main-title, #pagetitle h1, td.navbar strong", "post{}")
