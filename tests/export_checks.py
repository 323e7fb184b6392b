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
from forumqa.threads import ThreadFormat, documents_of


def read_one(path: Path) -> tuple[Document, list[str]]:
    """The one document a file holds, and the reasons the loader gave for what it left out."""
    warnings: list[Skipped] = []
    documents = read_file(path, path.name, warnings)
    assert len(documents) == 1
    return documents[0], [w.reason for w in warnings]


def head_of(path: Path) -> str:
    """The start of a file as the loader sniffs it."""
    return path.read_bytes()[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")


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
