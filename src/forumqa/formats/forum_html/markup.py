"""What the three engines' markup has in common: attributes, text, attributions, links back to a quoted post.

Also the shapes an engine module fills in: a post container it found (`Found`), a quote block it
read (`QuoteMark`), and the engine itself (`Engine`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PageElement

_POST_IN_HREF = re.compile(r"(?:[?&]p=|#p|#post-?|[?&]id=)(\d+)")
_QUOTE_VERBS = (
    *(
        " wrote",
        " said",
        " schrieb",
        " hat folgendes geschrieben",
        " hat geschrieben",
        " a écrit",
        " ha scritto",
        " escribió",
        " escreveu",
        " napisał",
    ),
    *(" schreef", " skrev", " kirjoitti", " napsal", " írta", " yazdı", " писал(а)", " написал"),
    # Invision's translated "ana said:" ("ana a dit :", "ana сказал:"), when its quote lacks the name attribute
    *(" a dit", " disse", " dijo", " sagte", " сказал(а)", " сказал", " сказала", " написала"),
)

BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "section", "article", "header", "footer", "blockquote", "hr", "figure",
})  # fmt: skip


def attr(tag: Tag | None, name: str) -> str:
    """An attribute as one string: bs4 gives multi-valued ones (class, rel) as lists."""
    if tag is None:
        return ""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def classes(tag: Tag) -> set[str]:
    return set(attr(tag, "class").split())


def flat_text(tag: Tag | None) -> str:
    """All of a tag's words on one line."""
    return " ".join(tag.get_text(" ").split()) if tag is not None else ""


def inline_text(tag: Tag | None) -> str:
    """A heading's, byline's or name's own words, up to its first block: after an unclosed tag the page follows them."""
    if tag is None:
        return ""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag) and node.name in BLOCK_TAGS and node.name != "br":
            break
        if type(node) is NavigableString:
            parts.append(str(node))
    return " ".join("".join(parts).split())


def name_of(attribution: str) -> str | None:
    """'Compo wrote:' → 'Compo'; the attribution verbs of the common board languages are cut."""
    name = " ".join(attribution.split()).rstrip(":").strip()
    name = name.removeprefix("Originally Posted by").strip()
    for verb in _QUOTE_VERBS:
        if name.endswith(verb):
            name = name[: -len(verb)].strip()
            break
    return None if name.lower() in ("", "quote", "zitat", "citation") else name


def post_in(tag: Tag | None) -> str | None:
    """The quoted post's id from a link back to it, in the forms phpBB, XenForo and vBulletin write."""
    if tag is None:
        return None
    for attribute in ("data-post-id", "data-nodeid", "data-content-id"):
        if attr(tag, attribute).isdigit():
            return attr(tag, attribute)
    match = _POST_IN_HREF.search(attr(tag, "href"))
    return match.group(1) if match else None


@dataclass(frozen=True)
class Found:
    """One post container as the engine lays it out; `date` is as the page shows it (or an ISO attribute)."""

    post: str
    container: Tag
    body: Tag | None
    author: str | None
    date: str | None
    #: The post's own address where the markup gives one (schema.org's url property); else the page's, with an anchor.
    url: str | None = None
    #: The post it answers where the markup says so apart from a quote (NodeBB's "@ana" reply button); a quote's post else.
    reply_to: str | None = None


def _owner(tag: Tag, containers: set[int]) -> Tag | None:
    """The post container a tag sits in: with unclosed tags one post can end up inside another."""
    for parent in tag.parents:
        if id(parent) in containers:
            return parent
    return None


def own(container: Tag, selectors: str, containers: set[int], avoid: Tag | None = None, named: bool = False) -> Tag | None:
    """The first match that belongs to this post (not to a post nested in it by broken markup, nor to its body);
    `named`: only one with words of its own, as a profile's avatar link, which comes before the name's, has none."""
    for selector in selectors.split(","):
        for tag in container.select(selector.strip()):
            if _owner(tag, containers) is container and (avoid is None or avoid not in tag.parents) and (not named or inline_text(tag)):
                return tag
    return None


def mark_quote(tag: Tag, author: str | None, post: str | None) -> None:
    """Rewrite `tag` as the quote form body.py credits to `author` (XenForo's): blockquote[data-quote="name"]
    [data-source="post: N"]. Engines of boards whose quote markup body.py does not know write theirs this way."""
    tag.name = "blockquote"
    tag.attrs = {"data-quote": author or ""}
    if post and post.isdigit():
        tag.attrs["data-source"] = f"post: {post}"


def headed_quote(box: Tag, heading: Tag | None, author: str | None, post: str | None) -> None:
    """A quote whose writer is named in a heading element (FluxBB's `<cite>`, Discourse's `div.title`) over its words
    in an inner `<blockquote>`, rewritten by `mark_quote`: the heading gone, the inner blockquote unwrapped."""
    if heading is not None:
        heading.decompose()
    inner = box.find("blockquote", recursive=False)
    if isinstance(inner, Tag):
        inner.unwrap()
    mark_quote(box, author, post)


def ruled_quote(block: Tag, author: Callable[[list[PageElement]], str | None]) -> None:
    """UBB.classic's quote, which vBulletin 2 copied: <blockquote><font size=1>quote:</font><hr>Originally posted by
    ana:<br>words<hr></blockquote>, rewritten by `mark_quote` less its label, rules and attribution line. `author`
    names the writer from that line (the nodes before the first <br>), or None where the line is not an attribution;
    the line is removed only when it names one. A blockquote without rules is left for body.py (outside text)."""
    rules = block.find_all("hr", recursive=False)
    if not rules:
        return
    for node in list(rules[0].previous_siblings):
        node.extract()  # the "quote:" label
    rules[0].extract()
    if len(rules) > 1 and not any(node_text(node).strip() for node in rules[-1].next_siblings):
        rules[-1].extract()
    line = _first_line(block)
    name = author(line) if line is not None else None
    if name is not None:
        for node in line or ():
            node.extract()
    mark_quote(block, name or None, None)


def _first_line(block: Tag) -> list[PageElement] | None:
    """The nodes up to and including the first <br>; None when a block element or the end comes first."""
    line: list[PageElement] = []
    for node in block.children:
        if isinstance(node, Tag) and node.name == "br":
            return [*line, node]
        if isinstance(node, Tag) and node.name in ("p", "div", "blockquote", "table"):
            return None
        line.append(node)
    return None


def node_text(node: PageElement) -> str:
    """A node's words: a tag's text, a plain string itself; comments and other special strings none."""
    return node.get_text(" ") if isinstance(node, Tag) else str(node) if type(node) is NavigableString else ""


@dataclass(frozen=True)
class QuoteMark:
    author: str | None
    post: str | None
    content: Tag


@dataclass(frozen=True)
class Engine:
    name: str
    find: Callable[[BeautifulSoup], list[Found]]
    titles: str  # CSS selectors, most specific first
    anchor: str  # the fragment a post's link ends in; "" where posts have none (the light page forms)
    thread_link: str = ""  # CSS selectors of a link to the thread, for a page with no canonical address
