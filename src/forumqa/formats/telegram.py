"""Telegram Desktop's "Export chat history" JSON (`result.json`): each chat a document, each forum topic one.

Checked against Telegram Desktop's own writer, Telegram/SourceFiles/export/output/export_output_json.cpp
(`SerializeMessage`, `SerializeText`, `writeDialogStart`, `writeChatsStart`), in three stored copies of
different ages: the oldest writes neither `date_unixtime` nor `text_entities`, the newest adds a
blockquote's `collapsed`, reactions and bot buttons. Also against its reading of the API,
export_data_types.cpp (`ParseMessage`: `reply_to_peer_id` is written only for a reply to another
chat; a migrated group's history gets ids shifted below zero), and the tg-parser package's notes on
forum topics (docs/TELEGRAM_FORMAT.md).

One chat's export is `{"name", "type", "id", "messages": [...]}`, keys in that order (no `name` for
Saved Messages); a whole account's is `{"about", …, "chats": {"about", "list": [chat, …]},
"left_chats": {…}}`. A chat is one document, as a DiscordChatExporter channel is: the export holds no
username, so no message gets a link. A forum supergroup's topics are documents of their own, as
Discord's threads are: a message belongs to the topic whose `topic_created` service message its
`reply_to_message_id` chain ends at (a message in a topic "replies" to that message, which answers
nothing); the rest are the General topic.

`text` is a string, or a list of plain strings and `{"type", "text", …}` parts (bold, link, mention,
code…), all read as their text; a `blockquote` part is a Quote, credited to the replied-to message
when its words are that message's, and a `pre` part is a block of its own. A forwarded message
(`forwarded_from`) holds someone else's words: all of it is a Quote of the original sender, never
the forwarder's. Service messages (joins, pins, topic changes) and messages without text (photos,
stickers, voice) carry no one's words and are left out; a poll's question and options are its
poster's (`poll`: `question`, `answers[].text`). The reply quote Telegram's apps can attach to a reply
is not in the export, so it cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.discourse import load_json
from forumqa.formats.reddit import Segment, Source, attribute, post_text
from forumqa.threads import Code, Post, Quote, Thread, ThreadFormat, Warn

#: `writeDialogStart`'s chat types; an unknown one is written as null.
_CHAT_TYPES = (
    "personal_chat",
    "bot_chat",
    "private_group",
    "private_supergroup",
    "public_supergroup",
    "private_channel",
    "public_channel",
    "saved_messages",
    "replies",
    "verification_codes",
)
#: What a chat without a name is called in the app.
_UNNAMED = {"saved_messages": "Saved Messages", "replies": "Replies", "verification_codes": "Verification Codes"}
_STRING = r'"(?:[^"\\]|\\.)*"'
#: A chat's header as the exporter writes it: only name, type and id before the messages array.
_CHAT_HEAD = re.compile(rf'\{{(?:\s*"(?:name|type|id)"\s*:\s*(?:{_STRING}|null|-?\d+)\s*,)*\s*"messages"\s*:\s*\[')
_CHAT_TYPE = re.compile(rf'"type"\s*:\s*(?:null|"(?:{"|".join(_CHAT_TYPES)})")')
#: An account export opens with Telegram's "about" text, then one of the sections the exporter writes.
_SECTIONS = (
    "personal_information",
    "profile_pictures",
    "stories",
    "contacts",
    "frequent_contacts",
    "sessions",
    "web_sessions",
    "other_data",
    "chats",
    "left_chats",
)
_ACCOUNT_HEAD = re.compile(rf'\{{\s*"about"\s*:\s*{_STRING}\s*,\s*"(?:{"|".join(_SECTIONS)})"\s*:')
#: How many ids a warning names before it only counts.
_SHOWN = 5


def sniff(path: Path, head: str) -> bool:
    """The exporter's own opening: a chat's name/type/id then `messages`, or an account's `about` then a section.

    Matched from the first byte, so a Discourse, Discord or Flarum file that mentions these keys
    further in is never claimed; a chat's type must be one the exporter writes.
    """
    head = head.lstrip()
    chat = _CHAT_HEAD.match(head)
    if chat is not None:
        return _CHAT_TYPE.search(chat.group(0)) is not None
    return _ACCOUNT_HEAD.match(head) is not None


# ---------------------------------------------------------------- values


def _name(value: object) -> str | None:
    return (" ".join(value.split()) or None) if isinstance(value, str) else None


def _field(parent: object, key: str) -> Any:
    return parent.get(key) if isinstance(parent, dict) else None


def _id(value: object) -> str | None:
    """A message or chat id: a number in the export (negative for a migrated group's history)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value.strip()):
        return value.strip()
    return None


def _date(message: dict[str, Any]) -> str | None:
    """UTC from `date_unixtime`; `date` alone (older exports) is the exporting computer's local time."""
    unixtime = message.get("date_unixtime")
    if isinstance(unixtime, str | int) and not isinstance(unixtime, bool):
        try:
            return datetime.fromtimestamp(int(unixtime), UTC).isoformat(timespec="seconds")
        except (OverflowError, OSError, ValueError):
            pass
    date = message.get("date")
    return (parse_date(date) or date.strip() or None) if isinstance(date, str) else None


# ---------------------------------------------------------------- text → blocks


def segments(text: object) -> list[Segment] | None:
    """The runs of a message's `text` in reading order, blockquotes at depth 1; None when it is of no shape Telegram writes.

    Inline parts (bold, links, mentions, inline code, custom emoji) run into the text around them;
    a blockquote or a `pre` block stands apart, as the app shows it.
    """
    if isinstance(text, str):
        text = [text]
    if not isinstance(text, list):
        return None
    out: list[Segment] = []
    run: list[str] = []

    def flush() -> None:
        if joined := "".join(run).strip():
            out.append(Segment(joined))
        run.clear()

    for part in text:
        words = part if isinstance(part, str) else _field(part, "text")
        if not isinstance(words, str):
            return None
        kind = _field(part, "type")
        if kind in ("blockquote", "pre"):
            flush()
            if words.strip():
                out.append(Segment(words.strip(), 1) if kind == "blockquote" else Segment(Code(words.strip("\n")), 0))
        else:
            run.append(words)
    flush()
    return out


def _poll(poll: object) -> list[Segment]:
    """A poll's question, then its options a line each: what its poster asked, in their words (the votes are not)."""
    if not isinstance(poll, dict):
        return []
    question = segments(poll.get("question")) or []
    answers = poll.get("answers")
    options = (
        [text.strip() for a in answers if isinstance(text := _field(a, "text"), str) and text.strip()] if isinstance(answers, list) else []
    )
    return question + ([Segment("\n".join(options))] if options else [])


# ---------------------------------------------------------------- messages → posts


@dataclass
class _Tally:
    """What a chat leaves out, said once per chat and naming the messages."""

    not_messages: int = 0
    without_id: list[str] = field(default_factory=list)  # positions in `messages`
    bad_text: list[str] = field(default_factory=list)  # message ids
    repeated: int = 0

    def report(self, chat: str, warn: Warn) -> None:
        if self.not_messages:
            warn(f"{chat}: {self.not_messages} entries of messages are not messages; left out")
        if ids := self.without_id:
            which = f"the message at position {ids[0]} has" if len(ids) == 1 else f"{len(ids)} messages (at positions {_listed(ids)}) have"
            warn(f"{chat}: {which} no id; left out")
        if ids := self.bad_text:
            which = f"message {ids[0]} has" if len(ids) == 1 else f"{len(ids)} messages ({_listed(ids)}) have"
            warn(f"{chat}: {which} text that is not a string or a list of text parts; left out")
        if self.repeated:
            warn(f"{chat}: {self.repeated} messages repeat the id of an earlier one; read once")


def _listed(ids: list[str]) -> str:
    """The first few ids a warning names: '107, 109, 130'."""
    return ", ".join(ids[:_SHOWN]) + (" …" if len(ids) > _SHOWN else "")


def message_post(
    said: dict[str, Source],
    message_id: str,
    author: str | None,
    date: str | None,
    reply_to: str | None,
    found: list[Segment],
    forwarded: bool = False,
    original: str | None = None,
) -> Post:
    """A message as a post, remembered in `said` with whose words it holds, for a later reply's blockquote
    (the JSON and the HTML export alike).

    A forward's words are Quotes of their original sender, whatever the runs are (its blockquotes were
    quoted there). A sender the export does not name (`null`: a deleted account) still keeps the words
    apart from the forwarder: the Quote then names the forward (`<id>/forwarded`) instead of an author.
    Any other message's blockquote is credited to the message it replies to when the words are that one's.
    """
    blocks: tuple[str | Quote, ...]
    if forwarded:
        blocks = tuple(Quote(s.text, original, None if original else f"{message_id}/forwarded") for s in found)
    else:
        chain = (said.get(reply_to) or Source(None, reply_to, None),) if reply_to else ()
        blocks = attribute(found, chain)
    post = Post(blocks=blocks, author=author, date=date, post=message_id, reply_to=reply_to)
    said[message_id] = Source(original if forwarded else author, message_id, post_text(post))
    return post


@dataclass
class _Chat:
    """One chat being read: its posts by topic, and what replies and quotes are resolved against."""

    title: str
    key: str
    topics: dict[str, str] = field(default_factory=dict)  # topic_created message id → topic title
    topic_of: dict[str, str] = field(default_factory=dict)  # message id → its topic's id
    said: dict[str, Source] = field(default_factory=dict)  # message id → its author and words
    seen: set[str] = field(default_factory=set)  # every message id read, events too
    posts: dict[str | None, list[Post]] = field(default_factory=dict)  # topic id (None: General) → posts
    tally: _Tally = field(default_factory=_Tally)

    def read(self, message: dict[str, Any], message_id: str) -> None:
        """Every message places its topic (events too: a topic starts at one); those with words become posts."""
        parent = None if "reply_to_peer_id" in message else _id(message.get("reply_to_message_id"))  # else another chat's message
        topic = self.topic_of.get(parent) if parent else None
        if topic:
            self.topic_of[message_id] = topic
        kind = message.get("type", "message")
        if kind == "service" and message.get("action") == "topic_created":
            self.topics[message_id] = _name(message.get("title")) or f"Topic {message_id}"
            self.topic_of[message_id] = message_id
        if kind != "message":
            return  # a service message (join, pin, topic) or one this exporter could not write
        found = segments(message.get("text"))
        if found is not None:
            found += _poll(message.get("poll"))
        if found is None:
            self.tally.bad_text.append(message_id)
            return
        reply_to = None if parent in self.topics else parent  # "replying" to a topic's first message answers nothing
        forwarded = "forwarded_from" in message
        author, original = _name(message.get("from")), _name(message.get("forwarded_from"))
        post = message_post(self.said, message_id, author, _date(message), reply_to, found, forwarded, original)
        if post.blocks:  # a photo, sticker or voice message alone has no words
            self.posts.setdefault(topic, []).append(post)

    def threads(self) -> Iterator[Thread]:
        """The chat as one thread; a forum's topics each as their own, General first."""
        if not self.topics:
            yield Thread(self.title, self.posts.get(None, []), key=self.key)
            return
        yield Thread(f"{self.title} / General", self.posts.get(None, []), key=f"{self.key}/general")
        for topic, title in self.topics.items():
            yield Thread(f"{self.title} / {title}", self.posts.get(topic, []), key=f"{self.key}/{title}-{topic}")


def _chat_threads(chat: dict[str, Any], messages: list[Any], fallback: str, warn: Warn) -> Iterator[Thread]:
    chat_id = _id(chat.get("id"))
    title = _name(chat.get("name")) or _UNNAMED.get(str(chat.get("type"))) or fallback
    reading = _Chat(title, f"{title}-{chat_id}" if chat_id else title)
    for index, message in enumerate(messages):
        messages[index] = None  # let each raw message go once read: a long chat is not held twice
        if not isinstance(message, dict):
            reading.tally.not_messages += 1
            continue
        message_id = _id(message.get("id"))
        if message_id is None:
            reading.tally.without_id.append(str(index + 1))
        elif message_id in reading.seen:
            reading.tally.repeated += 1  # an export merged by hand repeats messages: each is one post
        else:
            reading.seen.add(message_id)
            reading.read(message, message_id)
    reading.tally.report(title, warn)
    yield from reading.threads()


# ---------------------------------------------------------------- files


def _chats(data: dict[str, Any], warn: Warn) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """The chats of an account export, joined and left; an entry that is not a chat is named and skipped."""
    for section in ("chats", "left_chats"):
        listed = _field(data.get(section), "list")
        for number, chat in enumerate(listed if isinstance(listed, list) else [], start=1):
            messages = _field(chat, "messages")
            if isinstance(messages, list):
                yield chat, messages
            else:
                warn(f"{section}: entry {number} is not a chat with messages; left out")


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    data = load_json(path)
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        yield from _chat_threads(data, data["messages"], path.parent.name or path.stem, warn)
        return
    if not isinstance(data, dict) or not any(isinstance(_field(data.get(s), "list"), list) for s in ("chats", "left_chats")):
        raise UnreadableDocument(
            "not a Telegram Desktop chat export: expected one chat {name, type, id, messages} or an account export "
            "with chats {list: [...]} (export it with 'Chats' ticked and Format: JSON)"
        )
    for number, (chat, messages) in enumerate(_chats(data, warn), start=1):
        yield from _chat_threads(chat, messages, f"chat {number}", warn)


FORMAT = ThreadFormat("Telegram Desktop JSON", sniff, read, many=True)
