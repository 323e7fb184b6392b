"""Flarum discussion JSON: the JSON:API document of `GET /api/discussions/<id>`, as a Flarum user saves a discussion.

`data` is the discussion; `data.relationships.posts.data` names every post the reader may see, and
`included` holds the posts Flarum loaded (20 from the requested offset) and their users. A post's
body is `contentHtml`; event posts ("discussionRenamed", "discussionStickied", …) carry no text.

Who said what is marked by the mentions extension: the Quote button writes `> @"Name"#p123 words`,
which renders as a `<blockquote>` that opens with `<a class="PostMention" data-id="123"
href="…/d/<discussion>/<number>">`. Such a quote is the mentioned post's words, never the replier's.
The BBCode extension's `[quote=Name]` opens with `<cite>Name wrote</cite>`; any other blockquote is
outside material. Those quotes are rewritten as the quote asides Discourse's reader credits, so
the two formats share one HTML walker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.discourse import cooked_blocks, load_json
from forumqa.formats.forum_html.markup import attr, classes, flat_text, name_of
from forumqa.threads import Post, Thread, ThreadFormat, Warn

_SNIFF_DATA = re.compile(r'"data"\s*:\s*([\[{])')
_SNIFF_DISCUSSION = re.compile(r'"type"\s*:\s*"discussions"')
#: A PostMention's href: the forum's address, then /d/<id>[-slug]/<number>.
_POST_HREF = re.compile(r"^(?P<base>https?://\S+?)/d/(?P<discussion>\d+)(?:-[^/?#]*)?/(?P<number>\d+)/?$")
#: A UserMention's href: the forum's address, then /u/<username>.
_USER_HREF = re.compile(r"^(?P<base>https?://\S+?)/u/[^/?#]+/?$")
#: Flarum 2 gives each resource `links.self`: the API's address, which is the forum's plus /api.
_SELF_HREF = re.compile(r"^(?P<base>https?://\S+?)/api/discussions/[^/?#]+/?$")
_COMMENT = "comment"


def sniff(path: Path, head: str) -> bool:
    """A JSON:API document whose primary data is one resource of type "discussions".

    The first `"data"` key is the document's own (nothing comes before it but `links`): an object
    there is one discussion, a list is the discussion index, which holds no posts to read.
    """
    if not head.lstrip().startswith("{"):
        return False
    data = _SNIFF_DATA.search(head)
    return data is not None and data.group(1) == "{" and bool(_SNIFF_DISCUSSION.search(head))


# ---------------------------------------------------------------- JSON:API plumbing


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _linked_id(resource: dict[str, Any], relationship: str) -> str | None:
    """The id a to-one relationship points at; None for `{"data": null}` (a deleted user) or no linkage."""
    return _text(_dict(_dict(_dict(resource.get("relationships")).get(relationship)).get("data")).get("id"))


def _listed_posts(discussion: dict[str, Any]) -> list[str] | None:
    """The ids of every post the saver could see, in order; None when the document has no posts relationship."""
    linkage = _dict(_dict(discussion.get("relationships")).get("posts")).get("data")
    if not isinstance(linkage, list):
        return None
    return [post_id for item in linkage if (post_id := _text(_dict(item).get("id"))) is not None]


def _users(included: list[Any]) -> dict[str, str | None]:
    """User id → the name the forum shows: displayName, else username."""
    users: dict[str, str | None] = {}
    for resource in included:
        if isinstance(resource, dict) and resource.get("type") == "users" and (user_id := _text(resource.get("id"))):
            attributes = _dict(resource.get("attributes"))
            users[user_id] = _text(attributes.get("displayName")) or _text(attributes.get("username"))
    return users


def _own_posts(included: list[Any], listed: list[str] | None, discussion_id: str | None, warn: Warn) -> list[dict[str, Any]]:
    """This discussion's posts among the included resources, once each.

    `included` may hold posts of other discussions too (the mentionedBy of a post can be anywhere),
    so a post counts when the discussion lists it, or, with no list, when it says it belongs here.
    """
    wanted = set(listed) if listed is not None else None
    posts: dict[str, dict[str, Any]] = {}
    for index, resource in enumerate(included):
        if not isinstance(resource, dict):
            warn(f"entry {index + 1} of included is not a resource; left out")
            continue
        post_id = _text(resource.get("id"))
        if resource.get("type") != "posts" or post_id is None or post_id in posts:
            continue
        belongs = post_id in wanted if wanted is not None else _linked_id(resource, "discussion") in (None, discussion_id)
        if belongs:
            posts[post_id] = resource
    return list(posts.values())


def _missing_warning(listed: list[str] | None, held: set[str], discussion_id: str | None) -> str | None:
    """Flarum embeds 20 posts of a discussion (from page[offset] or around page[near]); the rest are only ids."""
    if not listed:
        return None
    missing = sum(1 for post_id in listed if post_id not in held)
    if not missing:
        return None
    return (
        f"{missing} of the discussion's {len(listed)} posts are not in this file (Flarum's API sends 20 at a time); "
        f"save the rest with /api/discussions/{discussion_id or '<id>'}?page[offset]=20 (then 40, …), or page[limit]=50 per request"
    )


# ---------------------------------------------------------------- who a quote is from


@dataclass(frozen=True)
class _Known:
    """A post of this discussion that the file holds: what a mention of its id resolves to."""

    number: str | None
    author: str | None


@dataclass(frozen=True)
class _Discussion:
    id: str | None
    known: dict[str, _Known]  # Flarum post id → number and author

    def mentioned(self, mention: Tag) -> tuple[str | None, str | None]:
        """(author, number) of the post a PostMention points at.

        A post the file holds gives its own author; any other gives the name the mention shows, and
        a number only when its link stays in this discussion: post 3 of another one is not our post 3.
        """
        known = self.known.get(attr(mention, "data-id").strip())
        if known is not None:
            return known.author, known.number
        link = _POST_HREF.match(attr(mention, "href").strip())
        number = link.group("number") if link and link.group("discussion") == self.id else None
        return flat_text(mention) or None, number


def _is_mention(node: object) -> bool:
    """A post mention as Flarum renders it: a link, or a span once the post is deleted."""
    return isinstance(node, Tag) and node.name in ("a", "span") and "PostMention" in classes(node)


def _opening_mark(quote: Tag) -> Tag | None:
    """The PostMention or BBCode <cite> a quote opens with, before any word of its own."""
    for node in quote.descendants:
        if isinstance(node, Tag):
            if _is_mention(node) or node.name == "cite":
                return node
            if node.name == "blockquote":
                return None
        elif type(node) is NavigableString and node.strip():
            return None
    return None


def _attribution_before(quote: Tag) -> tuple[Tag, Tag] | None:
    """A paragraph just before the quote that only names it, '@Name' or '@Name wrote:', and the mention in it."""
    before = next((node for node in quote.previous_siblings if not (type(node) is NavigableString and not node.strip())), None)
    if not isinstance(before, Tag) or before.name == "blockquote":
        return None
    mentions = before.find_all(_is_mention)
    mention = mentions[-1] if mentions else None
    if not isinstance(mention, Tag) or name_of(flat_text(before)) != flat_text(mention):
        return None  # "As @Name showed:" is the replier's sentence, and what follows may be anyone's
    return before, mention


def _mark_quote(soup: BeautifulSoup, quote: Tag, author: str | None, number: str | None) -> None:
    """Wrap the quote as the aside discourse.cooked_blocks credits: data-username and data-post."""
    aside = soup.new_tag("aside", attrs={"class": "quote"})  # made by the soup's builder: class is a list, as parsed
    if author:
        aside["data-username"] = author
    if number:
        aside["data-post"] = number
    quote.wrap(aside)


def _attribute_quotes(body: BeautifulSoup, discussion: _Discussion) -> None:
    """Mark each attributed blockquote with its author and post, dropping the attribution from its words."""
    for quote in body.find_all("blockquote"):
        mark = _opening_mark(quote)
        if mark is not None and mark.name == "cite":
            author, number = name_of(flat_text(mark)), None
            mark.decompose()
        elif mark is not None:
            author, number = discussion.mentioned(mark)
            mark.decompose()
        elif (attribution := _attribution_before(quote)) is not None:
            line, mention = attribution
            author, number = discussion.mentioned(mention)
            line.decompose()
        else:
            continue  # outside material: cooked_blocks makes it an unattributed Quote
        _mark_quote(body, quote, author, number)


def _reply_to(body: Tag, discussion: _Discussion) -> str | None:
    """The number of the first post of this discussion the post mentions: the one it answers."""
    for mention in body.find_all(_is_mention):
        _, number = discussion.mentioned(mention)
        if number is not None:
            return number
    return None


# ---------------------------------------------------------------- discussion → thread


def _discussion_path(discussion_id: str | None, slug: str | None) -> str | None:
    """'318-sourdough-starter': Flarum 1+ serialises the slug with its id, earlier versions without."""
    if discussion_id is None:
        return None
    if slug is None:
        return discussion_id
    return slug if slug == discussion_id or slug.startswith(f"{discussion_id}-") else f"{discussion_id}-{slug}"


def _base_url(discussion: dict[str, Any], bodies: list[Tag]) -> str | None:
    """The forum's address as the file states it (links.self, or a mention's absolute link); never guessed."""
    own = _SELF_HREF.match(_text(_dict(discussion.get("links")).get("self")) or "")
    if own:
        return own.group("base")
    for body in bodies:
        for link in body.find_all("a", class_=["PostMention", "UserMention"]):
            found = _POST_HREF.match(attr(link, "href").strip()) or _USER_HREF.match(attr(link, "href").strip())
            if found:
                return found.group("base")
    return None


def _number(attributes: dict[str, Any]) -> str | None:
    return _text(attributes.get("number"))


def _name(resource: dict[str, Any]) -> str:
    """How a warning names a post: its number in the discussion and its id in the API."""
    return f"post {_number(_dict(resource.get('attributes'))) or '?'} (id {_text(resource.get('id'))})"


def _order(post: Post) -> tuple[int, int]:
    return (0, int(post.post)) if post.post and post.post.isdigit() else (1, 0)


@dataclass(frozen=True)
class _Comment:
    """A comment post, its body parsed once: the forum's address is looked for in every body before any is read."""

    resource: dict[str, Any]
    attributes: dict[str, Any]
    body: BeautifulSoup


def _comment(resource: dict[str, Any], warn: Warn) -> _Comment | None:
    """A comment post; None for an event post (silently) or a broken one (with a warning)."""
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        warn(f"{_name(resource)}: no attributes; left out")
        return None
    kind = attributes.get("contentType")
    if isinstance(kind, str) and kind != _COMMENT:
        return None  # "discussionRenamed", "discussionLocked", …: the forum's notices, no words anyone wrote
    html = attributes.get("contentHtml")
    if not isinstance(html, str):
        warn(f"{_name(resource)}: no contentHtml; left out")
        return None
    if attributes.get("isHidden") is True:
        warn(f"{_name(resource)}: hidden (deleted) by its author or a moderator; left out")
        return None
    if attributes.get("renderFailed") is True:  # contentHtml is Flarum's "could not be rendered" notice
        warn(f"{_name(resource)}: Flarum could not render it; left out")
        return None
    try:
        return _Comment(resource, attributes, BeautifulSoup(html, "html.parser"))
    except RecursionError:  # markup nested thousands deep: no forum renders that
        warn(f"{_name(resource)}: HTML nested too deeply to read; left out")
        return None


def _post(comment: _Comment, discussion: _Discussion, users: dict[str, str | None], link: str | None) -> Post:
    """The post's blocks, its mentions resolved; `link` is the discussion's address, when the file gives one."""
    reply_to = _reply_to(comment.body, discussion)  # before the quotes lose their attributing mentions
    _attribute_quotes(comment.body, discussion)
    number = _number(comment.attributes)
    posted = _text(comment.attributes.get("createdAt"))
    return Post(
        blocks=cooked_blocks(comment.body),
        author=users.get(_linked_id(comment.resource, "user") or ""),
        date=parse_date(posted or "") or posted,
        post=number,
        reply_to=reply_to,
        url=f"{link}/{number}" if link and number else None,
    )


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    document = load_json(path)
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("type") != "discussions":
        raise UnreadableDocument(
            'not a Flarum discussion: expected the JSON:API document of /api/discussions/<id> ({"data": {"type": "discussions", ...}})'
        )
    included = document.get("included")
    included = included if isinstance(included, list) else []
    attributes = _dict(data.get("attributes"))
    discussion_id = _text(data.get("id"))
    slug = _text(attributes.get("slug"))
    users = _users(included)
    listed = _listed_posts(data)
    resources = _own_posts(included, listed, discussion_id, warn)
    if (missing := _missing_warning(listed, {_text(r.get("id")) or "" for r in resources}, discussion_id)) is not None:
        warn(missing)
    known = {
        post_id: _Known(_number(_dict(r.get("attributes"))), users.get(_linked_id(r, "user") or ""))
        for r in resources
        if (post_id := _text(r.get("id"))) is not None
    }
    discussion = _Discussion(discussion_id, known)
    comments = [comment for r in resources if (comment := _comment(r, warn)) is not None]
    base = _base_url(data, [c.body for c in comments])
    link = f"{base}/d/{where}" if base and (where := _discussion_path(discussion_id, slug)) else None

    created = _text(attributes.get("createdAt"))
    title = _text(attributes.get("title")) or (slug or "").removeprefix(f"{discussion_id}-").replace("-", " ").capitalize() or path.stem
    thread = Thread(title, date=parse_date(created or "") or created)
    for comment in comments:
        try:
            post = _post(comment, discussion, users, link)
        except RecursionError:
            warn(f"{_name(comment.resource)}: HTML nested too deeply to read; left out")
            continue
        if not any(post.blocks):
            warn(f"{_name(comment.resource)}: no text; left out")
            continue
        thread.posts.append(post)
    thread.posts.sort(key=_order)
    yield thread


FORMAT = ThreadFormat("Flarum discussion JSON", sniff, read)
