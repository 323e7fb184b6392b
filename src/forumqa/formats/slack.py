"""Slack export folder: `users.json`, `channels.json` and `<channel>/<YYYY-MM-DD>.json` day files.

A citable unit is one channel's day: its top-level messages in order, each followed by its thread
replies (a reply to Monday's message, posted on Tuesday, still sits under Monday's message). A
single message is too short to retrieve well and a whole channel too long to read as one text.
A reply whose parent is not in the export stays on its own day, still naming the parent it replies to.

Slack's mrkdwn is turned into plain words: `<@U123>` → @name, `<url|label>` → label, `&gt;` →
`>`. Lines starting with `>` are quotes: when the quoted words are those of an earlier message
of the same day (typically a reply quoting its parent), the Quote is credited to that message, so
the words are shown but never counted as the replier's; otherwise it is outside material.
A message is read from `text`; only when that is empty (some apps and clients send blocks alone)
from its `rich_text` blocks. A shared message (an attachment with `is_share`) is a Quote of its author.
An app's post (`bot_id`) is a bot's words unless its `user` is a person the export names: some apps'
users are not in users.json at all (slackdump's exports), and such a post is not someone's words either.

An export published without users.json (it holds everyone's profile, e-mail address included, so
people leave it out) is still one: channels.json and a folder it lists. Names then come from the
profile each message carries.

Memory: one channel's messages at a time (replies can land in any later day file).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from forumqa.documents import UnreadableDocument
from forumqa.threads import Code, Post, Quote, Thread, ThreadFormat, Warn

_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
#: A mention token, `<@U123>` or an old export's `<@U123|login>`, standing for a whole field.
_MENTION = re.compile(r"<@(\w+)(?:\|([^<>|]+))?>")
#: What a 2015-16 export writes as a file share's text, before the uploader's own comment (if any).
_UPLOAD_NOTICE = re.compile(r"^<@[^<>]+> (?:uploaded|shared) a file: <[^<>]*>(?: and commented: )?")
#: Message subtypes that are someone's words; joins, leaves, topic changes and bot posts are not.
#: A `document_unfurl` is a message link someone put into a canvas: their link, and the linked
#: message's words as a Quote of its author (the unfurl attachment), which is what the canvas shows.
_SPOKEN = frozenset({"thread_broadcast", "reply_broadcast", "me_message", "file_share", "document_unfurl"})
#: The folder Slack's export gives a canvas's comment threads: "FC_", the canvas's file id, "_", its title.
_CANVAS_FOLDER = re.compile(r"^FC_F[0-9A-Z]+_(.+)$")


def sniff(path: Path, head: str) -> bool:
    """users.json and channels.json; or, for an export published without users.json, channels.json and a
    folder of day files that it (or groups.json, mpims.json, dms.json) lists: a channels.json alone is
    a common name (TV channel lists), a folder named in it with Slack's day files is not."""
    if not path.is_dir() or not (path / "channels.json").is_file():
        return False
    if (path / "users.json").is_file():
        return True
    listed = _listed_conversations(path)
    try:
        return any(folder.name in listed for folder in _channel_folders(path))
    except OSError:  # a folder that cannot be listed: not claimed, rather than failing the whole load
        return False


#: The export's conversation lists, and the field naming each conversation's folder (a DM's folder is its id).
_LISTINGS = (("channels.json", "name"), ("groups.json", "name"), ("mpims.json", "name"), ("dms.json", "id"))
_DIRECT_LISTINGS = _LISTINGS[2:]


def _listing(export: Path, name: str) -> list[dict[str, Any]]:
    """One conversation list's records; an absent or unreadable list has none (the export is judged without it)."""
    try:
        return _records(json.loads((export / name).read_bytes()))
    except (OSError, ValueError, RecursionError):
        return []


def _listed_conversations(folder: Path) -> set[str]:
    """The folder names of the conversations the export's lists name."""
    return {name for listing, key in _LISTINGS for record in _listing(folder, listing) if (name := _text(record.get(key)))}


def _channel_folders(path: Path) -> list[Path]:
    """The export's conversation folders: those holding day files."""
    return [
        folder
        for folder in sorted(path.iterdir())
        if folder.is_dir() and not folder.name.startswith(".") and any(_DAY_FILE.match(f.name) for f in folder.iterdir())
    ]


# ---------------------------------------------------------------- files


def _load(path: Path, folder: Path, warn: Warn) -> Any:
    """A JSON file of the export, or None (and a warning saying where it broke) when it can't be read."""
    name = path.relative_to(folder).as_posix()
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        warn(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg.removesuffix(' at')}); left out")
    except UnicodeDecodeError as exc:
        warn(f"{name}: not UTF-8 (bad byte at position {exc.start}); left out")
    except RecursionError:
        warn(f"{name}: JSON nested too deeply to read; left out")
    except OSError as exc:
        warn(f"{name}: cannot be read ({exc.strerror or exc}); left out")
    return None


@dataclass(frozen=True)
class Names:
    """Who a user id and a channel id are (users.json, channels.json): for authors and mentions."""

    users: dict[str, str]
    bots: frozenset[str]
    channels: dict[str, str]

    @classmethod
    def of(cls, folder: Path, warn: Warn) -> Names:
        if not (folder / "users.json").exists():
            names = _profile_names(folder)  # an export published without users.json
            return cls(names, frozenset(), cls._channels(folder, warn))
        names = {}
        bots: set[str] = set()
        for user in _records(_load(folder / "users.json", folder, warn)):
            profile = _dict(user.get("profile"))
            name = _text(user.get("real_name")) or _text(profile.get("real_name")) or _text(user.get("name"))
            if name:
                names[str(user["id"])] = name
            if user.get("is_bot") or user.get("id") == "USLACKBOT":
                bots.add(str(user["id"]))
        return cls(names, frozenset(bots), cls._channels(folder, warn))

    @staticmethod
    def _channels(folder: Path, warn: Warn) -> dict[str, str]:
        channels = {str(c["id"]): _text(c.get("name")) for c in _records(_load(folder / "channels.json", folder, warn))}
        return {k: v for k, v in channels.items() if v}

    def author(self, message: dict[str, Any]) -> str | None:
        user = _text(message.get("user"))
        profile = _dict(message.get("user_profile"))
        username = _text(message.get("username"))
        if mention := _MENTION.fullmatch(username):  # a 2015-16 export's file share: "<@U061A3E0G|javier>"
            username = self.users.get(mention[1]) or mention[2] or mention[1]
        return self.users.get(user) or _text(profile.get("real_name")) or _text(profile.get("display_name")) or username or user or None


def _profile_names(export: Path) -> dict[str, str]:
    """Each user's name from the `user_profile` their messages carry, for an export without users.json.

    Read in a pass of its own, so a mention or a message without a profile (a file share) is named by any
    message of that user, in any channel; a file that cannot be read is named by the main pass, not here.
    """
    names: dict[str, str] = {}
    for folder in _channel_folders(export):
        for path in sorted(folder.iterdir()):
            if not _DAY_FILE.match(path.name) or not path.is_file():
                continue
            try:
                data = json.loads(path.read_bytes())
            except (OSError, ValueError, RecursionError):
                continue
            for message in _dicts(data):
                profile = _dict(message.get("user_profile"))
                name = _text(profile.get("real_name")) or _text(profile.get("display_name")) or _text(profile.get("name"))
                if not name and not message.get("bot_id"):  # an old file share carries the sharer's `username` alone
                    name = _text(message.get("username"))
                if (user := _text(message.get("user"))) and name:
                    names.setdefault(user, name)
    return names


def _records(data: Any) -> list[dict[str, Any]]:
    return [r for r in data if isinstance(r, dict) and r.get("id")] if isinstance(data, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _text_raw(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# ---------------------------------------------------------------- mrkdwn → blocks

_CODE_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_LINK = re.compile(r"<([^<>\n]+)>")
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_~])(?=\S)([^\n]*?\S)\1(?![\w*_~])")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_QUOTE_LINE = re.compile(r"^(?:&gt;|>) ?")
_QUOTE_REST = re.compile(r"^(?:&gt;&gt;&gt;|>>>) ?")


def _unescape(text: str) -> str:
    """Slack escapes exactly these three; `&amp;` last, so "&amp;lt;" stays the five characters "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _inline(text: str, people: Names) -> str:
    """Mentions, channel links and URLs as a reader sees them; emphasis markers dropped."""

    def link(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):  # the name users.json gives; an old export's label is the login handle
            return "@" + (people.users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or people.channels.get(target[1:], target[1:]))
        if target.startswith("!"):
            special = target[1:].split("^")[0]
            return label or (f"@{special}" if special in ("here", "channel", "everyone") else "")
        return label or target.removeprefix("mailto:")

    text = _LINK.sub(link, text)
    text = _INLINE_CODE.sub(r"\1", text)
    for _ in range(3):  # styles stack: "~_*words*_~" is struck, italic and bold at once
        text, found = _EMPHASIS.subn(r"\2", text)
        if not found:
            break
    return _unescape(text)


def message_blocks(raw: str, people: Names) -> list[str | Quote]:
    """A message's paragraphs, code blocks and `>` quotes in order (quotes still unattributed).

    Quote markers are found before `&gt;` is unescaped: a `>` the author typed mid-line is text.
    """
    blocks: list[str | Quote] = []
    for index, part in enumerate(_CODE_FENCE.split(raw)):
        if index % 2:
            if code := _unescape(part).strip("\n"):
                blocks.append(Code(code))
            continue
        lines: list[tuple[bool, str]] = []
        rest_quoted = False  # after ">>>" the rest of the message is quoted
        for line in part.split("\n"):
            marker = None if rest_quoted else _QUOTE_REST.match(line) or _QUOTE_LINE.match(line)
            if marker is not None:
                rest_quoted = rest_quoted or marker.re is _QUOTE_REST
                line = line[marker.end() :]
            lines.append((rest_quoted or marker is not None, _inline(line, people)))
        for quoting, run in groupby(lines, key=lambda item: item[0]):
            if text := "\n".join(line.strip() for _, line in run if line.strip()):
                blocks.append(Quote(text) if quoting else text)
    return blocks


def _mrkdwn_escaped(text: str) -> str:
    """Text as Slack writes it into `text`: &, < and > escaped, quotes left alone."""
    return html.escape(text, quote=False)


def _rich_inline(element: dict[str, Any]) -> str:
    """One element of a rich_text section as the mrkdwn Slack would have put in `text`."""
    kind = element.get("type")
    if kind == "text":
        return _mrkdwn_escaped(_text_raw(element.get("text")))
    if kind == "link":
        label = _text_raw(element.get("text"))
        return f"<{_text_raw(element.get('url'))}|{_mrkdwn_escaped(label)}>" if label else f"<{_text_raw(element.get('url'))}>"
    if kind == "user":
        return f"<@{_text_raw(element.get('user_id'))}>"
    if kind == "channel":
        return f"<#{_text_raw(element.get('channel_id'))}>"
    if kind == "broadcast":
        return f"<!{_text_raw(element.get('range'))}>"
    if kind == "emoji":
        return f":{_text_raw(element.get('name'))}:"
    return _mrkdwn_escaped(_text_raw(element.get("fallback") or element.get("text")))  # date, usergroup, …


def _rich_elements(element: dict[str, Any]) -> str:
    return "".join(_rich_inline(e) for e in _dicts(element.get("elements")))


_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")


def _list_marker(number: int, indent: int) -> str:
    """An ordered list item's marker as Slack shows it: 1. at the top, a. one level in, i. two levels in."""
    level = indent % 3
    if level == 1 and number <= 26:
        return f"{chr(ord('a') + number - 1)}. "
    if level == 2 and number <= len(_ROMAN):
        return f"{_ROMAN[number - 1]}. "
    return f"{number}. "


def _rich_list(element: dict[str, Any]) -> str:
    """A rich_text_list, an item a line; an ordered list keeps its numbers ("offset": items before this run,
    as Slack writes a list broken by a nested one), since "step 2" is often the point."""
    items = [_rich_elements(item) for item in _dicts(element.get("elements"))]
    if element.get("style") != "ordered":
        return "\n".join(items)
    offset = element.get("offset")
    start = offset if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0 else 0
    indent = element.get("indent")
    level = indent if isinstance(indent, int) and not isinstance(indent, bool) and indent >= 0 else 0
    return "\n".join(_list_marker(start + number, level) + item for number, item in enumerate(items, start=1))


def rich_text(blocks: Any) -> str:
    """The mrkdwn of a message's `rich_text` blocks: quotes as `&gt;` lines, code fenced, a list item a line (an ordered one numbered)."""
    parts: list[str] = []
    for block in _dicts(blocks):
        if block.get("type") != "rich_text":
            continue
        for element in _dicts(block.get("elements")):
            kind = element.get("type")
            if kind == "rich_text_section":
                parts.append(_rich_elements(element))
            elif kind == "rich_text_quote":
                parts.append("\n".join("&gt; " + line for line in _rich_elements(element).split("\n")))
            elif kind == "rich_text_preformatted":
                parts.append(f"```{_rich_elements(element)}```")
            elif kind == "rich_text_list":
                parts.append(_rich_list(element))
    return "\n".join(part.strip("\n") for part in parts)


def _shared(message: dict[str, Any], people: Names) -> list[str | Quote]:
    """Messages shared into this one (`attachments` with `is_share`): their words, as Quotes of their authors.

    Other attachments are link previews and bots' cards: no one's words here.
    """
    quotes: list[str | Quote] = []
    for attachment in _dicts(message.get("attachments")):
        if not (attachment.get("is_share") or attachment.get("is_msg_unfurl")):
            continue
        author = people.users.get(_text(attachment.get("author_id"))) or _text(attachment.get("author_name")) or None
        for block in message_blocks(_text_raw(attachment.get("text")), people):
            quotes.append(Quote(block if isinstance(block, str) else block.text, author, _text(attachment.get("ts")) or None))
    return quotes


# ---------------------------------------------------------------- messages → threads


@dataclass(frozen=True)
class _Message:
    ts: str
    parent: str | None  # thread_ts of a reply
    day: str
    author: str | None
    blocks: list[str | Quote]


def _epoch(ts: Any) -> float | None:
    try:
        return float(ts) if isinstance(ts, str) and ts.strip() else None
    except ValueError:
        return None


def _messages(folder: Path, export: Path, people: Names, warn: Warn) -> list[_Message]:
    """Every spoken message of a channel, all its day files read, each message once."""
    out: dict[str, _Message] = {}
    for path in sorted(folder.iterdir()):
        match = _DAY_FILE.match(path.name)
        if match is None or not path.is_file():
            continue
        data = _load(path, export, warn)
        if data is None:
            continue
        name = path.relative_to(export).as_posix()
        if not isinstance(data, list):
            warn(f"{name}: not a list of messages; left out")
            continue
        for number, message in enumerate(data, start=1):
            if not isinstance(message, dict):
                warn(f"{name}: message {number} is not a message object; left out")
                continue
            if (subtype := message.get("subtype")) is not None and str(subtype) not in _SPOKEN:
                continue
            user = _text(message.get("user"))
            if user in people.bots or (message.get("bot_id") and user not in people.users):
                continue  # a bot's, or an app's whose user the export does not name
            ts = message.get("ts")
            if _epoch(ts) is None:
                warn(f"{name}: message {number} has no valid ts; left out")
                continue
            text = _text_raw(message.get("text"))
            if subtype == "file_share":  # an old export's "<@U1|ana> uploaded a file: <…>": Slack's words, not Ana's
                text = _UPLOAD_NOTICE.sub("", text, count=1)
            text = text if text.strip() else rich_text(message.get("blocks"))
            blocks = message_blocks(text, people) + _shared(message, people)
            if not blocks or str(ts) in out:
                continue  # a file or an attachment with no words; or a message exported twice
            thread = message.get("thread_ts")
            parent = str(thread) if isinstance(thread, str) and thread != ts else None
            out[str(ts)] = _Message(str(ts), parent, match.group(1), people.author(message), blocks)
    return sorted(out.values(), key=lambda m: (_epoch(m.ts) or 0.0, m.ts))


def _folded(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _attributed(message: _Message, earlier: list[tuple[str, Post]]) -> tuple[str | Quote, ...]:
    """Each unattributed Quote credited to the nearest earlier message of the day whose own words it repeats."""
    blocks: list[str | Quote] = []
    for block in message.blocks:
        if isinstance(block, Quote) and block.author is None and block.post is None and (words := _folded(block.text)):
            source = next((post for said, post in reversed(earlier) if words in said), None)
            if source is not None:
                block = Quote(block.text, source.author, source.post)
        blocks.append(block)
    return tuple(blocks)


def _post(message: _Message, earlier: list[tuple[str, Post]]) -> Post:
    epoch = _epoch(message.ts) or 0.0
    return Post(
        blocks=_attributed(message, earlier),
        author=message.author,
        date=datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds"),
        post=message.ts,
        reply_to=message.parent,
    )


def _channel_threads(folder: Path, export: Path, people: Names, warn: Warn, label: str) -> Iterator[Thread]:
    """One Thread per day: its top-level messages in time order, each followed by its replies."""
    messages = _messages(folder, export, people, warn)
    tops = {m.ts for m in messages if m.parent is None}
    replies: dict[str, list[_Message]] = {}
    days: dict[str, list[_Message]] = {}
    for message in messages:
        if message.parent in tops:
            replies.setdefault(message.parent, []).append(message)
        else:  # top-level, or a reply whose parent is not in the export
            days.setdefault(message.day, []).append(message)
    for day in sorted(days):
        posts: list[tuple[str, Post]] = []  # (its own words folded, the post): what later quotes are matched against
        for message in days[day]:
            for item in [message, *replies.get(message.ts, [])]:
                post = _post(item, posts)
                posts.append((_folded(" ".join(b for b in post.blocks if isinstance(b, str))), post))
        yield Thread(f"{label}, {day}", [post for _, post in posts], key=f"{folder.name}/{day}", date=day)


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    people = Names.of(path, warn)
    channels = _channel_folders(path)
    if not channels:
        raise UnreadableDocument("a Slack export without channel folders of day files (<channel>/YYYY-MM-DD.json)")
    direct = _direct_labels(path, people)
    for folder in channels:
        yield from _channel_threads(folder, path, people, warn, direct.get(folder.name) or _label(folder.name))


def _label(folder: str) -> str:
    """A channel's title, "#general"; a canvas's comment threads are titled after the canvas, not as a #channel of its id."""
    if canvas := _CANVAS_FOLDER.match(folder):
        return f"canvas: {canvas.group(1).strip()}"
    return f"#{folder}"


def _direct_labels(export: Path, people: Names) -> dict[str, str]:
    """Direct and group messages by folder: a DM's folder is its id (dms.json), a group DM's its mpdm- name (mpims.json);
    either is titled after its members ("direct messages: Ana Ruiz, Ben Oduya"), not as a #channel."""
    labels: dict[str, str] = {}
    for listing, key in _DIRECT_LISTINGS:
        for record in _listing(export, listing):
            folder, members = _text(record.get(key)), record.get("members")
            names = [people.users.get(str(m)) or str(m) for m in members] if isinstance(members, list) else []
            if folder:
                labels[folder] = f"direct messages: {', '.join(names)}" if names else f"direct messages {folder}"
    return labels


FORMAT = ThreadFormat("Slack export", sniff, read, many=True)
