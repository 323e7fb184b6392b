"""Vanilla Forums discussion pages (open-source Vanilla 2.1–4.x and Higher Logic's hosted Vanilla, classic views).

Vanilla marks no microdata. Its discussion view writes the first post as `div#Discussion_N.Item.ItemDiscussion`
and each comment as `li#Comment_N.Item.ItemComment` (cssClass() adds the Item* class, writeComment() the id):
the author in `.Author a.Username` (userAnchor), the date in `.DateCreated time[datetime]` (Gdn_Format::date
'html', an ISO datetime), the message in `div.Message.userContent` (a bare `div.Message` in 2.1), then reactions,
attachments and the Signatures plugin's `div.Signature.UserSignature.userContent`, none of it inside the
message. A list of discussions marks its rows `li#Discussion_N.ItemDiscussion` too, with no message:
only items holding a `.Message` are posts. Vanilla 2.0's `li.Item.Comment` items (no Item* class) and the
newer React thread layouts (hashed class names) are not read here.

Quotes come in the forms Vanilla's formatters write; each is rewritten into the quote form body.py credits
(markup.mark_quote), its attribution dropped:
- `blockquote.Quote.UserQuote > div.QuoteAuthor + div.QuoteText`: BBCode ("<a>ana</a> wrote: <a class=QuoteLink
  href=/discussion/comment/N#Comment_N>»</a>"), the Quotes plugin on Html and Markdown bodies ("<a>ana</a>
  said:") and Wysiwyg; a bare `blockquote.Quote[rel=ana]` when the plugin does not render it;
- the rich editor's quote embed, `div.js-embed[data-embedjson]` with embedType "quote": its JSON holds the
  quoted member (insertUser.name), the record (recordType/recordID, or commentID/discussionID), the url and
  the rendered body, so the quote is read from it whether or not the page's script had drawn the card; the
  server-drawn card of the first rich editor (`.embedQuote` with `.embedQuote-userName` and
  `.embedQuote-excerpt`) is read from its markup;
- a Markdown quote the Quotes plugin wrote ("> @ana said:" over the quoted lines): a plain blockquote whose
  first line is "ana said:".
A quote of a discussion links `/discussion/N`: the first post's id here is the discussion's id, so a quote
of the discussion on the page is known as such (comment and discussion ids are counted apart; should a
comment on the page share the discussion's number, the discussion's id is written "dN").
Other rich embeds (link cards, videos) become their address; images are left out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from forumqa.formats.forum_html.markup import BLOCK_TAGS, Engine, Found, attr, classes, flat_text, inline_text, mark_quote, name_of, own
from forumqa.formats.forum_html.page import page_url, thread_url

_ITEM_ID = re.compile(r"^(Discussion|Comment)_(\d+)$")
_ITEM_CLASS = {"Discussion": "ItemDiscussion", "Comment": "ItemComment"}
_BODY = ".Message.userContent, .Message"
_AUTHOR = ".Author .Username, a.Username, .Author a"
_DATE = ".DateCreated time[datetime], .Meta time[datetime], time[datetime]"
#: A link to a comment: /discussion/comment/N#Comment_N (BBCode's QuoteLink, the rich quote's url).
_COMMENT_LINK = re.compile(r"(?:#Comment_|/discussion/comment/)(\d+)")
#: A link to a discussion (BBCode's [quote="ana;d-45"], a rich quote of the first post): /discussion/45/slug.
_DISCUSSION_LINK = re.compile(r"/discussion/(\d+)(?:[/?#]|$)")
#: Furniture that some themes put inside a message: signatures, reaction bars.
_CHROME = ".UserSignature, .Signature, .Reactions, .ReactMenu"
#: How deep rich quote embeds are unfolded inside each other.
_MAX_DEPTH = 16


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: #Discussion_N.ItemDiscussion and #Comment_N.ItemComment items holding a .Message; else not Vanilla's."""
    items = [tag for tag in soup.find_all(id=_ITEM_ID) if _is_post(tag)]
    ids = {id(item) for item in items}
    comments = {attr(item, "id").removeprefix("Comment_") for item in items if attr(item, "id").startswith("Comment_")}
    found = []
    for item in items:
        match = _ITEM_ID.match(attr(item, "id"))
        kind, number = match.groups() if match else ("", "")
        body = own(item, _BODY, ids)
        # the photo link comes first in .Author (Vanilla.Comment.UserPhotoFirst) and has no words
        author = next((name for selector in _AUTHOR.split(",") if (name := inline_text(own(item, selector, ids, avoid=body)))), None)
        stamp = own(item, _DATE, ids, avoid=body)
        if body is not None:
            _tidy(body)
        if kind == "Discussion":
            post = number if number not in comments else f"d{number}"
            # the first post has no anchor of its own: it is the page itself
            url = page_url(soup) or thread_url(soup, ENGINE) or f"#Discussion_{number}"
            found.append(Found(post, item, body, author, attr(stamp, "datetime") or None, url))
        else:
            found.append(Found(number, item, body, author, attr(stamp, "datetime") or None))
    return found


def _is_post(tag: Tag) -> bool:
    match = _ITEM_ID.match(attr(tag, "id"))
    return match is not None and _ITEM_CLASS[match.group(1)] in classes(tag) and tag.select_one(".Message") is not None


def _tidy(body: Tag) -> None:
    for chrome in body.select(_CHROME):
        chrome.decompose()
    _embeds(body, 0)
    for card in reversed([c for c in body.find_all(True) if "embedQuote" in classes(c)]):
        _quote_card(card)
    blocks = [b for b in body.find_all("blockquote") if classes(b) & {"Quote", "UserQuote"} or b.has_attr("rel")]
    for block in reversed(blocks):  # innermost first: an outer quote holds its nested ones
        _user_quote(block)
    for block in reversed([b for b in body.find_all("blockquote") if not b.attrs]):
        _said_quote(block)


def _user_quote(block: Tag) -> None:
    """blockquote.Quote.UserQuote > div.QuoteAuthor ("<a>ana</a> wrote:", a QuoteLink to the post) + div.QuoteText."""
    header = block.find(class_="QuoteAuthor", recursive=False)
    author, post = None, None
    if isinstance(header, Tag):
        links = header.find_all("a")
        post = next((p for p in (_post_in(attr(a, "href")) for a in links) if p), None)
        person = next((a for a in links if "QuoteLink" not in classes(a) and flat_text(a).strip("»« ")), None)
        author = flat_text(person) if person is not None else None
        if author is None:
            for link in header.select("a.QuoteLink"):
                link.decompose()
            author = name_of(flat_text(header))
        header.decompose()
    text = block.find(class_="QuoteText", recursive=False)
    if isinstance(text, Tag):
        text.unwrap()
    mark_quote(block, (author or attr(block, "rel")).lstrip("@") or None, post)


def _embeds(scope: Tag, depth: int) -> None:
    """The rich editor's embeds in `scope`, outermost first: a quote is rebuilt from its JSON, which holds its body."""
    for embed in scope.select(".js-embed[data-embedjson]"):
        if _outermost(embed, scope):  # one inside another is rebuilt with it
            _embed(embed, depth)


def _outermost(embed: Tag, scope: Tag) -> bool:
    """The embed is in `scope` and in no other embed there (one rebuilt before it is no longer in `scope`)."""
    for parent in embed.parents:
        if parent is scope:
            return True
        if parent.has_attr("data-embedjson"):
            return False
    return False


def _embed(embed: Tag, depth: int) -> None:
    data = _json(attr(embed, "data-embedjson"))
    kind = str(_field(data, "embedType") or _field(data, "type") or "").lower()
    url = str(_field(data, "url") or "")
    if kind != "quote":
        if kind in ("image", "file", "giphy") or not url:
            embed.decompose()
            return
        embed.clear()
        embed.attrs = {}
        embed.name = "div"
        embed.append(NavigableString(url))
        return
    user = _field(data, "insertUser")
    author = str(user.get("name") or "") if isinstance(user, dict) else ""
    post = _record(data) or _post_in(url)
    body = _field(data, "body")
    shown = embed.select_one(".embedQuote-excerpt, .userContent")
    embed.clear()
    if isinstance(body, str) and body.strip():
        parsed = BeautifulSoup(body, "html.parser")
        for node in list(parsed.contents):
            embed.append(node.extract())
    elif shown is not None:  # no body in the JSON: the card the page's script drew
        for node in list(shown.contents):
            embed.append(node.extract())
    if depth < _MAX_DEPTH:
        _embeds(embed, depth + 1)
    mark_quote(embed, author or None, post)


def _quote_card(card: Tag) -> None:
    """The first rich editor's server-drawn card: .embedQuote with .embedQuote-userName and .embedQuote-excerpt."""
    if card.name == "blockquote" and card.has_attr("data-quote"):
        return
    author = flat_text(card.select_one(".embedQuote-userName")) or None
    post = next((p for p in (_post_in(attr(a, "href")) for a in card.find_all("a")) if p), None)
    content = card.select_one(".embedQuote-excerpt, .userContent")
    nodes = list(content.contents) if content is not None else []
    card.clear()
    for node in nodes:
        card.append(node.extract())
    mark_quote(card, author, post)


def _said_quote(block: Tag) -> None:
    """A Markdown quote the Quotes plugin wrote: "> @ana said:" over the quoted lines, in a plain blockquote."""
    first = next((c for c in block.children if isinstance(c, Tag) or str(c).strip()), None)
    line_of = first if isinstance(first, Tag) and first.name == "p" else block
    leading: list[Any] = []
    for node in line_of.children:
        if isinstance(node, Tag) and (node.name == "br" or node.name in BLOCK_TAGS):
            if node.name == "br":
                leading.append(node)
            break
        leading.append(node)
    else:
        if line_of is block:
            return  # the whole quote on one line: no attribution over it
    said = " ".join("".join(n.get_text() if isinstance(n, Tag) else str(n) for n in leading).split())
    name = name_of(said) if said.endswith(":") else None
    if not name or name == said.rstrip(":").strip():
        return
    for node in leading:
        node.extract()
    mark_quote(block, name.lstrip("@").strip('"') or None, None)


def _post_in(href: str) -> str | None:
    """The quoted post's id in a link: a comment's number, or the discussion's (the first post's id here)."""
    if match := _COMMENT_LINK.search(href):
        return match.group(1)
    match = _DISCUSSION_LINK.search(href)
    return match.group(1) if match else None


def _record(data: dict[str, Any]) -> str | None:
    """The quoted record's id in a rich quote's JSON: recordID (with recordType), commentID or discussionID."""
    for key in ("recordID", "commentID", "discussionID"):
        value = _field(data, key)
        if isinstance(value, (int, str)) and str(value).isdigit():
            return str(value)
    return None


def _field(data: dict[str, Any], key: str) -> Any:
    """A property of an embed's JSON, at the top or under "attributes" (the form the rich editor saves)."""
    if key in data:
        return data[key]
    attributes = data.get("attributes")
    return attributes.get(key) if isinstance(attributes, dict) else None


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


ENGINE = Engine("Vanilla", find, "#Item_0 h1, .PageTitle h1, h1.PageTitle", "Comment_{}", ".ItemDiscussion .DateCreated a.Permalink")
