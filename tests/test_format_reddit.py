"""Reddit thread JSON: the comment tree, anonymous `>` quotes traced up the reply chain, and what the file lacks."""

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
from forumqa.formats.reddit import Segment, Source, attribute, markdown_segments
from forumqa.loading import read_file
from forumqa.threads import Code, Post, Quote, Thread

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
THREAD = FIXTURES / "reddit" / "nas_drives_spin_down.json"
PERMALINK = "https://www.reddit.com/r/homelab/comments/1b7kq2x/nas_drives_spin_down_and_never_wake_up/"


def _read(path: Path = THREAD, source: str = "reddit/nas_drives_spin_down.json") -> tuple[Document, list[Skipped]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source, warnings)
    assert len(documents) == 1
    return documents[0], warnings


def _posts(path: Path = THREAD) -> dict[str, Post]:
    thread: Thread = next(reddit.read(path, lambda message: None))
    return {p.post or "": p for p in thread.posts}


def test_thread_is_one_document_with_submission_first() -> None:
    document, _ = _read()
    assert document.doc_id == "reddit/nas_drives_spin_down"
    assert document.title == "NAS drives spin down and never wake up"
    assert document.date == "2024-03-06T08:00:00+00:00"
    (opening,) = covering(document, "My two-bay NAS spins its drives down")
    assert (opening.author, opening.post, opening.url, opening.reply_to) == ("quiet_fan_42", "1b7kq2x", PERMALINK, None)
    for section in document.sections:
        assert document.text[section.start : section.end].strip()


def test_comments_carry_ids_parents_dates_and_permalinks() -> None:
    document, _ = _read()
    (reply,) = covering(document, "It mounts by name! Switched it")
    assert reply.author == "quiet_fan_42"
    assert (reply.post, reply.reply_to) == ("kx2bq77", "kx2ae01")
    assert reply.date == "2024-03-06T09:00:00+00:00"
    assert reply.url == PERMALINK + "kx2bq77/"
    (top,) = covering(document, "Check whether the laptop's backup client")
    assert top.reply_to == "1b7kq2x"  # t3_ prefix dropped: the submission's own id


def test_quote_of_the_parent_is_credited_up_the_chain_never_to_the_replier() -> None:
    posts = _posts()
    assert posts["kx2bq77"].blocks[0] == Quote(
        "By-name mounts go through the discovery service, and that service can't wake a sleeping disk.", "bitrot_bea", "kx2ae01"
    )
    # A quote of a quote: each level its own Quote, each traced to the comment that holds its words.
    quotes = [b for b in posts["kx2cz10"].blocks if isinstance(b, Quote)]
    assert [(q.author, q.post) for q in quotes] == [("bitrot_bea", "kx2ae01"), ("quiet_fan_42", "kx2bq77")]
    document, _ = _read()
    for words in ("that service can't wake a sleeping disk", "Check whether the laptop's backup client", "It mounts by name!"):
        for section in document.sections:
            if words in document.text[section.start : section.end]:
                assert not section.quoted, words  # only the original is indexed
    assert not [s for s in document.sections if s.author == "Zoë_Łukasik" and s.quoted]


def test_quote_of_outside_material_has_no_author() -> None:
    posts = _posts()
    assert (
        Quote("A client that holds a lease may cache data locally and will not send requests that would wake the server's storage.")
        in posts["kx2ff12"].blocks
    )
    assert Quote("Hibernation is suspended while any client holds an open SMB session.") in posts["1b7kq2x"].blocks


def test_deleted_comment_is_left_out_but_a_quote_of_it_keeps_its_words() -> None:
    posts = _posts()
    assert "kx2d5aa" not in posts and "kx2hh56" not in posts
    assert posts["kx2e6bb"].reply_to == "kx2d5aa"
    document, warnings = _read()
    (section,) = covering(document, "Just disable hibernation entirely")
    assert (section.author, section.post, section.quoted) == ("[deleted]", "kx2d5aa", True)
    assert any("2 comments have no text (removed or deleted): kx2d5aa by [deleted], kx2hh56 by AutoModerator" in w.reason for w in warnings)
    (kept,) = covering(document, "So an idle laptop holding a lease")
    assert kept.author == "[deleted]"  # a deleted account's words that are still there are kept


def test_more_stubs_are_reported_once_with_the_count() -> None:
    _, warnings = _read()
    more = [w.reason for w in warnings if "not in the file" in w.reason]
    assert len(more) == 1 and "7 comments not in the file (behind 3 'load more comments' links)" in more[0]


def test_markdown_becomes_plain_text() -> None:
    document, _ = _read()
    text = document.text
    assert "20 minutes & then" in text and "&amp;" not in text and "&gt;" not in text
    assert "Logs are here if that helps." in text and "pastebin" not in text  # a link keeps its text
    assert "1. Updated the firmware to 7.2\n2. Turned off energy saver on the switch" in text  # a list keeps its numbers
    assert "\u200b" not in text
    assert "Spoiler: the second drive never sleeps" in text and ">!" not in text and "!<" not in text
    (code,) = covering(document, "hdparm -C /dev/sda")
    assert text[code.start : code.end] == "hdparm -C /dev/sda\nsmartctl -n standby -A /dev/sdb"
    assert "sda | standby" in text
    assert "Thank you 🙏" in text and "Zoë_Łukasik · kx2cz10" in text and "Über-useful" in text


def test_sniff_claims_reddit_threads_only() -> None:
    head = THREAD.read_text(encoding="utf-8")
    assert reddit.sniff(THREAD, head)
    assert next(f for f in THREAD_FORMATS if f.sniff(THREAD, head)) is reddit.FORMAT
    assert not discourse.sniff(THREAD, head) and not discord.sniff(THREAD, head)
    for other in (*FIXTURES.glob("discourse/*.json"), *FIXTURES.glob("discord/*.json")):
        assert not reddit.sniff(other, other.read_text(encoding="utf-8")), other
    listing_only = json.dumps([{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {}}]}}])
    assert not reddit.sniff(Path("x.json"), listing_only)


def test_truncated_file_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "thread.json"
    broken.write_text(THREAD.read_text(encoding="utf-8")[:2500], encoding="utf-8")
    with pytest.raises(UnreadableDocument, match=r"invalid JSON at line 1, column \d+"):
        read_file(broken, "thread.json")


@pytest.mark.parametrize(
    "data", [[], [1, 2], [{"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {}}]}}], {"kind": "Listing"}]
)
def test_not_a_thread_is_unreadable(tmp_path: Path, data: object) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not a Reddit thread"):
        next(reddit.read(path, print))


def _submission(**fields: Any) -> dict[str, Any]:
    data = {"id": "s1", "title": "T", "author": "op", "selftext": "", "created_utc": 1.7e9, "permalink": "/r/x/comments/s1/t/"}
    return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": data | fields}]}}


def _comment(cid: str, parent: str, body: str, replies: object = "") -> dict[str, Any]:
    data = {"id": cid, "parent_id": parent, "author": f"u_{cid}", "body": body, "created_utc": 1.7e9, "replies": replies}
    return {"kind": "t1", "data": data}


def test_comment_page_whose_parent_is_not_in_the_file(tmp_path: Path) -> None:
    """A saved comment permalink starts mid-tree: its first comment replies to one the file lacks."""
    path = tmp_path / "c.json"
    comment = _comment("c9", "t1_c8", "&gt; the missing words\n\nMy answer.")
    path.write_text(json.dumps([_submission(), {"kind": "Listing", "data": {"children": [comment, "junk"]}}]))
    warnings: list[str] = []
    (thread,) = reddit.read(path, warnings.append)
    (post,) = thread.posts
    assert (post.reply_to, post.blocks) == ("c8", (Quote("the missing words", None, "c8"), "My answer."))
    assert warnings == ["1 entries of the comment tree are not comments; left out"]


def test_deep_reply_chain_is_walked_without_recursion(tmp_path: Path) -> None:
    replies: object = ""
    for depth in range(150, 0, -1):
        replies = {"kind": "Listing", "data": {"children": [_comment(f"c{depth}", f"t1_c{depth - 1}", f"reply {depth}", replies)]}}
    top = _comment("c0", "t3_s1", "top", replies)
    path = tmp_path / "deep.json"
    path.write_text(json.dumps([_submission(selftext="[removed]"), {"kind": "Listing", "data": {"children": [top]}}]))
    (thread,) = reddit.read(path, print)
    assert len(thread.posts) == 151  # the removed submission text is no post
    assert thread.posts[-1].reply_to == "c149"


def test_markdown_segments_mark_quote_depth() -> None:
    segments = markdown_segments("own **bold** `x`\nwrapped\n\n> a\n> > b\n>\n> c\n\n    code\n")
    assert segments == [Segment("own bold x wrapped"), Segment("a", 1), Segment("b", 2), Segment("c", 1), Segment("code")]


def test_attribute_prefers_the_ancestor_that_holds_the_words() -> None:
    chain = (Source("parent", "p", "I said one thing."), Source("grand", "g", "The original claim, word for word."))
    blocks = attribute([Segment("The original claim, word for word.", 1), Segment("Something from the manual.", 1)], chain)
    assert blocks == (Quote("The original claim, word for word.", "grand", "g"), Quote("Something from the manual."))


# ---------------------------------------------------------------- damaged files


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(reddit.FORMAT, THREAD, data, tmp_path)


# ---------------------------------------------------------------- shapes of real threads

CROSSPOST = FIXTURES / "reddit" / "crosspost_petg_planters.json"


def test_title_entities_are_decoded() -> None:
    document, _ = _read(CROSSPOST, "reddit/crosspost_petg_planters.json")
    assert document.title == "Q&A: PLA or PETG <for outdoor planters>?"  # Reddit escapes every string, titles too
    assert document.text.startswith(document.title + "\n")


def test_crosspost_words_are_the_original_authors_and_a_quote_of_them_is_theirs() -> None:
    document, _ = _read(CROSSPOST, "reddit/crosspost_petg_planters.json")
    (original,) = covering(document, "I printed six planters in PETG & left them")
    assert (original.author, original.post, original.quoted) == ("terra_cotta_tom", "1c8zz0q", False)
    assert original.url == "https://www.reddit.com/r/printedplanters/comments/1c8zz0q/petg_planters_after_one_winter_outside/"
    posts = _posts(CROSSPOST)
    assert posts["l0a0002"].blocks[0] == Quote("the white ones went slightly yellow", "terra_cotta_tom", "1c8zz0q")
    assert not [s for s in document.sections if s.author == "grow_lamp_gus" and s.quoted]
    assert document.date == "2024-04-20T08:00:00+00:00"  # the crosspost's date, not the original's


def test_superscript_admin_removal_and_continue_this_thread() -> None:
    document, warnings = _read(CROSSPOST, "reddit/crosspost_petg_planters.json")
    assert "PLA softens above 55 °C in my experience & a black pot" in document.text and "^(" not in document.text
    assert "Typing > by hand shows a plain arrow." in document.text  # a typed "&gt;" (escaped again) is text, not a quote
    assert "Removed by Reddit" not in document.text
    reasons = [w.reason for w in warnings]
    assert any("2 comments have no text (removed or deleted): l0a0003 by [deleted], l0a0005 by [deleted]" in r for r in reasons)
    assert any("some comments not in the file (behind 1 'load more comments' links)" in r for r in reasons)
    assert "Agreed on the UV point." in document.text  # a reply under a removed comment is kept


def test_superscript_is_left_alone_in_code() -> None:
    assert markdown_segments("`^(a|b)$` is ^(tiny)", superscript=True) == [Segment("^(a|b)$ is tiny")]
    assert markdown_segments("2^(n) stays for chat", superscript=False) == [Segment("2^(n) stays for chat")]
    # the one-word form a bot's footer uses; a power keeps its caret
    assert markdown_segments("^I ^am ^a ^^bot, and 2^10 is 1024", superscript=True) == [Segment("I am a bot, and 2^10 is 1024")]


def test_a_link_post_says_its_link(tmp_path: Path) -> None:
    path = tmp_path / "link.json"
    head = _submission(is_self=False, url="https://example.org/guide?part=1&amp;lang=en")
    path.write_text(json.dumps([head, {"kind": "Listing", "data": {"children": [_comment("c1", "t3_s1", "Good guide.")]}}]))
    (thread,) = reddit.read(path, print)
    assert [(p.author, p.blocks) for p in thread.posts] == [
        ("op", ("https://example.org/guide?part=1&lang=en",)),
        ("u_c1", ("Good guide.",)),
    ]


def test_a_gallerys_captions_and_a_polls_options_are_the_posters_words(tmp_path: Path) -> None:
    path = tmp_path / "gallery.json"
    gallery = {
        "items": [{"media_id": "m1", "caption": "Hull before sanding"}, {"media_id": "m2"}, {"caption": "After two coats &amp; wax"}]
    }
    poll = {"options": [{"id": "1", "text": "Teak oil"}, {"id": "2", "text": "Spar varnish"}], "total_vote_count": 9}
    head = _submission(is_self=False, url="https://www.reddit.com/gallery/s1", gallery_data=gallery, poll_data=poll)
    path.write_text(json.dumps([head, {"kind": "Listing", "data": {"children": []}}]))
    (thread,) = reddit.read(path, print)
    assert thread.posts[0].blocks == (
        "Hull before sanding\nAfter two coats & wax",
        "Teak oil\nSpar varnish",
        "https://www.reddit.com/gallery/s1",
    )


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_in_a_crosspost_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(reddit.FORMAT, CROSSPOST, data, tmp_path)


OLD_THREAD = FIXTURES / "reddit" / "old_thread_no_comment_links.json"


def test_comments_without_a_permalink_are_linked_under_the_submissions() -> None:
    """Before about 2017 the API gave comments no permalink; Reddit's own is the submission's plus the comment id."""
    warnings: list[Skipped] = []
    (document,) = read_file(OLD_THREAD, "forums/old_thread_no_comment_links.json", warnings)
    base = "https://www.reddit.com/r/bicycling/comments/1dq3zv/front_hub_creaks_only_in_the_cold/"
    assert {s.post: s.url for s in document.sections} == {"1dq3zv": base, "c9t1a55": f"{base}c9t1a55/", "c9t2b07": f"{base}c9t2b07/"}


def test_missing_comments_advice_names_only_files_the_reader_takes() -> None:
    """/api/morechildren answers {"json": {"data": {"things": …}}}, which is no thread: the advice does not send anyone there."""
    warnings: list[Skipped] = []
    read_file(OLD_THREAD, "forums/old_thread_no_comment_links.json", warnings)
    (more,) = [w.reason for w in warnings if "not in the file" in w.reason]
    assert "7 comments not in the file (behind 3 'load more comments' links)" in more
    assert "morechildren" not in more and "<permalink>.json" in more


def test_fenced_and_indented_code_blocks_keep_their_indentation() -> None:
    body = "Mine:\n\n```\nif disk.idle():\n    disk.spin_down()\n```\n\nor indented:\n\n    sleep 600\n      && hdparm -y /dev/sdb\n"
    found = markdown_segments(body)
    code = ["if disk.idle():\n    disk.spin_down()", "sleep 600\n  && hdparm -y /dev/sdb"]
    assert [s.text for s in found] == ["Mine:", code[0], "or indented:", code[1]]
    assert [isinstance(s.text, Code) for s in found] == [False, True, False, True]
