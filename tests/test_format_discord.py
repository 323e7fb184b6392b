"""DiscordChatExporter JSON: messages as posts, replies by reference, chat quotes, and events left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import covering, read_damaged
from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, discord, discourse, reddit
from forumqa.formats.discord import chat_markdown
from forumqa.loading import read_file
from forumqa.threads import Post, Quote

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
EXPORT = FIXTURES / "discord" / "Backyard Optics - Equipment - telescopes [880000000000000111].json"
CHANNEL = "https://discord.com/channels/870000000000000001/880000000000000111"
ZOE = "Zoë 🔭"


def _read(path: Path = EXPORT, source: str = "discord/Backyard Optics - Equipment - telescopes.json") -> tuple[Document, list[Skipped]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source, warnings)
    assert len(documents) == 1
    return documents[0], warnings


def _posts(path: Path = EXPORT) -> dict[str, Post]:
    (thread,) = discord.read(path, print)
    return {p.post or "": p for p in thread.posts}


def test_channel_is_one_document_titled_guild_and_channel() -> None:
    document, warnings = _read()
    assert document.doc_id == "discord/backyard-optics---equipment---telescopes"
    assert document.title == "Backyard Optics / #telescopes"
    assert document.date == "2023-09-02T20:01:12+00:00"
    assert warnings == []
    for section in document.sections:
        assert document.text[section.start : section.end].strip()


def test_messages_carry_author_id_date_reply_and_link() -> None:
    document, _ = _read()
    (reply,) = covering(document, "That's coma, and at f/4.7")
    assert reply.author == ZOE  # the server nickname, emoji and all
    assert (reply.post, reply.reply_to) == ("1100000000000000003", "1100000000000000002")
    assert reply.date == "2023-09-02T20:04:40+00:00"
    assert reply.url == f"{CHANNEL}/1100000000000000003"
    (account,) = covering(document, "Still true. I moved mine")
    assert account.author == "ruiv"  # no nickname: the account name


def test_events_and_attachment_only_messages_are_left_out_silently() -> None:
    posts = _posts()
    assert set(posts) == {f"11000000000000000{n:02d}" for n in (2, 3, 5, 7, 8, 9, 10, 11, 12)}
    document, warnings = _read()
    assert "Pinned a message" not in document.text and warnings == []


def test_quote_in_a_reply_is_the_referenced_authors_never_the_repliers() -> None:
    posts = _posts()
    assert posts["1100000000000000003"].blocks[0] == Quote(
        "stars still look like tiny comets at the edge of the field", "Hale", "1100000000000000002"
    )
    assert posts["1100000000000000005"].blocks[0] == Quote("A coma corrector fixes it", ZOE, "1100000000000000003")
    document, _ = _read()
    for words in ("stars still look like tiny comets", "A coma corrector fixes it", "Clear skies"):
        assert document.text.count(words) == 2
        for section in document.sections:
            if words in document.text[section.start : section.end]:
                assert not section.quoted, words  # the original message is the one that is indexed


def test_quote_in_a_reply_to_a_message_not_in_the_export() -> None:
    post = _posts()["1100000000000000007"]
    assert post.reply_to == "1099999999999999990"
    assert post.blocks[0] == Quote("Buy once, cry once: a good corrector outlives three scopes", None, "1099999999999999990")


def test_quote_that_is_not_from_the_replied_message_has_no_author() -> None:
    post = _posts()["1100000000000000010"]
    assert post.reply_to == "1100000000000000008"
    assert post.blocks[0] == Quote("Clear skies forecast for Saturday")  # the bot's words, not Zoë's message that was replied to


def test_block_quote_runs_to_the_end_of_the_message() -> None:
    post = _posts()["1100000000000000008"]
    assert post.blocks == (
        "From the corrector's manual, since it keeps coming up:",
        Quote("Spacing matters more than the brand.\nSet the sensor 55 mm behind the flange, then adjust in 1 mm steps."),
    )


def test_chat_markdown_to_text() -> None:
    document, _ = _read()
    text = document.text
    assert 'Collimated the 8" dob tonight and the stars still look like tiny comets at the edge of the field.\nIs that' in text
    assert "Clear skies forecast for Saturday: transparency 4/5, seeing 3/5. Bring a jacket." in text
    assert "**" not in text and "||" not in text and "```" not in text
    (code,) = covering(document, "back-focus: 55 mm")
    assert text[code.start : code.end] == "back-focus: 55 mm\nthread: M48"
    assert "the mirror is fine 👍" in text


def test_a_numbered_step_keeps_its_number() -> None:
    """A real export's how-to, posted a step per message ("2. Then move…"): CommonMark would read each as
    a list item without its number; code keeps its lines as written."""
    document, _ = _read()
    (steps,) = covering(document, "Let the mirror cool outside")
    assert document.text[steps.start : steps.end] == (
        "How I collimate before a session:\n"
        "1. Let the mirror cool outside for forty minutes.\n"
        "2) Centre the laser dot on the primary's donut."
    )
    (step,) = covering(document, "Star-test on Vega")
    assert document.text[step.start : step.end].startswith("3. Star-test on Vega")
    (code,) = covering(document, "this line is code")
    assert document.text[code.start : code.end] == "4. this line is code, not a step"
    assert "\\" not in document.text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("version 1.5 is out", "version 1.5 is out"),
        ("> one line\nmy reply", "> one line\n\nmy reply"),
        (">>> all\nof this", "> all\n> of this"),
        ("plain\n> q\n> q2", "plain\n> q\n> q2"),
        ("a ||secret|| b", "a secret b"),
    ],
)
def test_chat_markdown_quoting_rules(content: str, expected: str) -> None:
    assert chat_markdown(content) == expected


def test_sniff_claims_discord_exports_only() -> None:
    head = EXPORT.read_text(encoding="utf-8")
    assert discord.sniff(EXPORT, head)
    assert next(f for f in THREAD_FORMATS if f.sniff(EXPORT, head)) is discord.FORMAT
    assert not discourse.sniff(EXPORT, head) and not reddit.sniff(EXPORT, head)
    for other in (*FIXTURES.glob("discourse/*.json"), *FIXTURES.glob("reddit/*.json")):
        assert not discord.sniff(other, other.read_text(encoding="utf-8")), other


def test_truncated_export_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "channel.json"
    broken.write_text(EXPORT.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    with pytest.raises(UnreadableDocument, match=r"invalid JSON at line \d+, column \d+"):
        read_file(broken, "channel.json")


def test_not_an_export_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"guild": {}, "channel": {}, "messages": {}}', encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not a DiscordChatExporter export"):
        next(discord.read(path, print))


def _message(mid: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "type": "Default", "timestamp": "2024-01-02T03:04:05+00:00", "content": content, "author": {"name": "kim"}} | extra


def test_direct_messages_and_a_bad_entry(tmp_path: Path) -> None:
    path = tmp_path / "dm.json"
    data = {
        "guild": {"id": "0", "name": "Direct Messages"},
        "channel": {"id": "55", "name": "kim"},
        "messages": [_message("1", "hello 👋"), "junk"],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    document, warnings = _read(path, "dm.json")
    assert document.title == "Direct Messages / kim"  # a person, not a #channel
    assert document.sections[0].url == "https://discord.com/channels/@me/55/1"
    assert [w.reason for w in warnings] == ["partly read (DiscordChatExporter JSON): 1 entries of messages are not messages; left out"]


# ---------------------------------------------------------------- damaged files


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(discord.FORMAT, EXPORT, data, tmp_path)


# ---------------------------------------------------------------- shapes of real exports

THREAD = FIXTURES / "discord" / "Backyard Optics - telescopes - Which eyepiece for planets [990000000000000333] [part 2].json"


def test_a_thread_export_is_titled_with_its_channel_and_raw_tokens_become_words() -> None:
    document, warnings = _read(THREAD, "discord/eyepieces [part 2].json")
    assert document.title == "Backyard Optics / #telescopes / Which eyepiece for planets?"
    assert warnings == []
    (section,) = covering(document, "Only a little.")
    assert document.text[section.start : section.end] == (
        "Only a little. @olafsky has the 2x one, see #telescopes :saturn: before 2023-09-04 18:00 UTC"
    )
    assert not any(token in document.text for token in ("<@", "<#", "<:", "<t:"))


def test_what_a_message_without_content_shows_and_who_wrote_it() -> None:
    posts = _posts(THREAD)
    # Events (RecipientAdd, pin) and attachment- or sticker-only messages are left out; a slash command's answer is kept.
    assert set(posts) == {f"12000000000000001{n:02d}" for n in (2, 3, 5, 6, 9)}
    assert posts["1200000000000000103"].blocks == ("Saturn tonight\nRises 19:40, best seen after 22:00 at 31° altitude.\nMagnitude: 0.5",)
    assert posts["1200000000000000105"].author == "Ephemeris"
    forward = posts["1200000000000000106"]
    assert forward.blocks == (Quote("A 6 mm orthoscopic beats a zoom eyepiece on planets every time.", None, "1199999999999999000"),)
    assert forward.reply_to is None  # a forward answers nothing
    document, _ = _read(THREAD, "discord/eyepieces [part 2].json")
    (forwarded,) = covering(document, "A 6 mm orthoscopic")
    assert forwarded.quoted and forwarded.author is None  # never credited to the one who forwarded it


def test_a_reply_to_a_message_in_an_earlier_part_keeps_the_quote_apart() -> None:
    post = _posts(THREAD)["1200000000000000102"]
    assert post.blocks[0] == Quote("Barlow lenses dim the view", None, "1200000000000000050")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("hi <@!7> and <@8>", "hi @kim and @unknown-user"),
        ("see <#55> or <#99>, ping <@&3>", "see #general or #unknown-channel, ping @role"),
        ("<a:party:12><:ok:13> run </remind me:14>", ":party::ok: run /remind me"),
        ("at <t:0:R> or <t:99999999999999>", "at 1970-01-01 00:00 UTC or <t:99999999999999>"),
    ],
)
def test_readable_raw_tokens(content: str, expected: str) -> None:
    assert discord.readable(content, {"7": "kim"}, {"55": "general"}) == expected


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_in_a_thread_export_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(discord.FORMAT, THREAD, data, tmp_path)


def test_a_repeated_message_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "merged.json"
    data = {
        "guild": {"id": "7", "name": "Makers"},
        "channel": {"id": "8", "name": "help"},
        "messages": [_message("1", "the lathe chatters"), _message("2", "sharpen the tool"), _message("2", "sharpen the tool")],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    document, warnings = _read(path, "merged.json")
    assert [s.post for s in document.sections] == ["1", "2"]
    assert [w.reason for w in warnings] == ["partly read (DiscordChatExporter JSON): 1 messages repeat the id of an earlier one; read once"]
