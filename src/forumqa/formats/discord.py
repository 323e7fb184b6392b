"""DiscordChatExporter JSON: one channel (or thread) per file, each message a post.

DiscordChatExporter (the de facto way people save Discord history) writes `guild`, `channel` and
`messages[]`; a reply names the message it answers in `reference.messageId`. Content is chat
markdown: every newline ends a line, `> ` quotes one line and `>>> ` the rest of the message.
Joins, pins, calls and other system messages carry no one's words and are left out.

Content is plain chat markdown when the export formatted it (the default: `@name`, `#channel`,
`:emoji:`), or Discord's raw tokens with `--markdown false` (`<@id>`, `<#id>`, `<:emoji:id>`,
`<t:epoch>`), which are turned into the same readable words here. A message with no content may
still carry words that are not its author's: a forwarded message, or a bot's embed; those are Quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.discourse import load_json
from forumqa.formats.reddit import Segment, Source, attribute, markdown_segments, post_text
from forumqa.threads import Post, Quote, Thread, ThreadFormat, Warn

#: Discord has no indented code blocks, setext headings or link reference definitions.
DISCORD_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").disable(["code", "lheading", "reference"])
#: Message types with someone's words; the rest (GuildMemberJoin, ChannelPinnedMessage, Call…) are events.
#: DiscordChatExporter names only the types it knows and writes the others as numbers: 20 and 23
#: are an app's answer to a slash command or a context-menu command.
_CONTENT_TYPES = frozenset({"Default", "Reply", "20", "23", "ChatInputCommand", "ContextMenuCommand"})
#: Discord's raw tokens, as an export made with `--markdown false` keeps them.
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&\d+>")
_CHANNEL = re.compile(r"<#(\d+)>")
_EMOJI = re.compile(r"<a?(:\w+:)\d+>")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,12})(?::[tTdDfFR])?>")
_COMMAND = re.compile(r"</([\w -]+):\d+>")
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


def _name(user: object) -> str | None:
    """The name the channel shows: the server nickname, else the account name."""
    return _str(_field(user, "nickname")) or _str(_field(user, "name"))


def _author(message: dict[str, Any]) -> str | None:
    return _name(message.get("author"))


def _when(match: re.Match[str]) -> str:
    try:
        return datetime.fromtimestamp(int(match.group(1)), UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return match.group(0)


def readable(content: str, people: dict[str, str], channels: dict[str, str]) -> str:
    """Raw tokens as the Discord client shows them: `<@id>` → @name, `<#id>` → #channel, `<:e:id>` → :e:."""
    content = _USER.sub(lambda m: "@" + people.get(m.group(1), "unknown-user"), content)
    content = _CHANNEL.sub(lambda m: "#" + channels.get(m.group(1), "unknown-channel"), content)
    content = _ROLE.sub("@role", _EMOJI.sub(r"\1", _COMMAND.sub(r"/\1", content)))
    return _TIMESTAMP.sub(_when, content)


def _segments(content: str) -> list[Segment]:
    return markdown_segments(chat_markdown(content), DISCORD_MARKDOWN, line_breaks=True)


def _embed_text(embed: object) -> str:
    """An embed's title, description and fields: what a bot shows instead of content."""
    fields = _field(embed, "fields")
    lines = [_field(embed, "title"), _field(embed, "description")]
    lines += [f"{_field(f, 'name') or ''}: {_field(f, 'value') or ''}" for f in (fields if isinstance(fields, list) else [])]
    return "\n".join(line for line in lines if isinstance(line, str) and line.strip(": "))


def _without_content(message: dict[str, Any], people: dict[str, str], channels: dict[str, str]) -> tuple[str | Quote, ...]:
    """The words a message with empty content shows: a forwarded message's, or its embeds'.

    A forward's words are from a message elsewhere, by someone the export does not name: a Quote.
    An embed is a bot's own words, unless it names an author (a feed repost): then a Quote of theirs.
    """
    forwarded = _str(_field(message.get("forwardedMessage"), "content"))
    if forwarded:
        source = _str(_field(message.get("reference"), "messageId"))
        return tuple(Quote(s.text, None, source) for s in _segments(readable(forwarded, people, channels)))
    embeds = message.get("embeds")
    blocks: list[str | Quote] = []
    for embed in embeds if isinstance(embeds, list) else []:
        author = _str(_field(_field(embed, "author"), "name"))
        texts = [s.text for s in _segments(readable(_embed_text(embed), people, channels))]
        blocks += [Quote(text, author) for text in texts] if author else texts
    return tuple(blocks)


def _url_base(guild_id: str | None, channel_id: str | None) -> str | None:
    """Discord message links; a direct-message export has guild id 0, linked as @me."""
    if not channel_id:
        return None
    return f"https://discord.com/channels/{guild_id if guild_id not in (None, '0') else '@me'}/{channel_id}"


def _post(message: dict[str, Any], by_id: dict[str, Post], url_base: str | None, people: dict[str, str], channels: dict[str, str]) -> Post:
    message_id = _str(message.get("id"))
    reference = message.get("reference")
    # A forward also names its message in `reference`, but answers nothing.
    reply_to = None if _field(reference, "type") == "Forward" else _str(_field(reference, "messageId"))
    chain: tuple[Source, ...] = ()
    if reply_to is not None:
        replied = by_id.get(reply_to)
        chain = (Source(replied.author, reply_to, post_text(replied)) if replied else Source(None, reply_to, None),)
    timestamp = _str(message.get("timestamp"))
    content = str(message.get("content") or "")
    return Post(
        blocks=attribute(_segments(readable(content, people, channels)), chain)
        if content.strip()
        else _without_content(message, people, channels),
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
    parent = _str(_field(channel, "category"))  # for a thread, the channel it belongs to
    # The channels a raw `<#id>` can be named from: this one, and its parent or category.
    channels = {str(_field(channel, "id")): channel_name, str(_field(channel, "categoryId")): parent or "unknown-channel"}
    if "Thread" in str(_field(channel, "type") or "") and parent:
        channel_name = f"{parent} / {channel_name}"  # 'telescopes / Which eyepiece for planets?'
    # A direct message (DCE's "Direct Messages" pseudo-guild, id 0) is named after the person, not a #channel.
    direct = _str(_field(guild, "id")) == "0" or str(_field(channel, "type") or "").startswith("Direct")
    shown = channel_name if direct else f"#{channel_name}"
    thread = Thread(f"{guild_name} / {shown}" if guild_name else shown)
    url_base = _url_base(_str(_field(guild, "id")), _str(_field(channel, "id")))
    people: dict[str, str] = {}  # user id → name, from every author and mention met so far
    by_id: dict[str, Post] = {}
    malformed = duplicates = 0
    for index, message in enumerate(messages):
        messages[index] = None  # let each raw message go once read: a big channel is not held twice
        if not isinstance(message, dict):
            malformed += 1
            continue
        mentions = message.get("mentions")
        for user in [message.get("author"), *(mentions if isinstance(mentions, list) else [])]:
            if (user_id := _str(_field(user, "id"))) and (name := _name(user)):
                people[user_id] = name
        if str(message.get("type", "Default")) not in _CONTENT_TYPES:
            continue  # an event
        if _str(message.get("id")) in by_id:
            duplicates += 1  # an export resumed or merged by hand repeats messages: each is one post
            continue
        post = _post(message, by_id, url_base, people, channels)
        if post.post:
            by_id[post.post] = post
        if post.blocks:  # attachments or stickers only have no words
            thread.posts.append(post)
    if malformed:
        warn(f"{malformed} entries of messages are not messages; left out")
    if duplicates:
        warn(f"{duplicates} messages repeat the id of an earlier one; read once")
    yield thread


FORMAT = ThreadFormat("DiscordChatExporter JSON", sniff, read)
