"""Discuz! thread pages (X2 to X3.5, and 7.x): `div#post_N` (7.x: `table#pidN`) posts with a `#postmessage_N` body.

Discuz! runs a large share of Chinese-language boards and marks no microdata. A post's author is the
name link in its `td.pls` profile column (`div.authi`), its date the `em#authorposton<N>` line
("发表于 2018-11-1 23:44", or a relative "前天 14:21" whose full date is the title of the span inside).
A quote is `div.quote > blockquote` opening with "NAME 发表于 DATE" (7.x: "原帖由 <i>NAME</i> 于 DATE 发表")
and a findpost link to the quoted post; it is rewritten into the quote form body.py credits
(markup.mark_quote), the attribution dropped. The profile column, the signature (`div.sign`, outside
the body), the "本帖最后由 X 于 … 编辑" edit note, anti-copy "jammer" text, attachment pop-ups and
the "log in to download" notice are not text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import PageElement

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, inline_text, mark_quote, own

_BODY_ID = re.compile(r"^postmessage_(\d+)$")
_FINDPOST = re.compile(r"[?&]pid=(\d+)")
#: "ana 发表于 2020-10-30 14:21" (simplified), "發表於" (traditional), "ana posted on 2020-10-30 14:21" (English pack).
_SAID = re.compile(r"^(?P<name>.+?)\s*(?:发表于|發表於|posted on)\s*\d")
#: 7.x: "原帖由 ana 于 2009-1-1 12:00 发表" (traditional: "原帖由 ana 於 … 發表").
_SAID_7 = re.compile(r"原帖由\s*(?P<name>.+?)\s*[于於]\s*\d")
#: Furniture inside a body: edit note, anti-copy noise, attachment pop-ups and notices, code boxes' "复制代码" button.
_CHROME = "i.pstatus, font.jammer, span[style*='display:none'], div.tip, div.attach_nopermission, div.locked, div.blockcode em"


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: a #postmessage_N body in its div#post_N (X) or table#pidN (7.x); a page with none is not Discuz!'s."""
    pairs: list[tuple[str, Tag, Tag]] = []
    for body in soup.find_all(id=_BODY_ID):
        number = _BODY_ID.match(attr(body, "id"))
        if number is None or body.name == "textarea":
            continue
        post = number.group(1)
        container = body.find_parent(id=f"post_{post}") or body.find_parent("table", id=f"pid{post}")
        if container is not None:
            pairs.append((post, container, body))
    ids = {id(container) for _, container, _ in pairs}
    found = []
    for post, container, body in pairs:
        _tidy(body)
        author = own(container, ".pls .authi a, td.postauthor cite a, td.postauthor .postinfo a", ids, named=True)
        found.append(Found(post, container, body, inline_text(author) or None, _date(container.find(id=f"authorposton{post}"))))
    return found


def _date(stamp: Tag | None) -> str | None:
    """The full date: a relative one's span title, else the line without its "发表于" label."""
    if stamp is None:
        return None
    titled = stamp.find(title=re.compile(r"\d{4}"))
    text = attr(titled, "title") if titled is not None else flat_text(stamp)
    start = re.search(r"\d", text)
    return text[start.start() :].strip() if start else None


def _tidy(body: Tag) -> None:
    for chrome in body.select(_CHROME):
        chrome.decompose()
    for block in reversed(body.select("div.quote > blockquote")):  # innermost first: an outer quote holds its nested ones
        link = block.find("a", href=_FINDPOST)
        post = _FINDPOST.search(attr(link, "href")) if isinstance(link, Tag) else None
        name = _attribution(block)
        if name is None:
            continue  # an unattributed quote stays the quote of outside text body.py makes of it
        label = block.parent.find("h5", recursive=False) if block.parent is not None else None
        if label is not None:
            label.decompose()  # 7.x's "引用:" above the blockquote
        mark_quote(block, name, post.group(1) if post else None)


def _attribution(block: Tag) -> str | None:
    """The quoted writer's name, its attribution line removed from the block (up to the first <br>)."""
    head: list[PageElement] = []
    for node in block.children:
        if isinstance(node, Tag) and node.name == "br":
            head.append(node)
            break
        if isinstance(node, Tag) and node.name in ("div", "p", "blockquote", "table"):
            return None
        head.append(node)
    line = " ".join("".join(n.get_text() if isinstance(n, Tag) else str(n) for n in head if not isinstance(n, Comment)).split())
    said = _SAID.match(line) or _SAID_7.search(line)
    if said is None:
        return None
    for node in head:
        node.extract()
    return said.group("name").strip() or None


ENGINE = Engine("Discuz!", find, "#thread_subject, h1.ts, #threadtitle h1", "pid{}")
