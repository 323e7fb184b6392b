"""Telegram Desktop HTML: a chat page per document, joined messages, replies and blockquotes, forwards kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, covering, head_of, read_clean
from forumqa.formats import SUPPORTED, THREAD_FORMATS, forum_html, mail_html, telegram_html
from forumqa.loading import load_documents
from forumqa.threads import Code, Post, Quote, Thread

pytestmark = pytest.mark.unit

FORUMS = Path(__file__).parent / "fixtures" / "forums"
FOLDER = FORUMS / "telegram_html" / "ChatExport_2024-03-10"
PAGE = FOLDER / "messages.html"
OTHER_HTML = sorted([*(FORUMS / "forum_html").glob("*.html"), *(FORUMS / "mail_html").glob("*.html")])


def _thread(path: Path = PAGE) -> Thread:
    (thread,) = telegram_html.read(path, print)
    return thread


def _posts(path: Path = PAGE) -> dict[str, Post]:
    return {p.post or "": p for p in _thread(path).posts}


def _page(tmp_path: Path, messages: str) -> Path:
    original = PAGE.read_text(encoding="utf-8")
    start = original.index('<div class="history">')
    path = tmp_path / "messages.html"
    path.write_text(original[:start] + f'<div class="history">{messages}</div></div></div></body></html>', encoding="utf-8")
    return path


def _message(mid: int, text: str, *, joined: bool = False, name: str = "Kim", inner: str = "") -> str:
    header = "" if joined else f'<div class="from_name">{name}</div>'
    return (
        f'<div class="message default clearfix{" joined" if joined else ""}" id="message{mid}"><div class="body">'
        f'<div class="pull_right date details" title="02.01.2024 03:04:05">03:04</div>{header}{inner}'
        f'<div class="text">{text}</div></div></div>'
    )


# ---------------------------------------------------------------- recognition


def test_the_chat_page_is_claimed_and_registered_before_forum_pages() -> None:
    assert telegram_html.sniff(PAGE, head_of(PAGE))
    names = [f.name for f in THREAD_FORMATS]
    assert names.index(mail_html.FORMAT.name) < names.index(telegram_html.FORMAT.name) < names.index(forum_html.FORMAT.name)
    assert "messages*.html" in SUPPORTED
    assert not forum_html.sniff(PAGE, head_of(PAGE))
    assert not mail_html.sniff(PAGE, head_of(PAGE))


@pytest.mark.parametrize("path", OTHER_HTML, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_forum_mail_archive_and_article_pages_are_not_claimed(path: Path) -> None:
    assert not telegram_html.sniff(path, head_of(path))


def test_a_page_that_only_mentions_the_markup_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "howto.html"
    path.write_text('<html><body><p>Telegram writes <code>&lt;div class="page_header"&gt;</code> and css/style.css</p></body></html>')
    assert not telegram_html.sniff(path, head_of(path))


# ---------------------------------------------------------------- messages


def test_the_page_is_one_thread_titled_with_the_chat() -> None:
    thread = _thread()
    assert thread.title == "Harbour Lane Allotments"
    assert list(_posts()) == ["201", "202", "203", "204", "206"]  # the service message and the photo alone are left out


def test_author_date_text_and_line_breaks() -> None:
    first = _posts()["201"]
    assert (first.author, first.date, first.reply_to) == ("Oona Pirkola", "2024-03-05T08:15:02+01:00", None)
    assert first.blocks == (
        "Slugs have eaten half the lettuce seedlings in bed 4 overnight.\nHas anyone tried copper tape around the raised beds?",
    )


def test_a_joined_message_is_the_previous_senders() -> None:
    posts = _posts()
    assert posts["202"].author == "Oona Pirkola"
    assert posts["202"].blocks == ("The beer traps by the shed caught nothing this week.",)
    assert posts["206"].author == "Oona Pirkola"  # joined to her photo, which itself is left out
    assert posts["206"].reply_to == "204"


def test_a_reply_and_its_blockquote_of_the_replied_message() -> None:
    reply = _posts()["203"]
    assert (reply.author, reply.reply_to) == ("Bram Veltman", "201")
    assert reply.blocks[0] == Quote("Has anyone tried copper tape around the raised beds?", "Oona Pirkola", "201")
    own = reply.blocks[1]
    assert isinstance(own, str) and own.startswith("Copper tape worked") and own.endswith("See my notes.")


def test_a_forward_is_the_original_senders_never_the_forwarders() -> None:
    forward = _posts()["204"]
    assert forward.author == "Saskia Kool"
    assert forward.blocks == (
        Quote("Nematodes for slug control arrive in week 12. Water them in when the soil is above five degrees.", "Dunmore Seed Library"),
    )


def test_a_joined_forward_keeps_the_original_sender(tmp_path: Path) -> None:
    forwarded = '<div class="forwarded body"><div class="from_name">Ada<span class="date details"> x</span></div>'
    forwarded += '<div class="text">one</div></div>'
    joined = '<div class="forwarded body"><div class="text">two</div></div>'
    path = _page(
        tmp_path,
        _message(1, "", inner=forwarded).replace('<div class="text"></div>', "")
        + _message(2, "", joined=True, inner=joined).replace('<div class="text"></div>', ""),
    )
    posts = _posts(path)
    assert posts["1"].blocks == (Quote("one", "Ada"),) and posts["2"].blocks == (Quote("two", "Ada"),)
    assert posts["1"].author == posts["2"].author == "Kim"


def test_dates_without_offset_pre_blocks_and_replies_to_other_pages(tmp_path: Path) -> None:
    reply = '<div class="reply_to details">In reply to <a href="messages2.html#go_to_message7">this message</a></div>'
    path = _page(tmp_path, _message(9, "run this:<pre>make all</pre>then <em>wait</em>", inner=reply, name="Kim via @helperbot"))
    post = _posts(path)["9"]
    assert (post.author, post.date, post.reply_to) == ("Kim", "2024-01-02T03:04:05", "7")
    assert post.blocks == ("run this:", "make all", "then wait")


def test_a_service_message_breaks_a_joined_run(tmp_path: Path) -> None:
    service = '<div class="message service" id="message5"><div class="body details">Kim pinned a message</div></div>'
    path = _page(tmp_path, _message(4, "hello") + service + _message(6, "orphan", joined=True))
    assert _posts(path)["6"].author is None


# ---------------------------------------------------------------- end to end


def test_load_documents_reads_the_folder_with_exact_sections() -> None:
    result = load_documents(FOLDER)
    assert result.skipped == []
    (document,) = result.documents
    assert document.title == "Harbour Lane Allotments"
    assert_sections_exact(document, _thread())
    for section in document.sections:
        text = document.text[section.start : section.end]
        assert text and text == text.strip()
        assert section.author != "Saskia Kool"  # her only message is a forward
    (forwarded,) = covering(document, "Nematodes for slug control")
    assert (forwarded.author, forwarded.quoted) == ("Dunmore Seed Library", True)
    quote = "> Has anyone tried copper tape around the raised beds?"
    at = document.text.index(quote) + 2  # Bram's blockquote of Oona's words: shown, not indexed again nor his
    assert not [s for s in document.sections if s.start <= at < s.end]
    assert "Oona Pirkola invited" not in document.text


def test_read_file_gives_one_clean_document() -> None:
    document = read_clean(PAGE)
    assert document.date == "2024-03-05T08:15:02+01:00"


def test_a_pre_block_keeps_its_indentation() -> None:
    text = BeautifulSoup('<div class="text">Config:<pre>server:\n  port: 8080\n</pre>done</div>', "html.parser").div
    assert text is not None
    found = telegram_html.segments(text)
    assert [s.text for s in found] == ["Config:", "server:\n  port: 8080", "done"]
    assert isinstance(found[1].text, Code)
