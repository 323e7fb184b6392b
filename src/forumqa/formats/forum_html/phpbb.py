"""phpBB 3.x pages: prosilver and its descendants, subsilver2 (3.0), and their quote blocks."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from forumqa.formats.forum_html.markup import Engine, Found, QuoteMark, attr, classes, flat_text, inline_text, name_of, own, post_in

_PHPBB_ID = re.compile(r"^p(\d+)$")


def find(soup: BeautifulSoup) -> list[Found]:
    """prosilver and its descendants: div#p<id>.post with p.author, dl.postprofile and div.content."""
    divs = [d for d in soup.find_all("div", id=_PHPBB_ID) if "post" in classes(d) and d.find(class_=("postbody", "content", "author"))]
    if not divs:
        return _find_subsilver(soup)
    ids = {id(d) for d in divs}
    found = []
    for div in divs:
        author = own(
            div, "p.author .username, p.author .username-coloured, dl.postprofile dt .username, dl.postprofile dt .username-coloured", ids
        )
        # phpBB 3.0 marks no username class: the profile's first link may be the avatar's, so the first one named
        author = author or own(div, "dl.postprofile dt a, p.author strong", ids, named=True)
        byline = own(div, "p.author", ids)
        stamp = byline.find("time", datetime=True) if byline else None
        shown = inline_text(byline)
        date = attr(stamp, "datetime") or (shown.rsplit("»", 1)[1] if "»" in shown else None)
        found.append(Found(attr(div, "id")[1:], div, own(div, "div.content", ids), inline_text(author) or None, date))
    return found


def _find_subsilver(soup: BeautifulSoup) -> list[Found]:
    """subsilver2 (phpBB 3.0): one table per post, anchored by <a name="p<id>">, body in div.postbody."""
    found = []
    for anchor in soup.find_all("a", attrs={"name": _PHPBB_ID}):
        table = anchor.find_parent("table")
        body = table.find("div", class_="postbody") if table else None
        if table is None or body is None:
            continue
        label = next((b for b in table.find_all("b") if flat_text(b).rstrip(":").lower() == "posted"), None)
        date = str(label.next_sibling) if label is not None and isinstance(label.next_sibling, NavigableString) else None
        found.append(Found(attr(anchor, "name")[1:], table, body, inline_text(table.find(class_="postauthor")) or None, date))
    return found


def quote(tag: Tag) -> QuoteMark:
    """phpBB 3.x <blockquote><div><cite>X wrote: <a data-post-id=N>↑</a><div>date</div></cite>…; uncited = outside text."""
    cite = tag.find("cite")
    if cite is None or cite.find_parent("blockquote") is not tag:
        return QuoteMark(None, None, tag)
    back = cite.select_one("[data-post-id]") or next((a for a in cite.find_all("a") if post_in(a)), None)
    person = next((a for a in cite.find_all("a") if a is not back and flat_text(a)), None)
    author = flat_text(person) if person is not None else name_of(" ".join(cite.find_all(string=True, recursive=False)))
    post = post_in(back)
    cite.decompose()
    return QuoteMark(author or None, post, tag)


def titled_quote(tag: Tag) -> QuoteMark:
    """Older phpBB: div.quotetitle "X wrote:" then div.quotecontent."""
    title = tag.find_previous_sibling(class_="quotetitle")
    return QuoteMark(name_of(flat_text(title)), None, tag)


# phpBB 3.0's prosilver gives the topic's heading no class: it is the h2 right inside #page-body
ENGINE = Engine("phpBB", find, "h2.topic-title, #page-body > h2, a.titles, h3.first", "p{}")
