"""Slack export folders: one document per channel and day, thread replies under their parent, quotes kept apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import FOLDER_FORMATS, THREAD_FORMATS, slack
from forumqa.loading import _head, load_documents, read_file
from forumqa.threads import Code, Quote

pytestmark = pytest.mark.unit

EXPORT = Path(__file__).parent / "fixtures" / "forums" / "slack" / "acme-export"
NAME = slack.FORMAT.name
PEOPLE = slack.Names(users={"U01ANA": "Ana Lima"}, bots=frozenset(), channels={"C01GEN": "general"})


def load(path: Path = EXPORT, source: str = "acme-export") -> tuple[dict[str, Document], list[str]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source, warnings)
    for document in documents:
        for section in document.sections:
            text = document.text[section.start : section.end]
            assert text and text == text.strip(), section
    return {d.doc_id: d for d in documents}, [w.reason.removeprefix(f"partly read ({NAME}): ") for w in warnings]


def spans(document: Document) -> list[tuple[str | None, str | None, str | None, str, bool]]:
    """(author, post, reply_to, text, quoted) of every answerable span, in order."""
    return [(s.author, s.post, s.reply_to, document.text[s.start : s.end], s.quoted) for s in document.sections]


# ---------------------------------------------------------------- sniffing


def test_an_export_folder_is_recognised_by_its_users_and_channels_files(tmp_path: Path) -> None:
    assert [f.name for f in FOLDER_FORMATS if f.sniff(EXPORT, "")] == [NAME]
    assert not slack.sniff(EXPORT / "users.json", "")  # a file, not the folder
    assert not slack.sniff(EXPORT / "general", "")
    partial = tmp_path / "half"
    partial.mkdir()
    shutil.copy(EXPORT / "users.json", partial / "users.json")
    assert not slack.sniff(partial, "")


@pytest.mark.parametrize("name", ["users.json", "channels.json", "general/2024-03-04.json", "ops/2024-03-04.json"])
def test_no_single_file_format_claims_a_file_of_the_export(name: str) -> None:
    path = EXPORT / name
    assert [f.name for f in THREAD_FORMATS if f.sniff(path, _head(path))] == []


# ---------------------------------------------------------------- the fixture export


def test_one_document_per_channel_and_day_and_what_was_left_out_is_named() -> None:
    documents, warnings = load()
    assert sorted(documents) == ["acme-export/general-2024-03-04", "acme-export/general-2024-03-05", "acme-export/ops-2024-03-04"]
    assert documents["acme-export/ops-2024-03-04"].title == "#ops, 2024-03-04"
    assert documents["acme-export/ops-2024-03-04"].date == "2024-03-04"
    assert warnings == [
        "general/2024-03-06.json: invalid JSON at line 3, column 68 (Invalid control character); left out",
        "ops/2024-03-04.json: message 5 is not a message object; left out",
        "ops/2024-03-04.json: message 6 has no valid ts; left out",
    ]


def test_replies_sit_under_their_parent_even_when_posted_on_a_later_day() -> None:
    documents, _ = load()
    monday = documents["acme-export/general-2024-03-04"]
    assert [(a, p, r) for a, p, r, _, quoted in spans(monday) if not quoted] == [
        ("Ana Lima", "1709543100.000200", None),
        ("ben.okafor", "1709543400.000300", None),  # no real_name in users.json: the user name
        ("Ana Lima", "1709543700.000400", "1709543400.000300"),
        ("Chō Yūko", "1709627400.000100", "1709543400.000300"),  # posted on Tuesday, in Tuesday's file
        ("Chō Yūko", "1709544000.000500", None),
        ("Chō Yūko", "1709544000.000500", None),
    ]
    assert "Chō Yūko · 1709627400.000100 · 2024-03-05T08:30:00+00:00\nThanks, I will watch it afterwards." in monday.text
    tuesday = documents["acme-export/general-2024-03-05"]
    assert "Thanks, I will watch it afterwards." not in tuesday.text
    # A reply whose parent is not in the export stays on its day, still saying what it answers.
    assert ("ben.okafor", "1709628600.000300", "1708430400.000100") in [(a, p, r) for a, p, r, _, _ in spans(tuesday)]
    assert ("Eve Martin", "1709629200.000400") in [(a, p) for a, p, *_ in spans(tuesday)]  # user_profile when users.json lacks them


def test_joins_leaves_bots_and_empty_file_shares_are_not_text() -> None:
    documents, _ = load()
    text = "\n".join(d.text for d in documents.values())
    for left_out in ("has joined the channel", "has left the channel", "Deploy of web-7", "timesheets are due", "menu.pdf"):
        assert left_out not in text
    assert "Great, thanks Ben! Closing the incident." in text  # a broadcast reply is someone's words


def test_a_reply_quoting_its_parent_is_shown_but_never_credited_to_the_replier() -> None:
    documents, _ = load()
    monday, ops = documents["acme-export/general-2024-03-04"], documents["acme-export/ops-2024-03-04"]
    assert "Ana Lima · 1709543700.000400 · 2024-03-04T09:15:00+00:00\n> ben.okafor wrote:\n> Will the meeting be recorded?\n" in monday.text
    assert [t for a, _, _, t, _ in spans(monday) if a == "Ana Lima"] == [
        "Good morning! The quarterly planning meeting moved to Thursday 14:00 in room Kiwi :tada:",
        "Yes, the recording goes to the planning page by Friday.",
    ]
    assert "> ben.okafor wrote:\n> I'll rotate the logs now\nDone, it is down to 40%. Details in #general." in ops.text
    assert next(t for a, *_, t, _ in spans(ops) if a == "Chō Yūko") == "Done, it is down to 40%. Details in #general."


def test_outside_material_in_a_quote_stays_citable_but_marked_quoted() -> None:
    documents, _ = load()
    monday, ops = documents["acme-export/general-2024-03-04"], documents["acme-export/ops-2024-03-04"]
    assert [(t, q) for a, _, _, t, q in spans(monday) if a == "Chō Yūko"][1:] == [
        ("The facilities notice says:", False),
        ("The east entrance is closed for repairs until 15 March.", True),
        ("So please use the north door 🚪", False),
    ]
    # ">>>" quotes the rest of the message.
    assert [t for *_, t, q in spans(ops) if q] == ["We have shipped the replacement fan.", "It should arrive on Wednesday."]


def test_mrkdwn_becomes_what_a_reader_sees() -> None:
    documents, _ = load()
    texts = [t for d in documents.values() for *_, t, _ in spans(d)]
    assert "Will the meeting be recorded? @Ana Lima" in texts
    assert "Reminder: the on-call rota for next week is at https://wiki.example.com/oncall. @here" in texts
    assert "Lunch order is due at 11:30 — the café takes both €5 vouchers & cards." in texts
    assert "sudo logrotate -f /etc/logrotate.conf" in texts  # a code block is a block of its own


@pytest.mark.parametrize(
    ("raw", "blocks"),
    [
        ("see <https://a.example/x|the docs> and <mailto:b@example.org>", ["see the docs and b@example.org"]),
        ("ping <@U01ANA> and <@U77|zoe> in <#C01GEN> or <#C99|random>", ["ping @Ana Lima and @zoe in #general or #random"]),
        ("<!channel> a &lt;b&gt; &amp;lt; c", ["@channel a <b> &lt; c"]),
        ("snake_case_name and 2*3*4 stay; *bold* ~gone~ `code`", ["snake_case_name and 2*3*4 stay; bold gone code"]),
        ("before\n```\nx &gt; 1\n```\nafter", ["before", "x > 1", "after"]),
        ("&gt; quoted\n&gt; twice\nmine\n&gt;&gt;&gt; rest\nall of it", [Quote("quoted\ntwice"), "mine", Quote("rest\nall of it")]),
        ("a 3 &gt; 2 comparison", ["a 3 > 2 comparison"]),
        ("~_*all three*_~ styles and *_two_*", ["all three styles and two"]),
    ],
)
def test_message_blocks(raw: str, blocks: list[str | Quote]) -> None:
    assert slack.message_blocks(raw, PEOPLE) == blocks


# ---------------------------------------------------------------- the loader and bad input


def test_the_loader_reads_the_export_as_one_source(tmp_path: Path) -> None:
    documents_dir = tmp_path / "documents"
    shutil.copytree(EXPORT, documents_dir / "team" / "acme-export")
    (documents_dir / "notes.txt").write_text("Notes\nThe loader reads this file as well.\n", encoding="utf-8")
    result = load_documents(documents_dir)
    assert sorted(d.doc_id for d in result.documents) == [
        "notes",
        "team/acme-export/general-2024-03-04",
        "team/acme-export/general-2024-03-05",
        "team/acme-export/ops-2024-03-04",
    ]
    assert {s.source for s in result.skipped} == {"team/acme-export"}  # the partly-read warnings; no day file read alone
    assert len(result.skipped) == 3


def test_an_export_unzipped_into_the_documents_folder_itself_is_read(tmp_path: Path) -> None:
    """users.json and channels.json at the top of the documents folder: the folder is the export, not three bad files."""
    documents_dir = tmp_path / "documents"
    shutil.copytree(EXPORT, documents_dir)
    result = load_documents(documents_dir)
    assert sorted(d.doc_id for d in result.documents) == [
        "documents/general-2024-03-04",
        "documents/general-2024-03-05",
        "documents/ops-2024-03-04",
    ]
    assert {s.source for s in result.skipped} == {"documents"}  # the partly-read warnings, as above; no file skipped alone


def test_unreadable_users_json_costs_only_the_names(tmp_path: Path) -> None:
    export = tmp_path / "acme-export"
    shutil.copytree(EXPORT, export)
    (export / "users.json").write_text('[{"id": "U01ANA", "real_name": ', encoding="utf-8")
    documents, warnings = load(export)
    assert warnings[0].startswith("users.json: invalid JSON at line 1, column 32")
    authors = {a for d in documents.values() for a, *_ in spans(d)}
    assert {"U01ANA", "ben", "Eve Martin"} <= authors  # the id, else the name the message carries


def test_an_old_export_file_share_is_its_uploaders_comment_credited_by_the_mention_it_carries() -> None:
    """A 2015-16 export writes a file share as Slack's notice ("<@U…|login> uploaded a file: <…>") and the
    uploader's comment after " and commented: ", and its `username` as that mention token: the notice is no
    one's words, and a user missing from users.json is named by the login."""
    documents, warnings = load(Path(__file__).parent / "fixtures" / "forums" / "slack" / "darkroom-2016-export", "darkroom-2016-export")
    assert warnings == []
    (document,) = documents.values()
    assert [(author, text) for author, _, _, text, _ in spans(document)] == [
        ("petra", "Twelve frames from the expired film, all a little warm."),
        ("Oswin Tarrant", "A cooler filter when printing would pull that cast back."),
    ]  # Oswin's share without a comment has no words
    assert "uploaded a file" not in document.text


def test_an_export_without_day_files_is_unreadable(tmp_path: Path) -> None:
    export = tmp_path / "empty-export"
    export.mkdir()
    for name in ("users.json", "channels.json"):
        (export / name).write_text("[]", encoding="utf-8")
    (export / "general").mkdir()
    (export / "general" / "notes.txt").write_text("not a day file", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="without channel folders of day files"):
        read_file(export, "empty-export")


def test_a_day_file_that_is_not_a_list_is_named(tmp_path: Path) -> None:
    export = tmp_path / "acme-export"
    shutil.copytree(EXPORT, export)
    (export / "ops" / "2024-03-07.json").write_text(json.dumps({"messages": []}), encoding="utf-8")
    (export / "ops" / "2024-03-08.json").write_bytes(b'[{"user": "U01ANA", "text": "caf\xe9", "ts": "1709900000.0001"}]')
    _, warnings = load(export)
    assert "ops/2024-03-07.json: not a list of messages; left out" in warnings
    assert "ops/2024-03-08.json: not UTF-8 (bad byte at position 32); left out" in warnings


# ---------------------------------------------------------------- shapes of real exports

ALLOTMENT = Path(__file__).parent / "fixtures" / "forums" / "slack" / "allotment-export"


def test_real_message_shapes_read_as_people_see_them() -> None:
    documents, warnings = load(ALLOTMENT, "allotment-export")
    assert warnings == []
    may1 = documents["allotment-export/garden-2024-05-01"]
    texts = [t for d in documents.values() for *_, t, _ in spans(d)]
    # A mention is the users.json name, not an old export's login-handle label; a user group keeps its label.
    assert "Tomatoes in #seed-swap & #garden: ask @Teo Varga or @Pip Andersen :seedling: @here see the list" in texts
    assert "I have spare Roma seeds, 20 or so. @growers can split them." in texts
    for leak in ("&amp;", "&lt;", "&gt;", "<@", "<#", "<!", "<http"):
        assert leak not in may1.text, leak
    for left_out in ("Soil moisture", "Bed 2 is dry", "has joined the channel", "This message was deleted", "site blurb"):
        assert left_out not in may1.text  # bots, joins, a tombstone, a link preview
    assert ("Teo Varga", "1714552400.001100", "1714552300.001000") in [(a, p, r) for a, p, r, _, _ in spans(may1)]  # under a deleted parent
    assert "is off to water the beans" in texts and "Bed layout for this year, north is up" in texts
    assert ("Gone Gardener", "Message from someone not in users.json") in [
        (a, t) for a, *_, t, _ in spans(documents["allotment-export/garden-2024-05-02"])
    ]


def test_a_message_with_blocks_only_is_read_from_its_rich_text() -> None:
    documents, _ = load(ALLOTMENT, "allotment-export")
    pip = [(t, q) for a, p, _, t, q in spans(documents["allotment-export/garden-2024-05-01"]) if p == "1714551600.000300"]
    assert pip == [
        ("Compost turns faster if you chop the stalks < 5 cm. Thanks @Ria Okonkwo :thumbsup:", False),
        ("Keep the pile as damp as a wrung sponge.", True),
        ("turn every 7 days", False),
        ("greens\nbrowns", False),
    ]


def test_a_shared_message_is_a_quote_of_its_author_and_a_quoted_parent_is_the_parents() -> None:
    documents, _ = load(ALLOTMENT, "allotment-export")
    may1 = documents["allotment-export/garden-2024-05-01"]
    shared = [(a, p, q) for a, p, _, t, q in spans(may1) if t == "Never plant fennel next to the tomatoes, it stunts them."]
    assert shared == [("Teo Varga", "1714400000.000100", True)]  # never Pip's, who shared it
    assert (
        "Teo Varga · 1714551000.000200 · 2024-05-01T08:10:00+00:00\n> Ria Okonkwo wrote:\n> ask @Teo Varga or @Pip Andersen\n" in may1.text
    )
    assert not [t for a, *_, t, q in spans(may1) if a == "Teo Varga" and "ask @Teo" in t]


def test_an_ordered_list_in_blocks_keeps_its_numbers_and_stacked_styles_leave_no_markers() -> None:
    """Slack writes a list broken by a nested one as runs, the later run's "offset" counting the items before it."""
    documents, warnings = load(ALLOTMENT, "allotment-export")
    assert warnings == []
    may3 = spans(documents["allotment-export/garden-2024-05-03"])
    assert may3[0] == (
        "Ria Okonkwo",
        "1714726800.000100",
        None,
        "Sowing the leeks:\n1. Fill a deep tray with sieved compost\nno grit\nno feed yet\n"
        "2. Sow thinly and barely cover\n3. Keep at 15 degrees\na. move them out in June",
        False,
    )
    assert may3[1][3] == "Noted, and never sow them in the cold frame again"


@pytest.mark.parametrize(
    ("blocks", "mrkdwn"),
    [
        (
            [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "a<b & c"}]}]}],
            "a&lt;b &amp; c",
        ),
        (
            [
                {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "link", "url": "https://x.example", "text": "x"}, {"type": "broadcast", "range": "here"}],
                        },
                        {"type": "rich_text_quote", "elements": [{"type": "text", "text": "one\ntwo"}]},
                        {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "code"}]},
                    ],
                }
            ],
            "<https://x.example|x><!here>\n&gt; one\n&gt; two\n```code```",
        ),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "a bot's card"}}, "junk"], ""),
    ],
)
def test_rich_text_as_mrkdwn(blocks: object, mrkdwn: str) -> None:
    assert slack.rich_text(blocks) == mrkdwn


# ---------------------------------------------------------------- an export published without users.json

ORCHARD = Path(__file__).parent / "fixtures" / "forums" / "slack" / "orchard-no-users-export"


def test_an_export_without_users_json_is_read_with_the_names_its_messages_carry() -> None:
    """People publish exports without users.json (it holds everyone's e-mail address): channels.json and a
    folder it lists still make an export, and each user is named by the profile any of their messages
    carries, so a file share without a profile, a mention and a message on another day are named too."""
    assert [f.name for f in FOLDER_FORMATS if f.sniff(ORCHARD, "")] == [NAME]
    documents, warnings = load(ORCHARD, "orchard-no-users-export")
    assert warnings == []
    assert [(a, p, r, t[:30]) for d in documents.values() for a, p, r, t, _ in spans(d)] == [
        ("Maren Holt", "1707555700.000200", None, "Winter pruning starts Saturday"),
        ("Idris Calder", "1707556000.000300", "1707555700.000200", "Photo of the canker on the nor"),
        ("Idris Calder", "1707642000.000500", None, "@Maren Holt the canker goes ba"),
    ]
    text = " ".join(d.text for d in documents.values())
    assert "has joined" not in text and "U0" not in text


def test_without_users_json_a_user_with_no_profile_anywhere_is_named_by_their_username(tmp_path: Path) -> None:
    """An old file share carries only the sharer's `username`: that names the same user's other messages too."""
    export = tmp_path / "shed-export"
    (export / "tools").mkdir(parents=True)
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "tools"}]), encoding="utf-8")
    day = [
        {
            "type": "message",
            "subtype": "file_share",
            "user": "U0OLGA",
            "username": "olga.b",
            "ts": "1707555700.000100",
            "text": "uploaded a file",
        },
        {"type": "message", "user": "U0OLGA", "ts": "1707555800.000200", "text": "The long loppers are back on the hook."},
    ]
    (export / "tools" / "2024-02-10.json").write_text(json.dumps(day), encoding="utf-8")
    documents, _ = load(export, "shed-export")
    assert {a for d in documents.values() for a, *_ in spans(d)} == {"olga.b"}


def test_an_apps_post_by_a_user_the_export_does_not_name_is_not_text(tmp_path: Path) -> None:
    """slackdump writes an app's post (`bot_id`, `bot_profile`) with a `user` that is in no users.json: a
    bot's words, not a person's to be credited under a raw id; with or without users.json."""
    documents, _ = load(ORCHARD, "orchard-no-users-export")
    assert all("Frost warning" not in d.text for d in documents.values())
    export = tmp_path / "orchard-export"
    shutil.copytree(ORCHARD, export)
    people = [{"id": "U0MAREN1", "name": "maren.holt", "real_name": "Maren Holt"}, {"id": "U0IDRIS2", "name": "idris.c"}]
    (export / "users.json").write_text(json.dumps(people), encoding="utf-8")
    documents, warnings = load(export, "orchard-export")
    assert warnings == []
    assert all("Frost warning" not in d.text for d in documents.values())
    assert {a for d in documents.values() for a, *_ in spans(d)} == {"Maren Holt", "idris.c"}  # users.json first


def test_a_channels_json_alone_is_no_export(tmp_path: Path) -> None:
    """channels.json is a common name (TV channel lists): only a folder of day files it lists makes an export."""
    folder = tmp_path / "iptv"
    (folder / "sports").mkdir(parents=True)
    (folder / "channels.json").write_text(json.dumps([{"id": "1", "name": "news"}]), encoding="utf-8")
    (folder / "sports" / "2024-01-01.json").write_text("[]", encoding="utf-8")
    assert not slack.sniff(folder, "")
    (folder / "news").mkdir()
    (folder / "news" / "2024-01-01.json").write_text("[]", encoding="utf-8")
    assert slack.sniff(folder, "")
    (folder / "channels.json").write_text("[{", encoding="utf-8")
    assert not slack.sniff(folder, "")


def test_direct_and_group_messages_are_titled_after_their_members(tmp_path: Path) -> None:
    """A DM's folder is its id (dms.json) and a group DM's its mpdm- name (mpims.json): neither is a #channel."""
    export = tmp_path / "bakery-export"
    people = [{"id": "U1", "name": "ana", "real_name": "Ana Ruiz"}, {"id": "U2", "name": "ben", "real_name": "Ben Oduya"}]
    listings = {
        "users.json": people,
        "channels.json": [{"id": "C1", "name": "ovens"}],
        "dms.json": [{"id": "D0AB12", "members": ["U1", "U2"]}],
        "mpims.json": [{"id": "G0CD34", "name": "mpdm-ana--ben--cy-1", "members": ["U1", "U2", "U3"]}],
    }
    for name, data in listings.items():
        (export / name).parent.mkdir(parents=True, exist_ok=True)
        (export / name).write_text(json.dumps(data), encoding="utf-8")
    for folder, text in (("ovens", "Oven two runs hot."), ("D0AB12", "Can you cover Sunday?"), ("mpdm-ana--ben--cy-1", "Rye is sold out.")):
        (export / folder).mkdir()
        day = [{"type": "message", "user": "U1", "ts": "1707555700.000100", "text": text}]
        (export / folder / "2024-02-10.json").write_text(json.dumps(day), encoding="utf-8")
    documents, _ = load(export, "bakery-export")
    assert sorted(d.title for d in documents.values()) == [
        "#ovens, 2024-02-10",
        "direct messages: Ana Ruiz, Ben Oduya, 2024-02-10",
        "direct messages: Ana Ruiz, Ben Oduya, U3, 2024-02-10",
    ]


def test_a_canvas_is_titled_by_its_name_and_a_message_linked_into_it_is_a_quote_of_its_author(tmp_path: Path) -> None:
    """Slack exports a canvas's comment threads as a folder "FC_<file id>_<title>"; a message linked into the
    canvas (`document_unfurl`) is the linker's link, the linked message's words credited to whoever wrote them."""
    export = tmp_path / "pottery-export"
    (export / "FC_F0KILN42_Glaze notes").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps([{"id": "U1", "name": "ines", "real_name": "Ines Baptiste"}]), encoding="utf-8")
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "studio"}]), encoding="utf-8")
    link = "https://pottery.slack.com/archives/C1/p1700000000000100"
    day = [
        {
            "type": "message",
            "subtype": "document_unfurl",
            "user": "U1",
            "ts": "1700000500.000200",
            "text": f"<{link}>",
            "attachments": [
                {
                    "is_msg_unfurl": True,
                    "author_id": "U9",
                    "author_name": "Kofi",
                    "ts": "1700000000.000100",
                    "text": "Fire the celadon to cone 10, never higher.",
                    "footer": "Slack conversation",
                }
            ],
        },
        {"type": "message", "subtype": "document_comment_root", "user": "USLACKBOT", "ts": "1700000600.000300", "text": "Glaze notes"},
        {
            "type": "message",
            "user": "U1",
            "ts": "1700000700.000400",
            "thread_ts": "1700000600.000300",
            "text": "Worth testing on a tile first.",
        },
    ]
    (export / "FC_F0KILN42_Glaze notes" / "2023-11-14.json").write_text(json.dumps(day), encoding="utf-8")
    documents, _ = load(export, "pottery-export")
    [canvas] = documents.values()
    assert canvas.title == "canvas: Glaze notes, 2023-11-14"
    assert spans(canvas) == [
        ("Ines Baptiste", "1700000500.000200", None, link, False),
        ("Kofi", "1700000000.000100", None, "Fire the celadon to cone 10, never higher.", True),
        ("Ines Baptiste", "1700000700.000400", "1700000600.000300", "Worth testing on a tile first.", False),
    ]


def test_a_code_block_keeps_its_indentation() -> None:
    blocks = slack.message_blocks("run this:\n```\nfor host in a b; do\n    ping -c1 $host\ndone\n```", PEOPLE)
    assert blocks == ["run this:", "for host in a b; do\n    ping -c1 $host\ndone"]
    assert isinstance(blocks[1], Code)
