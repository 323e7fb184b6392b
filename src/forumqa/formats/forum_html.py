"""Stub: replaced by the forum_html reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from forumqa.threads import Thread, ThreadFormat, Warn


def sniff(path: Path, head: str) -> bool:
    return False


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    raise NotImplementedError


FORMAT = ThreadFormat("forum_html", sniff, read)
