"""vBulletin 3/4 archive pages (archive/index.php/t-123.html, the "lite" pages wget mirrors of old boards hold).

archive/index.php writes, after p.largefont "View Full Version : <a>title</a>", one div.post per post:
div.posttop (div.username, div.date "01-15-2012, 03:45 PM") and div.posttext, the post's text with its
BB code stripped and its line breaks as <br />. A quote is then plain text: at most a "Quote:" line and an
"Originally Posted by X" line (kept by boards and by pasted text) before the quoted lines, which run to
the next blank line. Such a run becomes a quote block credited to X; a bare [quote] stripped to its words
cannot be told from the poster's own. Where the page keeps vBulletin 3's quote markup, `vbulletin.quote_v3`
reads it. There is no post id on the page, so a post's position ("1", "2", …) stands in for one.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from forumqa.formats.forum_html.markup import BLOCK_TAGS, Engine, Found, inline_text, own

_QUOTE_LABEL = re.compile(r"^(?:quote|zitat|citation)\s*:?$", re.IGNORECASE)
_POSTED_BY = re.compile(r"^(?:(?:quote|zitat|citation)\s*:\s*)?(?:originally posted by|zitat von)\s+(.+?)\s*$", re.IGNORECASE)


def find(soup: BeautifulSoup) -> list[Found]:
    """div.post > div.posttop (div.username, div.date) + div.posttext."""
    divs = [d for d in soup.find_all("div", class_="post") if d.find("div", class_="posttext") is not None]
    ids = {id(d) for d in divs}
    found = []
    for number, div in enumerate(divs, start=1):
        body = own(div, "div.posttext", ids)
        if body is not None:
            _mark_quotes(body)
        author = own(div, "div.posttop div.username, div.username", ids, avoid=body)
        stamp = own(div, "div.posttop div.date, div.date", ids, avoid=body)
        found.append(Found(str(number), div, body, inline_text(author) or None, inline_text(stamp) or None))
    return found


def _lines(body: Tag) -> list[str] | None:
    """The body's lines when it is text broken by <br /> (inline tags read as their words); None when it holds blocks."""
    lines = [""]
    for node in body.children:
        if isinstance(node, Tag):
            if node.name == "br":
                lines.append("")
            elif node.name in BLOCK_TAGS or node.find(BLOCK_TAGS) is not None:
                return None
            else:
                lines[-1] += node.get_text()
        elif type(node) is NavigableString:
            lines[-1] += str(node)
        # comments and the like are no text
    return [" ".join(line.split()) for line in lines]


def _mark_quotes(body: Tag) -> None:
    """Rewrite a plain-text body's "Quote:" / "Originally Posted by X" runs as quote blocks (phpBB's cite form).

    Run once per page: a body already rewritten holds blockquotes, so `_lines` leaves it alone.
    """
    lines = _lines(body)
    if lines is None or not any(_QUOTE_LABEL.match(line) or _POSTED_BY.match(line) for line in lines):
        return
    maker = BeautifulSoup("", "html.parser")
    out: list[Tag | str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        label = _QUOTE_LABEL.match(line)
        by = _POSTED_BY.match(line)
        if not label and not by:
            out += [line, maker.new_tag("br")]
            index += 1
            continue
        index += 1
        author = by.group(1) if by else None
        if label and index < len(lines) and (more := _POSTED_BY.match(lines[index])):
            author, index = more.group(1), index + 1
        while index < len(lines) and not lines[index]:
            index += 1
        quoted: list[str] = []
        while index < len(lines) and lines[index]:
            quoted.append(lines[index])
            index += 1
        if not quoted:
            continue  # a label with nothing after it: no words of anyone's
        quote = maker.new_tag("blockquote")
        inner = maker.new_tag("div")
        quote.append(inner)
        if author:
            cite = maker.new_tag("cite")
            cite.append(f"{author} wrote:")
            inner.append(cite)
        for number, text in enumerate(quoted):
            if number:
                inner.append(maker.new_tag("br"))
            inner.append(text)
        out.append(quote)
    body.clear()
    for item in out:
        body.append(item)


ENGINE = Engine("vBulletin archive", find, "p.largefont a", "", "p.largefont a[href]")
