"""phpBB 3.x printer view (viewtopic.php?…&view=print): posts without ids, in the order the page shows them.

prosilver's viewtopic_print.html writes, inside div#page-body, one div.post per post: h3 subject,
div.date "Posted: <strong>date</strong>", div.author "by <strong>Name</strong>", div.content; an <hr />
between posts. Quotes are the usual <blockquote><div><cite>X wrote:</cite>…, read by `phpbb.quote`.
There is no post id on the page, so a post's position ("1", "2", …) stands in for one.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from forumqa.formats.forum_html.markup import Engine, Found, attr, inline_text, own


def find(soup: BeautifulSoup) -> list[Found]:
    """div#page-body > div.post holding div.author and div.content, and no phpBB post id (a normal page has one)."""
    body = soup.find("div", id="page-body")
    if body is None:
        return []
    divs = [
        d
        for d in body.find_all("div", class_="post")
        if not attr(d, "id") and d.find("div", class_="author") is not None and d.find("div", class_="content") is not None
    ]
    ids = {id(d) for d in divs}
    found = []
    for number, div in enumerate(divs, start=1):
        author = own(div, "div.author strong", ids)
        stamp = own(div, "div.date strong", ids)
        found.append(Found(str(number), div, own(div, "div.content", ids), inline_text(author) or None, inline_text(stamp) or None))
    return found


ENGINE = Engine("phpBB print view", find, "#page-header h2", "", "#page-header h2 + p a[href]")
