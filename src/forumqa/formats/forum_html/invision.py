"""Invision Community (IPS) topic pages: `article#elComment_<id>` posts, whatever microdata a version carries.

Invision 4 marks each post as a schema.org Comment but the topic as no DiscussionForumPosting, and
Invision 5 drops the microdata, so neither is read by schema_org; the post markup itself has stayed
the same across versions (`article#elComment_N`, the text in `[data-role=commentContent]`, the author
in the author pane), and scrapers of Invision boards key on exactly that. Quotes
(`blockquote.ipsQuote` with the quoted member and comment id) and the edit line are tidied as
schema_org does.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from forumqa.formats.forum_html.markup import Engine, Found, attr, inline_text, own
from forumqa.formats.forum_html.schema_org import tidy

_COMMENT_ID = re.compile(r"^elComment_(\d+)$")
#: The author pane's name, in the forms Invision 4 and 5 write it, most specific first.
_AUTHOR = (
    ".cAuthorPane_author [itemprop=name], .cAuthorPane_author, .ipsEntry__username, [data-role=authorName], "
    ".cAuthorPane a[href*='/profile/']"
)


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: article#elComment_N holding a [data-role=commentContent] body; a page with none is not Invision's."""
    articles = soup.find_all("article", id=_COMMENT_ID)
    ids = {id(article) for article in articles}
    found = []
    for article in articles:
        body = own(article, "[data-role=commentContent]", ids)
        if body is not None:
            tidy(body, None)
        stamp = own(article, "time[datetime]", ids, avoid=body)
        number = _COMMENT_ID.match(attr(article, "id"))
        author = inline_text(own(article, _AUTHOR, ids, avoid=body)) or None
        found.append(Found(number.group(1) if number else "", article, body, author, attr(stamp, "datetime") or None))
    return found if any(f.body is not None for f in found) else []


ENGINE = Engine("Invision Community", find, "h1.ipsType_pageTitle, h1[data-ips-hook=title], h1", "elComment_{}")
