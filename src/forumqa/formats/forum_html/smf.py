"""Simple Machines Forum (SMF 2.0 and 2.1) topic pages: `div.post_wrapper` posts, `div.inner#msg_N` bodies.

SMF marks no microdata, so its pages need their own engine. Its quotes are a header ("Quote from:
ana on January 01, 2020…", linking to `msgN`; a `div.quoteheader` before the blockquote in 2.0, a
`cite` inside it in 2.1) over a `blockquote.bbc_standard_quote`; they are rewritten into the quote
form body.py credits (markup.mark_quote), with the header dropped. The labels are the board's
language ("Cita de: ana en …"), so the name is what lies between the first ": " and a closing
" on|en|am|le|il|op|em <date>", and the post is read from the link.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, inline_text, mark_quote, own

_BODY_ID = re.compile(r"^msg_(\d+)$")
_QUOTE_BLOCKS = "blockquote.bbc_standard_quote, blockquote.bbc_alternate_quote"
#: "Quote from: ana on January 01, 2020, 12:00:00 PM" in the board's language; a bare "Quote" names no one.
_QUOTE_FROM = re.compile(r"^[^:]+:\s*(?P<name>.+?)(?:\s+(?:on|en|am|le|il|op|em|på|w|dne)\s+.*\d.*)?$", re.IGNORECASE)
_MSG_LINK = re.compile(r"\bmsg(\d+)")
#: "« on: January 01, 2020 »", "« Reply #2 on: … »": the date after the label.
_DATE_LABEL = re.compile(r"^(?:.*?\s)?[^\s:]+:\s+")
#: Furniture inside a body: a code box's "Code: [Select]" header and 2.0's empty quote footer.
_CHROME = "div.codeheader, div.quotefooter"


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: div.post_wrapper holding a div.inner#msg_N body; a page with none is not SMF's."""
    wrappers = [w for w in soup.select("div.post_wrapper") if w.select_one("div.inner[id^=msg_]") is not None]
    ids = {id(wrapper) for wrapper in wrappers}
    found = []
    for wrapper in wrappers:
        body = own(wrapper, "div.inner[id^=msg_]", ids)
        number = _BODY_ID.match(attr(body, "id"))
        if body is not None:
            _tidy(body)
        # themes put an online-status icon link before the profile link in the h4 (geekhack's "Nostalgia"): the named one
        author = inline_text(own(wrapper, ".poster h4 a", ids, named=True) or own(wrapper, ".poster h4", ids)) or None
        stamp = own(wrapper, ".keyinfo .postinfo .smalltext, .keyinfo .smalltext", ids, avoid=body)
        found.append(Found(number.group(1) if number else "", wrapper, body, author, _date(stamp)))
    return found


def _date(stamp: Tag | None) -> str | None:
    text = flat_text(stamp).strip("«» ")
    return _DATE_LABEL.sub("", text, count=1).strip("«» ") or None


def _tidy(body: Tag) -> None:
    for chrome in body.select(_CHROME):
        chrome.decompose()
    for block in reversed(body.select(_QUOTE_BLOCKS)):  # innermost first: an outer quote holds its nested ones
        header = block.find("cite", recursive=False) or _header_before(block)
        said = _QUOTE_FROM.match(flat_text(header)) if isinstance(header, Tag) else None
        link = header.find("a", href=_MSG_LINK) if isinstance(header, Tag) else None
        post = _MSG_LINK.search(attr(link, "href")) if isinstance(link, Tag) else None
        if isinstance(header, Tag):
            header.decompose()
        mark_quote(block, said.group("name") if said else None, post.group(1) if post else None)


def _header_before(block: Tag) -> Tag | None:
    """SMF 2.0's div.quoteheader, the element right before its blockquote."""
    previous = block.find_previous_sibling(True)
    return previous if isinstance(previous, Tag) and "quoteheader" in attr(previous, "class").split() else None


ENGINE = Engine("Simple Machines Forum", find, "#top_subject, #display_head h2, h5[id^=subject_] a", "msg{}")
