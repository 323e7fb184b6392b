"""Reddit thread JSON (`<permalink>.json`): the submission and its comment tree.

The file is a JSON array of two Listings: `[0]` holds the submission (t3), `[1]` the comments
(t1), each with its replies nested as another Listing. Bodies are markdown, HTML-escaped unless
the thread was fetched with raw_json=1. A `> ` quote carries no author, so the likeliest source is
looked for up the reply chain (see `attribute`); `more` stubs are comments the file does not hold.

The markdown helpers here serve the Discord reader too: both are chat-style markdown with
anonymous `>` quotes. The data dumps' reader (reddit_dump) puts a thread's flat comments back into
this tree and reads it with `submission_posts` and `comment_tree`, so both read a body alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from forumqa.documents import UnreadableDocument
from forumqa.formats.discourse import load_json
from forumqa.threads import Code, Post, Quote, Thread, ThreadFormat, Warn

# ---------------------------------------------------------------- markdown → text

#: Reddit renders CommonMark plus tables and ~~strike~~; raw HTML is shown as typed, never rendered.
REDDIT_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])
_SPOILER = re.compile(r">!(.+?)!<", re.DOTALL)
_INVISIBLE = str.maketrans("", "", "\u200b\ufeff")
#: Reddit's `^(raised words)`: a bot's footer or an aside, shown raised but read as plain words.
_SUPERSCRIPT = re.compile(r"\^\(([^()\n]*)\)")
#: Its one-word form, `^I ^am ^a ^bot`: the carets that open a word; "2^10" keeps its caret (a power, not raised words).
_SUPERSCRIPT_WORD = re.compile(r"(?<![^\s(])\^+(?=[^\s^(])")
_FOLD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Segment:
    """A run of text in reading order; `depth` > 0 when it sits inside that many `>` quotes."""

    text: str
    depth: int = 0


def _inline_text(token: Token, line_breaks: bool, superscript: bool) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type == "text":
            parts.append(_SUPERSCRIPT_WORD.sub("", _SUPERSCRIPT.sub(r"\1", child.content)) if superscript else child.content)
        elif child.type == "code_inline":
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append("\n" if line_breaks else " ")
        elif child.type == "hardbreak":
            parts.append("\n")
    # Links keep their text; an image's alt text and the markup itself are dropped. Entities are
    # decoded by the parser, so a typed &#x200B; (Reddit's way to force an empty line) ends up here.
    return "".join(parts).translate(_INVISIBLE)


def markdown_segments(
    text: str, parser: MarkdownIt = REDDIT_MARKDOWN, *, line_breaks: bool = False, superscript: bool = False
) -> list[Segment]:
    """Plain text of a markdown body as own/quoted runs; a code block is a run of its own.

    `line_breaks`: a single newline ends a line (chat) rather than being a soft wrap (Reddit).
    `superscript`: Reddit's `^(words)` is shown as the words (outside code, where `^(` is a regex).
    """
    segments: list[Segment] = []
    lines: list[str] = []
    row: list[str] | None = None
    depth = 0
    number = ""  # an ordered list item's "2. ", put back before its text: "step 2" is often the point

    def flush() -> None:
        if lines:
            segments.append(Segment("\n".join(lines), depth))
            lines.clear()

    for token in parser.parse(text):
        if token.type in ("blockquote_open", "blockquote_close"):
            flush()
            depth += 1 if token.type == "blockquote_open" else -1
        elif token.type in ("fence", "code_block"):
            flush()
            if token.content.strip():
                segments.append(Segment(Code(token.content.rstrip("\n")), depth))
        elif token.type == "list_item_open":
            number = f"{token.info}{token.markup} " if token.info else ""
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines.append(" | ".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            content = _inline_text(token, line_breaks, superscript).strip()
            if number and content:
                content, number = number + content, ""
            if row is not None:
                row.append(content)
            elif content:
                lines.append(content)
    flush()
    return segments


# ---------------------------------------------------------------- whose words a quote holds


@dataclass(frozen=True)
class Source:
    """A post a quote may come from; `text` None when its words are unknown (removed, or not in the file)."""

    author: str | None
    post: str | None
    text: str | None


def _folded(text: str) -> str:
    return _FOLD.sub(" ", text.lower()).strip()


def _found_in(quote: str, original: str) -> bool:
    lines = [folded for line in quote.split("\n") if len(folded := _folded(line)) >= 3]
    target = _folded(original)
    return bool(lines) and sum(1 for line in lines if line in target) >= 0.8 * len(lines)


def _source_of(text: str, chain: tuple[Source, ...]) -> tuple[str | None, str | None]:
    """Author and post of an anonymous `>` quote: the nearest post up the chain that holds its words.

    When none does, the quote is of outside material (docs, a news article), unless the post replied
    to is one whose words are unknown; then that post is still the best guess.
    """
    for source in chain:
        if source.text is not None and _found_in(text, source.text):
            return source.author, source.post
    if chain and chain[0].text is None:
        return chain[0].author, chain[0].post
    return None, None


def attribute(segments: Iterable[Segment], chain: tuple[Source, ...]) -> tuple[str | Quote, ...]:
    """Own runs stay text; quoted runs become Quotes credited by `_source_of` (nearest source first)."""
    blocks: list[str | Quote] = []
    for segment in segments:
        if segment.depth == 0:
            blocks.append(segment.text)
        else:
            blocks.append(Quote(segment.text, *_source_of(segment.text, chain)))
    return tuple(blocks)


def post_text(post: Post) -> str:
    """Everything a post shows, own words and quotes, for telling whether a later quote came from it."""
    return "\n".join(block if isinstance(block, str) else block.text for block in post.blocks)


# ---------------------------------------------------------------- Reddit JSON → thread

#: What Reddit leaves in place of removed words: "[removed]", "[deleted]" (backslash-escaped in some
#: archives) and the admins' "[ Removed by Reddit ]" / "[ Removed by reddit on account of … ]".
_REMOVED = re.compile(r"\\?\[(?:removed|deleted)\\?\]|\[ ?removed by reddit\b[^\n]*\]", re.IGNORECASE)
_SNIFF_LISTING = re.compile(r'"kind"\s*:\s*"Listing"')
_SNIFF_SUBMISSION = re.compile(r'"kind"\s*:\s*"t3"')


def sniff(path: Path, head: str) -> bool:
    """A JSON array that starts with a Listing holding a t3 (a submission)."""
    return head.lstrip().startswith("[") and bool(_SNIFF_LISTING.search(head)) and bool(_SNIFF_SUBMISSION.search(head))


def _body(markdown: str) -> str:
    """Reddit's markdown as typed: its HTML escaping undone, spoiler marks dropped."""
    return _SPOILER.sub(r"\1", html.unescape(markdown))


def _date(value: object) -> str | None:
    """`created_utc` is epoch seconds: a float from Reddit, sometimes a string in archived dumps."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


def _str(value: object) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _children(listing: object) -> list[Any]:
    data = listing.get("data") if isinstance(listing, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    return children if isinstance(children, list) else []


def unprefixed(fullname: object) -> str | None:
    """'t1_abc12' → 'abc12': the id scheme Post.post uses."""
    value = _str(fullname)
    return value.split("_", 1)[1] if value and re.match(r"t\d_", value) else value


class Tally:
    """What the file leaves out, reported once per file rather than once per comment.

    Removed comments are counted, and only the first few named: a data dump's file holds millions.
    """

    def __init__(self) -> None:
        self.more_stubs = 0
        self.more_comments = 0
        self.removed = 0
        self.removed_named: list[str] = []
        self.malformed = 0

    def note_removed(self, post: Post) -> None:
        self.removed += 1
        if len(self.removed_named) < 5:
            self.removed_named.append(f"{post.post} by {post.author or '?'}")

    def report(self, warn: Warn) -> None:
        if self.more_stubs:
            warn(
                # A "continue this thread" stub counts 0: how many replies lie behind it is not in the file.
                f"{self.more_comments or 'some'} comments not in the file (behind {self.more_stubs} 'load more comments' links); "
                # Not /api/morechildren: its answer ({"json": {"data": {"things": …}}}) is no thread this reader takes.
                "save the thread with ?limit=500, and each 'continue this thread' branch as its parent comment's <permalink>.json"
            )
        if self.removed:
            shown = ", ".join(self.removed_named) + (" …" if self.removed > 5 else "")
            warn(f"{self.removed} comments have no text (removed or deleted): {shown}")
        if self.malformed:
            warn(f"{self.malformed} entries of the comment tree are not comments; left out")


def _post(data: dict[str, Any], body_key: str, chain: tuple[Source, ...], thread_link: str | None = None) -> tuple[Post, Source]:
    """A submission or comment, and what a later quote of it would be matched against.

    `thread_link`: the submission's permalink, for a comment that carries none of its own (the API
    added comment permalinks around 2017; an older saved thread has them on the submission only).
    """
    post_id, author = _str(data.get("id")), _str(data.get("author"))
    raw = str(data.get(body_key) or "")
    removed = _REMOVED.fullmatch(raw.strip()) is not None
    blocks = () if removed else attribute(markdown_segments(_body(raw), superscript=True), chain)
    permalink = _str(data.get("permalink"))
    if permalink is None and thread_link and post_id:
        permalink = f"{thread_link.rstrip('/')}/{post_id}/"  # how Reddit writes a comment's permalink
    post = Post(
        blocks=blocks,
        author=author,
        date=_date(data.get("created_utc")),
        post=post_id,
        reply_to=unprefixed(data.get("parent_id")),
        url=f"https://www.reddit.com{permalink}" if permalink and permalink.startswith("/") else permalink,
    )
    return post, Source(author, post_id, None if removed else post_text(post))


def comment_tree(listing: object, submission: tuple[Source, ...], tally: Tally, thread_link: str | None = None) -> Iterator[Post]:
    """The comment tree depth-first, in page order; an explicit stack, so no nesting depth can overflow.

    `submission`: where a top-level comment's quote may come from, the submission first. Also walks
    the tree a data dump's flat comments are put back into (forumqa.formats.reddit_dump).
    `thread_link`: the submission's permalink, that a comment without its own is linked under.
    """
    stack: list[tuple[Iterator[Any], tuple[Source, ...]]] = [(iter(_children(listing)), submission)]
    while stack:
        items, chain = stack[-1]
        child = next(items, None)
        if child is None:
            stack.pop()
            continue
        kind = child.get("kind") if isinstance(child, dict) else None
        data = child.get("data") if isinstance(child, dict) else None
        if kind == "more" and isinstance(data, dict):
            tally.more_stubs += 1
            count = data.get("count")
            tally.more_comments += count if isinstance(count, int) else len(data.get("children") or [])
            continue
        if kind != "t1" or not isinstance(data, dict):
            tally.malformed += 1
            continue
        parent = unprefixed(data.get("parent_id"))
        if parent is not None and parent != chain[0].post:  # replies to a comment this file does not hold
            chain = (Source(None, parent, None), *chain)
        post, source = _post(data, "body", chain, thread_link)
        if post.blocks:
            yield post
        else:
            tally.note_removed(post)
        if isinstance(data.get("replies"), dict):
            stack.append((iter(_children(data["replies"])), (source, *chain)))


def submission_posts(fields: dict[str, Any]) -> tuple[list[Post], tuple[Source, ...]]:
    """The submission's posts, and where a top-level comment's quote may come from.

    A crosspost's own text is empty: the words are the original post's (`crosspost_parent_list`),
    so that post comes first, credited to its author; a comment quoting it is then a quote of it,
    never the crossposter's or the commenter's words. A link post's words are its link. A gallery's
    captions and a poll's options are the poster's words too (a gallery post has no text besides).
    """
    head, source = _post(fields, "selftext", ())
    if extras := _gallery_and_poll(fields):
        head = replace(head, blocks=(*head.blocks, *extras))
    parents = fields.get("crosspost_parent_list")
    original = parents[0] if isinstance(parents, list) and parents and isinstance(parents[0], dict) else None
    if original is not None:
        shared, shared_source = _post(original, "selftext", ())
        return [post for post in (shared, head) if post.blocks], (source, shared_source)
    link = _str(fields.get("url_overridden_by_dest") or fields.get("url"))
    if fields.get("is_self") is False and link:
        head = replace(head, blocks=(*head.blocks, html.unescape(link)))
    return [head] if head.blocks else [], (source,)


def _gallery_and_poll(fields: dict[str, Any]) -> list[str]:
    """A gallery's captions (`gallery_data.items[].caption`) and a poll's options (`poll_data.options[].text`), a line each."""
    found = []
    for holder, key, text_key in (("gallery_data", "items", "caption"), ("poll_data", "options", "text")):
        block = fields.get(holder)
        items = block.get(key) if isinstance(block, dict) else None
        lines = (
            [html.unescape(t.strip()) for i in items if isinstance(i, dict) and isinstance(t := i.get(text_key), str) and t.strip()]
            if isinstance(items, list)
            else []
        )
        if lines:
            found.append("\n".join(lines))
    return found


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    data = load_json(path)
    first = _children(data[0]) if isinstance(data, list) and data else []
    submission = first[0] if first and isinstance(first[0], dict) else None
    if submission is None or submission.get("kind") != "t3" or not isinstance(submission.get("data"), dict):
        raise UnreadableDocument("not a Reddit thread: expected [submission listing, comment listing], as saved from <permalink>.json")
    fields: dict[str, Any] = submission["data"]
    posts, sources = submission_posts(fields)
    # Every string of Reddit's JSON is HTML-escaped (unless fetched with raw_json=1), titles too.
    title = html.unescape(_str(fields.get("title")) or "")
    thread = Thread(title or path.stem, posts, date=_date(fields.get("created_utc")))
    tally = Tally()
    link = _str(fields.get("permalink"))
    thread.posts.extend(comment_tree(data[1] if len(data) > 1 else None, sources, tally, link if link and link.startswith("/") else None))
    tally.report(warn)
    yield thread


FORMAT = ThreadFormat("Reddit thread JSON", sniff, read)
