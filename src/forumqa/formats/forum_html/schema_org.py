"""Forum pages marked up with schema.org microdata: Discourse's crawler view, NodeBB, and other boards without an engine.

Google's discussion-forum structured data asks a forum to mark its topic as a DiscussionForumPosting
and each reply as a Comment (or a further DiscussionForumPosting), with `author`, `datePublished` and
`text` as properties. So the microdata is read instead of each program's classes: every posting item
is a post, and its own properties (those of no item inside it: a Person's `url` is not the post's)
give its author, date, number and address, its `text` (or `articleBody`) element the body.

Quotes differ per program. The known forms are rewritten in place into the one body.py reads as
XenForo's (`blockquote[data-quote][data-source="post: N"]`), so each is credited to the quoted
writer and its attribution is no text: Discourse's aside.quote (its "name:" title dropped),
chat quotes and link previews (the linked site's words), Invision's blockquote.ipsQuote, and an
"ana said:" line (NodeBB: "@ana said in <topic>:") standing alone over a plain blockquote.

A QAPage counts too: Discourse's "solved" categories (and Stack Exchange's pages) mark the topic as a
Question and the replies as Answers. Only a page with a DiscussionForumPosting or a Question is
claimed: blogs mark their comments as Comment items too, and an article with comments must stay a
page. NodeBB before 3.0 marks no topic item, only each post as a Comment, in its `ul[component=topic]`
post list: Comment items there are a thread too. JSON-LD is not read, so a page that has only that
stays a plain page: nothing in a JSON-LD block tells whole posts from a summary, and the one program
found to put whole posts there (nopCommerce) writes its quotes in markup not checked here.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from forumqa.formats.forum_html.markup import Engine, Found, attr, flat_text, headed_quote, inline_text, mark_quote, name_of, own, post_in
from forumqa.formats.forum_html.page import page_url

_FORUM_POSTING = "schema.org/discussionforumposting"
#: What makes a page a thread: a forum posting, or the Question of a QAPage (Discourse's "solved" categories
#: and Stack Exchange's pages mark the topic as a Question and its replies as Answers).
_THREADS = (_FORUM_POSTING, "schema.org/question")
_POSTINGS = (*_THREADS, "schema.org/comment", "schema.org/answer")
_BODY, _AUTHOR, _DATE = ("text", "articleBody"), ("author", "creator"), ("datePublished", "dateCreated")
_NUMBER_ATTRIBUTES = ("id", "data-pid", "data-post-id", "data-commentid")
_DISCOURSE_TOPIC = re.compile(r"/t/(?:[^/?#]+/)?(\d+)")
_NODEBB_POST = re.compile(r"/post/(\d+)")
#: NodeBB's post list (`component="topic"`), around Comment items with no forum posting on the page (before 3.0).
_NODEBB_TOPIC = "topic"
_SAID_IN = re.compile(r"^(.+? (?:said|wrote)) in .+:$")
#: Furniture inside a post's text: Discourse's image captions ("a.png 800×600 97 KB"), poll counters and
#: buttons, footnote back links and a chat quote's header; Invision's "Edited … by" line and spoiler label;
#: NodeBB's "last edited by" note and "@ana" reply button, which some themes (forums.opera.com's) put in the text.
_CHROME = (
    ".lightbox-wrapper .meta, .poll-info, .poll-buttons, .footnote-backref, .chat-transcript-user, [data-excludequote], "
    ".ipsSpoiler_header, [component='post/editor'], [component='post/parent']"
)
#: NodeBB's "@ana" button over a reply: the post it answers, by id (data-topid), whether or not the reply quotes it.
_NODEBB_PARENT = "[component='post/parent'][data-topid]"
#: A byline longer than this is no byline: the words around an author property inside a post's text are dropped only up to it.
_BYLINE_CHARS = 200


def _is_item(tag: Tag) -> bool:
    return tag.has_attr("itemscope") or tag.has_attr("itemtype")


def _types(tag: Tag) -> list[str]:
    return [kind.rstrip("/").lower() for kind in attr(tag, "itemtype").split()]


def _properties(soup: BeautifulSoup) -> dict[int, list[tuple[str, Tag]]]:
    """Each item's own properties in page order: a property belongs to the nearest item around it."""
    owned: dict[int, list[tuple[str, Tag]]] = {}
    for tag in soup.find_all(itemprop=True):
        scope = next((parent for parent in tag.parents if _is_item(parent)), None)
        if scope is not None:
            owned.setdefault(id(scope), []).extend((name, tag) for name in attr(tag, "itemprop").split())
    return owned


def _first(props: list[tuple[str, Tag]], names: tuple[str, ...], shown: bool = False) -> Tag | None:
    """The first property of these names; `shown`: an element on the page, not a meta/link carrying a value."""
    return next((tag for name, tag in props if name in names and not (shown and tag.name in ("meta", "link"))), None)


def _text(tag: Tag | None) -> str:
    return (attr(tag, "content").strip() or inline_text(tag)) if tag is not None else ""


def _author(tag: Tag | None, owned: dict[int, list[tuple[str, Tag]]]) -> str | None:
    """A Person's (or Organization's) name property, or the author element's own words."""
    if tag is not None and _is_item(tag) and (name := _first(owned.get(id(tag), []), ("name",))) is not None:
        return _text(name) or None
    return _text(tag) or None


def _date(item: Tag, props: list[tuple[str, Tag]], body: Tag | None, items: set[int]) -> str | None:
    """The post's shown date, else its first time[datetime] outside the body, else a meta one.

    Discourse's first post has its time without itemprop; the topic's meta datePublished around it is
    the topic's, which on a later page is not the date of the first post shown. A time marked as the
    dateModified (Discourse 2.4 shows an edited post's edit time, its datePublished in a meta) is when
    the post was last edited, not written: a later post would otherwise seem older than the first.
    """
    shown = own(item, "time[datetime]:not([itemprop~=dateModified])", items, avoid=body)
    stamp = _first(props, _DATE, shown=True) or shown or _first(props, _DATE)
    return (attr(stamp, "datetime") or _text(stamp) or None) if stamp is not None else None


def _url(props: list[tuple[str, Tag]], item: Tag, base: str | None, topic_link: str | None, permalink: Tag | None = None) -> str | None:
    """The post's url property, else its permalink (NodeBB's a.permalink to /post/N), else the page's address with the
    item element's id (Discourse's post_N) as anchor.

    Discourse's crawler pages of some versions give a post neither: its permalink is then the topic's
    address and its position ("/t/slug/177814/2"), as the forum itself links it.
    """
    link = _first(props, ("url",))
    if link is not None and (href := attr(link, "href") or _text(link)):
        return urljoin(base or "", href)
    if href := attr(permalink, "href"):
        return urljoin(base or "", href)
    if attr(item, "id"):
        return f"{base or ''}#{attr(item, 'id')}"
    position = re.sub(r"\D", "", _text(_first(props, ("position",))))
    return f"{topic_link}/{position}" if topic_link and position else base


def _numbers(items: list[tuple[Tag, list[tuple[str, Tag]]]]) -> list[str]:
    """Post numbers: the position properties (Discourse), else the ids every post element carries (Invision's
    elComment_N, which its quotes name), else page order. One scheme for the whole page, chosen on the posts
    that have a body, so no two collide; a post without a body may be left without one (it is left out)."""
    positions = [re.sub(r"\D", "", _text(_first(props, ("position",)))) for _, props in items]
    ids = [next((d.group() for key in _NUMBER_ATTRIBUTES if (d := re.search(r"\d+", attr(item, key)))), "") for item, _ in items]
    for chosen in (positions, ids):
        shown = [number for number, (_, props) in zip(chosen, items, strict=True) if _first(props, _BODY, shown=True) is not None]
        if all(shown) and len(set(shown)) == len(shown):
            return chosen
    return [str(number) for number in range(1, len(items) + 1)]


def find(soup: BeautifulSoup) -> list[Found]:
    """Posting items (DiscussionForumPosting, Comment; Question, Answer) and their bodies; none unless the page has a
    forum posting or a question.

    A topic item with no text of its own around its posts (NodeBB's, a later page's) is no post; a posting
    with neither text nor postings inside is one without a body, which the reader reports.
    """
    postings = [tag for tag in soup.find_all(itemtype=True) if any(t.endswith(_POSTINGS) for t in _types(tag))]
    if not any(t.endswith(_THREADS) for tag in postings for t in _types(tag)) and not any(
        tag.find_parent(attrs={"component": _NODEBB_TOPIC}) for tag in postings
    ):
        return []
    owned = _properties(soup)
    ids = {id(tag) for tag in postings}
    holders = {id(parent) for tag in postings for parent in tag.parents if id(parent) in ids}
    items = [(tag, owned.get(id(tag), [])) for tag in postings]
    items = [(tag, props) for tag, props in items if _first(props, _BODY, shown=True) is not None or id(tag) not in holders]
    base = page_url(soup)
    match = _DISCOURSE_TOPIC.search(base) if base else None
    topic, topic_link = (match.group(1), (base or "")[: match.end()]) if match else (None, None)
    found: list[Found] = []
    for (item, props), number in zip(items, _numbers(items), strict=True):
        body = _first(props, _BODY, shown=True)
        by = _first(props, _AUTHOR)
        author, date = _author(by, owned), _date(item, props, body, ids)
        parent = attr(own(item, _NODEBB_PARENT, ids), "data-topid")
        url = _url(props, item, base, topic_link, own(item, "a.permalink[href]", ids))
        if body is not None:
            _drop_byline(body, by)
            tidy(body, topic)
        found.append(Found(number, item, body, author, date, url, parent if parent.isdigit() else None))
    return found if any(f.body is not None for f in found) else []


def _drop_byline(body: Tag, author: Tag | None) -> None:
    """A theme that writes the byline (name, group badge, "@ana" reply button) at the top of the post's text, as
    forums.opera.com's NodeBB theme does, puts the author property inside the body: that byline is no text of the post."""
    if author is None or body not in author.parents:
        return
    line = next(parent for parent in [author, *author.parents] if parent.parent is body)
    if len(flat_text(line)) <= _BYLINE_CHARS and line.name not in ("p", "blockquote", "pre"):
        line.decompose()


# ---------------------------------------------------------------- quote forms → XenForo's


def _discourse_quote(aside: Tag, topic: str | None) -> None:
    """aside.quote[data-username][data-post][data-topic] > div.title ("name:", avatar) + blockquote.

    data-post is a post number in data-topic: it names a post of this page only when the topics match.
    """
    title = aside.find("div", class_="title", recursive=False)
    said = " ".join(title.find_all(string=True, recursive=False)) if isinstance(title, Tag) else ""
    author = attr(aside, "data-username") or said.strip().rstrip(":").strip()
    post = attr(aside, "data-post") if attr(aside, "data-topic") in ("", topic or "") else None
    headed_quote(aside, title if isinstance(title, Tag) else None, author, post)


def _invision_quote(block: Tag) -> None:
    """blockquote.ipsQuote[data-ipsquote-username][data-ipsquote-contentcommentid] > div.ipsQuote_citation + contents."""
    citation = block.find(class_="ipsQuote_citation", recursive=False)
    # "On 3/1/2020 at 10:02 AM, ana said:" when the attributes are missing
    said = name_of(flat_text(citation).rsplit(", ", 1)[-1]) if isinstance(citation, Tag) else None
    author = attr(block, "data-ipsquote-username") or attr(block, "data-cite") or said
    if isinstance(citation, Tag):
        citation.decompose()
    mark_quote(block, author, attr(block, "data-ipsquote-contentcommentid"))


def _said_line(block: Tag) -> None:
    """A paragraph that only says "ana said:" right above a plain blockquote is that quote's attribution."""
    if block.has_attr("data-quote") or block.find("cite") is not None:
        return
    line = next((node for node in block.previous_siblings if isinstance(node, Tag) or str(node).strip()), None)
    if not isinstance(line, Tag) or line.name not in ("p", "div") or len(text := flat_text(line)) > 200 or not text.endswith(":"):
        return
    said = _SAID_IN.match(text)
    spoken = f"{said.group(1)}:" if said else text
    name = name_of(spoken)
    if name is None or name == spoken.rstrip(":").strip():
        return  # no attribution verb: "Here is the log:" introduces the poster's own paste
    links = [(_NODEBB_POST.search(attr(a, "href")), a) for a in line.find_all("a")]
    post = next((m.group(1) if m else post_in(a) for m, a in links if m or post_in(a)), None)
    line.decompose()
    mark_quote(block, name.lstrip("@"), post)


def tidy(body: Tag, topic: str | None) -> None:
    """Drop the furniture in a post's text and rewrite its quotes; a body already tidied has none of them left."""
    for chrome in body.select(_CHROME):
        if not chrome.decomposed:
            chrome.decompose()
    for aside in reversed(body.select("aside.quote")):  # innermost first: an outer quote holds its nested ones
        _discourse_quote(aside, topic)
    for box in body.select("aside.onebox"):
        site = flat_text(box.find(class_="source"))
        for chrome in box.select("header, footer, .onebox-metadata"):
            chrome.decompose()
        mark_quote(box, site, None)
    for chat in body.select("div.chat-transcript[data-username]"):
        mark_quote(chat, attr(chat, "data-username"), None)
    for block in body.select("blockquote.ipsQuote"):
        _invision_quote(block)
    for block in body.find_all("blockquote"):
        _said_line(block)


ENGINE = Engine(
    "schema.org microdata",
    find,
    # Discourse's crawler view: #topic-title h1, h1.crawler-topic-title (2.x), the bare h1 of its #main-outlet (1.x)
    "#topic-title h1, h1.crawler-topic-title, #main-outlet > h1, h1[itemprop=headline], "
    "h1.ipsType_pageTitle .ipsType_break, [component='topic/title']",
    "",
)
