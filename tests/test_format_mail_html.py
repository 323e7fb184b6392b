"""Mailing-list archive pages (pipermail, MHonArc, HyperKitty): senders, dates, Message-IDs, and quotes credited to who wrote them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import assert_sections_exact, head_of, read_clean, read_one
from forumqa.documents import Document, UnreadableDocument
from forumqa.formats import SUPPORTED, THREAD_FORMATS, forum_html, mail_html
from forumqa.formats.mail_html.hyperkitty import hyperkitty_date
from forumqa.formats.mail_html.pipermail import pipermail_date
from forumqa.loading import load_documents, read_file
from forumqa.threads import Quote, Thread, clean_block

pytestmark = pytest.mark.unit

FORUMS = Path(__file__).resolve().parent / "fixtures" / "forums"
FIXTURES = FORUMS / "mail_html"
PIPERMAIL = FIXTURES / "pipermail-000141.html"
LATIN1 = FIXTURES / "pipermail-000146-latin1.html"
MHONARC = FIXTURES / "mhonarc-msg00087.html"
FLOWED = FIXTURES / "mhonarc-msg00088-flowed.html"
PRE22 = FIXTURES / "mhonarc-msg00041-pre22.html"  # the layout of MHonArc before 2.2, <b> labels
ATTACHMENTS = FIXTURES / "mhonarc-msg00112-attachments.html"  # MHonArc 2.6.19's own output, a PDF and a mail attached
SPAMMODE = FIXTURES / "mhonarc-msg00113-spammode.html"  # 2.6.19 with <SPAMMODE>, answering a mail whose id it does not link
MHONARC_INDEX = FIXTURES / "mhonarc-threads.html"  # 2.6.19's thread index: a list of the mails, skipped
HK_MESSAGE = FIXTURES / "hyperkitty-message.html"
HK_THREAD = FIXTURES / "hyperkitty-thread.html"
# Open MPI keeps its Hypermail pages as .php
PAGES = sorted(p.name for p in FIXTURES.glob("*.*") if p.suffix in (".html", ".php") and p != MHONARC_INDEX)


def _thread(path: Path) -> Thread:
    warnings: list[str] = []
    (thread,) = mail_html.read(path, warnings.append)
    assert warnings == []
    return thread


def _sections(document: Document, quoted: bool) -> list[tuple[str | None, str | None, str]]:
    return [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted is quoted]


def _edited(tmp_path: Path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / (name or source.name)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_claimed_by_the_archive_reader_and_no_earlier_format(name: str) -> None:
    path = FIXTURES / name
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is mail_html.FORMAT
    assert "pipermail" in SUPPORTED and "HyperKitty" in SUPPORTED


@pytest.mark.parametrize("path", sorted([*(FORUMS / "forum_html").glob("*.html"), *(FORUMS / "mbox").iterdir()]), ids=lambda p: p.name)
def test_forum_pages_articles_and_mail_files_are_not_claimed(path: Path) -> None:
    assert not mail_html.sniff(path, head_of(path))


def test_an_ordinary_article_still_falls_through_to_the_page_reader() -> None:
    path = FORUMS / "forum_html" / "article.html"
    document, _ = read_one(path)
    assert document.title == "Ten years of keeping bees on a city roof"
    assert not any(s.author for s in document.sections)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("notes.md", "# Scraping pipermail\n\nThe body sits between `<!--beginarticle-->` and `<!--endarticle-->`.\n"),
        ("notes.txt", "<!--X-Head-of-Message--> and <!--X-Message-Id: a@b --> mark an MHonArc page.\n"),
        ("howto.html", "<html><body><h1>Archive scraping</h1><pre>&lt;!--beginarticle--&gt; marks the body</pre></body></html>"),
        ("no-heading.html", "<html><body><p>Export:</p><!--beginarticle--><pre>text</pre><!--endarticle--></body></html>"),
        (
            "signup.html",
            '<html><body><div class="email"><div class="email-body">Subscribe to our newsletter</div>'
            '<input type="email" class="email-header"></div></body></html>',
        ),
        ("mhonarc-index.html", "<html><body><!--X-Head-of-Message--><ul><li>an index, no message record</li></ul></body></html>"),
        (
            "mhonarc-howto.html",
            "<html><body><p>Old MHonArc pages:</p><!--X-Message-Id: a@b --><!--X-Body-of-Message--><pre>text</pre></body></html>",
        ),
        (
            "mhonarc-backwards.html",
            "<html><body><!--X-MsgBody--><!--X-Body-of-Message--><pre>text</pre><!--X-Message-Id: a@b --><!--X-Head-End--></body></html>",
        ),
    ],
)
def test_files_that_only_mention_archive_markup_are_not_claimed(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert not mail_html.sniff(path, head_of(path))
    assert not forum_html.sniff(path, head_of(path))


def test_a_hyperkitty_thread_whose_first_mail_lies_past_the_sniffed_head_is_still_recognised(tmp_path: Path) -> None:
    padding = '<ul class="months">' + "<li><a href='/hyperkitty/list/x/2001/1/'>January 2001</a></li>" * 1500 + "</ul>"
    path = _edited(tmp_path, HK_THREAD, '<div class="row view-thread">', '<div class="row view-thread">' + padding)
    assert "email-body" not in head_of(path)
    assert mail_html.sniff(path, head_of(path))
    assert len(_thread(path).posts) == 3


# ---------------------------------------------------------------- pipermail


def test_pipermail_sender_date_id_and_title() -> None:
    thread = _thread(PIPERMAIL)
    assert thread.title == "Harmonic loader rejects converted station files"  # "[list] Re:" taken off
    (post,) = thread.posts
    # the id is in the reply link's In-Reply-To field; the page names neither its address nor the mail it answers
    assert (post.author, post.date, post.post, post.url, post.reply_to) == (
        "Rangi Parata",
        "2024-03-05T10:47:12+00:00",
        "CAF3k9x+7qwe@mail.example.com",
        None,
        None,
    )


def test_an_early_mailman_21_page_names_the_mail_it_answers_where_later_ones_name_their_own(tmp_path: Path) -> None:
    """Early 2.1 releases filled the reply link with the mail's In-Reply-To, bare; later ones with its own id, in brackets."""
    path = _edited(
        tmp_path, PIPERMAIL, "In-Reply-To=%3CCAF3k9x%2B7qwe%40mail.example.com%3E", "In-Reply-To=CAF3k9x%2B7qwe%40mail.example.com"
    )
    (post,) = _thread(path).posts
    assert (post.post, post.reply_to) == (path.stem, "CAF3k9x+7qwe@mail.example.com")


def test_a_page_saved_from_a_browser_links_its_post_to_the_address_it_was_saved_from(tmp_path: Path) -> None:
    """A browser's "Save page as" writes where the page came from; pipermail's own markup never says it."""
    saved = "https://lists.example.org/pipermail/tidewatch-users/2024-March/000141.html"
    path = _edited(tmp_path, PIPERMAIL, "<!DOCTYPE HTML", f"<!-- saved from url=({len(saved):04d}){saved} -->\n<!DOCTYPE HTML")
    assert mail_html.sniff(path, head_of(path))
    (post,) = _thread(path).posts
    assert post.url == saved


def test_pipermail_quotes_are_credited_to_the_writers_the_attributions_name() -> None:
    document = read_clean(PIPERMAIL)
    assert _sections(document, quoted=True) == [
        (
            "Ilse Vandermeer",  # "Ilse Vandermeer <ilse at example.org> wrote:", pipermail's address mangling undone
            "CAF3k9x+7qwe@mail.example.com",
            "Has anyone got the harmonic constants loader working with the converted station files? Harbour Point is rejected every time.",
        ),
        # the "> >" level under its own attribution inside the quote
        ("Bashir Okonjo", "CAF3k9x+7qwe@mail.example.com", "Release 3.2 reads station files in the new column layout only."),
        ("Bashir Okonjo", "CAF3k9x+7qwe@mail.example.com", "Older files need the convert-stations script first."),
        ("Ilse Vandermeer", "CAF3k9x+7qwe@mail.example.com", "I ran the script, and the loader still says the datum is missing."),
    ]
    own = _sections(document, quoted=False)
    assert [author for author, _, _ in own] == ["Rangi Parata"]
    assert own[0][2].startswith("The converter drops the datum line when the old file has a blank line above it.")
    assert own[0][2].endswith("I have filed the bug as issue 377.")


def test_pipermail_navigation_signature_and_scrubber_note_are_not_text() -> None:
    document = read_clean(PIPERMAIL)
    for furniture in (
        "Previous message",
        "Next message",
        "Messages sorted by",
        "[ date ]",
        "More information about",
        "Harbour survey volunteer",  # the signature, after "-- "
        "next part",
        "attachment was scrubbed",
        "rangi at example.com",
    ):
        assert furniture not in document.text, furniture


def test_pipermail_page_in_a_declared_latin1_charset() -> None:
    document = read_clean(LATIN1)
    assert document.title == "Fuseau horaire des prédictions"
    (post,) = _thread(LATIN1).posts
    # Mailman names the server's zone ("CET"), not its offset: the time is kept as shown, without a zone
    assert (post.author, post.date, post.post) == ("Marguerite Lévesque", "2024-03-06T09:30:05", "65E82A1D.4030207@maree.example.fr")
    assert "Les prédictions pour Île-aux-Grues sortent avec une heure d'avance" in document.text
    assert "(8 °C)" in document.text
    assert "Comité des marées" not in document.text  # the signature


def test_a_quote_with_no_attribution_and_no_known_parent_stays_quoted_material_as_in_an_mbox(tmp_path: Path) -> None:
    attribution = next(line for line in PIPERMAIL.read_text(encoding="utf-8").split("\n") if line.startswith("<PRE>On Tue"))
    path = _edited(tmp_path, PIPERMAIL, attribution + "\n", "<PRE>")
    quotes = [b for b in _thread(path).posts[0].blocks if isinstance(b, Quote)]
    # pipermail names no parent: like the mbox reader, an unattributed level has no author, and is cited as
    # quoted material (never as the replier's own words); the inner attributed level keeps its writer
    assert [(q.author, q.text.split("\n")[0][:20]) for q in quotes][:2] == [
        (None, "Has anyone got the h"),
        ("Bashir Okonjo", "Release 3.2 reads st"),
    ]
    document = read_file(path, path.name)[0]
    unattributed = next(s for s in document.sections if document.text[s.start : s.end].startswith("Has anyone got"))
    assert unattributed.quoted


@pytest.mark.parametrize(
    ("shown", "iso"),
    [
        ("Tue Mar  5 10:47:12 UTC 2024", "2024-03-05T10:47:12+00:00"),
        ("Wed Mar  6 09:30:05 CET 2024", "2024-03-06T09:30:05"),
        ("Sun Jan 12 23:05:00 Server Local Time 2003", "2003-01-12T23:05:00"),
        ("Tue, 05 Mar 2024 10:47:12 +0100", "2024-03-05T09:47:12+00:00"),  # pipermail 2.0: the Date header
        ("Mar Mär  5 10:47:12 CET 2024", None),  # a translated archive's month names
        ("", None),
    ],
)
def test_pipermail_dates(shown: str, iso: str | None) -> None:
    assert pipermail_date(shown) == iso


# ---------------------------------------------------------------- MHonArc


def test_mhonarc_sender_date_ids_from_its_record_and_header_fields() -> None:
    thread = _thread(MHONARC)
    assert thread.title == "Tide table export writes feet for metric stations"
    (post,) = thread.posts
    assert (post.author, post.date, post.post, post.reply_to, post.url) == (
        "Bashir Okonjo",
        "2024-03-06T07:15:42+00:00",
        "20240306071542.GA2211@harbour.example.net",
        "c4f1e2a0-77b1-4e0e-9d1c-5a1f0b2e9d43@dorota.example.pl",
        None,
    )


def test_mhonarc_quote_without_attribution_is_credited_to_the_sender_of_the_mail_it_answers() -> None:
    document = read_clean(MHONARC)
    # In-reply-to links msg00085.html, which the References list says Dorothea Kłos sent
    assert _sections(document, quoted=True) == [
        (
            "Dorothea Kłos",
            "c4f1e2a0-77b1-4e0e-9d1c-5a1f0b2e9d43@dorota.example.pl",
            "The CSV export writes every height in feet, even for stations whose settings say metres. "
            "The PDF tables for the same stations are right.",
        )
    ]
    assert [author for author, _, _ in _sections(document, quoted=False)] == ["Bashir Okonjo"]


def test_mhonarc_page_without_its_record_is_read_from_its_header_block(tmp_path: Path) -> None:
    """An archive made with NOPRINTXCOMMENTS writes no record comments; its markers and header list stay, and suffice."""
    text = MHONARC.read_text(encoding="utf-8")
    path = tmp_path / MHONARC.name
    path.write_text(re.sub(r"<!--X-[\w-]+: [^>]*-->\n?", "", text), encoding="utf-8")
    assert "<!--X-Message-Id:" not in path.read_text(encoding="utf-8")
    assert mail_html.sniff(path, head_of(path))
    (post,) = _thread(path).posts
    assert (post.author, post.date) == ("Bashir Okonjo", "2024-03-06T07:15:42+00:00")
    document = read_clean(path)
    assert [author for author, _, _ in _sections(document, quoted=False)] == ["Bashir Okonjo"]
    assert [author for author, _, _ in _sections(document, quoted=True)] == ["Dorothea Kłos"]


def test_mhonarc_date_is_the_mails_date_field_not_the_time_the_archive_received_it(tmp_path: Path) -> None:
    """MHonArc's record dates a mail by its newest Received hop (DATEFIELDS "received:date"); the field list shows its Date."""
    received = "<!--X-Date: Wed, 06 Mar 2024 09:02:10 +0100 -->"
    path = _edited(tmp_path, MHONARC, "<!--X-Date: Wed, 06 Mar 2024 08:15:42 +0100 -->", received)
    assert _thread(path).posts[0].date == "2024-03-06T07:15:42+00:00"
    path = _edited(tmp_path, path, "<li><em>Date</em>: Wed, 06 Mar 2024 08:15:42 +0100</li>", "")
    assert _thread(path).posts[0].date == "2024-03-06T08:02:10+00:00"  # no Date field shown: the record's is all there is


def test_mhonarc_parent_outside_the_archive_leaves_the_quote_unattributed(tmp_path: Path) -> None:
    path = _edited(tmp_path, MHONARC, '<li><em>In-reply-to</em>: &lt;<a href="msg00085.html">', "<li><em>In-reply-to</em>: &lt;<a>")
    listed = MHONARC.read_text(encoding="utf-8").split("<!--X-References-->")[1].split("<!--X-References-End-->")[0]
    path = _edited(tmp_path, path, listed, "\n")  # MHonArc lists no mail the archive lacks
    quote = next(b for b in _thread(path).posts[0].blocks if isinstance(b, Quote))
    assert (quote.author, quote.post) == (None, None)  # whose mail it was, the page does not say


def test_mhonarc_flowed_body_quotes_its_blockquote_levels() -> None:
    document = read_clean(FLOWED)
    (post,) = _thread(FLOWED).posts
    # "-" in the comment record is written "&#45;"; the page's canonical link is its address
    assert post.post == "3b9e7d10-0c55-41a8-b2f4-8e61c0d27a15@dorota.example.pl"
    assert post.url == "https://lists.example.org/archives/tidewatch-users/2024/03/msg00088.html"
    assert _sections(document, quoted=True) == [
        (
            "Bashir Okonjo",
            "20240306071542.GA2211@harbour.example.net",  # the answered mail, named by the References list
            "That is issue 412. Until 3.2.1 is out, set units=metric in the [export] section of tidewatch.conf and the CSV follows it.",
        )
    ]
    assert _sections(document, quoted=False) == [
        (
            "Dorothea Kłos",
            "3b9e7d10-0c55-41a8-b2f4-8e61c0d27a15@dorota.example.pl",
            "Confirmed: with units=metric the export now writes metres for Harbour Point and for both river gauges. "
            "Thanks for the quick answer.",
        )
    ]


@pytest.mark.parametrize("path", [MHONARC, FLOWED], ids=lambda p: p.name)
def test_mhonarc_navigation_header_fields_and_signature_are_not_text(path: Path) -> None:
    document = read_clean(path)
    for furniture in ("Date Prev", "Thread Index", "Follow-Ups", "References", "Prev by Date", "In-reply-to", "tidewatch-users@", "Baltic"):
        assert furniture not in document.text, furniture


# ------------------------------------------------ MHonArc before 2.3: no header block markers


def test_mhonarc_pre22_page_is_read_from_its_record_and_b_labelled_fields() -> None:
    thread = _thread(PRE22)
    assert thread.title == "Treadling export drops the last pick"
    (post,) = thread.posts
    assert (post.author, post.date, post.post, post.reply_to) == (
        "Hector Almeida",
        "2002-03-13T14:12:40+00:00",
        "20020313091240.B4410@anvil.example.com",
        "3C8E1F2B.7A40D115@weft.example.org",
    )


def test_mhonarc_pre22_quote_is_credited_to_the_writer_its_attribution_names() -> None:
    document = read_clean(PRE22)
    assert _sections(document, quoted=True) == [
        (
            "Priya Ramanathan",
            "3C8E1F2B.7A40D115@weft.example.org",  # her mail, the one the In-Reply-To field links
            "When I export a draft with 24 treadles to WIF, the last pick of every repeat is missing from the TREADLING section. "
            "Loading the file back into Loomcraft shows the repeat one row short.",
        )
    ]
    assert _sections(document, quoted=False) == [
        (
            "Hector Almeida",
            "20020313091240.B4410@anvil.example.com",
            "That is an off-by-one in the WIF writer: it counts picks from zero but stops one early. The fix went into CVS last night; "
            'until 0.9.3 is out, export with "Repeat once" unchecked and the last pick is written.\n'
            "Thanks for the clear report, it made the bug easy to find.",
        )
    ]


def test_mhonarc_pre22_navigation_header_list_follow_ups_and_signature_are_not_text() -> None:
    document = read_clean(PRE22)
    for furniture in (
        "Date Prev",
        "Date Next",
        "Thread Index",
        "Follow-Ups",
        "References",
        "In-Reply-To",
        "Message-Id",
        "loomcraft-users@",
        "priya@weft",
        "hector.almeida@",
        "odd WIF file",
    ):
        assert furniture not in document.text, furniture


@pytest.mark.parametrize(
    "record",
    [
        "<!--X-From: Hector Almeida <hector.almeida@anvil.example.com> -->",  # 2.3 and before
        "<!--X-From-R13: Vrpgbe Oyzrvqn <urpgbe.nyzrvqnNnaivy.rknzcyr.pbz> -->",  # 2.4 on: mrot13 turns "@A-Z[" as one ring
    ],
    ids=["x-from", "x-from-r13"],
)
def test_mhonarc_sender_comes_from_the_record_when_the_field_list_leaves_it_out(tmp_path: Path, record: str) -> None:
    text = PRE22.read_text(encoding="utf-8")
    shown = next(line for line in text.splitlines() if line.startswith("<LI><b>From</b>"))
    page = text.replace(shown + "\n", "").replace("<!--X-From: Hector Almeida <hector.almeida@anvil.example.com> -->", record)
    path = tmp_path / PRE22.name
    path.write_text(page, encoding="utf-8")
    assert _thread(path).posts[0].author == "Hector Almeida"


@pytest.mark.parametrize(
    "label", ["<em>{}</em>:", "<strong>{}</strong>:", "<em>{}:</em>", "{}:"], ids=["em", "strong", "colon-in-label", "plain-text"]
)
def test_mhonarc_header_labels_in_any_markup_give_the_fields(tmp_path: Path, label: str) -> None:
    text = PRE22.read_text(encoding="utf-8")
    for record in ("X-From", "X-Date", "X-Reference-Id"):  # the page's field list alone says who, when and in reply to what
        text = "\n".join(line for line in text.splitlines() if not line.startswith(f"<!--{record}: ")) + "\n"
    for name in ("From", "To", "Date", "Message-Id", "In-Reply-To"):
        text = text.replace(f"<LI><b>{name}</b>:", "<LI>" + label.format(name))
    path = tmp_path / PRE22.name
    path.write_text(text, encoding="utf-8")
    (post,) = _thread(path).posts
    assert (post.author, post.date, post.reply_to) == ("Hector Almeida", "2002-03-13T14:12:40+00:00", "3C8E1F2B.7A40D115@weft.example.org")
    document = read_clean(path)
    assert [(author, post_id) for author, post_id, _ in _sections(document, quoted=True)] == [
        ("Priya Ramanathan", "3C8E1F2B.7A40D115@weft.example.org")
    ]
    assert "loomcraft-users@" not in document.text


@pytest.mark.parametrize(
    ("source", "old", "new"),
    [
        (PRE22, "</PRE>\n<!--X-MsgBody-End-->", "</PRE>\n<!--X-Body-of-Message-End-->\n<!--X-MsgBody-End-->"),  # 2.2.0 closes the body
        (MHONARC, "<!--X-Body-of-Message-End-->\n", ""),  # a body closed only by the block's end
        (MHONARC, "<!--X-Head-of-Message-->\n", ""),  # 2.2's field list: no header block markers
    ],
    ids=["pre22-with-body-end", "current-without-body-end", "current-without-head-markers"],
)
def test_mhonarc_pages_with_either_body_end_or_head_layout_read_alike(tmp_path: Path, source: Path, old: str, new: str) -> None:
    path = _edited(tmp_path, source, old, new)
    if "Head-of-Message-->" in old:
        path.write_text(path.read_text(encoding="utf-8").replace("<!--X-Head-of-Message-End-->\n", ""), encoding="utf-8")
    assert mail_html.sniff(path, head_of(path))
    assert _thread(path) == _thread(source)
    assert read_clean(path).text == read_clean(source).text


def test_an_mhonarc_subject_that_is_all_brackets_stays_the_title(tmp_path: Path) -> None:
    old = "<!--X-Subject: Re: Treadling export drops the last pick -->"
    path = _edited(tmp_path, PRE22, old, "<!--X-Subject: [priya@weft.example.org: Treadling export drops the last pick] -->")
    assert _thread(path).title == "[priya@weft.example.org: Treadling export drops the last pick]"


def test_mhonarc_attachment_notes_and_the_attached_mails_frame_are_not_text() -> None:
    document = read_clean(ATTACHMENTS)
    for furniture in ("Attachment", "wax-points.pdf", "Description", "Adobe PDF", "Begin Message", "End Message", "Subject:"):
        assert furniture not in document.text, furniture
    assert _sections(document, quoted=False) == [
        (
            "Ottoline Brindle",
            "heddle-2@kestrel.org",
            "Clock oil is fine on the pivots but the bar ends want beeswax.\n"
            "From what Cuthbert wrote last year, a thin coat lasts a season.\n"  # the mbox's ">From" escaping undone
            "Drawing of where to wax attached, and his mail below.\nOttoline",
        )
    ]
    # the attached mail is its sender's, read from its From field; the quote is the answered mail's sender's
    assert [(author, text) for author, _, text in _sections(document, quoted=True)] == [
        ("Ambrose Quarles", "Is clock oil too thin for the bar ends?"),
        ("Cuthbert Halloran", "Rub a block of beeswax along both bar ends, then buff with a rag."),
    ]


def test_mhonarc_attachment_note_in_a_frame_is_not_text(tmp_path: Path) -> None:
    note = (
        '<p><strong>Attachment:\n<a href="pdfWnD4_DhAfy.pdf" ><tt>wax-points.pdf</tt></a></strong><br>\n'
        "<em>Description:</em> Adobe PDF document</p>"
    )
    framed = note.replace("<p>", '<table border="1" cellspacing="0" cellpadding="4">\n<tr><td>').replace("</p>", "</td></tr></table>")
    document = read_clean(_edited(tmp_path, ATTACHMENTS, note, framed))
    assert "wax-points.pdf" not in document.text and "Description" not in document.text


def test_the_title_line_mhonarc_puts_over_an_html_body_is_not_the_senders(tmp_path: Path) -> None:
    # mhtxthtml.pl shows an HTML part's <title> (Outlook writes the subject there) as its own line above the part.
    body = (
        "<address>Title: <strong>RE: CSV export heights</strong></address>\n"
        '<P><FONT SIZE=2 FACE="Arial">Set units=metric in the [export] section until 3.2.1 is out.</FONT></P>\n'
        "<address>Title: see the note</address>\n"
    )
    start, end = "<!--X-Body-of-Message-->\n", "\n<!--X-Body-of-Message-End-->"
    text = MHONARC.read_text(encoding="utf-8")
    old = text[text.index(start) + len(start) : text.index(end)]
    document = read_clean(_edited(tmp_path, MHONARC, old, body))
    own = [text for _, _, text in _sections(document, quoted=False)]
    # the sender's own address line stays
    assert own == ["Set units=metric in the [export] section until 3.2.1 is out.\nTitle: see the note"]


def test_mhonarc_spammode_quote_is_credited_to_the_named_sender_of_the_mail_an_unlinked_in_reply_to_names() -> None:
    document = read_clean(SPAMMODE)
    # In-reply-to <CAKq3=wb…@mail.gmail.com> has no link (MHonArc links no id with "="), but the record's references
    # and the References list are the same two mails; SPAMMODE lists their senders by name alone
    assert _sections(document, quoted=True) == [
        ("Ambrose Quarles", "CAKq3=wbReed2+x@mail.gmail.com", "A ten-dent reed sleyed two per dent.")
    ]
    (post,) = _thread(SPAMMODE).posts
    assert (post.author, post.post, post.reply_to) == ("Cuthbert Halloran", "reed-3@pibbet.org", "CAKq3=wbReed2+x@mail.gmail.com")


def test_mhonarc_unlinked_in_reply_to_whose_mail_the_references_list_cannot_pick_leaves_the_quote_unattributed(
    tmp_path: Path,
) -> None:
    first = (
        '<li><strong><a name="00000" href="msg00000.html">[loomwork] Reed spacing for linen warp</a></strong>\n'
        "<ul><li><em>From:</em> Ottoline Brindle</li></ul></li>\n"
    )
    path = _edited(tmp_path, SPAMMODE, first, "")  # one mail of the record not in the archive: no telling which is which
    quote = next(b for b in _thread(path).posts[0].blocks if isinstance(b, Quote))
    assert (quote.author, quote.post) == (None, None)


def test_an_mhonarc_index_page_is_claimed_and_skipped_with_its_reason(tmp_path: Path) -> None:
    assert mail_html.sniff(MHONARC_INDEX, head_of(MHONARC_INDEX))
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(MHONARC_INDEX, folder / "threads.html")
    shutil.copy(MHONARC_INDEX, folder / "maillist.html")
    result = load_documents(folder)
    assert result.documents == []
    assert sorted((s.source, "an MHonArc index page" in s.reason) for s in result.skipped) == [
        ("maillist.html", True),
        ("threads.html", True),
    ]


# ---------------------------------------------------------------- HyperKitty


def test_hyperkitty_message_page() -> None:
    document = read_clean(HK_MESSAGE)
    assert document.title == "Converter drops the datum line"
    (post,) = _thread(HK_MESSAGE).posts
    # the sender's own clock; the permalink is relative and the page gives no address of its own
    assert (post.author, post.date, post.post, post.url) == (
        "Ilse Vandermeer",
        "2024-03-06T11:20",
        "a81c2f3e-5b7d-4c9a-8e11-2d6f0b4c9e77@example.be",
        None,
    )
    assert _sections(document, quoted=True) == [
        (
            "Rangi Parata",  # "Rangi Parata <rangi(a)example.com> wrote:"
            post.post,
            "The converter drops the datum line when the old file has a blank line above it. Delete that blank line and convert again.",
        ),
        ("Bashir Okonjo", post.post, "Older files need the convert-stations script first."),  # the nested blockquote
    ]
    own = _sections(document, quoted=False)
    assert {author for author, _, _ in own} == {"Ilse Vandermeer"}
    # urlizetrunc shortened the link's text; its address is whole again
    assert "https://wiki.example.org/tidewatch/StationFiles/ConvertingOldLayouts/BlankLineBeforeDatum" in own[0][2]
    for furniture in ("...", "Reply", "Sign In", "permalink", "12 posts", "Attachments", "check-datum.sh", "+1", "March", "Powered by"):
        assert furniture not in document.text, furniture


def test_hyperkitty_thread_page_posts_replies_and_dates() -> None:
    thread = _thread(HK_THREAD)
    assert thread.title == "Height offsets for secondary ports at neap tides"
    base = "https://lists.example.org/hyperkitty/list/tidewatch-users@lists.example.org/message/"
    first, answer = "b0c3d9e2-1f4a-4c6e-9a77-3e5d8f1b2c60@example.be", "20240307103311.GB5120@harbour.example.net"
    assert [(p.author, p.date, p.post, p.reply_to, p.url) for p in thread.posts] == [
        ("Ilse Vandermeer", "2024-03-07T09:05", first, None, f"{base}R3WQ7NYF6ZK2HJ5TLUCMX4EAVB7GSDPO/"),
        ("Bashir Okonjo", "2024-03-07T12:00", answer, first, f"{base}NB5T2XQ4JW7ELK3RZC6YHMUDPVAF9GSO/"),  # "noon"
        # indented one level deeper: it answers the reply above it
        (
            "Ilse Vandermeer",
            "2024-03-07T14:40",
            "e4a17c52-9b3d-4f08-a6c1-7d2e5f9b0a34@example.be",
            answer,
            f"{base}HV4C7XTQ2PLM9JW3KRE6ZUYDANBF5GSO/",
        ),
    ]


def test_hyperkitty_quotes_of_mails_on_the_page_point_at_them_and_are_not_indexed_again() -> None:
    thread = _thread(HK_THREAD)
    quotes = [(b.author, b.post) for p in thread.posts for b in p.blocks if isinstance(b, Quote)]
    first, answer = thread.posts[0].post, thread.posts[1].post
    # Ilse's second mail quotes Bashir's, which quotes her first one ("&gt;" kept inside the old snip_quoted block)
    assert quotes == [("Ilse Vandermeer", first), ("Ilse Vandermeer", first), ("Bashir Okonjo", answer)]
    document = read_clean(HK_THREAD)
    assert _sections(document, quoted=True) == []
    assert [author for author, _, _ in _sections(document, quoted=False)] == ["Ilse Vandermeer", "Bashir Okonjo", "Ilse Vandermeer"]
    for furniture in ("PGP", "iQEz", "Show replies", "participants", "comments", "+0/-0", "newer", "older", "permalink", "Login"):
        assert furniture not in document.text, furniture


def test_hyperkitty_replies_sorted_by_date_do_not_say_what_they_answer(tmp_path: Path) -> None:
    path = _edited(
        tmp_path, HK_THREAD, '?sort=date"\n                            >Show replies by date', '?sort=thread"\n>Show replies by thread'
    )
    path = _edited(tmp_path, path, 'style="margin-left:2em;"', "")
    assert [p.reply_to for p in _thread(path).posts] == [None, None, None]


def test_a_hyperkitty_mail_without_text_is_left_out_with_a_warning(tmp_path: Path) -> None:
    start = "It applies one offset at every range"
    text = HK_THREAD.read_text(encoding="utf-8")
    body_start = text.index("On Thu, 7 Mar 2024 at 09:05, Ilse")
    body_end = text.index("</div>\n    </div>", text.index(start))
    path = tmp_path / "thread.html"
    path.write_text(text[:body_start] + text[body_end + len("</div>\n") :], encoding="utf-8")
    warnings: list[str] = []
    (thread,) = mail_html.read(path, warnings.append)
    assert warnings == ["mail 2 (20240307103311.GB5120@harbour.example.net): no text; left out"]
    assert [p.author for p in thread.posts] == ["Ilse Vandermeer", "Ilse Vandermeer"]
    assert thread.posts[1].reply_to == "20240307103311.GB5120@harbour.example.net"  # still says what it answers


@pytest.mark.parametrize(
    ("shown", "iso"),
    [
        ("March 6, 2024, 11:20 a.m.", "2024-03-06T11:20"),
        ("Sept. 3, 2023, 10 p.m.", "2023-09-03T22:00"),
        ("March 7, 2024, midnight", "2024-03-07T00:00"),
        ("March 6, 2024, 14:05", "2024-03-06T14:05"),
        ("Thursday, 7 March 2024 8:05 a.m.", "2024-03-07T08:05"),
        ("7 mars 2024 08:05", None),
    ],
)
def test_hyperkitty_dates(shown: str, iso: str | None) -> None:
    assert hyperkitty_date(shown) == iso


# ---------------------------------------------------------------- malformed pages


@pytest.mark.parametrize(
    ("source", "old", "new", "reason"),
    [
        (
            PIPERMAIL,
            PIPERMAIL.read_text(encoding="utf-8").split("<!--beginarticle-->")[1].split("<!--endarticle-->")[0],
            "\n",
            "no message between",
        ),
        (PIPERMAIL, "<!--endarticle-->", "", "ends before <!--endarticle-->"),
        (
            MHONARC,
            MHONARC.read_text(encoding="utf-8").split("<!--X-Body-of-Message-->")[1].split("<!--X-Body-of-Message-End-->")[0],
            "",
            "no message between",
        ),
        (MHONARC, "<!--X-Body-of-Message-End-->\n<!--X-MsgBody-End-->", "", "no message between"),
        (HK_MESSAGE, '<div class="email-body">', '<div class="email-body"></div><div class="was-body">', "mails have no text"),
    ],
    ids=["pipermail-empty", "pipermail-cut", "mhonarc-empty", "mhonarc-cut", "hyperkitty-empty"],
)
def test_a_page_with_the_markers_but_no_body_is_skipped_with_its_reason(
    tmp_path: Path, source: Path, old: str, new: str, reason: str
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    path = _edited(folder, source, old, new)
    with pytest.raises(UnreadableDocument, match=reason):
        list(mail_html.read(path, lambda message: None))
    result = load_documents(folder)
    assert result.documents == []
    assert [(s.source, reason in s.reason) for s in result.skipped] == [(path.name, True)]


def test_an_undecodable_page_is_skipped_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    page = (
        PIPERMAIL.read_bytes()
        .replace(b"charset=us-ascii", b"charset=x-tidewatch")
        .replace(b"Harbour Point loads", b"Harbour \x81\x90 loads")
    )
    (folder / "000141.html").write_bytes(page)
    result = load_documents(folder)
    assert result.documents == []
    (skipped,) = result.skipped
    assert "text encoding could not be determined" in skipped.reason and "'x-tidewatch'" in skipped.reason


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_page_cut_anywhere_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from([FIXTURES / name for name in PAGES]))
    raw = source.read_bytes()
    path = tmp_path / source.name
    path.write_bytes(raw[: data.draw(st.integers(0, len(raw)))])
    try:
        documents = read_file(path, path.name)
    except UnreadableDocument:
        return
    assert all(d.sections for d in documents)


# ---------------------------------------------------------------- end to end


def test_the_loader_reads_the_archive_folder_with_exact_sections_and_no_quote_credited_to_its_quoter(tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    shutil.copytree(FIXTURES, folder)
    result = load_documents(folder)
    assert [s.source for s in result.skipped] == [MHONARC_INDEX.name]  # a mirror holds the index pages too
    assert sorted(d.source for d in result.documents) == PAGES
    for document in result.documents:
        thread = _thread(folder / document.source)
        assert_sections_exact(document, thread)
        for section in document.sections:
            text = document.text[section.start : section.end]
            quoting = [p for p in thread.posts if any(isinstance(b, Quote) and text in clean_block(b.text).split("\n") for b in p.blocks)]
            if section.quoted:  # cited as its writer's, never as the words of whoever quotes it
                assert quoting and section.author not in {p.author for p in quoting}, (document.source, text)
            else:  # a post's own section is none of the lines it quotes
                assert section.post not in {p.post for p in quoting}, (document.source, text)


# ---------------------------------------------------------------- HyperKitty 1.3.12's thread layout

HK_LEVELS = FIXTURES / "hyperkitty-thread-levels.html"  # reply depths as `reply-level-N` classes, not inline margins


def test_hyperkitty_reply_level_classes_say_which_mail_each_reply_answers() -> None:
    thread = _thread(HK_LEVELS)
    first, casimir, noor, pavel = "smoker-1@example.de", "smoker-2@example.sn", "smoker-3@example.jo", "smoker-5@example.cz"
    assert [(p.author, p.post, p.reply_to) for p in thread.posts] == [
        ("Wiebke Assendorp", first, None),
        ("Casimir Ndiaye", casimir, first),  # first reply level: no class
        ("Noor Haddad", noor, casimir),  # reply-level-1
        ("Wiebke Assendorp", "smoker-4@example.de", noor),  # reply-level-2
        ("Pavel Růžička", pavel, first),  # back to the first level: answers the first mail, not the mail above it
        ("Casimir Ndiaye", "smoker-6@example.sn", pavel),
    ]
    # a quote with no "wrote:" line is the words of the mail it answers, whoever wrote the first mail
    quotes = [[(b.author, b.post) for b in p.blocks if isinstance(b, Quote)] for p in thread.posts]
    assert quotes == [
        [],
        [("Wiebke Assendorp", first)],
        [("Casimir Ndiaye", casimir)],
        [("Noor Haddad", noor), ("Casimir Ndiaye", casimir)],
        [("Wiebke Assendorp", first)],
        [("Pavel Růžička", pavel)],
    ]
    document = read_clean(HK_LEVELS)
    assert _sections(document, quoted=True) == []
    assert [author for author, _, _ in _sections(document, quoted=False)] == [p.author for p in thread.posts]
    for furniture in ("Heideweg apiary", "Use email software", "Sign in", "Show replies", "newer", "comments", "Powered by", "..."):
        assert furniture not in document.text, furniture


def test_a_hyperkitty_thread_saved_before_its_replies_loaded_is_read_with_a_warning(tmp_path: Path) -> None:
    text = HK_LEVELS.read_text(encoding="utf-8")
    start, end = text.index('<div class="replies">'), text.index('</div>\n            <div class="col-12 col-md-3">')
    # what HyperKitty sends a browser (or curl) in their place; the script fills it in
    loading = (
        '<div class="replies">\n<img alt="Loading..." class="ajaxloader" src="/static/hyperkitty/img/ajax-loader.gif" />\n'
        '<noscript><a href="?noscript">Visit here for a non-javascript version of this page.</a></noscript>\n</div>\n</div>\n'
    )
    path = tmp_path / HK_LEVELS.name
    path.write_text(text[:start] + loading + text[end:], encoding="utf-8")
    warnings: list[str] = []
    (thread,) = mail_html.read(path, warnings.append)
    assert [p.author for p in thread.posts] == ["Wiebke Assendorp"]
    assert len(warnings) == 1 and "replies had not loaded when the page was saved" in warnings[0]
    assert "non-javascript" not in read_one(path)[0].text


# ---------------------------------------------------------------- Hypermail


HYPERMAIL = FIXTURES / "hypermail-0021.html"  # Hypermail 2.3's layout: From/Date block and "Received on" inside the body
HYPERMAIL_PHP = FIXTURES / "hypermail-1042.php"  # Open MPI's: PHP with its <html> in an include, In reply to link


def _hypermail_sections(document: Document) -> list[tuple[str | None, str | None, bool, str]]:
    return [(s.author, s.date, s.quoted, document.text[s.start : s.end]) for s in document.sections]


def test_hypermail_page_reads_sender_date_and_credits_each_quote() -> None:
    document = read_clean(HYPERMAIL)
    assert document.title == "Seed library & swaps"
    date = "2004-05-03T16:19:58+00:00"
    assert _hypermail_sections(document) == [
        ("Dora Fenn", date, True, "Should the seed library lend squash seeds, which cross so easily?"),
        (
            "Rosa Quint",
            date,
            False,
            "Yes, but label them as open pollinated and likely mixed.\nGrowers who want them true can bag the flowers.",
        ),
        ("Dora Fenn", date, True, "And what about the spring swap?"),
        ("Rosa Quint", date, False, "Second Saturday of May, as always."),
    ]
    assert {s.post for s in document.sections} == {"200405031619.JAA01234.domain.name.hidden"}
    assert "Received on" not in document.text and "Next message" not in document.text


def test_hypermail_php_page_without_html_tag_is_claimed_by_its_record() -> None:
    assert mail_html.sniff(HYPERMAIL_PHP, head_of(HYPERMAIL_PHP))
    document = read_clean(HYPERMAIL_PHP)
    assert document.title == "build fails on arm64"  # the list's tag dropped, as for every mail
    assert _hypermail_sections(document) == [
        ("Haldane, Brit E", "2019-06-06T13:41:02+00:00", True, "Could you send the output of the configure step with verbose logging on?"),
        (
            "Kai Osei",
            "2019-06-06T13:41:02+00:00",
            False,
            "the configure log shows the assembler was never found. after installing binutils the build went through.",
        ),
    ]
    assert document.sections[-1].reply_to == "5CF8A1B2.3040506_at_[hidden]"
