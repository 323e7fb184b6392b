"""PunBB 1.2 and FluxBB 1.4/1.5 topic pages (viewtopic.php): `div.blockpost#pN` posts with a `div.postmsg` body.

Both write each post as `div.blockpost#pN` (`rowodd`/`roweven`, `firstpost` on the topic's first): an `h2`
with the post number and the date linking to `viewtopic.php?pid=N#pN`, a `div.postleft` profile (the name
in its `dt > strong`, then title, avatar, location, registration and post count), and a `div.postright`
holding the subject (`h3`), the message (`div.postmsg`), the "Last edited by" note (`p.postedit`, inside
the message) and the signature (`div.postsignature`, which FluxBB also classes `postmsg`). PunBB 1.2
writes a quote as `blockquote > div.incqbox` with an `h4` "ana wrote:" before the quoted words; FluxBB
as `div.quotebox` with a `cite` "ana wrote:" before its `blockquote`. Both are rewritten into the quote
form body.py credits (markup.mark_quote). Neither links a quote to the quoted post. PunBB 1.2 shows
recent dates as "Today 04:14:08" and "Yesterday 20:47:30", which name no day: those posts get no date.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, attr, classes, flat_text, headed_quote, inline_text, mark_quote, name_of, own

_POST_ID = re.compile(r"^p(\d+)$")
#: Furniture inside a message: the "Last edited by ana (date)" note.
_CHROME = "p.postedit"


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: div.blockpost#pN holding a div.postmsg; a page with none is not PunBB's or FluxBB's."""
    posts = [p for p in soup.find_all("div", id=_POST_ID) if "blockpost" in classes(p) and _body(p) is not None]
    ids = {id(post) for post in posts}
    found = []
    for post in posts:
        body = _body(post)
        number = _POST_ID.match(attr(post, "id"))
        if body is not None:
            _tidy(body)
        author = inline_text(own(post, ".postleft dt strong, .postleft dt", ids, avoid=body)) or None
        stamp = own(post, "h2 a", ids, avoid=body)
        link = attr(stamp, "href")
        url = link if link.startswith(("http://", "https://")) else None
        found.append(Found(number.group(1) if number else "", post, body, author, flat_text(stamp) or None, url=url))
    return found


def _body(post: Tag) -> Tag | None:
    """The message: the first div.postmsg that is not FluxBB's signature (div.postsignature.postmsg)."""
    for tag in post.select("div.postmsg"):
        if "postsignature" not in classes(tag):
            return tag
    return None


def _tidy(body: Tag) -> None:
    for chrome in body.select(_CHROME):
        chrome.decompose()
    for box in reversed(body.select("div.quotebox")):  # FluxBB; innermost first: an outer quote holds nested ones
        cite = box.find("cite", recursive=False)
        cite = cite if isinstance(cite, Tag) else None
        headed_quote(box, cite, name_of(flat_text(cite)) if cite is not None else None, None)
    for block in reversed(body.select("blockquote")):  # PunBB 1.2: blockquote > div.incqbox > h4 "ana wrote:"
        if block.has_attr("data-quote"):
            continue
        incq = block.find("div", class_="incqbox")
        heading = incq.find("h4", recursive=False) if isinstance(incq, Tag) else None
        name = name_of(flat_text(heading)) if isinstance(heading, Tag) else None
        if isinstance(heading, Tag):
            heading.decompose()
        mark_quote(block, name, None)


ENGINE = Engine("PunBB/FluxBB", find, ".blockpost.firstpost .postright h3, .crumbs li strong a", "p{}")
