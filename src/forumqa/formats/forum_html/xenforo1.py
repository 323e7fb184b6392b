"""XenForo 1.x pages (still served by many archived boards) and their quote blocks.

XenForo 1 shares little markup with XenForo 2: a post is `li#post-<id>.message[data-author]` in
`ol#messageList`, its body `blockquote.messageText` (the signature is a `div.messageText` too, so the
tag name matters), its date an `abbr.DateTime[data-time]` (epoch seconds; the text may be relative,
"35 minutes ago") or, for older posts, `span.DateTime[title]` ("May 13, 2014 at 5:33 PM").
Some themes prefix the post id (UI.X writes `fc-post-<id>`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, QuoteMark, attr, classes, flat_text, inline_text, name_of, own, post_in

_XENFORO1_ID = re.compile(r"^(?:[A-Za-z]+-)?post-(\d+)$")


def find(soup: BeautifulSoup) -> list[Found]:
    """li#post-<id>.message with data-author, blockquote.messageText and a DateTime in its messageMeta."""
    items = [li for li in soup.find_all("li", id=_XENFORO1_ID) if "message" in classes(li)]
    ids = {id(li) for li in items}
    found = []
    for item in items:
        body = own(item, ".messageContent blockquote.messageText, blockquote.messageText", ids)
        author = attr(item, "data-author") or inline_text(own(item, ".messageUserInfo .username, .messageMeta .author", ids))
        stamp = own(item, ".messageMeta .datePermalink .DateTime, .messageMeta .DateTime, .messageDetails .DateTime", ids, avoid=body)
        post = _XENFORO1_ID.match(attr(item, "id"))
        found.append(Found(post.group(1) if post else "", item, body, author or None, _date(stamp)))
    return found


def _date(stamp: Tag | None) -> str | None:
    """data-time is the instant (UTC); title and data-datestring are in the saving visitor's zone, the text may be relative."""
    if stamp is None:
        return None
    epoch = attr(stamp, "data-time")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).isoformat()
    if attr(stamp, "title"):
        return attr(stamp, "title")
    if attr(stamp, "data-datestring") and attr(stamp, "data-timestring"):
        return f"{attr(stamp, 'data-datestring')} at {attr(stamp, 'data-timestring')}"
    return flat_text(stamp) or None


def _own_child(tag: Tag, selector: str) -> Tag | None:
    """The first match inside this quote block, not inside a quote nested in it."""
    for match in tag.select(selector):
        if match.find_parent(class_="bbCodeQuote") is tag:
            return match
    return None


def quote(tag: Tag) -> QuoteMark | None:
    """div.bbCodeQuote[data-author] > aside > div.attribution ("X said: ↑", linking goto/post?id=N) + the quoted text.

    Since 1.2 the text sits in blockquote.quoteContainer > div.quote (beside div.quoteExpand, "Click to
    expand..."); earlier it is the aside's plain blockquote. Spoiler add-ons reuse the class for the
    poster's own hidden text (their "attribution" holds the show/hide buttons): those are no quote.
    """
    if any("spoiler" in name.lower() for name in classes(tag)):
        return None
    attribution = _own_child(tag, ".attribution")
    link = None
    if attribution is not None:
        link = attribution.find("a", class_="AttributionLink") or next((a for a in attribution.find_all("a") if post_in(a)), None)
    said = " ".join(attribution.find_all(string=True, recursive=False)) if attribution is not None else ""
    author = attr(tag, "data-author") or name_of(said)
    content = _own_child(tag, "div.quote") or _own_child(tag, "blockquote.quoteContainer") or _own_child(tag, "blockquote") or tag
    return QuoteMark(author or None, post_in(link), content)


ENGINE = Engine("XenForo 1", find, "div.titleBar h1", "post-{}")
