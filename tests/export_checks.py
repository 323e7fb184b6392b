"""Shared by the export readers' tests: reading one export, which sections hold some words, and junk put anywhere in a JSON export."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from forumqa.documents import Document, Section, Skipped, UnreadableDocument
from forumqa.loading import SNIFF_BYTES, read_file
from forumqa.threads import Post, Quote, Thread, ThreadFormat, clean_block, documents_of


def read_one(path: Path) -> tuple[Document, list[str]]:
    """The one document a file holds, and the reasons the loader gave for what it left out."""
    warnings: list[Skipped] = []
    documents = read_file(path, path.name, warnings)
    assert len(documents) == 1
    return documents[0], [w.reason for w in warnings]


def read_clean(path: Path) -> Document:
    """The one document a file holds, read with nothing left out."""
    document, warnings = read_one(path)
    assert warnings == []
    return document


def head_of(path: Path) -> str:
    """The start of a file as the loader sniffs it."""
    return path.read_bytes()[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


def assert_sections_exact(document: Document, thread: Thread) -> None:
    """Each own section is exactly one of its post's paragraphs; each quoted one a line of a quote by that author."""
    posts: dict[str, Post] = {p.post: p for p in thread.posts if p.post}
    assert document.sections
    for section in document.sections:
        text = document.text[section.start : section.end]
        assert text and text == text.strip()
        # a light page (printer view, archive) links every post to the page itself: its quotes are found by post
        same_url = [p for p in thread.posts if p.url == section.url]
        post = same_url[0] if section.quoted and len(same_url) == 1 else posts[section.post or ""]
        if section.quoted:  # credited to the quoted author, or to the poster for unattributed outside material
            quotes = [b for b in post.blocks if isinstance(b, Quote) and (b.author or post.author) == section.author]
            lines = {line for quote in quotes for line in clean_block(quote.text).split("\n")}
        else:
            assert section.author == post.author and section.date == post.date and section.url == post.url
            lines = {clean_block(b) for b in post.blocks if isinstance(b, str)}
        assert text in lines, (section, text)


def covering(document: Document, words: str) -> list[Section]:
    """The sections whose span holds the first occurrence of `words` in the document text."""
    start = document.text.index(words)
    return [s for s in document.sections if s.start <= start < s.end]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def places(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position in a JSON tree, as the keys and indexes that lead to it."""
    yield at
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from places(child, (*at, key))


def read_damaged(fmt: ThreadFormat, export: Path, data: st.DataObject, folder: Path) -> None:
    """Replace one value of `export` by junk and read it: documents or UnreadableDocument, never anything else."""
    original = json.loads(export.read_text(encoding="utf-8"))
    place = data.draw(st.sampled_from(list(places(original))))
    damaged = data.draw(JSON_VALUES)
    if place:
        parent = original
        for key in place[:-1]:
            parent = parent[key]
        parent[place[-1]] = damaged
    else:
        original = damaged
    path = folder / "damaged.json"
    path.write_text(json.dumps(original), encoding="utf-8")
    with contextlib.suppress(UnreadableDocument):
        list(documents_of(fmt.read(path, lambda message: None), "damaged", "damaged.json", fmt.many))
