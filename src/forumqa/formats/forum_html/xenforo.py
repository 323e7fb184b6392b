"""XenForo 2 pages and their quote blocks, which record the quoted member and post."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, QuoteMark, attr, classes, flat_text, inline_text, name_of, own

_XENFORO_ID = re.compile(r"^js-post-(\d+)$")


def find(soup: BeautifulSoup) -> list[Found]:
    """XenForo 2: article#js-post-<id>.message with data-author, a time[datetime] and div.bbWrapper."""
    articles = [a for a in soup.find_all("article", id=_XENFORO_ID) if "message" in classes(a)]
    ids = {id(a) for a in articles}
    found = []
    for article in articles:
        body = own(article, ".message-body .bbWrapper, .message-userContent .bbWrapper", ids)
        author = attr(article, "data-author") or inline_text(own(article, ".message-name .username, .message-name", ids))
        stamp = own(article, ".message-attribution-main time[datetime], .message-attribution time[datetime]", ids)
        post = _XENFORO_ID.match(attr(article, "id"))
        found.append(Found(post.group(1) if post else "", article, body, author or None, attr(stamp, "datetime") or None))
    return found


def quote(tag: Tag) -> QuoteMark:
    """XenForo 2 records the quoted member and post: data-quote="Name" data-source="post: 27"."""
    source = re.fullmatch(r"\s*post:\s*(\d+)\s*", attr(tag, "data-source"))
    author = attr(tag, "data-quote") or name_of(flat_text(tag.find(class_="bbCodeBlock-title")))
    content = tag.find(class_="bbCodeBlock-expandContent") or tag.find(class_="bbCodeBlock-content") or tag
    return QuoteMark(author or None, source.group(1) if source else None, content)


ENGINE = Engine("XenForo", find, "h1.p-title-value", "post-{}")
