"""vBulletin 2 thread pages (showthread.php, 2000-2004): one table row per post, anchored by `<a name="postN">`.

vBulletin 2 marks no post body with an id or a class: its "postbit" template is a row of two cells, the
poster's (the `<a name="postN">` anchor, the name in `<b>`, title, join date, post count) and the
message's (a small-font line with the post icon and title, then the message in its own `<p>`, the
signature, the "Last edited by" note and the "Report this post to a moderator | IP: Logged" line, each
a small-font `<p>`), and under it a row whose first cell holds the date ("08-25-2004 08:19 PM") and
whose second the profile, edit and quote buttons. The rows are recognised by that anchor and by a
link to the same post (`postid=N`, the report, edit or quote link), which no other engine's page has.
A quote is `<blockquote>` with a small-font "quote:" label and `<hr>`, then "Originally posted by
<b>ana</b>" and a line break over the quoted words, and a closing `<hr>`; it is rewritten into the
quote form body.py credits (markup.ruled_quote), the label, rules and attribution dropped.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import PageElement

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, inline_text, node_text, ruled_quote

_ANCHOR = re.compile(r"^post(\d+)$")
#: The signature's rule, as vBulletin 2 writes it over the signature.
_SIGNATURE_RULE = "__________"


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: a row whose first cell holds <a name="postN"> and whose rows link to postid=N; none, not vBulletin 2's."""
    found = []
    for anchor in soup.find_all("a", attrs={"name": _ANCHOR}):
        number = _ANCHOR.match(attr(anchor, "name"))
        cell = anchor.find_parent("td")
        row = cell.find_parent("tr") if cell is not None else None
        cells = row.find_all("td", recursive=False) if row is not None else []
        if number is None or row is None or len(cells) < 2 or cells[0] is not cell:
            continue
        post = number.group(1)
        footer = row.find_next_sibling("tr")
        if not _links_to(post, row, footer):
            continue
        body = cells[1]
        _tidy(body)
        author = inline_text(cell.find("b")) or None
        stamp = footer.find("td") if isinstance(footer, Tag) else None
        found.append(Found(post, row, body, author, inline_text(stamp) or None))
    return found


def _links_to(post: str, *rows: Tag | None) -> bool:
    """A report, edit or quote link to this post in its rows: `…?…postid=N`."""
    pattern = re.compile(rf"[?&;]postid={post}(?:\D|$)")
    return any(pattern.search(attr(link, "href")) for row in rows if row is not None for link in row.find_all("a", href=True))


def _tidy(body: Tag) -> None:
    """Leave the message: drop the icon-and-title line, the small-font paragraphs around the message, and quote labels."""
    first = next((node for node in body.children if isinstance(node, Tag)), None)
    if first is not None and first.name == "font":
        first.decompose()  # the post icon and title, over the message
    for paragraph in body.find_all("p", recursive=False):
        if _is_furniture(paragraph):
            paragraph.decompose()
    for block in reversed(body.find_all("blockquote")):  # innermost first: an outer quote holds its nested ones
        ruled_quote(block, _attribution)


def _is_furniture(paragraph: Tag) -> bool:
    """The report line (right-aligned), the signature (under its rule) and the edit note (all in small font)."""
    if attr(paragraph, "align").lower() == "right" or flat_text(paragraph).startswith(_SIGNATURE_RULE):
        return True
    parts = [node for node in paragraph.children if isinstance(node, Tag) or str(node).strip()]
    return len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name == "font" and attr(parts[0], "size") == "1"


def _attribution(line: list[PageElement]) -> str | None:
    """The <b> of "Originally posted by <b>ana</b>", on a line short enough to be just that."""
    name = next((node for node in line if isinstance(node, Tag) and node.name == "b"), None)
    if name is None or len(" ".join(node_text(node) for node in line).split()) > 12:
        return None
    return flat_text(name)


ENGINE = Engine("vBulletin 2", find, "title", "post{}")
