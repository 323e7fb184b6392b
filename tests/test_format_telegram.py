"""Telegram Desktop JSON: a chat (or a forum topic) per document, replies and blockquotes, forwards kept apart, events left out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import covering, head_of, read_damaged
from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, telegram
from forumqa.formats.reddit import Segment
from forumqa.loading import load_documents, read_file
from forumqa.threads import Code, Post, Quote, Thread, clean_block

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
FOLDER = FIXTURES / "telegram"
CHAT = FOLDER / "ChatExport_2024-03-10" / "result.json"
ACCOUNT = FOLDER / "DataExport_2024-04-02" / "result.json"
NAME = telegram.FORMAT.name
CYCLISTS = "chatexport_2024-03-10/result/kestrel-valley-cyclists-1822334455"


def _read(path: Path, source: str) -> tuple[dict[str, Document], list[str]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source, warnings)
    return {d.doc_id: d for d in documents}, [w.reason.removeprefix(f"partly read ({NAME}): ") for w in warnings]


def _chat() -> Document:
    documents, warnings = _read(CHAT, "ChatExport_2024-03-10/result.json")
    assert warnings == []
    return documents[CYCLISTS]


def _threads(path: Path = CHAT) -> dict[str, Thread]:
    return {t.title: t for t in telegram.read(path, print)}


def _posts(path: Path = CHAT, title: str = "Kestrel Valley Cyclists") -> dict[str, Post]:
    return {p.post or "": p for p in _threads(path)[title].posts}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _message(mid: Any, text: Any = "hello", **extra: Any) -> dict[str, Any]:
    return {"id": mid, "type": "message", "date": "2024-01-02T03:04:05", "date_unixtime": "1704164645", "from": "Kim", "text": text} | extra


def _export(*messages: Any, **chat: Any) -> dict[str, Any]:
    return {"name": "Night Owls", "type": "private_group", "id": 4242, "messages": list(messages)} | chat


# ---------------------------------------------------------------- a chat export


def test_a_chat_is_one_document_titled_with_the_chat() -> None:
    document = _chat()
    assert document.title == "Kestrel Valley Cyclists"
    assert document.date == "2024-03-05T07:12:40+00:00"  # the first message with words; the join before it is an event
    for section in document.sections:
        text = document.text[section.start : section.end]
        assert text and text == text.strip()


def test_messages_carry_author_id_date_and_reply() -> None:
    document = _chat()
    (reply,) = covering(document, "The lower ford is still under about 30 cm of water. Take the forest road")
    assert (reply.author, reply.post, reply.reply_to) == ("Tomasz Wrona", "103", "102")
    assert reply.date == "2024-03-05T07:31:05+00:00"  # date_unixtime, in UTC; `date` is the exporter's local time
    assert reply.url is None  # the export names no public username to link t.me/<username>/<id> with
    assert "Tomasz Wrona · #103 · 2024-03-05T07:31:05+00:00\n" in document.text


def test_without_date_unixtime_the_date_is_the_local_time_written(tmp_path: Path) -> None:
    old = _message(7, "Written before exports had date_unixtime")
    del old["date_unixtime"]
    (thread,) = telegram.read(_write(tmp_path, _export(old)), print)
    assert thread.posts[0].date == "2024-01-02T03:04:05"


def test_service_and_media_only_messages_are_left_out_silently() -> None:
    assert set(_posts()) == {"102", "103", "105", "106", "107", "108", "109", "111", "113", "114"}
    text = _chat().text
    for left_out in ("join_group_by_link", "pin_message", "File not included", "👍", "sticker"):
        assert left_out not in text


def test_rich_text_parts_read_as_their_text_and_a_pre_block_stands_apart() -> None:
    post = _posts()["107"]
    assert post.blocks == (
        "Pressures I run on that loop, since a few of you asked: 2.1 bar front / 2.3 bar rear. Setup details for @tomasz_wrona:",
        "front  2.1 bar\nrear   2.3 bar\ntubeless, 45 mm, 60 ml sealant",
        "More in the club's tyre guide.",  # a text_link keeps its words; its href is not text
    )
    assert "Route: https://routes.example.org/kv/forest-road" in _chat().text  # a link part is the URL itself


def test_non_ascii_names_and_text() -> None:
    document = _chat()
    (section,) = covering(document, "Dzięki wszystkim!")
    assert section.author == "Łucja Kos"
    assert document.text[section.start : section.end] == (
        "Dzięki wszystkim! Saturday 8:00 from the bakery on Mill Lane — żółty rower, you can't miss me 🚲"
    )
    assert "Søren Ålund · #106" in document.text


# ---------------------------------------------------------------- whose words


def test_a_forward_is_the_original_senders_never_the_forwarders() -> None:
    post = _posts()["105"]
    assert post.author == "Aiko Mori"  # who forwarded it
    assert post.blocks == (
        Quote(
            "Notice: the Hollin Bridge footpath is closed 11–15 March for resurfacing. "
            "Cyclists please use the east bank track during the works.",
            "Kestrel Valley Parks Office",
        ),
    )
    document = _chat()
    (section,) = covering(document, "Notice: the Hollin Bridge footpath")
    assert (section.author, section.post, section.quoted) == ("Kestrel Valley Parks Office", "105", True)
    assert "Aiko Mori · #105 · 2024-03-05T08:02:17+00:00\n> Kestrel Valley Parks Office wrote:\n> Notice:" in document.text


def test_a_forward_from_a_sender_the_export_does_not_name_is_still_not_the_forwarders(tmp_path: Path) -> None:
    path = _write(tmp_path, _export(_message(5, "Bring a head torch, the path is unlit.", forwarded_from=None)))
    documents, _ = _read(path, "result.json")
    (document,) = documents.values()
    (section,) = document.sections
    assert (section.author, section.post, section.quoted) == (None, "5/forwarded", True)


def test_a_blockquote_of_the_replied_message_is_its_authors_and_shown_not_indexed_twice() -> None:
    post = _posts()["106"]
    assert post.blocks[0] == Quote("The lower ford is still under about 30 cm of water.", "Tomasz Wrona", "103")
    document = _chat()
    assert "> Tomasz Wrona wrote:\n> The lower ford is still under about 30 cm of water.\nI walked it" in document.text
    assert [s.post for s in covering(document, "The lower ford is still under")] == ["103"]
    assert not any(s.quoted and s.author == "Søren Ålund" for s in document.sections)


def test_a_blockquote_of_a_forward_is_the_original_senders() -> None:
    post = _posts()["109"]
    assert post.blocks[0] == Quote("Cyclists please use the east bank track during the works.", "Kestrel Valley Parks Office", "105")
    document = _chat()
    assert document.text.count("Cyclists please use the east bank track during the works.") == 2  # the forward, and the quote of it
    assert [s.post for s in covering(document, "Cyclists please use the east bank track")] == ["105"]  # indexed once, in the forward


def test_a_blockquote_that_is_not_from_the_replied_message_has_no_author() -> None:
    post = _posts()["108"]
    assert post.blocks[0] == Quote("Works may overrun in wet weather.")  # outside material: the Parks Office's site, by Ingrid's word
    document = _chat()
    (section,) = covering(document, "Works may overrun")
    assert section.quoted  # the thread model keeps an unattributed quote with whoever brings it in, marked quoted


def test_a_blockquote_in_a_reply_to_a_message_not_in_the_export() -> None:
    post = _posts()["113"]
    assert post.reply_to == "57"
    assert post.blocks[0] == Quote("Chain wax lasts about 300 km in the dry.", None, "57")
    (section,) = covering(_chat(), "Chain wax lasts")
    assert (section.author, section.post, section.quoted) == (None, "57", True)


def test_a_poll_is_its_posters_question_and_options(tmp_path: Path) -> None:
    poll = _message(4, "")
    poll["poll"] = {
        "question": "Which evening suits the night ride?",
        "closed": False,
        "total_voters": 5,
        "answers": [{"text": "Tuesday", "voters": 3, "chosen": False}, {"text": "Thursday", "voters": 2, "chosen": True}],
    }
    (thread,) = telegram.read(_write(tmp_path, _export(poll)), print)
    (post,) = thread.posts
    assert clean_block("\n".join(b for b in post.blocks if isinstance(b, str))) == "Which evening suits the night ride?\nTuesday\nThursday"


def test_a_reply_to_another_chats_message_is_no_reply_here(tmp_path: Path) -> None:
    path = _write(tmp_path, _export(_message(1, "first"), _message(2, "about that", reply_to_message_id=1, reply_to_peer_id="channel77")))
    (thread,) = telegram.read(path, print)
    assert [(p.post, p.reply_to) for p in thread.posts] == [("1", None), ("2", None)]


def test_a_migrated_groups_history_keeps_its_negative_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, _export(_message(-999999958, "from the old group"), _message(3, "and on", reply_to_message_id=-999999958)))
    (thread,) = telegram.read(path, print)
    assert [(p.post, p.reply_to) for p in thread.posts] == [("-999999958", None), ("3", "-999999958")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", [Segment("plain words")]),
        (["a ", {"type": "bold", "text": "b"}, {"type": "custom_emoji", "text": "🙂", "document_id": "x"}], [Segment("a b🙂")]),
        ([{"type": "blockquote", "text": "q\nq2", "collapsed": True}, "\nmine"], [Segment("q\nq2", 1), Segment("mine")]),
        (["run ", {"type": "pre", "text": "x = 1\n", "language": "python"}, " on"], [Segment("run"), Segment("x = 1"), Segment("on")]),
        (["", {"type": "spoiler", "text": "  "}], []),
        (["ok", 5], None),
        ([{"type": "bold"}], None),
        (7, None),
        (None, None),
    ],
)
def test_segments(text: object, expected: list[Segment] | None) -> None:
    assert telegram.segments(text) == expected


# ---------------------------------------------------------------- a whole account's export


def test_an_account_export_gives_each_chat_its_documents_and_a_forum_each_topic() -> None:
    documents, warnings = _read(ACCOUNT, "DataExport_2024-04-02/result.json")
    assert warnings == []
    assert {d.doc_id: d.title for d in documents.values()} == {
        "dataexport_2024-04-02/result/mirela-dobrev-5550202": "Mirela Dobrev",
        "dataexport_2024-04-02/result/harbour-makerspace-2200113344-general": "Harbour Makerspace / General",
        "dataexport_2024-04-02/result/harbour-makerspace-2200113344-laser-cutter-3": "Harbour Makerspace / Laser cutter",
        "dataexport_2024-04-02/result/harbour-makerspace-2200113344-3d-printers-4": "Harbour Makerspace / 3D printers",
    }
    personal = documents["dataexport_2024-04-02/result/mirela-dobrev-5550202"]
    assert [(s.author, s.post, s.reply_to) for s in personal.sections] == [
        ("Mirela Dobrev", "1", None),
        ("Theo Baptiste", "2", "1"),
        ("Mirela Dobrev", "4", "2"),  # the voice message (3) has no words
        ("Theo Baptiste", "5", "4"),
    ]
    assert "> Theo Baptiste wrote:\n> A drop of light oil on each pawl\nNot grease?" in personal.text


def test_a_message_belongs_to_the_topic_its_reply_chain_starts_in() -> None:
    threads = _threads(ACCOUNT)
    laser = threads["Harbour Makerspace / Laser cutter"]
    # 5 "replies" to the topic's creation, which answers nothing; 7 and 8 reply down the chain.
    assert [(p.post, p.reply_to) for p in laser.posts] == [("5", None), ("7", "5"), ("8", "7")]
    assert laser.posts[2].blocks[0] == Quote("keep laser sessions under an hour", "Gwen Harte", "7")
    assert [(p.post, p.reply_to) for p in threads["Harbour Makerspace / 3D printers"].posts] == [("6", None), ("11", "6")]
    assert [p.post for p in threads["Harbour Makerspace / General"].posts] == ["2", "9", "10"]


def test_left_chats_are_read_and_an_entry_that_is_not_a_chat_is_named(tmp_path: Path) -> None:
    data = {
        "about": "An account's data.",
        "chats": {"about": "Chats.", "list": [_export(_message(1, "still here")), {"name": "broken"}]},
        "left_chats": {"about": "Left.", "list": [_export(_message(1, "gone now"), name="Old Club", type="public_channel", id=99)]},
    }
    documents, warnings = _read(_write(tmp_path, data), "result.json")
    assert sorted(documents) == ["result/night-owls-4242", "result/old-club-99"]
    assert warnings == ["chats: entry 2 is not a chat with messages; left out"]


def test_a_chat_of_a_type_the_exporter_does_not_know_is_still_read(tmp_path: Path) -> None:
    path = _write(tmp_path, _export(_message(1, "still words"), type=None))
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is telegram.FORMAT


def test_saved_messages_have_no_name_in_the_export(tmp_path: Path) -> None:
    data = {"type": "saved_messages", "id": 7, "messages": [_message(1, "note to self", forwarded_from="Ana", saved_from="Ana")]}
    path = _write(tmp_path, data)
    assert telegram.sniff(path, head_of(path))
    (thread,) = telegram.read(path, print)
    assert thread.title == "Saved Messages"
    assert thread.posts[0].blocks == (Quote("note to self", "Ana"),)


def test_an_account_export_without_chats_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path, {"about": "An account's data.", "personal_information": {"first_name": "Theo"}})
    assert telegram.sniff(path, head_of(path))
    with pytest.raises(UnreadableDocument, match="not a Telegram Desktop chat export"):
        read_file(path, "result.json")


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", [CHAT, ACCOUNT])
def test_sniff_claims_telegram_exports(path: Path) -> None:
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is telegram.FORMAT


def _other_exports() -> list[Path]:
    found = [p for kind in ("discourse", "reddit", "discord", "flarum") for p in sorted((FIXTURES / kind).glob("*.json"))]
    return found + sorted((FIXTURES / "slack").rglob("*.json"))


@pytest.mark.parametrize("path", _other_exports(), ids=lambda p: p.name)
def test_sniff_leaves_other_exports_to_their_readers(path: Path) -> None:
    assert not telegram.sniff(path, head_of(path))
    claimed = next((f for f in THREAD_FORMATS if f.sniff(path, head_of(path))), None)
    assert claimed is not telegram.FORMAT


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Widget talk", "posts": [{"author": "ana", "date": "2024-12-05", "text": "First post."}]},  # forumqa thread JSON
        {"title": "Chat log", "type": "personal_chat", "posts": [{"author": "ana", "text": "hi"}]},
        {"name": "A", "type": "group", "id": 1, "messages": []},  # not a chat type the exporter writes
        {"name": "A", "type": "", "id": 1, "messages": []},
        {"name": "A", "messages": [{"id": 1, "type": "message"}]},  # no chat type at all
        {"guild": {"name": "Makers"}, "channel": {"name": "help"}, "type": "personal_chat", "messages": []},
        {"about": "A project.", "version": 2, "chats": {"list": []}},  # "about" then a key the exporter does not write
    ],
)
def test_sniff_is_strict(tmp_path: Path, data: dict[str, Any]) -> None:
    path = _write(tmp_path, data)
    assert not telegram.sniff(path, head_of(path))


def test_a_forumqa_thread_json_still_goes_to_its_reader(tmp_path: Path) -> None:
    path = tmp_path / "widgets.json"
    path.write_text(json.dumps({"title": "Widget talk", "posts": [{"author": "ana", "date": "2024-12-05", "text": "First post."}]}))
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))).name == "forumqa thread JSON"


# ---------------------------------------------------------------- bad input


def test_truncated_export_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "result.json"
    broken.write_text(CHAT.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    with pytest.raises(UnreadableDocument, match=r"invalid JSON at line \d+, column \d+"):
        read_file(broken, "result.json")


def test_not_an_export_is_unreadable(tmp_path: Path) -> None:
    path = _write(tmp_path, {"name": "A", "type": "private_group", "id": 1, "messages": {}})
    with pytest.raises(UnreadableDocument, match="not a Telegram Desktop chat export"):
        next(telegram.read(path, print))


def test_a_bad_message_is_named_and_left_out_and_the_rest_read(tmp_path: Path) -> None:
    no_id = _message(None, "I have no id")
    del no_id["id"]
    data = _export(
        _message(1, "The boiler needs bleeding before winter."),
        no_id,
        _message(3, 42),
        _message(4, "Bleed it from the top radiator first.", reply_to_message_id=1),
        "junk",
        _message(4, "Bleed it from the top radiator first.", reply_to_message_id=1),
    )
    documents, warnings = _read(_write(tmp_path, data), "result.json")
    assert warnings == [
        "Night Owls: 1 entries of messages are not messages; left out",
        "Night Owls: the message at position 2 has no id; left out",
        "Night Owls: message 3 has text that is not a string or a list of text parts; left out",
        "Night Owls: 1 messages repeat the id of an earlier one; read once",
    ]
    (document,) = documents.values()
    assert [s.post for s in document.sections] == ["1", "4"]


def test_several_bad_messages_are_counted_and_the_first_named(tmp_path: Path) -> None:
    bad = [_message(n, text) for n, text in enumerate([{"type": "bold", "text": "x"}, ["ok", 5], [{"text": 3}], 1.5, True, [None], {}], 10)]
    data = _export(_message(1, "Kettle's on."), *bad)
    documents, warnings = _read(_write(tmp_path, data), "result.json")
    assert warnings == ["Night Owls: 7 messages (10, 11, 12, 13, 14 …) have text that is not a string or a list of text parts; left out"]
    assert len(documents) == 1


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(telegram.FORMAT, CHAT, data, tmp_path)


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_in_an_account_export_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(telegram.FORMAT, ACCOUNT, data, tmp_path)


# ---------------------------------------------------------------- end to end


def _carrier(thread: Thread, line: str) -> tuple[Post, Quote]:
    """The post that shows `line` inside a Quote, and that Quote."""
    return next(
        (post, block)
        for post in thread.posts
        for block in post.blocks
        if isinstance(block, Quote) and line in clean_block(block.text).split("\n")
    )


def test_the_loader_reads_the_folder_with_exact_sections_and_no_quoted_words_credited_to_who_quoted_them(tmp_path: Path) -> None:
    documents_dir = tmp_path / "documents"
    shutil.copytree(FOLDER, documents_dir / "telegram")
    result = load_documents(documents_dir)
    assert result.skipped == []
    assert sorted(d.doc_id for d in result.documents) == [
        "telegram/chatexport_2024-03-10/result/kestrel-valley-cyclists-1822334455",
        "telegram/dataexport_2024-04-02/result/harbour-makerspace-2200113344-3d-printers-4",
        "telegram/dataexport_2024-04-02/result/harbour-makerspace-2200113344-general",
        "telegram/dataexport_2024-04-02/result/harbour-makerspace-2200113344-laser-cutter-3",
        "telegram/dataexport_2024-04-02/result/mirela-dobrev-5550202",
    ]
    threads = _threads(CHAT) | _threads(ACCOUNT)
    kept_by_the_quoter: list[str] = []
    for document in result.documents:
        thread = threads[document.title]
        posts = {p.post: p for p in thread.posts}
        for section in document.sections:
            text = document.text[section.start : section.end]
            assert text and text == text.strip(), section
            if not section.quoted:
                post = posts[section.post]
                assert (section.author, section.date, section.reply_to) == (post.author, post.date, post.reply_to)
                assert text in [clean_block(b) for b in post.blocks if isinstance(b, str)], text
                continue
            carrier, quote = _carrier(thread, text)
            if quote.author or quote.post:  # a forward, or a quote the reply chain attributes
                assert section.author == quote.author and section.author != carrier.author, text
            else:  # outside material: the thread model keeps it with whoever brings it in, marked quoted
                kept_by_the_quoter.append(text)
    assert kept_by_the_quoter == ["Works may overrun in wet weather."]


def test_a_pre_part_keeps_its_indentation() -> None:
    found = telegram.segments(["try:\n", {"type": "pre", "text": "while true; do\n  uptime\ndone\n", "language": "sh"}])
    assert found == [Segment("try:"), Segment("while true; do\n  uptime\ndone")]
    assert found is not None and isinstance(found[1].text, Code)
