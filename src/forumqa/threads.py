"""The one shape every forum export becomes: a thread of posts, each its own words plus what it quotes.

Parsers (forumqa.formats.*) only fill these dataclasses; `to_document` lays a thread out as the
text that citations index into, and decides which spans are answerable and by whom. Keeping that
decision here, once, is what makes "a quoted sentence is never credited to the replier" hold for
every format alike.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from forumqa.documents import Document, Section

#: Reports a problem that cost part of a file (one post, one message) without stopping the rest.
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Quote:
    """Text a post quotes. `author`/`post` say whose words they are when the export records it."""

    text: str
    author: str | None = None
    post: str | None = None


class Code(str):
    """Preformatted lines (a code box, a `pre`, a fenced block), kept with their indentation and spacing.

    A str, like markupsafe's Markup, so that every reader's handling of a post's own paragraphs
    (grouping, quote detection, own-words matching) applies to code unchanged; only the layout
    (`to_document`) tells it apart. A str method's result is a plain str again: a reader wraps
    the finished text, and a block that lost the mark on the way is only laid out as prose.
    """

    __slots__ = ()


@dataclass(frozen=True)
class Post:
    """One message. `blocks` keeps the post's own paragraphs (str, or Code) and its quotes in reading order."""

    blocks: tuple[str | Quote, ...]
    author: str | None = None
    date: str | None = None
    post: str | None = None  # the post's number or id in its thread
    reply_to: str | None = None
    url: str | None = None
    #: The thread marks this post as its answer: Stack Exchange's accepted answer, a Discourse solution (discourse-solved).
    accepted: bool = False


@dataclass(frozen=True)
class Thread:
    title: str
    posts: list[Post] = field(default_factory=list)
    #: Tells apart the threads of a file that holds many (an mbox, a Posts.xml): "<file id>/<key>".
    key: str | None = None
    date: str | None = None


# ---------------------------------------------------------------- text clean-up


def clean_block(text: str) -> str:
    """One paragraph per line, spaces folded, no blank lines: the splitter treats a line as a paragraph.

    Code keeps its indentation and inner spacing (a Python block, an aligned table of output), less
    the margin every line shares; only trailing spaces and blank lines go.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if isinstance(text, Code):
        # boards indent code with no-break spaces (&nbsp;), which are spaces to whoever copies the code
        lines = textwrap.dedent("\n".join(line.replace("\xa0", " ").rstrip() for line in lines)).split("\n")
    else:
        lines = [" ".join(line.split()) for line in lines]
    return "\n".join(line for line in lines if line.strip())


_FOLD = re.compile(r"[\W_]+")


def _folded(text: str) -> str:
    """Letters and digits only, lower-case: mail re-wrapping, entities and markup can't hide a repeat."""
    return _FOLD.sub(" ", text.lower()).strip()


def _is_repeat(quote: Quote, post_ids: set[str], originals: list[str]) -> bool:
    """The quoted words are in the thread already: a quote of post N, or lines found in another post."""
    if quote.post is not None and quote.post in post_ids:
        return True
    lines = [folded for line in quote.text.split("\n") if len(folded := _folded(line)) >= 3]
    if not lines:
        return True  # nothing to say by itself
    found = sum(1 for line in lines if any(line in original for original in originals))
    return found >= 0.8 * len(lines)


# ---------------------------------------------------------------- layout

#: How many earlier posts a quote without a post reference is looked for in. Replies quote recent
#: posts (mail quotes its parent), and a fixed window keeps a 100k-post thread linear.
QUOTE_LOOKBACK = 50


def _quotable(index: int, post: Post, position: dict[str, int], folded: list[str]) -> list[str]:
    """Own words of the posts a quote in post `index` may come from: the one it replies to, and recent ones."""
    window = range(max(0, index - QUOTE_LOOKBACK), index)
    replied = position.get(post.reply_to) if post.reply_to else None
    chosen = ([replied] if replied is not None and replied != index else []) + [j for j in window if j != replied]
    return [folded[j] for j in chosen]


def post_header(post: Post) -> str:
    """'gorhill · #8 · 2016-02-03': who, which post, when, as the chat page and the panel show it."""
    parts = [post.author or "anonymous"]
    if post.post:
        parts.append(f"#{post.post}" if post.post.isdigit() else post.post)
    if post.date:
        parts.append(post.date)
    return " · ".join(parts)


def to_document(thread: Thread, doc_id: str, source: str) -> Document | None:
    """Lay the thread out as text and mark which spans are answerable; None when no post has words.

    A post's own paragraphs are Sections credited to its author. A quote whose words are already
    in the thread (the quoted post, or the same lines in another post) is shown but is no Section,
    so it is neither embedded again nor citable as the replier's. A quote of something outside the
    export stays citable (`quoted=True`), each line a Section of its own, credited to the quoted
    author; with no attribution (a man page, an error message) to the poster who brings it in.
    """
    post_ids = {p.post for p in thread.posts if p.post}
    folded = [_folded(" ".join(b for b in p.blocks if isinstance(b, str))) for p in thread.posts]
    position = {p.post: i for i, p in enumerate(thread.posts) if p.post}
    title = " ".join(thread.title.split()) or doc_id
    parts: list[str] = [title, "\n"]
    offset = len(title) + 1
    sections: list[Section] = []
    seen_quotes: set[str] = set()

    def add(text: str) -> int:
        nonlocal offset
        parts.append(text)
        start = offset
        offset += len(text)
        return start

    for index, post in enumerate(thread.posts):
        blocks = [(b, clean_block(b) if isinstance(b, str) else clean_block(b.text)) for b in post.blocks]
        if not any(text for _, text in blocks):
            continue
        others = _quotable(index, post, position, folded)
        add("\n" + post_header(post) + "\n")
        own = Section(
            0, 0, author=post.author, date=post.date, post=post.post, url=post.url, reply_to=post.reply_to, accepted=post.accepted
        )
        for block, text in blocks:
            if not text:
                continue
            if isinstance(block, str):
                start = add(text + "\n") + len(text) - len(text.lstrip())  # code may open indented
                sections.append(replace(own, start=start, end=start + len(text.lstrip())))
                continue
            repeat = _is_repeat(block, post_ids, others) or _folded(text) in seen_quotes
            seen_quotes.add(_folded(text))
            add(f"> {block.author} wrote:\n" if block.author else "> quote:\n")
            for line in text.split("\n"):
                start = add("> ") + 2
                add(line + "\n")
                if not repeat:
                    # Unattributed: outside material (docs, an error message) the poster brings in.
                    author = block.author if block.author or block.post else post.author
                    quoted = replace(own, author=author, post=block.post or post.post, quoted=True, accepted=False)
                    sections.append(replace(quoted, start=start, end=start + len(line)))
    if not sections:
        return None
    text = "".join(parts).rstrip("\n")
    date = thread.date or next((p.date for p in thread.posts if p.date), None)
    return Document(doc_id, source, title, date, text, tuple(sections))


def documents_of(threads: Iterator[Thread], file_id: str, source: str, several: bool) -> Iterator[Document]:
    """Documents for a file's threads; a file of several threads gives ids '<file id>/<key>'."""
    for number, thread in enumerate(threads, start=1):
        key = thread.key or str(number)
        doc_id = f"{file_id}/{_safe_key(key)}" if several else file_id
        document = to_document(thread, doc_id, source)
        if document is not None:
            yield document


def _safe_key(key: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", key.lower()).strip("-.") or "thread"


@dataclass(frozen=True)
class ThreadFormat:
    """An export format: how to recognise it from its first bytes, and how to read its threads.

    `sniff` gets the path and the first 64 KiB as text (BOM removed), so a `.json` is told apart by
    its content; `read` may stream the file (real exports run to gigabytes) and reports a bad post
    through `warn` instead of giving up on the file. `many`: one file holds many threads.
    """

    name: str
    sniff: Callable[[Path, str], bool]
    read: Callable[[Path, Warn], Iterator[Thread]]
    many: bool = False
