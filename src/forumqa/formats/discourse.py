"""Discourse topic JSON (`/t/<id>.json`): the topic's title and its `post_stream.posts`.

A post's body is `cooked` HTML. What matters in it is who said what: a quote of another post is
an `<aside class="quote" data-post=N data-topic=T>`, so it becomes a Quote credited to the quoted
user and post, never text of the replier. A plain `<blockquote>` is outside material the poster
pasted (a GitHub comment, an error message): an unattributed Quote. Lightbox captions
("a.png800x620 97.3 KB") and onebox chrome are page furniture, not words anyone wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from bs4.element import CData, NavigableString, Tag

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.threads import Code, Post, Quote, Thread, ThreadFormat, Warn

#: Elements that end a line of text: paragraphs, list items, headings, table rows.
_BLOCK_TAGS = frozenset(
    {"address", "article", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "header", "hr", "li", "ol", "p"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul"}
)
#: Rendered furniture that get_text would otherwise turn into words.
_NOISE_TAGS = frozenset({"img", "svg", "script", "style", "noscript", "button", "input", "video", "audio", "iframe"})
_NOISE_CLASSES = frozenset(
    {"meta", "quote-controls", "onebox-metadata", "site-icon", "lightbox-meta", "expand"}
    # A poll's "0 voters" counter and its buttons, a footnote's "↩︎" back link, a chat quote's name/channel header.
    | {"poll-info", "poll-buttons", "footnote-backref", "chat-transcript-user"}
)
#: Table cells: a row's cells stay on one line, but their words must not run together ("VentState").
_CELL_TAGS = frozenset({"td", "th"})
#: A "moderator action" ("This topic is now pinned…", "…automatically closed 30 days after the last reply") and a
#: "small action" (closed, pinned, split): the forum's notices, no words anyone wrote.
_MODERATOR_ACTION, _SMALL_ACTION = 2, 3
#: A staff whisper: words staff wrote for staff only, so they are left out, and the reader is told.
_WHISPER = 4

#: An emoji's name as Discourse writes it between colons (":wink:", ":+1:", ":flag_de:", ":man_technologist:t2:").
_EMOJI_NAME = re.compile(r"[\w+-]+(?::t\d)?")
_SNIFF_STREAM = re.compile(r'"post_stream"\s*:\s*\{')
_SNIFF_POSTS = re.compile(r'"posts"\s*:\s*\[')


def load_json(path: Path) -> Any:
    """The file's JSON; a truncated download or a non-JSON file says where it went wrong."""
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} (truncated or edited file?)") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"not UTF-8 JSON (bad byte at position {exc.start})") from exc
    except ValueError as exc:  # a number past Python's int digit limit
        raise UnreadableDocument(f"JSON value out of range ({exc})") from exc
    except RecursionError as exc:
        raise UnreadableDocument("JSON nested too deeply to read") from exc


def sniff(path: Path, head: str) -> bool:
    """A JSON object whose post stream holds posts; the key is the same in every Discourse version."""
    return head.lstrip().startswith("{") and bool(_SNIFF_STREAM.search(head)) and bool(_SNIFF_POSTS.search(head))


# ---------------------------------------------------------------- cooked HTML → blocks


class _Blocks:
    """Collects a post's text in reading order: lines of own text, and Quotes as they come."""

    def __init__(self) -> None:
        self.items: list[str | Quote] = []
        self._lines: list[str] = []
        self._line: list[str] = []

    def text(self, value: str) -> None:
        self._line.append(value)

    def end_line(self) -> None:
        line = " ".join("".join(self._line).split())
        self._line = []
        if line:
            self._lines.append(line)

    def add(self, item: str | Quote) -> None:
        self.end_paragraphs()
        self.items.append(item)

    def end_paragraphs(self) -> None:
        self.end_line()
        if self._lines:
            self.items.append("\n".join(self._lines))
            self._lines = []

    def done(self) -> list[str | Quote]:
        self.end_paragraphs()
        return self.items


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    return value if isinstance(value, list) else []


def _attr(tag: Tag, name: str) -> str | None:
    value = tag.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return (value.strip() or None) if value is not None else None


def _walk(node: Tag, out: _Blocks, topic_id: str | None) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString or isinstance(child, CData):  # not a comment or doctype
                out.text(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name, classes = child.name, _classes(child)
        if name == "img" and "emoji" in classes:
            out.text(_emoji(child))
            continue
        if name in _NOISE_TAGS or _NOISE_CLASSES.intersection(classes):
            continue
        if name == "br":
            out.text(" ")  # a soft line break in the raw markdown; a sentence may run across it
        elif name == "aside" and "quote" in classes:
            for item in _aside_quote(child, topic_id):
                out.add(item)
        elif "chat-transcript" in classes:  # a quote of a chat message: its author's words, not the replier's
            for item in _quote_items(child, _attr(child, "data-username"), None, topic_id):
                out.add(item)
        elif "onebox" in classes and name != "a":  # a bare `<a class="onebox">` is a link no preview was made for
            for item in _onebox(child, topic_id):
                out.add(item)
        elif name == "blockquote":
            for item in _quote_items(child, None, None, topic_id):
                out.add(item)
        elif name == "pre":
            out.add(Code(child.get_text()))  # a code block keeps its lines and indentation
        elif name in _CELL_TAGS:
            out.text(" ")
            _walk(child, out, topic_id)
            out.text(" ")
        elif name in _BLOCK_TAGS:
            out.end_line()
            _walk(child, out, topic_id)
            out.end_line()
        else:
            _walk(child, out, topic_id)


def _emoji(image: Tag) -> str:
    """An emoji picture as the `:name:` its writer typed, so ":wink:" stays in the text (Slack's reader does the same).

    Discourse has written the name in `title` and `alt` as ":wink:" since about 2016; its 2014 releases wrote
    `alt="wink"` beside `title=":wink:"`, and a name is never written without its colons. A picture whose alt is
    the emoji itself (Flarum's twemoji `alt="😄"`, read through this code too) gives that character.
    """
    label = _attr(image, "title") or _attr(image, "alt") or ""
    name = label.strip(":")
    return f":{name}:" if _EMOJI_NAME.fullmatch(name) else label


def _quote_items(container: Tag, author: str | None, post: str | None, topic_id: str | None) -> list[str | Quote]:
    """The container's text as Quotes of `author`; a quote nested in it stays a Quote of its own."""
    inner = _Blocks()
    _walk(container, inner, topic_id)
    return [Quote(item, author, post) if isinstance(item, str) else item for item in inner.done()]


def _aside_quote(aside: Tag, topic_id: str | None) -> list[str | Quote]:
    """A quote of a post: its user from data-username or the 'name:' title, its number when it is this topic's."""
    title = aside.find("div", class_="title")
    author = _attr(aside, "data-username")
    if author is None and isinstance(title, Tag):
        # Only the title's own text: in a quote from another topic the topic's title follows as a link.
        own = "".join(title.find_all(string=True, recursive=False))
        author = own.strip().rstrip(":").strip() or None
    quote_topic = _attr(aside, "data-topic")
    post = _attr(aside, "data-post") if quote_topic in (None, topic_id) else None
    body = aside.find("blockquote")
    if isinstance(title, Tag):
        title.decompose()
    return _quote_items(body if isinstance(body, Tag) else aside, author, post, topic_id)


def _onebox(box: Tag, topic_id: str | None) -> list[str | Quote]:
    """A link preview is the linked site's words: a Quote credited to the site, its header dropped."""
    source = box.find(class_="source")
    site = (source.get_text(" ", strip=True) or None) if isinstance(source, Tag) else None
    for chrome in box.find_all(["header", "footer"]):
        chrome.decompose()
    return _quote_items(box, site, None, topic_id)


def cooked_blocks(cooked: str | Tag, topic_id: str | None = None) -> tuple[str | Quote, ...]:
    """A post's cooked HTML as paragraphs and Quotes in reading order.

    A parsed tree is taken as it is: a format whose quotes are marked otherwise (Flarum's) rewrites
    them as quote asides first, and is spared a second parse.
    """
    out = _Blocks()
    _walk(cooked if isinstance(cooked, Tag) else BeautifulSoup(cooked, "html.parser"), out, topic_id)
    return tuple(out.done())


# ---------------------------------------------------------------- topic → thread


def _text(value: object) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _post(raw: dict[str, Any], topic_id: str | None, slug: str | None, origin: str = "") -> Post:
    number = _text(raw.get("post_number"))
    url = _text(raw.get("post_url"))
    if url is None and topic_id and number:
        url = f"/t/{slug or 'topic'}/{topic_id}/{number}"
    if url is not None and url.startswith("/") and not url.startswith("//"):
        url = origin + url
    created = _text(raw.get("created_at"))
    return Post(
        blocks=cooked_blocks(str(raw.get("cooked") or ""), topic_id),
        author=_text(raw.get("username")) or _text(raw.get("name")),
        date=parse_date(created or "") or created,
        post=number,
        reply_to=_text(raw.get("reply_to_post_number")),
        url=url,
        accepted=raw.get("accepted_answer") is True,  # the discourse-solved plugin's solution post
    )


def _origin(data: dict[str, Any], posts: list[Any]) -> str:
    """The site's "https://host", from a link Discourse itself marks as internal (to its own site); "" if none is.

    A topic's JSON gives post links relative to the site ("/t/slug/1148/7") and never names the site, but its
    link lists (`details.links`, each post's `link_counts`) mark links to other topics of the same site.
    """
    details = data.get("details")
    lists = [details.get("links") if isinstance(details, dict) else None] + [p.get("link_counts") for p in posts if isinstance(p, dict)]
    for links in lists:
        for link in links if isinstance(links, list) else ():
            if isinstance(link, dict) and link.get("internal") is True and isinstance(link.get("url"), str):
                parts = urlsplit(link["url"])
                if parts.scheme in ("http", "https") and parts.netloc:
                    return f"{parts.scheme}://{parts.netloc}"
    return ""


def _missing_warning(stream: object, posts: list[Any]) -> str | None:
    """Discourse sends the first `chunk_size` posts of a topic; the stream lists every post id."""
    if not isinstance(stream, list):
        return None
    stream = [post_id for post_id in stream if isinstance(post_id, int | str)]
    held = {raw.get("id") for raw in posts if isinstance(raw, dict) and isinstance(raw.get("id"), int | str)}
    # Ids that match no post at all (an anonymised copy) leave only the counts to compare.
    missing = sum(1 for post_id in stream if post_id not in held) if held.intersection(stream) else max(0, len(stream) - len(held))
    if not missing:
        return None
    return (
        f"{missing} of the topic's {len(stream)} posts are not in this file (Discourse sends them in chunks); "
        # /t/<id>/posts.json answers in this same post_stream shape; /posts/<id>.json is one bare post this reader cannot take.
        "fetch them with /t/<topic id>/posts.json?post_ids[]=<id>&post_ids[]=… for the ids in post_stream.stream, "
        "or save the topic with ?print=true"
    )


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    data = load_json(path)
    stream = data.get("post_stream") if isinstance(data, dict) else None
    posts = stream.get("posts") if isinstance(stream, dict) else None
    if not isinstance(data, dict) or not isinstance(stream, dict) or not isinstance(posts, list):
        raise UnreadableDocument("not a Discourse topic: expected an object with post_stream.posts (the /t/<id>.json of a topic)")
    # A topic's posts fetched by themselves (/t/<id>/posts.json) carry no topic fields: each post names its topic.
    first = next((p for p in posts if isinstance(p, dict)), {})
    topic_id = _text(data.get("id")) or _text(first.get("topic_id"))
    slug = _text(data.get("slug")) or _text(first.get("topic_slug"))
    created = _text(data.get("created_at"))
    # Discourse slugs a title with no Latin letters ("新生指南") as "topic": that names no topic, its id does.
    named = (slug or "").replace("-", " ").capitalize() if slug != "topic" else (f"Topic {topic_id}" if topic_id else "")
    title = _text(data.get("title")) or _text(data.get("fancy_title")) or named or path.stem
    thread = Thread(title, date=parse_date(created or "") or created)
    if (missing := _missing_warning(stream.get("stream"), posts)) is not None:
        warn(missing)
    repliers: dict[int, str] = {}  # index in thread.posts → the replied-to user the post names
    origin = _origin(data, posts)
    for index, raw in enumerate(posts):
        posts[index] = None  # each raw post is let go once read: a long topic is not held twice
        if not isinstance(raw, dict):
            warn(f"entry {index + 1} of post_stream.posts is not a post; left out")
            continue
        if raw.get("post_type") in (_MODERATOR_ACTION, _SMALL_ACTION) or raw.get("action_code"):
            continue
        if raw.get("post_type") == _WHISPER:
            warn(f"post {_text(raw.get('post_number')) or '?'} (id {raw.get('id')}): a staff whisper, meant for staff only; left out")
            continue
        if raw.get("user_deleted") is True or raw.get("deleted_at"):  # its cooked is a "(post withdrawn …)" placeholder
            warn(f"post {_text(raw.get('post_number')) or '?'} (id {raw.get('id')}): deleted; left out")
            continue
        try:
            post = _post(raw, topic_id, slug, origin)
        except RecursionError:  # markup nested thousands deep: no forum renders that
            warn(f"post {_text(raw.get('post_number')) or '?'} (id {raw.get('id')}): HTML nested too deeply to read; left out")
            continue
        if not any(post.blocks):
            warn(f"post {post.post or '?'} (id {raw.get('id')}): no text; left out")
            continue
        if (replied := _reply_to_user(raw)) is not None:
            repliers[len(thread.posts)] = replied
        thread.posts.append(post)
    _credit_replied_quotes(thread.posts, repliers)
    _in_topic_order(thread.posts)
    yield thread


def _reply_to_user(raw: dict[str, Any]) -> str | None:
    """The username of the post this one replies to, as Discourse serialises it beside reply_to_post_number."""
    replied = raw.get("reply_to_user")
    return _text(replied.get("username")) if isinstance(replied, dict) else None


def _credit_replied_quotes(posts: list[Post], repliers: dict[int, str]) -> None:
    """A plain `>` quote in a reply to a post this file lacks: the replied-to writer's words, as far as can be told.

    Replying to a post and pasting its lines under `>` is how Discourse users quote by hand (a
    /t/<id>/posts.json page holds 20 posts, so the replied post is often in another chunk). Left
    unattributed, those lines would be credited to the replier. With the replied post in the file
    the quote stays as it is: its words are then matched against that post when the thread is laid
    out, and a quote found nowhere is outside material (docs, an error message). Reddit's reader
    makes the same guess (forumqa.formats.reddit.attribute).
    """
    held = {post.post for post in posts if post.post}
    for index, user in repliers.items():
        post = posts[index]
        if post.reply_to is None or post.reply_to in held:
            continue
        blocks = tuple(
            Quote(block.text, user, post.reply_to) if isinstance(block, Quote) and block.author is None and block.post is None else block
            for block in post.blocks
        )
        if blocks != post.blocks:
            posts[index] = replace(post, blocks=blocks)


def _in_topic_order(posts: list[Post]) -> None:
    """Posts by post number, as the topic shows them.

    `/t/<id>/posts.json?post_number=N` (the request behind "load earlier posts") sends the posts
    before N newest first; a topic read in that order would answer before it asks. Left as they
    are when a post has no number.
    """
    if all(post.post and post.post.isdigit() for post in posts):
        posts.sort(key=lambda post: int(post.post or 0))


FORMAT = ThreadFormat("Discourse topic JSON", sniff, read)
