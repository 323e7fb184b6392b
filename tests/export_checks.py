"""Shared by the export readers' tests: which sections hold some words, and junk put anywhere in a JSON export."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from forumqa.documents import Document, Section, UnreadableDocument
from forumqa.threads import ThreadFormat, documents_of


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
