"""forumqa's own thread JSON: {"title", "date"?, "posts": [{"author", "date", "text"}]}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.threads import Post, Thread, ThreadFormat, Warn


def sniff(path: Path, head: str) -> bool:
    return path.suffix.lower() == ".json" and head.lstrip().startswith("{") and '"posts"' in head


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(f"invalid JSON ({exc})") from exc
    posts = data.get("posts") if isinstance(data, dict) else None
    if not isinstance(posts, list) or not posts:
        raise UnreadableDocument('not a thread export: expected {"title": ..., "posts": [{"author", "date", "text"}]}')
    thread = Thread(str(data.get("title") or path.stem).strip(), date=parse_date(str(data.get("date") or "")))
    for number, post in enumerate(posts, start=1):
        if not isinstance(post, dict) or not str(post.get("text") or "").strip():
            warn(f"post {number} has no text; left out")
            continue
        date = str(post["date"]) if post.get("date") else None
        thread.posts.append(
            Post(
                blocks=(str(post["text"]),),
                author=str(post["author"]).strip() if post.get("author") else None,
                date=parse_date(date or "") or date,
                post=str(number),
            )
        )
    yield thread


FORMAT = ThreadFormat("forumqa thread JSON", sniff, read)
