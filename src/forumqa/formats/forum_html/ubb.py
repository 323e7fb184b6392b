"""Ultimate Bulletin Board (UBB.classic 6, Infopop, 2000-2004) topic pages: ultimatebb.cgi?ubb=get_topic, and the
static topic pages of its predecessor UBB 5 (ubb/Forum3/HTML/002668.html).

UBB marks no post with an id or a class. Each post is a table row of two cells: the poster's (the name in
`<b>`, "Member # N", the rating) and the message's: the post icon, a small-font line "posted December 18,
2001 12:38 AM" with the profile, edit and quote buttons, a rule, the message in its own `<font>`, a rule,
and a small-font "Posts: N | IP: Logged" line. The buttons are the marks: the edit, quote and IP links
carry the post's number in the topic (`ubb=edit_post&…&reply_num=000002`, `ubb=reply&…&replyto=000002`),
which no other engine's page has. The number is the post's id and the page has no anchor per post, so a
post links to its topic (`ubb=get_topic&f=…&t=…`, built from those links).
The signature UBB appends under a line of dashes and its "[This message has been edited by …]" note are
not the poster's words. A quote is vBulletin 2's form, which copied UBB's: `<blockquote>` with a
small-font "quote:" label and `<hr>`, then "Originally posted by ana:" and a line break over the quoted
words, and a closing `<hr>`; it is rewritten into the quote form body.py credits (markup.ruled_quote).
UBB 5 writes the same row, but its buttons are postings.cgi / ubbmisc.cgi links (`action=editpost&…&ReplyNum=000001`,
`action=getip&…`), and the byline, the rule and the message's words all sit loose in one `<font>` of the cell: the
message is what follows the rule there. Its page is static and links to itself only through the "email this page"
button (`ubbmisc.cgi?action=sendthread&thread=<the page's address>`), which gives the topic's address.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PageElement

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, inline_text, name_of, node_text, ruled_quote
from forumqa.formats.forum_html.page import iso_date

#: A button of one post: UBB's edit, quote and IP links name the post by its number in the topic.
_POST_LINK = re.compile(
    r"[?&](?:ubb=(?:edit_post|reply|get_ip)\b.*?[?&](?:reply_num|replyto)|action=(?:editpost|getip)\b.*?[?&]replynum)=(\d+)",
    re.IGNORECASE,
)
#: UBB 5's "email this page to someone" button, which names the static topic page.
_SEND_THREAD = re.compile(r"[?&]action=sendthread\b", re.IGNORECASE)
_TOPIC = re.compile(r"[?&](f|t)=(\w+)")
#: The line UBB writes between a message and its signature.
_SIGNATURE_RULE = re.compile(r"^-{10,}$")
_EDIT_NOTE = re.compile(r"^\[This message has been edited by .*\]$", re.DOTALL)
#: "Originally posted by ana:" (the name in <b> or <strong> on some skins).
_ATTRIBUTION = re.compile(r"^\s*originally posted by\s*(.*?)\s*:?\s*$", re.IGNORECASE | re.DOTALL)


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: a row whose last cell links to one post's edit, quote or IP button and whose first cell names the poster."""
    found: list[Found] = []
    rows: set[int] = set()
    static = _static_topic(soup)
    for link in soup.find_all("a", href=_POST_LINK):
        cell = link.find_parent("td")
        row = cell.find_parent("tr") if cell is not None else None
        cells = row.find_all("td", recursive=False) if row is not None else []
        if row is None or id(row) in rows or len(cells) < 2 or cells[-1] is not cell:
            continue
        author = inline_text(cells[0].find(["b", "strong"]))
        match = _POST_LINK.search(attr(link, "href"))
        if not author or match is None:
            continue
        rows.add(id(row))
        rule = cell.find("hr", recursive=False) or cell.find("hr")
        date = _date(rule)
        body = _body(cell, rule)
        url = _topic(attr(link, "href")) or static
        found.append(Found(str(int(match.group(1))), row, body, author, date, url))
    return found


def _body(cell: Tag, rule: Tag | None) -> Tag | None:
    """The message: UBB 6's element after the cell's first rule (the byline and buttons come before it), or, where
    the rule sits inside a wrapping `<font>` (UBB 5), that wrapper less the byline and the rule."""
    if rule is None:
        return None
    if rule.parent is not cell and isinstance(rule.parent, Tag):
        body: PageElement | None = rule.parent
        for node in [*rule.previous_siblings, rule]:
            node.extract()
    else:
        body = rule.find_next_sibling()
    if not isinstance(body, Tag) or body.name == "hr":
        return None
    _drop_signature(body)
    for note in body.find_all(string=_EDIT_NOTE):
        note.extract()
    for block in reversed(body.find_all("blockquote")):  # innermost first: an outer quote holds its nested ones
        ruled_quote(block, _attribution)
    return body


def _date(rule: Tag | None) -> str | None:
    """The byline before the first rule, "posted December 18, 2001 12:38 AM", less its label (in the board's language)."""
    byline = rule.find_previous_sibling("font") if rule is not None else None
    words = inline_text(byline).split()
    for start in range(min(len(words), 3)):
        candidate = " ".join(words[start:])
        if iso_date(candidate, None):
            return candidate
    return None


def _topic(href: str) -> str | None:
    """The topic's own address, from a button's link: ultimatebb.cgi?ubb=get_topic&f=F&t=T."""
    if not href.startswith(("http://", "https://")):
        return None
    params = dict(_TOPIC.findall(href))
    if "f" not in params or "t" not in params:
        return None
    return f"{href.split('?', 1)[0]}?ubb=get_topic&f={params['f']}&t={params['t']}"


def _static_topic(soup: BeautifulSoup) -> str | None:
    """UBB 5's topic address, from its "email this page" button (`thread=` names the static page)."""
    link = soup.find("a", href=_SEND_THREAD)
    query = urlsplit(attr(link, "href")).query if link is not None else ""
    thread = parse_qs(query).get("thread", [""])[0]
    return thread if thread.startswith(("http://", "https://")) else None


def _drop_signature(body: Tag) -> None:
    """Everything from the dashes line on: the signature, which UBB appends to the message itself."""
    marker = body.find(string=lambda text: bool(_SIGNATURE_RULE.match(text.strip())))
    if marker is None:
        return
    following = [node for node in marker.next_elements if body in node.parents]
    for node in (marker, *following):
        if isinstance(node, NavigableString) or (isinstance(node, Tag) and node.name in ("br", "img", "a")):
            node.extract()


def _attribution(line: list[PageElement]) -> str | None:
    """The writer of "Originally posted by ana:" (the name in <b> on some skins)."""
    match = _ATTRIBUTION.match(" ".join(node_text(node) for node in line))
    if match is None:
        return None
    bold = next((node for node in line if isinstance(node, Tag) and node.name in ("b", "strong")), None)
    return flat_text(bold) if bold is not None else name_of(match.group(1))


ENGINE = Engine("UBB.classic", find, "title", "")
