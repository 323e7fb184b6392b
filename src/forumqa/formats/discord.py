"""DiscordChatExporter JSON: one channel (or thread) per file, each message a post.

DiscordChatExporter (the de facto way people save Discord history) writes `guild`, `channel` and
`messages[]`; a reply names the message it answers in `reference.messageId`. Content is chat
markdown: every newline ends a line, `> ` quotes one line and `>>> ` the rest of the message.
Joins, pins, calls and other system messages carry no one's words and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.discourse import load_json
from forumqa.formats.reddit import Source, attribute, markdown_segments, post_text
from forumqa.threads import Post, Thread, ThreadFormat, Warn

#: Discord has no indented code blocks, setext headings or link reference definitions.
DISCORD_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").disable(["code", "lheading", "reference"])
#: Message types with someone's words; the rest (GuildMemberJoin, ChannelPinnedMessage, Call…) are events.
_CONTENT_TYPES = frozenset({"Default", "Reply"})
_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
_SNIFF = tuple(re.compile(rf'"{key}"\s*:\s*{opener}') for key, opener in (("guild", r"\{"), ("channel", r"\{"), ("messages", r"\[")))


def sniff(path: Path, head: str) -> bool:
    """An object with guild, channel and messages: the keys DiscordChatExporter writes first."""
    return head.lstrip().startswith("{") and all(pattern.search(head) for pattern in _SNIFF)


def chat_markdown(content: str) -> str:
    """Discord's quoting rules in CommonMark terms.

    `>>> ` quotes everything after it; a `> ` line quotes that line only, so the line after it
    must not run on into the quote as CommonMark's lazy continuation would have it.
    """
    lines = _SPOILER.sub(r"\1", content).replace("\r\n", "\n").split("\n")
    out: list[str] = []
    rest_quoted = False
    for line in lines:
        if not rest_quoted and line.startswith(">>> "):
            rest_quoted, line = True, line[4:]
        quoted = rest_quoted or line.startswith("> ") or line == ">"
        if rest_quoted:
            line = "> " + line
        if out and out[-1].startswith(">") and not quoted:
            out.append("")
        out.append(line)
    return "\n".join(out)


def _str(value: object) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _field(parent: object, key: str) -> Any:
    return parent.get(key) if isinstance(parent, dict) else None


def _author(message: dict[str, Any]) -> str | None:
    """The name the channel shows: the server nickname, else the account name."""
    return _str(_field(message.get("author"), "nickname")) or _str(_field(message.get("author"), "name"))


def _url_base(guild_id: str | None, channel_id: str | None) -> str | None:
    """Discord message links; a direct-message export has guild id 0, linked as @me."""
    if not channel_id:
        return None
    return f"https://discord.com/channels/{guild_id if guild_id not in (None, '0') else '@me'}/{channel_id}"


def _post(message: dict[str, Any], by_id: dict[str, Post], url_base: str | None) -> Post:
    message_id = _str(message.get("id"))
    reply_to = _str(_field(message.get("reference"), "messageId"))
    chain: tuple[Source, ...] = ()
    if reply_to is not None:
        replied = by_id.get(reply_to)
        chain = (Source(replied.author, reply_to, post_text(replied)) if replied else Source(None, reply_to, None),)
    timestamp = _str(message.get("timestamp"))
    segments = markdown_segments(chat_markdown(str(message.get("content") or "")), DISCORD_MARKDOWN, line_breaks=True)
    return Post(
        blocks=attribute(segments, chain),
        author=_author(message),
        date=parse_date(timestamp or "") or timestamp,
        post=message_id,
        reply_to=reply_to,
        url=f"{url_base}/{message_id}" if url_base and message_id else None,
    )


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    data = load_json(path)
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(messages, list):
        raise UnreadableDocument("not a DiscordChatExporter export: expected an object with guild, channel and messages")
    guild, channel = data.get("guild"), data.get("channel")
    channel_name = _str(_field(channel, "name")) or path.stem
    guild_name = _str(_field(guild, "name"))
    thread = Thread(f"{guild_name} / #{channel_name}" if guild_name else f"#{channel_name}")
    url_base = _url_base(_str(_field(guild, "id")), _str(_field(channel, "id")))
    by_id: dict[str, Post] = {}
    malformed = 0
    for index, message in enumerate(messages):
        messages[index] = None  # let each raw message go once read: a big channel is not held twice
        if not isinstance(message, dict):
            malformed += 1
            continue
        if str(message.get("type", "Default")) not in _CONTENT_TYPES or not str(message.get("content") or "").strip():
            continue  # an event, or attachments and embeds only
        post = _post(message, by_id, url_base)
        if post.post:
            by_id[post.post] = post
        if post.blocks:
            thread.posts.append(post)
    if malformed:
        warn(f"{malformed} entries of messages are not messages; left out")
    yield thread


FORMAT = ThreadFormat("DiscordChatExporter JSON", sniff, read)
