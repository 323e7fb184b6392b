"""The mbox reader: threads from Message-ID/References, and who wrote which words in a reply full of `>` history."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, mbox
from forumqa.formats.mbox.attribution import attributed, split_attribution
from forumqa.formats.mbox.body import unflow
from forumqa.formats.mbox.headers import normalise_subject, unescape_from
from forumqa.loading import read_file
from forumqa.threads import Quote, Thread, clean_block
from forumqa.uploads import THREAD_EXPORT_SUFFIXES, safe_name

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums" / "mbox"
LIST = FIXTURES / "quill-users.mbox"
ORCHARD = FIXTURES / "orchard-list.mbox"
SAVED = FIXTURES / "saved-reply.eml"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "forums" / "corpus"
PONYMAIL = CORPUS / "users_ponymail_apache_org_2022-01.mbox"


def _documents(path: Path, warnings: list[Skipped] | None = None) -> dict[str, Document]:
    return {d.doc_id.rsplit("/", 1)[1]: d for d in read_file(path, f"lists/{path.name}", warnings)}


def _threads(path: Path) -> dict[str, Thread]:
    warnings: list[str] = []
    threads = {t.key or "": t for t in mbox.read(path, warnings.append)}
    assert warnings == []
    return threads


def _sections(document: Document) -> list[tuple[str | None, str | None, bool, str]]:
    return [(s.author, s.post, s.quoted, document.text[s.start : s.end]) for s in document.sections]


def _assert_no_sentence_twice(document: Document) -> None:
    """Quoted history never becomes a second Section: each sentence of five words or more is answerable once."""
    texts = [document.text[s.start : s.end] for s in document.sections]
    for text in texts:
        assert text == text.strip() and text
        for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
            if len(sentence.split()) >= 5:
                assert sum(sentence in other for other in texts) == 1, sentence


# ---------------------------------------------------------------- sniffing


def test_sniff_claims_mbox_by_content_and_nothing_else() -> None:
    head = LIST.read_text(encoding="utf-8")[:65536]
    assert mbox.sniff(LIST, head)
    assert mbox.sniff(Path("saved.txt"), head)  # the 'From ' separator and a header decide, not the name
    single = FIXTURES / "single-mail.mbox"
    assert mbox.sniff(single, single.read_text(encoding="utf-8"))
    newsletter = FIXTURES / "newsletter.txt"
    assert not mbox.sniff(newsletter, newsletter.read_text(encoding="utf-8"))
    assert not mbox.sniff(Path("t.json"), '{"post_stream": {"posts": []}}')
    assert not mbox.sniff(Path("notes.mbox"), "just some notes\nwith no headers\n")
    saved = SAVED.read_text(encoding="utf-8")
    assert mbox.sniff(SAVED, saved) and mbox.sniff(Path("m"), saved)  # an .eml, and public-inbox's extensionless "m"
    assert not mbox.sniff(Path("saved.txt"), saved)  # a .txt is a page unless it has the mbox separator line
    assert not mbox.sniff(Path("x.eml"), "From: a@example.org\nSubject: no date, no id\n\nHi\n")
    assert not mbox.sniff(Path("x.eml"), "From: a@example.org\nDate: Mon, 1 Apr 2024 09:00:00 +0000\nnot a header\n\nHi\n")
    others = [f for f in THREAD_FORMATS if f is not mbox.FORMAT]
    assert not any(f.sniff(LIST, head) for f in others)


def test_a_text_file_that_starts_with_from_is_a_page() -> None:
    (document,) = read_file(FIXTURES / "newsletter.txt", "newsletter.txt")
    assert document.doc_id == "newsletter"


# ---------------------------------------------------------------- threads


def test_one_document_per_thread_with_readable_unique_keys() -> None:
    documents = read_file(LIST, "lists/quill-users.mbox")
    russian = "thread-" + hashlib.sha1(b"license-ru@example.ru").hexdigest()[:8]
    assert [(d.doc_id, d.title) for d in documents] == [
        ("lists/quill-users/export-to-pdf-loses-footnotes", "Export to PDF loses footnotes"),
        ("lists/quill-users/plugin-api-freeze", "Plugin API freeze"),
        ("lists/quill-users/cache-sizes", "Cache sizes"),
        ("lists/quill-users/uberarbeitung-der-ubersetzung", "Überarbeitung der Übersetzung"),
        ("lists/quill-users/meetup-in-lisbon", "Meetup in Lisbon"),
        ("lists/quill-users/help", "Help"),
        ("lists/quill-users/help-2", "Help"),
        (f"lists/quill-users/{russian}", "Вопрос о лицензии"),
    ]
    for document in documents:
        _assert_no_sentence_twice(document)


def test_top_posted_and_interleaved_replies_keep_quotes_apart() -> None:
    document = _documents(LIST)["export-to-pdf-loses-footnotes"]
    assert _sections(document) == [
        (
            "Maria Okafor",
            "1",
            False,
            "Hello all,\nWhen I export a chapter to PDF, every footnote after the first page disappears. "
            "The HTML export keeps all of them. I am on version 2.4.1 under Debian.\nIs this a known problem?\nThanks,\nMaria",
        ),
        (
            "Tomasz Wróbel",
            "2",
            False,
            'This is a known regression in 2.4.1. Setting footnote-mode to "endnotes" in the export dialog works around it '
            "until 2.4.2 ships.\nFrom what I remember, the page splitter was rewritten for 2.4.\nTomasz",
        ),
        ("Maria Okafor", "3", False, "Thanks, the endnotes setting works for me."),
        ("Maria Okafor", "3", False, "One more detail: it only happens with two-column layouts."),
    ]
    first, second, third, _ = document.sections
    assert (first.date, first.url, first.reply_to) == ("2024-03-04T08:15:32+00:00", "mid:pdf-footnotes-1@example.org", None)
    assert (second.reply_to, third.reply_to, third.url) == ("1", "2", "mid:pdf-footnotes-3@mail.example.net")
    for boilerplate in ("documentation team", "listinfo", "mailing list", "Sent from my phone", "Wrobel wrote"):
        assert boilerplate not in document.text


def test_each_quote_level_is_its_own_quote_credited_to_its_post() -> None:
    posts = _threads(LIST)["export-to-pdf-loses-footnotes"].posts
    reply = posts[1].blocks
    assert isinstance(reply[1], Quote) and (reply[1].author, reply[1].post) == ("Maria Okafor", "1")
    assert reply[1].text.endswith("Is this a known problem?\nThanks,\nMaria")  # quoted signature and footer gone too
    assert posts[2].blocks == (
        Quote(
            'This is a known regression in 2.4.1. Setting footnote-mode to "endnotes" in the export dialog '
            "works around it until 2.4.2 ships.",
            "Tomasz Wróbel",  # the attribution spells him "Wrobel"
            "2",
        ),
        "Thanks, the endnotes setting works for me.",
        Quote("When I export a chapter to PDF, every footnote after the first page disappears.", "Maria Okafor", "1"),
        "One more detail: it only happens with two-column layouts.",
    )


def test_replies_to_a_message_not_in_the_file_join_by_references() -> None:
    thread = _threads(LIST)["plugin-api-freeze"]
    assert [(p.author, p.post, p.reply_to) for p in thread.posts] == [
        ("Ana Lima", "1", None),
        ("Kenji Sato", "2", "1"),
        ("Priya Natarajan", "3", None),
    ]
    first = thread.posts[0].blocks[0]
    assert isinstance(first, Quote) and (first.author, first.post) == ("Kenji Sato", None)
    document = _documents(LIST)["plugin-api-freeze"]
    quoted = [(author, text) for author, _, is_quoted, text in _sections(document) if is_quoted]
    assert quoted == [
        (
            "Kenji Sato",
            "We plan to freeze the plugin API on the first of May. "
            "After that date only bug fixes will be merged into the plugin interfaces.",
        )
    ]
    assert [text for author, _, _, text in _sections(document) if author == "Kenji Sato" and "fifteenth" in text] == [
        "Yes, we can move the freeze to the fifteenth of May for the theming hooks."
    ]


def test_old_mailer_reply_joins_by_subject_and_outlook_history_is_a_quote() -> None:
    document = _documents(LIST)["cache-sizes"]
    assert _sections(document) == [
        (
            "Olaf Berg",
            "1",
            False,
            "What cache size do people use for large books? The default of 64 MB makes rendering slow for me once a book passes 900 pages.",
        ),
        ("Grace Hopkins", "2", False, "We run with 512 MB on the build server and rendering stays under a minute."),
    ]
    assert "Original Message" not in document.text
    assert document.sections[1].url is None  # no Message-ID, so no mid: link


def test_encoded_names_charsets_and_non_latin_subjects() -> None:
    documents = _documents(LIST)
    german = documents["uberarbeitung-der-ubersetzung"]
    assert _sections(german) == [
        (
            "Jürgen Weiß",
            "1",
            False,
            "Hallo zusammen,\nich habe die deutsche Übersetzung des Handbuchs überarbeitet. Die Kapitel über Fußnoten und "
            "Querverweise sind jetzt vollständig; offen ist nur noch das Glossar.\nGrüße\nJürgen",
        ),
        (
            "Lena Gruber",
            "2",
            False,
            "Danke! Das Glossar übernehme ich bis Freitag. Für „Querverweis“ schlage ich „Verweis“ vor, das ist kürzer.\nLiebe Grüße\nLena",
        ),
    ]
    (russian,) = (d for d in documents.values() if d.title == "Вопрос о лицензии")
    assert _sections(russian)[0][:2] == ("Olga Smirnova", "1")
    assert "Лицензия в репозитории — MIT" in russian.text
    assert russian.sections[0].date == "2024-03-11T09:00:00+00:00"  # +0300 taken to UTC


def test_format_flowed_and_html_only_mail() -> None:
    document = _documents(LIST)["meetup-in-lisbon"]
    assert _sections(document) == [
        (
            "Ana Lima",
            "1",
            False,
            "A few of us will meet at the Biblioteca de Alcântara on 20 April at 14:00 to work on the Portuguese templates. "
            "Everyone is welcome, no experience needed.\nBring a laptop with Quillmark 2.4 installed.",
        ),
        (
            "Kenji Sato",
            "2",
            False,
            "I will join remotely if there is a video link.\nI can review the template pull requests the same afternoon.",
        ),
    ]
    assert "Lisbon user group" not in document.text and "release manager" not in document.text
    html_quote = _threads(LIST)["meetup-in-lisbon"].posts[1].blocks[-1]
    assert isinstance(html_quote, Quote) and (html_quote.author, html_quote.post) == ("Ana Lima", "1")


def test_same_subject_twice_and_a_sender_known_by_address_only() -> None:
    documents = _documents(LIST)
    assert _sections(documents["help"]) == [("Olaf Berg", "1", False, "The installer stops at 80 percent on Windows 11.")]
    assert _sections(documents["help-2"]) == [("Priya Natarajan", "1", False, "Where do I change the default paper size?")]


def test_broken_messages_are_reported_and_the_rest_is_read() -> None:
    warnings: list[Skipped] = []
    (document,) = read_file(FIXTURES / "broken.mbox", "lists/broken.mbox", warnings)
    assert [w.reason for w in warnings] == [
        "partly read (mbox): message 2 (release-2@example.org): unknown charset 'x-martian'; read as UTF-8",
        "partly read (mbox): message 3 (release-3@example.org): no text or HTML part; left out",
    ]
    assert _sections(document) == [
        ("Noor Haddad", "1", False, "Before tagging 2.5 we still need the changelog and the signed tarballs."),
        ("Sam Keller", "2", False, "I can sign the tarballs on Wednesday."),
        ("Sam Keller", "3", False, "Correction: Thursday, the signing key is on the other laptop."),
    ]
    last = document.sections[-1]
    assert (last.date, last.reply_to) == (None, None)  # an unreadable Date; its parent had no text


def test_a_single_mail_without_separator_line() -> None:
    (document,) = read_file(FIXTURES / "single-mail.mbox", "single-mail.mbox")
    assert document.doc_id == "single-mail/saved-from-my-mail-client"
    assert _sections(document) == [("Ivo Petrov", "1", False, "This mail was saved on its own, without the mbox separator line.")]


def test_relative_date_mutt_and_horde_attributions_name_the_quoted_writer() -> None:
    posts = _threads(ORCHARD)["pruning-the-pear-trees"].posts
    gnus, mutt, horde = (post.blocks[0] for post in posts[1:])
    assert isinstance(gnus, Quote) and (gnus.author, gnus.post) == ("Ines Castro", "1")  # "Yesterday at 14:02, Ines Castro wrote:"
    assert isinstance(mutt, Quote) and (mutt.author, mutt.post) == ("Bram Visser", "2")
    assert isinstance(horde, Quote) and (horde.author, horde.post) == ("Eva Lind", None)  # her mail is not in the archive
    document = _documents(ORCHARD)["pruning-the-pear-trees"]
    assert _sections(document)[2:] == [
        ("Carla Mendes", "3", False, "Then I will bring gloves and the pruning saw."),  # the mutt line is gone from her words
        ("Eva Lind", "4", True, "The allotment office lends out a wood chipper on weekdays if you ask at the gate."),
        ("Dev Anand", "4", False, "Then we can chip the cuttings on Monday instead of burning them."),
    ]
    for attribution_words in ("Yesterday", "Quoting", "[2024-03-18"):
        assert attribution_words not in document.text


def test_from_lines_escaped_in_the_archive_are_read_as_written() -> None:
    """mboxrd gave every line matching `^>*From ` one ">" more; a quoted line escaped on its way in is a level too deep."""
    document = _documents(ORCHARD)["pruning-the-pear-trees"]
    ines, bram = _sections(document)[:2]
    assert ines == (
        "Ines Castro",
        "1",
        False,
        "The pear trees along the east fence need pruning before the buds open.\n"
        "From the north side they get too little light, so thin that side first.\nWho can help on Saturday morning?\nInes",
    )
    assert bram == (
        "Bram Visser",
        "2",
        False,
        "I can come at nine and bring the long loppers.\nFrom experience, the ladder by the shed is safer than ours.",
    )
    (quote, _) = _threads(ORCHARD)["pruning-the-pear-trees"].posts[1].blocks
    assert quote == Quote(  # ">>>From the north side" in the file: one level of the quote, not three
        "The pear trees along the east fence need pruning before the buds open.\n"
        "From the north side they get too little light, so thin that side first.\nWho can help on Saturday morning?",
        "Ines Castro",
        "1",
    )
    _assert_no_sentence_twice(document)


def test_a_glued_from_line_between_own_lines_stays_a_quote(tmp_path: Path) -> None:
    """Only inside a quote is a deep ">From" taken back: alone between own lines it may be a one-line quote."""
    path = tmp_path / "lone.mbox"
    path.write_text(
        "From a@example.org  Mon Apr  1 09:00:00 2024\nFrom: Uma Reyes <uma@example.org>\nSubject: Tide tables\n"
        "Message-ID: <t1@example.org>\n\nThe tide tables for April are out.\n\n"
        "From b@example.org  Mon Apr  1 10:00:00 2024\nFrom: Wim Claes <wim@example.org>\nSubject: Re: Tide tables\n"
        "Message-ID: <t2@example.org>\nIn-Reply-To: <t1@example.org>\n\nThe harbour office told me:\n"
        ">>From Monday the low tide is an hour later.\nSo we sail at ten.\n",
        encoding="utf-8",
    )
    reply = next(mbox.read(path, print)).posts[1].blocks
    assert reply == (
        "The harbour office told me:",
        Quote("From Monday the low tide is an hour later.", "Uma Reyes", "1"),
        "So we sail at ten.",
    )


def test_a_saved_eml_is_read_as_one_message() -> None:
    assert SAVED.suffix in THREAD_EXPORT_SUFFIXES and safe_name("C:\\mail\\saved-reply.eml") == "saved-reply.eml"
    (document,) = read_file(SAVED, "mail/saved-reply.eml")
    assert (document.doc_id, document.title) == ("mail/saved-reply/fan-raise-the-idle-speed-floor", "fan: raise the idle speed floor")
    sections = _sections(document)
    assert sections[-1] == (
        "Lena Brandt",
        "1",
        False,
        "Tested on two of the older boards, both keep spinning now.\nReviewed-by: Lena Brandt <lena@example.org>",
    )
    quoted = sections[:-1]
    assert {(author, post, is_quoted) for author, post, is_quoted, _ in quoted} == {("Omar Haddad", "1", True)}  # "Today at 11:05, …"
    assert [text for *_, text in quoted][:2] == [
        "The fan stalls below 600 rpm on the older boards, so the floor moves up.",
        "From the bench tests, 750 rpm keeps every board spinning.",  # ">>From": escaped on its way, not a deeper quote
    ]
    assert document.sections[0].date == "2024-03-19T15:20:00+00:00" and document.sections[0].url == "mid:fan-reply@example.org"


def test_mails_with_a_content_disposition_are_read() -> None:
    """Mutt marks every mail "Content-Disposition: inline", and an attachment is marked too: neither stops the mail being read.

    The body is the inline text part; an attachment (a log file here) is not the sender's post.
    """
    warnings: list[Skipped] = []
    (document,) = read_file(FIXTURES / "dispositions.mbox", "lists/dispositions.mbox", warnings)
    assert warnings == []
    assert _sections(document) == [
        ("Tobias Lindqvist", "1", True, "The glaze pulls back into beads on every pot I fire twice."),
        ("Ines Okafor", "1", False, "Dust on the bisque does that; wipe each pot with a damp sponge before glazing."),
        ("Tobias Lindqvist", "2", False, "The sponge fixed it, and my firing log is attached for anyone curious."),
    ]


def test_a_mail_attached_whole_is_its_writers_quote() -> None:
    """A "Forward as attachment" sends the mail as a message/rfc822 part: its words are its writer's, quoted by the
    forwarder, as in an inline forward; before, they were lost."""
    warnings: list[Skipped] = []
    (document,) = read_file(FIXTURES / "attached-mail.mbox", "lists/attached-mail.mbox", warnings)
    assert warnings == []
    assert _sections(document) == [
        ("Rosalind Okoye", "1", False, "How long should a bisque firing hold at peak?"),
        ("Priya Nair", "2", False, "Our studio tech answered this last autumn; his mail is attached."),
        ("Tomasz Weber", "2", True, "Ten minutes at peak is plenty for a bisque; longer only wastes power."),
    ]


def test_a_quoted_patch_is_one_quote() -> None:
    """Consecutive quote lines of one depth and writer make one Quote, whatever their length.

    The document shows a quote with "> " before each line, so `threads.to_document` makes each of its
    lines a Section of its own (one Section over several lines would take in the "> " marks); every
    Section is still exact text, and all are the patch writer's.
    """
    (post,) = next(mbox.read(SAVED, print)).posts
    quote, own = post.blocks
    assert isinstance(quote, Quote) and isinstance(own, str)
    assert quote.text.split("\n")[-5:] == ["static int floor_rpm(void)", "{", "-\treturn 600;", "+\treturn 750;", "}"]
    (document,) = read_file(SAVED, "saved-reply.eml")
    quoted = [s for s in document.sections if s.quoted]
    assert [document.text[s.start : s.end] for s in quoted] == clean_block(quote.text).split("\n")
    assert {s.author for s in quoted} == {"Omar Haddad"}


def test_a_single_mail_with_no_extension_and_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "m"  # how public-inbox keeps each mail in its git archive
    path.write_bytes(SAVED.read_bytes().replace(b"\n", b"\r\n"))
    (document,) = read_file(path, "inbox/m")
    (saved,) = read_file(SAVED, "inbox/m")
    assert _sections(document) == _sections(saved)
    notes = tmp_path / "NOTES"
    notes.write_text("Subject: things to buy\nTo: me\n\nEggs, flour, a new kettle.\n", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="unsupported file type"):
        read_file(notes, "NOTES")  # headers of a sort, but no sender and no date or Message-ID: not a mail


def test_a_saved_mail_is_not_unescaped_like_an_mbox(tmp_path: Path) -> None:
    """A ">From" line in a saved .eml is a quote mark as written: no mbox stored the mail, so nothing escaped it."""
    body = "Subject: Kiln\nFrom: Ada Kerr <ada@example.org>\nMessage-ID: <k1@example.org>\n\n"
    body += "The manual says:\n>From cold, heat the kiln slowly.\nSo I did.\n"
    saved, stored = tmp_path / "kiln.eml", tmp_path / "kiln.mbox"
    saved.write_text(body, encoding="utf-8")
    stored.write_text("From ada@example.org  Mon Apr  1 09:00:00 2024\n" + body, encoding="utf-8")
    assert next(mbox.read(saved, print)).posts[0].blocks[1] == Quote("From cold, heat the kiln slowly.")
    assert next(mbox.read(stored, print)).posts[0].blocks == ("The manual says:\nFrom cold, heat the kiln slowly.\nSo I did.",)


def test_an_mbox_with_no_text_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "attachments.mbox"
    path.write_text(
        "From x@example.org  Mon Apr  1 09:00:00 2024\nFrom: x@example.org\nSubject: files\n"
        'Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: image/png\n\nAAAA\n--q--\n',
        encoding="utf-8",
    )
    warnings: list[Skipped] = []
    with pytest.raises(UnreadableDocument, match="no post that has text"):
        read_file(path, "attachments.mbox", warnings)


def test_raw_utf8_headers_and_encoded_names_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "headers.mbox"
    path.write_bytes(
        "From a@example.org  Mon Apr  1 09:00:00 2024\n"
        "From: Zoë Ångström <zoe@example.org>\nSubject: Größe der Vorlagen\nMessage-ID: <h1@example.org>\n\n"
        "Die Vorlagen sind zu groß.\n\n"
        "From b@example.org  Mon Apr  1 10:00:00 2024\n"
        "From: =?iso-8859-1?q?M=FCller=2C_J=FCrgen?= <jm@example.org>\nSubject: =?x-unknown?q?Re=3A_Gr=F6=DFe?=\n"
        "Message-ID: <h2@example.org>\nIn-Reply-To: <h1@example.org>\n\nStimmt.\n".encode()
    )
    (document,) = read_file(path, "headers.mbox")
    assert document.title == "Größe der Vorlagen"
    assert [(s.author, document.text[s.start : s.end]) for s in document.sections] == [
        ("Zoë Ångström", "Die Vorlagen sind zu groß."),
        ("Müller, Jürgen", "Stimmt."),
    ]


def test_outlook_html_reply_history_is_a_quote(tmp_path: Path) -> None:
    path = tmp_path / "outlook.mbox"
    path.write_text(
        "From a@example.org  Mon Apr  1 09:00:00 2024\nFrom: Jane Roe <jane@example.org>\nSubject: Printer setup\n"
        "Message-ID: <o1@example.org>\n\nWhich driver does the plotter on floor two need?\n\n"
        "From b@example.org  Mon Apr  1 10:00:00 2024\nFrom: Raj Iyer <raj@example.org>\nSubject: RE: Printer setup\n"
        "Message-ID: <o2@example.org>\nIn-Reply-To: <o1@example.org>\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><body><p>The generic PostScript driver works for it.</p>"
        '<hr style="display:inline-block"><div id="divRplyFwdMsg"><b>From:</b> Jane Roe &lt;jane@example.org&gt;<br>'
        "<b>Sent:</b> Monday, April 1, 2024 9:00 AM<br><b>Subject:</b> Printer setup</div><div>&nbsp;</div>"
        "<div>Which driver does the plotter on floor two need?</div></body></html>\n",
        encoding="utf-8",
    )
    thread = next(mbox.read(path, print))
    assert thread.posts[1].blocks == (
        "The generic PostScript driver works for it.",
        Quote("Which driver does the plotter on floor two need?", "Jane Roe", "1"),
    )


# ---------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    ("attribution", "name", "address"),
    [
        ("On Sun, Jan 2, 2022 at 6:02 AM Jane Roe <jane@example.org> wrote:", "Jane Roe", "jane@example.org"),
        ('On 2022/01/02 13:33:24 "Jane Q. Roe" wrote:', "Jane Q. Roe", None),
        ("On Wed, 5 Jan 2022 at 10:17, Jane Roe <jane@example.org> wrote:", "Jane Roe", "jane@example.org"),
        ("On 05/01/2022 04.17, Jane Roe wrote:", "Jane Roe", None),
        ("Jane Roe wrote:", "Jane Roe", None),
        ("jane@example.org writes:", None, "jane@example.org"),
        ("Le mar. 3 mars 2020 à 10:00, Jean Dupont <jean@example.fr> a écrit :", "Jean Dupont", "jean@example.fr"),
        ("Am 03.03.2020 um 10:00 schrieb Hans Müller <hans@example.de>:", "Hans Müller", "hans@example.de"),
        ("On Mon, Jan 3, 2022 at 10:00, jane at example.org (Jane Roe) wrote:", "Jane Roe", "jane@example.org"),  # pipermail
        ("On Monday at 10.30, Jane wrote:", "Jane", None),
        ("I agree with everything that you wrote:", None, None),
        # A relative date (Gnus) and the day and hour alone: the date part before the comma is no name.
        ("Yesterday at 15:02, Jane Roe wrote:", "Jane Roe", None),
        ("Today at 9:15, Jane Roe <jane@example.org> wrote:", "Jane Roe", "jane@example.org"),
        ("On Tuesday at 3pm, Jane Roe wrote:", "Jane Roe", None),
        ("Tuesday at 3pm, Jane Roe wrote:", "Jane Roe", None),
        ("Hier à 15:02, Jean Dupont a écrit :", "Jean Dupont", None),
        # mutt's and Horde/IMP's forms.
        ("* Jane Roe <jane@example.org> [2008-03-17 10:35]:", "Jane Roe", "jane@example.org"),
        ("* Jane Roe <jane@example.org> [2008-03-17 10:35 +0100]:", "Jane Roe", "jane@example.org"),
        ("* Jane Roe [080317 10:35]:", "Jane Roe", None),
        ("Quoting Jane Roe <jane@example.org>:", "Jane Roe", "jane@example.org"),
        # Prose that puts a pronoun where a name would be, and a name that starts like one.
        ("Yesterday, I wrote:", None, None),
        ("As you said:", None, None),
        ("Then he wrote:", None, None),
        ("He Wei wrote:", "He Wei", None),
        # "Jan" is a month and a first name: only a date part loses it.
        ("Jan Novak wrote:", "Jan Novak", None),
        ("On Mon, Jan 3, 2022, Jan Novak wrote:", "Jan Novak", None),
        ("On Monday Jane Roe wrote:", "Jane Roe", None),
    ],
)
def test_attribution_names(attribution: str, name: str | None, address: str | None) -> None:
    assert attributed(attribution) == (name, address)


@pytest.mark.parametrize(
    "line",
    ["As I wrote:", "Yesterday, you said:", "Quoting the manual:", "* Step two [1]:", "The docs said:", "Here is what he wrote:"],
)
def test_prose_that_ends_in_a_colon_is_no_attribution(line: str) -> None:
    own = ["I tried it again.", line]
    assert split_attribution(own) == (own, None)


@pytest.mark.parametrize(
    "line",
    ["Yesterday at 15:02, Jane Roe wrote:", "* Jane Roe <jane@example.org> [2008-03-17 10:35]:", "Quoting Jane Roe <jane@example.org>:"],
)
def test_attribution_forms_are_split_off(line: str) -> None:
    assert split_attribution(["Hi Jane,", "", line, ""]) == (["Hi Jane,", ""], line)


def test_unescape_from_undoes_one_level_of_mboxrd_escaping_in_the_body_only() -> None:
    raw = (
        b"From: a@example.org\n>From: not a header\n\n"
        b">From the top.\n>>From a quote.\n>>>From deeper.\n> >From spaced.\nSaid >From here.\n>Fromage\n"
    )
    assert unescape_from(raw) == (
        b"From: a@example.org\n>From: not a header\n\n"
        b"From the top.\n>From a quote.\n>>From deeper.\n> >From spaced.\nSaid >From here.\n>Fromage\n"
    )
    crlf = b"Subject: x\r\n\r\n>From the top.\r\n"
    assert unescape_from(crlf) == b"Subject: x\r\n\r\nFrom the top.\r\n"
    assert unescape_from(b"Subject: no body\n") == b"Subject: no body\n"


def test_unflow_joins_soft_breaks_per_quote_depth() -> None:
    lines = ["Soft ", "joined.", "> quoted ", "> line", ">> deeper ", "> back", "-- ", "sig"]
    assert unflow(lines, delsp=False) == ["Soft joined.", "> quoted line", ">> deeper", "> back", "-- ", "sig"]
    assert unflow(["Kana", "Spl ", "it"], delsp=True) == ["Kana", "Split"]


@pytest.mark.parametrize(
    ("subject", "normalised"),
    [
        ("Re: [quill-users] Re: Export", "Export"),
        ("AW: WG: Übersetzung", "Übersetzung"),
        ("Fwd:  [dev] [PATCH]   Cache", "Cache"),
        ("Re[2]: Help", "Help"),
        ("Reply formats", "Reply formats"),
        ("Re: [seed-dev:12]", "[seed-dev:12]"),  # a numbered list tag that is the whole subject is the title there is
        ("Re:", ""),
    ],
)
def test_subject_normalisation(subject: str, normalised: str) -> None:
    assert normalise_subject(subject) == normalised


_LINES = st.sampled_from(
    ["Plain words here.", "", "> quoted text", ">> deeper text", "> > spaced deeper", "On Mon, Jan 1, 2024 Jane <j@x.org> wrote:",
     "-- ", "sig", ">From escaped", "-----Original Message-----", "From: Jane <j@x.org>", "____________________", "unsubscribe here",
     "wrote:", "Ünïcødé ✓", "soft ending "]
)  # fmt: skip


@pytest.mark.integration  # fuzzing
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.lists(_LINES, max_size=12), min_size=1, max_size=4), flowed=st.booleans())
def test_any_body_gives_documents_or_a_named_skip(tmp_path: Path, bodies: list[list[str]], flowed: bool) -> None:
    mails = []
    for number, body in enumerate(bodies):
        reply = f"In-Reply-To: <m{number - 1}@x.org>\n" if number else ""
        content_type = "text/plain; charset=utf-8" + ("; format=flowed" if flowed else "")
        mails.append(
            f"From x@x.org  Mon Jan  1 00:00:0{number} 2024\nFrom: P{number} <p{number}@x.org>\nSubject: Re: T\n"
            f"Message-ID: <m{number}@x.org>\n{reply}Content-Type: {content_type}\n\n" + "\n".join(body) + "\n"
        )
    path = tmp_path / "random.mbox"
    path.write_text("\n".join(mails), encoding="utf-8")
    try:
        documents = read_file(path, "random.mbox")
    except UnreadableDocument:
        return
    for document in documents:
        for section in document.sections:
            text = document.text[section.start : section.end]
            assert text and text == text.strip()
            if not section.quoted:
                assert not any(line.startswith(">") for line in text.split("\n")), text  # quoted lines never become own text


# ---------------------------------------------------------------- the real Pony Mail archive


#: Each section's author, post, date, reply_to, length and SHA-256 prefix: exact without copying the archive's text.
_PONYMAIL_SECTIONS = {
    "external-search-form": [
        ("Daniel Sahlberg", "1", "2022-01-02T11:01:50+00:00", None, 461, "627f8803022f11ed"),
        ("John D. Ament", "2", "2022-01-02T13:33:24+00:00", "1", 203, "9341d8fbf90a5b95"),
        ("Daniel Sahlberg", "3", "2022-01-04T12:53:29+00:00", "2", 414, "5d7aeae3e22f1437"),
    ],
    "how-can-i-see-attachments": [
        ("Daniel Sahlberg", "1", "2022-01-05T10:17:02+00:00", None, 1093, "3c0d9d2dc3bd9799"),
        ("sebb", "2", "2022-01-06T00:54:45+00:00", "1", 346, "59ac39263f467bf3"),
        ("Daniel Gruno", "3", "2022-01-06T16:25:58+00:00", "1", 555, "82777e5487a8a889"),
    ],
}


def _fingerprint(document: Document) -> list[tuple[str | None, str | None, str | None, str | None, int, str]]:
    rows = []
    for s in document.sections:
        text = document.text[s.start : s.end]
        rows.append((s.author, s.post, s.date, s.reply_to, len(text), hashlib.sha256(text.encode()).hexdigest()[:16]))
    return rows


@pytest.fixture
def ponymail() -> Path:
    if not PONYMAIL.is_file():
        pytest.skip("../shared/forums/corpus not present: the real Pony Mail archive is read from there")
    return PONYMAIL


def test_ponymail_archive_threads_posts_and_authors(ponymail: Path) -> None:
    warnings: list[Skipped] = []
    documents = _documents(ponymail, warnings)
    assert warnings == []
    assert list(documents) == ["external-search-form", "how-can-i-see-attachments"]
    threads = _threads(ponymail)
    assert [[p.author for p in t.posts] for t in threads.values()] == [
        ["Daniel Sahlberg", "John D. Ament", "Daniel Sahlberg"],  # his second mail comes from another address
        ["Daniel Sahlberg", "sebb", "Daniel Gruno"],
    ]
    assert documents["external-search-form"].title == "External search form"
    assert documents["how-can-i-see-attachments"].title == "How can I see attachments?"


def test_ponymail_every_section_exact(ponymail: Path) -> None:
    documents = _documents(ponymail)
    for key, expected in _PONYMAIL_SECTIONS.items():
        actual = _fingerprint(documents[key])
        shown = [documents[key].text[s.start : s.end] for s in documents[key].sections]
        assert actual == expected, shown
        assert not any(s.quoted for s in documents[key].sections)  # every quote is of a mail in the archive


def test_ponymail_quoted_history_is_credited_once_to_its_writer(ponymail: Path) -> None:
    documents = _documents(ponymail)
    for key, phrase, times in [
        ("external-search-form", "On behalf of the Subversion community", 3),
        ("how-can-i-see-attachments", "presented in a more intuitive way", 3),
    ]:
        document = documents[key]
        assert document.text.count(phrase) == times  # shown under three senders
        holders = [(s.author, s.post) for s in document.sections if phrase in document.text[s.start : s.end]]
        assert holders == [("Daniel Sahlberg", "1")]
        _assert_no_sentence_twice(document)
    for document in documents.values():
        for section in document.sections:
            text = document.text[section.start : section.end]
            assert "wrote:" not in text and "-- " not in text and not text.startswith(">")


def test_ponymail_interleaved_reply_and_nested_quotes(ponymail: Path) -> None:
    threads = _threads(ponymail)
    gruno = threads["how-can-i-see-attachments"].posts[2].blocks
    assert [type(b).__name__ for b in gruno] == ["Quote", "str", "Quote"]  # answer between two quoted paragraphs
    assert all(isinstance(b, str) or (b.author, b.post) == ("Daniel Sahlberg", "1") for b in gruno)
    third = threads["external-search-form"].posts[2].blocks
    quotes = [(b.author, b.post) for b in third if isinstance(b, Quote)]
    assert quotes == [("John D. Ament", "2"), ("Daniel Sahlberg", "1")]  # the level-2 attribution sits inside level 1


# ---------------------------------------------------------------- archive shapes


def test_pipermail_scrubber_notes_are_not_the_senders_words() -> None:
    path = FIXTURES / "plumb-users-2024-March.txt"
    (document,) = read_file(path, f"lists/{path.name}")
    assert document.title == "Valve torque settings"
    assert _sections(document) == [
        ("Jane Roe", "1", False, "What torque do people use on the brass valves of the Mk2 manifold?"),
        ("Tom Vale", "2", False, "Twelve newton metres, never more, or the seat cracks."),
        ("Jane Roe", "3", False, "Thanks, that matches the chart on the wall."),
    ]
    assert "scrubbed" not in document.text and "next part" not in document.text and "torque.pdf" not in document.text


def test_pipermail_inline_text_attachment_after_next_part_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "inline.txt"
    path.write_text(
        "From ada at example.org  Tue Mar  5 10:00:00 2024\nFrom: ada at example.org (Ada Kerr)\n"
        "Subject: [loom] Shuttle patch\nMessage-ID: <s1@example.org>\n\nThe patch below fixes the shuttle timing.\n"
        "-------------- next part --------------\nSet the shuttle delay to forty milliseconds.\n",
        encoding="utf-8",
    )
    (document,) = read_file(path, "inline.txt")
    assert _sections(document) == [
        ("Ada Kerr", "1", False, "The patch below fixes the shuttle timing.\nSet the shuttle delay to forty milliseconds.")
    ]


def test_html_signature_dashes_and_outlook_mailto_sender(tmp_path: Path) -> None:
    path = tmp_path / "takeout.mbox"
    path.write_text(
        "From 1790000000000000001@xxx Tue Mar 05 10:00:00 +0000 2024\nX-GM-THRID: 1790000000000000001\n"
        "X-Gmail-Labels: Inbox,Opened\nFrom: Priya Raman <priya@example.com>\nSubject: Seed swap in April\n"
        "Message-ID: <g1@example.com>\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        '<div dir=3D"ltr"><div>The seed swap moves to the library annex on 13 April.</div><div><br>=\n'
        '</div>-- <br><div class=3D"gmail_signature">Priya Raman<br>Garden Club secretary</div></div>\n\n'
        "From 1790000000000000002@xxx Tue Mar 05 11:00:00 +0000 2024\nFrom: Dale Okafor <dale@example.net>\n"
        "Subject: AW: Seed swap in April\nMessage-ID: <g2@example.com>\nIn-Reply-To: <g1@example.com>\n\n"
        "I can bring forty packets of runner beans.\n\n"
        "Von: Priya Raman [mailto:priya@example.com]\nGesendet: Dienstag, 5. März 2024 10:00\nBetreff: Seed swap in April\n\n"
        "The seed swap moves to the library annex on 13 April.\n\n--\nPriya Raman\nGarden Club secretary\n",
        encoding="utf-8",
    )
    (document,) = read_file(path, "takeout.mbox")
    assert _sections(document) == [
        ("Priya Raman", "1", False, "The seed swap moves to the library annex on 13 April."),
        ("Dale Okafor", "2", False, "I can bring forty packets of runner beans."),
    ]
    thread = next(mbox.read(path, print))
    assert thread.posts[1].blocks[-1] == Quote("The seed swap moves to the library annex on 13 April.", "Priya Raman", "1")


def test_a_reused_message_id_with_another_sender_is_read_and_a_copy_is_not(tmp_path: Path) -> None:
    mail = "From x@example.org  Tue Mar  5 {t}:00:00 2024\nFrom: {who}\nSubject: {re}Choir room\nDate: Tue, 05 Mar 2024 {t}:00:00 +0000\n"
    mail += "Message-ID: <same@example.org>\n\n{text}\n\n"
    path = tmp_path / "reused.mbox"
    path.write_text(
        mail.format(t=10, re="", who="Hana Novak <hana@example.org>", text="The choir room is free on Thursdays.")
        + mail.format(t=10, re="", who="Hana Novak <hana@example.org>", text="The choir room is free on Thursdays.")
        + mail.format(t=11, re="Re: ", who="Piet Bos <piet@example.org>", text="Then I will book it for the altos."),
        encoding="utf-8",
    )
    warnings: list[Skipped] = []
    (document,) = read_file(path, "reused.mbox", warnings)
    assert [w.reason for w in warnings] == [
        "partly read (mbox): message 2 (same@example.org): same Message-ID as message 1; left out as a duplicate"
    ]
    assert _sections(document) == [
        ("Hana Novak", "1", False, "The choir room is free on Thursdays."),
        ("Piet Bos", "2", False, "Then I will book it for the altos."),
    ]


def test_a_mime_digest_is_read_as_the_mails_it_holds(tmp_path: Path) -> None:
    """Mailman's MIME digest: each mail of its multipart/digest part is a post of its sender, threaded as any mail."""
    path = tmp_path / "digest.mbox"
    path.write_text(
        "From quilt-request@example.org  Tue Mar  5 10:00:00 2024\nFrom: quilt-request@example.org\n"
        'Subject: quilt Digest, Vol 12, Issue 3\nMessage-ID: <dg@example.org>\nContent-Type: multipart/mixed; boundary="D"\n\n'
        "--D\nContent-Type: text/plain\n\nToday's Topics:\n   1. Batting weight (Rosa Leal)\n\n"
        '--D\nContent-Type: multipart/digest; boundary="M"\n\n--M\nContent-Type: message/rfc822\n\n'
        "From: Rosa Leal <rosa@example.org>\nSubject: Batting weight\nDate: Mon, 4 Mar 2024 08:00:00 +0000\n"
        "Message-ID: <bw1@example.org>\n\nWhich batting weight suits a summer quilt?\n\n--M\n\n"
        "From: Tom Hale <tom@example.org>\nSubject: Re: Batting weight\nDate: Mon, 4 Mar 2024 09:00:00 +0000\n"
        "Message-ID: <bw2@example.org>\nIn-Reply-To: <bw1@example.org>\n\nA thin cotton one, about 80 grams.\n\n--M--\n\n--D--\n"
        "From ada@example.org  Tue Mar  5 11:00:00 2024\nFrom: Ada Kerr <ada@example.org>\nSubject: Re: Batting weight\n"
        "Message-ID: <bw3@example.org>\nIn-Reply-To: <bw2@example.org>\n\nWool works too.\n",
        encoding="utf-8",
    )
    warnings: list[Skipped] = []
    (document,) = read_file(path, "digest.mbox", warnings)
    assert warnings == []
    assert _sections(document) == [
        ("Rosa Leal", "1", False, "Which batting weight suits a summer quilt?"),
        ("Tom Hale", "2", False, "A thin cotton one, about 80 grams."),
        ("Ada Kerr", "3", False, "Wool works too."),
    ]
    assert [s.reply_to for s in document.sections] == [None, "1", "2"]


def test_a_plain_digest_saved_without_headers_is_read_as_its_mails() -> None:
    """Mailman's plain-text digest kept as text alone: masthead, topics, then "Message: N" mails under lines of dashes.

    Each mail is its sender's post with its date and Message-ID; the reply threads under the mail it answers (its quote is a
    repeat), a line of dashes in a mail's own text stays in it, and the masthead and footer are nobody's post. Gmail's
    "10:00?AM" (a narrow space the digest's charset lost) does not make the time the quoted writer's name.
    """
    path = FIXTURES / "weavers-digest-v7-i2.txt"
    assert mbox.FORMAT.sniff(path, path.read_text(encoding="utf-8"))
    (thread,) = _threads(path).values()
    assert thread.title == "Warp tension on the small loom"
    assert [(p.author, p.date, p.post, p.reply_to, p.url) for p in thread.posts] == [
        ("Ada Kerr", "2024-03-05T09:00:00+00:00", "1", None, "mid:warp-1@example.org"),
        ("Piet Bos", "2024-03-05T11:30:00+00:00", "2", "1", "mid:warp-2@example.org"),
    ]
    last = thread.posts[0].blocks[-1]
    assert isinstance(last, str) and last.endswith("Here is a line of dashes I drew myself, above my name.\nAda")
    assert thread.posts[1].blocks == (
        Quote("My warp sags in the middle after two hours of weaving.", "Ada Kerr", "1"),
        "Tighten the brake a notch; the back beam only moves the sag.\nPiet – tested on a Gänsehals loom",
    )


def test_a_plain_digest_inside_an_mbox_message_is_read_as_its_mails(tmp_path: Path) -> None:
    digest_text = (FIXTURES / "weavers-digest-v7-i2.txt").read_text(encoding="utf-8")
    path = tmp_path / "inbox.mbox"
    path.write_text(
        "From weavers-request@lists.example.org  Tue Mar  5 13:00:00 2024\nFrom: weavers-request@lists.example.org\n"
        "Subject: weavers Digest, Vol 7, Issue 2\nMessage-ID: <digest-7-2@lists.example.org>\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + digest_text,
        encoding="utf-8",
    )
    (document,) = read_file(path, "inbox.mbox")
    assert [(s.author, s.post) for s in document.sections] == [("Ada Kerr", "1"), ("Piet Bos", "2")]


def test_a_mail_about_a_digest_is_read_as_one_mail(tmp_path: Path) -> None:
    """Guard: a digest's subject alone splits nothing, and a reply to a digest is none, whatever history it carries unquoted."""
    digest_text = (FIXTURES / "weavers-digest-v7-i2.txt").read_text(encoding="utf-8")
    path = tmp_path / "question.mbox"
    path.write_text(
        "From ada@example.org  Tue Mar  5 10:00:00 2024\nFrom: Ada Kerr <ada@example.org>\n"
        "Subject: weavers Digest, Vol 7, Issue 2 was late\nMessage-ID: <q1@example.org>\n\nWhere is today's issue?\n\n"
        "From ada@example.org  Tue Mar  5 14:00:00 2024\nFrom: Ada Kerr <ada@example.org>\n"
        "Subject: Re: weavers Digest, Vol 7, Issue 2\nMessage-ID: <q2@example.org>\n\nWhere do I find the brake?\n\n" + digest_text,
        encoding="utf-8",
    )
    documents = read_file(path, "question.mbox")
    assert [_sections(d)[0][3].split("\n")[0] for d in documents] == ["Where is today's issue?", "Where do I find the brake?"]
    assert {(s.author, s.post) for d in documents for s in d.sections} == {("Ada Kerr", "1")}


def test_a_posted_file_after_a_dash_dash_line_is_kept_and_a_signature_is_not(tmp_path: Path) -> None:
    """ "-- " opens a signature of a few lines; a sender who sets off a whole posted file with it loses nothing."""
    listing = "".join(f";; step {i}: move the shuttle one slot to the left and wait.\n" for i in range(1, 21))
    path = tmp_path / "sources.mbox"
    path.write_text(
        "From ada@example.org Tue Mar  5 10:00:00 2024\nFrom: Ada Kerr <ada@example.org>\nSubject: shuttle.el, second version\n"
        "Message-ID: <s1@example.org>\n\nHere is the new version of shuttle.el.\n-- \n" + listing + "\n"
        "From piet@example.org Tue Mar  5 11:00:00 2024\nFrom: Piet Bos <piet@example.org>\nSubject: Re: shuttle.el, second version\n"
        "Message-ID: <s2@example.org>\nIn-Reply-To: <s1@example.org>\n\nIt loads fine here.\n-- \nPiet Bos\nLoom guild, Leiden\n",
        encoding="utf-8",
    )
    (document,) = read_file(path, "sources.mbox")
    sections = _sections(document)
    assert sections[0][3].startswith("Here is the new version of shuttle.el.\n;; step 1:") and "step 20" in sections[0][3]
    assert "--" not in sections[0][3].split("\n")
    assert sections[1][1:] == ("2", False, "It loads fine here.")


# ---------------------------------------------------------------- fourth round: producers seen in real mail


def test_a_lotus_notes_attribution_with_its_date_and_a_snip_mark_names_the_quoted_writer() -> None:
    # Notes writes "X <x@…> wrote on 03/05/2024 10:14:47 AM:", and its users cut the quote's head with "..snip...".
    (document,) = read_file(FIXTURES / "lotus-notes-reply.eml", "lists/lotus-notes-reply.eml")
    assert [(author, quoted) for author, _, quoted, _ in _sections(document)] == [
        ("Mirela Kovac", True),
        ("Mirela Kovac", True),
        ("Teodor Lindqvist", False),
    ]
    assert "wrote on" not in document.text and "snip" not in document.text


@pytest.mark.parametrize(
    "line",
    [
        "Jane Roe <jane@example.org> wrote on 07/12/2006 06:24:14 PM:",
        "Jane Roe <jane@example.org> wrote on 05.03.2012 11:26:08:",
    ],
)
def test_lotus_notes_attributions(line: str) -> None:
    assert attributed(line) == ("Jane Roe", "jane@example.org")
    assert split_attribution(["Hi,", "", line, "", "[...]"]) == (["Hi,", ""], line)


def test_prose_about_writing_on_a_day_is_no_attribution() -> None:
    own = ["See what Jane wrote on the list:"]
    assert split_attribution(own) == (own, None)


def test_webmail_history_blocks_in_any_field_order_are_quotes() -> None:
    # Yahoo Mail: From, To, Sent (here in German); GMX: Sent, From, To, Subject. Both left the history as the replier's.
    threads = _threads(FIXTURES / "webmail-history.mbox")
    yahoo, gmx = threads.values()
    assert yahoo.posts[0].blocks == (
        "Hallo,\nich habe die Zeitzone umgestellt, jetzt stimmt die Woche.\nViele Grüße, Ines",
        Quote("Guten Tag, bitte prüfe die Zeitzone in deinem Profil.", "help", None),
    )
    assert gmx.posts[0].blocks == (
        "Danke, das hat geholfen.\nBruno",
        Quote("Die Wochenansicht beginnt jetzt am Montag.", "Helpdesk Team", None),
    )


def test_apple_mail_attribution_inside_the_quote_and_a_list_that_hides_its_senders() -> None:
    threads = _threads(FIXTURES / "apple-mail-and-anonymous-list.mbox")
    lid, glaze = threads.values()
    # Apple Mail puts "On …, Jane Roe <…> wrote:" inside the quote it introduces.
    assert lid.posts[1].blocks == (
        "Mine did the same until I moved the sensor away from the vent.",
        Quote("The lid thermocouple reads about 40 degrees above the probe in the chamber.\nHas anyone recalibrated one?", "Jane Roe", "1"),
    )
    # From: is the list's own posting address (List-Post): the sender is hidden, so the mail and the quote are nobody's.
    (post,) = glaze.posts
    assert post.author is None
    assert post.blocks == (
        "Wipe the rim with a damp sponge before glazing; dust makes it crawl.",
        Quote("My glaze pulls back from the rim into beads after firing.", None, None),
    )


def test_a_list_that_rewrites_from_for_dmarc_keeps_the_senders_name(tmp_path: Path) -> None:
    path = tmp_path / "dmarc.mbox"
    path.write_text(
        "From list@example.org  Mon Apr  1 09:00:00 2024\n"
        'From: "Jane Roe via kiln-helpers" <kiln-helpers@lists.example.org>\n'
        "List-Post: <mailto:kiln-helpers@lists.example.org>\nSubject: Cone 6 schedule\nMessage-ID: <d1@example.org>\n\n"
        "Hold at the top for ten minutes.\n",
        encoding="utf-8",
    )
    (thread,) = mbox.read(path, print)
    assert thread.posts[0].author == "Jane Roe"


def test_attributions_and_history_blocks_of_other_languages_and_mailers() -> None:
    # Each of these left the attribution line or the whole history as the replier's words, or credited the quote to them.
    threads = list(_threads(FIXTURES / "world-replies.mbox").values())
    blocks = {thread.posts[0].author: thread.posts[0].blocks for thread in threads}
    # Gmail in Danish puts the verb before the name: "… kl. 08.15 skrev Ole Brandt <…>:".
    assert blocks["Maren Holt"] == (
        "They arrived today, thank you.",
        Quote("The trays ship on Friday with the second batch of labels.", "Ole Brandt", None),
    )
    # Polish Thunderbird and Gmail: "napisał(a):", inside a quote too.
    assert blocks["Paweł Zielonka"] == (
        Quote("The gauge overflowed twice during the storm.", "Bogdan Lis", None),
        Quote("Mount a second one on the shed roof.", "Anna Kowal", None),
        "I moved it to the fence post instead.",
    )
    # Mail.ru writes no verb: "<date> от Ivan Petrov <…>:".
    assert blocks["Lena Orlova"] == (
        "The vents close on their own now.",
        Quote("Oil the hinge of the left vent before the frost.", "Ivan Petrov", None),
    )
    # Windows Mail in Russian ("От:", "Отправлено:"), its tagline, and a sender named without an address.
    assert blocks["Tomas Varga"] == (
        "I will bring the lids on Saturday.",
        Quote("The bins by the gate have no lids since the wind took them.", "Irina Sokol", None),
    )
    # Outlook in Chinese: 发件人 / 日期 / 收件人 / 主题.
    assert blocks["Chen Wei"] == (
        "The key is back under the flower pot.",
        Quote("Who took the tool shed key this morning?", "Li Na", None),
    )
    # Zimbra's "- Le …, X a écrit :": the dash and the date are not part of the name.
    assert blocks["Ines Moreau"] == ("I can take Wednesdays.", Quote("The rota still has a gap on Wednesdays.", "Paul Girard", None))
    # A history left unquoted under "On …, at …, X <…> wrote:" is X's.
    assert blocks["Sam Reyes"] == (
        "Fine, I will order the tulips separately.",
        Quote("Hi Sam,\nThe supplier cannot add tulips to an order that has shipped.", "Dana Fox", None),
    )


@pytest.mark.parametrize(
    ("line", "name", "address"),
    [
        ("4. mar. 2024 kl. 08.15 skrev Ole Brandt <ole@example.org>:", "Ole Brandt", "ole@example.org"),
        ("Op ma 4 mrt. 2024 om 08:15 schreef Ole Brandt <ole@example.org>:", "Ole Brandt", "ole@example.org"),
        ("pon., 4 mar 2024 o 10:15 Anna Kowal <anna@example.org> napisał(a):", "Anna Kowal", "anna@example.org"),
        ("Dnia Mon, Mar 04, 2024 at 10:15:00AM +0100, Anna Kowal napisał(a):", "Anna Kowal", None),
        ("----- 4 mar 2024 o 10:15, Anna Kowal anna@example.org napisał(a):", "Anna Kowal", "anna@example.org"),
        ('2024.03.04. 7:31 keltezéssel, "Kiss Anna" írta:', "Kiss Anna", None),
        ("пн, 4 мар. 2024 г. в 10:20, Ivan Petrov <ivan@example.org>:", "Ivan Petrov", "ivan@example.org"),
        ("04.03.2024 10:20, Ivan Petrov пишет:", "Ivan Petrov", None),
        ("po 4. 3. 2024 v 10:20 odesílatel Jan Dvořák <jan@example.org> napsal:", "Jan Dvořák", "jan@example.org"),
        ("- Le 2024-03-04 12:10, Paul Girard a écrit :", "Paul Girard", None),
        # Evolution in Czech puts the date after the verb.
        ("Jan Dvořák píše v Po 04. 03. 2024 v 10:20 +0100:", "Jan Dvořák", None),
        # Gmail's old ISO form, its address as pipermail's .txt archive obscures it.
        ("2024-03-04 10:20 GMT+01:00 Ole Brandt <ole at example.org>:", "Ole Brandt", "ole@example.org"),
        # Chinese: Gmail names the writer first, Apple Mail, Coremail and Evolution after the date part's comma.
        ("Wei Zhang <wei@example.org> 于2024年3月4日周一 上午10:20写道：", "Wei Zhang", "wei@example.org"),
        ("Wei Zhang <wei@example.org> 於 2024年3月4日 週一 上午10:20寫道：", "Wei Zhang", "wei@example.org"),
        ("2024年3月4日 10:20，Wei Zhang <wei@example.org> 写道：", "Wei Zhang", "wei@example.org"),
        ('在 2024-03-04 10:20:11，"Wei Zhang" <wei@example.org> 写道：', "Wei Zhang", "wei@example.org"),
        ("在 2024-03-04星期一的 10:20 +0800，Wei Zhang写道：", "Wei Zhang", None),
        # Korean Gmail; Thunderbird shows the address of an HTML mail with its mailto link after it.
        ("2024년 3월 4일 (월) 오전 10:20, Minji Park <minji@example.org>님이 작성:", "Minji Park", "minji@example.org"),
        (
            "2024년 3월 4일 (월) 오후 1:20, Minji Park <minji@example.org <mailto:minji@example.org>>님이 작성:",
            "Minji Park",
            "minji@example.org",
        ),
        # Japanese Thunderbird and Evolution; and the writer first, the date after.
        ("2024-03-04 10:20 に Kenji Mori さんは書きました:", "Kenji Mori", None),
        ("2024-03-04 (月) の 10:20 +0900 に Kenji Mori さんは書きました:", "Kenji Mori", None),
        ("Kenji Mori さんは 2024/03/04 10:20 に書きました:", "Kenji Mori", None),
    ],
)
def test_attributions_in_more_languages(line: str, name: str, address: str | None) -> None:
    assert attributed(line) == (name, address)
    assert split_attribution(["Hi,", "", line, ""]) == (["Hi,", ""], line)


@pytest.mark.parametrize(
    "line",
    [
        "Hun skrev følgende:",
        "Call me at 10:30 or mail jane@example.org:",
        "Inviato da Marco",
        "V návodu se píše v bodě 2:",  # Czech prose: "píše v" with no time is no Evolution attribution
        "Meet at 10:30, then look at example.org:",  # an unbracketed "x at y.org" stays prose
        "手册里写道：",  # Chinese prose, "the manual says:": no date before it
        "이렇게 작성:",  # Korean "written like this:", no "님이" and no date
    ],
)
def test_prose_in_other_languages_stays_the_writers(line: str) -> None:
    own = ["Tak for hjælpen.", line]
    assert split_attribution(own) == (own, None)


def test_a_plain_attribution_line_over_own_text_is_not_taken_for_unquoted_history(tmp_path: Path) -> None:
    # Without a time and an address, "On Monday, Jane wrote:" above unquoted text may be the writer's own lead-in.
    path = tmp_path / "lead.mbox"
    path.write_text(
        "From sam@example.org Mon Mar  4 15:00:00 2024\nFrom: Sam Reyes <sam@example.org>\nSubject: Bulbs\n"
        "Message-ID: <l1@example.org>\n\nA note for the group.\n\nOn Monday, Jane wrote:\n\nthat the tulips are late. I agree.\n",
        encoding="utf-8",
    )
    (thread,) = mbox.read(path, print)
    assert all(isinstance(block, str) for block in thread.posts[0].blocks)


def _reply_blocks(tmp_path: Path, body: str, content_type: str = "text/plain") -> tuple[str | Quote, ...]:
    path = tmp_path / "reply.eml"
    path.write_text(
        "From: Rhea Lind <rhea@example.org>\nSubject: Re: Seed swap\nDate: Tue, 5 Mar 2024 09:00:00 +0000\n"
        f"Message-ID: <r1@example.org>\nContent-Type: {content_type}; charset=utf-8\n\n{body}",
        encoding="utf-8",
    )
    (thread,) = mbox.read(path, print)
    return tuple(thread.posts[0].blocks)


def test_zoho_dashed_attribution_over_unquoted_history_is_the_quoted_writers(tmp_path: Path) -> None:
    body = (
        "Count me in for Saturday.\n\n"
        "---- On Mon, 04 Mar 2024 18:10:05 +0100 Omar Vale <omar@example.org> wrote ----\n\nWho brings the labels?\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Count me in for Saturday.", Quote("Who brings the labels?", "Omar Vale", None))


def test_a_dashed_line_of_the_writers_own_stays_theirs(tmp_path: Path) -> None:
    # Guard: a heading set off by dashes, even with a time and an address, is no Zoho attribution without "wrote".
    body = "Agenda below.\n\n---- Mon, 04 Mar 2024 18:10 at omar@example.org ----\n\nWe start with the labels.\n"
    assert all(isinstance(block, str) for block in _reply_blocks(tmp_path, body))


def test_a_gmail_attribution_wrapped_over_two_lines_above_unquoted_history(tmp_path: Path) -> None:
    body = "Kiitos, sopii.\n\nma 4. maaliskuuta 2024 klo 18.10 Omar Vale\n<omar@example.org> kirjoitti:\n\nTuotko etiketit?\n"
    assert _reply_blocks(tmp_path, body) == ("Kiitos, sopii.", Quote("Tuotko etiketit?", "Omar Vale", None))


def test_two_own_lines_naming_a_time_and_an_address_stay_the_writers(tmp_path: Path) -> None:
    # Guard: no attribution verb, so the two lines and what follows are the replier's.
    body = "Fine.\n\nCall at 18.10 on Monday\nor mail omar@example.org\n\nThe labels are in the shed.\n"
    assert all(isinstance(block, str) for block in _reply_blocks(tmp_path, body))


def test_hotmail_rule_over_a_header_block_starting_with_date(tmp_path: Path) -> None:
    html = (
        "<div>Yes, Saturday works.<br><br><hr>Date: Mon, 4 Mar 2024 18:10:05 +0100<br>Subject: Seed swap<br>"
        "From: omar@example.org<br>To: rhea@example.org<br><br><div>Who brings the labels?</div></div>"
    )
    assert _reply_blocks(tmp_path, html, "text/html") == ("Yes, Saturday works.", Quote("Who brings the labels?", "omar", None))


def test_bold_header_fields_open_an_unquoted_history(tmp_path: Path) -> None:
    body = (
        "Labels are on me.\n\n**From:** lists@example.org <lists@example.org>**On Behalf Of** Seed Club\n"
        "**Sent:** 4 March 2024 18:10\n**To:** Rhea Lind <rhea@example.org>\n**Subject:** Seed swap\n\nWho brings the labels?\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Labels are on me.", Quote("Who brings the labels?", "lists", None))


def test_a_rule_over_own_lines_that_name_a_date_stays_the_writers(tmp_path: Path) -> None:
    # Guard: a rule above "Date:" with no From field is the writer's own layout, not a history.
    body = "Plan:\n\n____________________________\nDate: Saturday 9 March\nPlace: the old school hall\n\nBring labels.\n"
    assert all(isinstance(block, str) for block in _reply_blocks(tmp_path, body))


def test_apple_mail_forward_marker_in_italian_opens_the_forwarded_mail(tmp_path: Path) -> None:
    body = (
        "Ti giro la sua risposta.\n\nInizio messaggio inoltrato:\n\nDa: Omar Vale <omar@example.org>\nOggetto: Etichette\n"
        "Data: 4 marzo 2024 18:10:05 CET\nA: Rhea Lind <rhea@example.org>\n\nLe etichette le porto io.\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Ti giro la sua risposta.", Quote("Le etichette le porto io.", "Omar Vale", None))


def test_a_pipermail_month_with_gmail_attributions_whose_addresses_it_obscured() -> None:
    # Gmail's "2024-05-02 09:14 GMT+02:00 Name <addr>:" has no verb; pipermail writes the address "x at y" and so did
    # not let it be told, leaving the attribution line in the replier's own words.
    (thread,) = _threads(FIXTURES / "loom-list-2024-May.txt").values()
    assert [(post.author, post.post, post.reply_to) for post in thread.posts] == [
        ("Petra Ilves", "1", None),
        ("Tomas Berg", "2", "1"),
        ("Petra Ilves", "3", "2"),
    ]
    assert thread.posts[1].blocks == (
        "Yes, the warp beam brake slips when the ratchet pawl is worn.\nTomas",
        Quote("My loom's warp beam keeps unwinding under tension. Is it the brake?\nPetra", "Petra Ilves", "1"),
    )
    assert thread.posts[2].blocks == (  # the attribution inside Tomas's quote is not his words either
        Quote("Yes, the warp beam brake slips when the ratchet pawl is worn.\nTomas", "Tomas Berg", "2"),
        Quote("My loom's warp beam keeps unwinding under tension. Is it the brake?\nPetra", "Petra Ilves", "1"),
        "A new pawl fixed it, thank you.",
    )


def test_a_txt_that_holds_a_travelled_mail_or_news_article_is_read_as_one(tmp_path: Path) -> None:
    # Usenet articles and archivers' stored mails come as .txt; notes that open with From: and Date: stay a page.
    article = (
        "Path: news.example.net!not-for-mail\nFrom: Omar Vale <omar@example.org>\nNewsgroups: rec.gardening.seeds\n"
        "Subject: Seed swap\nDate: Mon, 4 Mar 2024 18:10:05 +0100\nMessage-ID: <swap@example.org>\n\nWho brings the labels?\n"
    )
    path = tmp_path / "article.txt"
    path.write_text(article, encoding="utf-8")
    assert mbox.sniff(path, article)
    (document,) = read_file(path, "article.txt")
    assert _sections(document) == [("Omar Vale", "1", False, "Who brings the labels?")]
    notes = "From: Omar\nDate: Monday\nMessage-ID: none\n\nBring labels.\n"
    assert not mbox.sniff(Path("notes.txt"), notes)


def test_indented_code_lines_are_not_joined_as_a_wrapped_paragraph(tmp_path: Path) -> None:
    # The longest line sets the wrap width; a code line just under it is no wrap of the one above.
    body = (
        "My query fails:\n\n"
        "        Result result = client.describeSeedPacketsByVarietyName(Arrays.asList(varietyName), options);\n"
        "        Map<String, Packet> packets = result.packetsByVarietyNameAndHarvestYear();\n\nAny idea?\n"
    )
    (own,) = _reply_blocks(tmp_path, body)
    assert own == (
        "My query fails:\nResult result = client.describeSeedPacketsByVarietyName(Arrays.asList(varietyName), options);\n"
        "Map<String, Packet> packets = result.packetsByVarietyNameAndHarvestYear();\nAny idea?"
    )


def test_a_notifiers_reply_to_this_email_footer_is_not_the_senders_words(tmp_path: Path) -> None:
    body = (
        "Seed packets now carry the harvest year.\n\n---\n"
        "You can reply to this email and have your reply appear on the tracker as well.\n---\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Seed packets now carry the harvest year.",)


def test_an_address_quoted_as_the_name_is_no_name(tmp_path: Path) -> None:
    # Yandex writes a sender with no display name as '"x@y" <x@y>:' after the date; the quote is credited as any
    # address-only sender is (by the local part), not with the address as a name.
    body = 'I do.\n\n04.03.2024, 18:10, "omar@example.org" <omar@example.org>:\n> Who brings the labels?\n'
    assert _reply_blocks(tmp_path, body) == ("I do.", Quote("Who brings the labels?", "omar", None))
    assert attributed('04.03.2024, 18:10, "omar@example.org" <omar@example.org>:') == (None, "omar@example.org")


def test_thunderbird_titled_forward_line_in_another_language_opens_the_forwarded_mail(tmp_path: Path) -> None:
    # Thunderbird writes "-------- <title> --------" in the user's language over its field table.
    body = (
        "Смотри ниже.\n\n-------- Перенаправленное сообщение --------\nТема: \tЭтикетки\n"
        "Дата: \tMon, 4 Mar 2024 18:10:05 +0300\nОт: \tOmar Vale <omar@example.org>\nКому: \trhea@example.org\n\n\n"
        "Этикетки принесу я.\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Смотри ниже.", Quote("Этикетки принесу я.", "Omar Vale", None))


def test_a_dashed_heading_over_own_lines_with_no_sender_stays_the_writers(tmp_path: Path) -> None:
    # Guard: the titled line opens a history only over a field table that names a sender and a date.
    body = "Plan:\n\n-------- Saturday --------\nPlace: the old school hall\nTime: 10:00\n\nBring labels.\n"
    assert all(isinstance(block, str) for block in _reply_blocks(tmp_path, body))


# ---------------------------------------------------------------- round 8c: Gmail/Mail.ru in Russian, Proton Mail


def test_gmail_russian_user_word_and_wrapped_attribution_name_the_writer_only() -> None:
    """Gmail in Russian calls the writer "пользователь" (user) and wraps a long attribution before the address."""
    assert attributed("5 апреля 2019 г., 08:40 пользователь Ольга Смирнова <olga@example.org> написал:") == (
        "Ольга Смирнова",
        "olga@example.org",
    )
    assert attributed("5 квітня 2019 р. о 08:40 користувач Ольга Смирнова <olga@example.org> написав:")[0] == "Ольга Смирнова"
    own, attribution = split_attribution(
        ["Спасибо, посмотрю.", "", "5 апреля 2019 г., 08:40 пользователь Ольга Смирнова", "<olga@example.org> написал:"]
    )
    assert own == ["Спасибо, посмотрю.", ""] and attribution is not None and attributed(attribution)[0] == "Ольга Смирнова"


def test_mail_ru_padded_address_and_hidden_addresses_leave_a_clean_name() -> None:
    """Mail.ru writes "< addr >"; archives hide addresses as "<x_at_[hidden]>"; Outlook's "Roe, Jane" keeps its comma."""
    assert attributed("Понедельник, 8 апреля 2019, 9:15 +03:00 от Ольга Смирнова < olga@example.org >:") == (
        "Ольга Смирнова",
        "olga@example.org",
    )
    assert attributed("Ansel Brook, <ansel.domain.name.hidden>, writes:") == ("Ansel Brook", None)
    assert attributed("On Mon, Apr 8, 2019 at 9:15 AM, Brook, Ansel T <ansel_at_[hidden]> wrote:") == ("Brook, Ansel T", None)
    assert attributed("On Mon, Apr 8, 2019, Ansel Brook wrote:") == ("Ansel Brook", None)


def test_a_proton_mail_original_message_line_over_a_quoted_reply(tmp_path: Path) -> None:
    """Proton Mail writes its "Original Message" line over an attribution and a quote: the quote is the named writer's."""
    path = tmp_path / "reply.eml"
    path.write_text(
        "From: Tove Lind <tove@example.org>\nDate: Tue, 9 Apr 2019 10:00:00 +0000\nSubject: Re: Kiln schedule\n"
        "Message-ID: <k2@example.org>\n\nThe kiln is free on Thursday, so let us fire then.\n\nTove\n\n"
        "------- Original Message -------\nOn Monday, April 8th, 2019 at 18:02, Ivo Marsh <ivo@example.org> wrote:\n\n"
        "> Can we move the firing to later in the week?\n>\n> Sent with [Proton Mail](https://proton.me/) secure email.\n>\n"
        "> ------- Original Message -------\n> On Monday, April 8th, 2019 at 09:12, Tove Lind <tove@example.org> wrote:\n>\n"
        ">> The glaze batch arrives on Wednesday morning.\n",
        encoding="utf-8",
    )
    (document,) = read_file(path, "mail/reply.eml")
    assert _sections(document) == [
        ("Tove Lind", "1", False, "The kiln is free on Thursday, so let us fire then.\nTove"),
        ("Ivo Marsh", "1", True, "Can we move the firing to later in the week?"),
        ("Tove Lind", "1", True, "The glaze batch arrives on Wednesday morning."),
    ]


# ---------------------------------------------------------------- round 8d: Outlook for Mac, GroupWise, The Bat!, "От кого"


def test_a_russian_gmail_forward_names_its_writer_in_the_from_whom_field(tmp_path: Path) -> None:
    """Gmail and Mail.ru in Russian head a forwarded mail's fields with "От кого:" ("from whom")."""
    body = (
        "Пересылаю.\n\n---------- Пересылаемое сообщение ----------\nОт кого: Omar Vale <omar@example.org>\n"
        "Дата: 4 марта 2024 г., 18:10\nТема: Этикетки\nКому: Rhea Lind <rhea@example.org>\n\n\nЭтикетки принесу я.\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Пересылаю.", Quote("Этикетки принесу я.", "Omar Vale", None))


def test_outlook_for_mac_indented_history_and_delegated_sender(tmp_path: Path) -> None:
    """Outlook for Mac: a byte order mark before the attribution, "X au nom de Y" in guillemets, the history set in by
    four spaces with its own `>` quote inside; each level goes to its writer."""
    body = (
        "The same happens here with the French layout.\n\nOlivier\n\n"
        "\ufeffLe 04/03/2024 18:10, « Seeds-list au nom de Omar Vale » <seeds-bounces@example.org au nom de omar@example.org> "
        "a écrit :\n\n    Adding the people who wrote the keymap code.\n    \n    On 3/4/24 5:00 PM, Ivo Marsh wrote:\n"
        "    > The AltGr keys do nothing in the viewer.\n    > \n    > Any idea?\n    \n\n"
        "_______________________________________________\nSeeds mailing list\nhttps://example.org/listinfo/seeds\n"
    )
    assert _reply_blocks(tmp_path, body) == (
        "The same happens here with the French layout.\nOlivier",
        Quote("Adding the people who wrote the keymap code.", "Omar Vale", None),
        Quote("The AltGr keys do nothing in the viewer.\nAny idea?", "Ivo Marsh", None),
    )
    assert attributed('On 3/4/24, 6:10 PM, "Seeds on behalf of Omar Vale" <seeds@example.org on behalf of omar@example.org> wrote:') == (
        "Omar Vale",
        "omar@example.org",
    )


def test_groupwise_attribution_behind_three_marks_heads_a_one_level_quote(tmp_path: Path) -> None:
    """GroupWise writes ">>> On 04.03.24 at 18:10, <omar@example.org> wrote:" (older: '>>> "Omar Vale" <…> 04.03.24 18:10 >>>')."""
    new = ">>> On 04.03.24 at 18:10, <omar@example.org> wrote:\n> Labels go on the left.\n\nAgreed.\n"
    assert _reply_blocks(tmp_path, new) == (Quote("Labels go on the left.", "omar", None), "Agreed.")
    old = '>>> "Omar Vale" <omar@example.org> 04.03.24 18:10 >>>\n> Labels go on the left.\n\nAgreed.\n'
    assert _reply_blocks(tmp_path, old) == (Quote("Labels go on the left.", "Omar Vale", None), "Agreed.")


def test_the_bats_initials_quote_marks_are_a_quote(tmp_path: Path) -> None:
    """The Bat! and Supercite mark quoted lines with the writer's initials ("OV> …"); a lone prompt line stays the writer's."""
    body = "Hello, Omar.\n\nOV> Sow the beans after the last frost.\nOV> Not before.\n\nThanks, will do.\n"
    assert _reply_blocks(tmp_path, body) == (
        "Hello, Omar.",
        Quote("Sow the beans after the last frost.\nNot before.", None, None),
        "Thanks, will do.",
    )
    prompt = "Run this:\n\nPS> Get-Seeds\n\nand tell me what it prints.\n"
    assert all(isinstance(block, str) for block in _reply_blocks(tmp_path, prompt))


def test_address_wrote_on_the_mails_date_credits_the_recipient_by_name(tmp_path: Path) -> None:
    """Claws Mail users write "omar@example.org wrote on Mon, 4 Mar 2024 18:10:05 +0000:"; the To header names him."""
    path = tmp_path / "reply.eml"
    path.write_text(
        "From: Rhea Lind <rhea@example.org>\nTo: Omar Vale <omar@example.org>\nSubject: Re: Seed swap\n"
        "Date: Tue, 5 Mar 2024 09:00:00 +0000\nMessage-ID: <r1@example.org>\nContent-Type: text/plain; charset=utf-8\n\n"
        "Hi Omar,\n\nomar@example.org wrote on Mon, 4 Mar 2024 18:10:05 +0000:\n\n> Labels go on the left.\n\nAgreed.\n",
        encoding="utf-8",
    )
    (thread,) = mbox.read(path, print)
    assert tuple(thread.posts[0].blocks) == ("Hi Omar,", Quote("Labels go on the left.", "Omar Vale", None), "Agreed.")
    assert attributed("Omar Vale wrote on Mon, Mar 4, 2024 at 6:10 PM:") == ("Omar Vale", None)
    assert split_attribution(["I wrote on Monday:"]) == (["I wrote on Monday:"], None)  # prose, no date: the writer's


def test_a_flowed_attribution_does_not_widen_the_quotes_wrap(tmp_path: Path) -> None:
    """format=flowed joins a long attribution into one line; the quoted writer's hard-wrapped lines still join up."""
    body = (
        "Am 2024-03-05 08:00, schrieb Omar Vale:\n"
        "> On Mon, Mar 4, 2024 at 6:10 PM Ivo Marsh with a rather long name \n"
        "> <ivo@example.org> wrote:\n"
        ">> Labels go on the left.\n"
        "> \n"
        "> I planted the early beans along the fence as you suggested, next to\n"
        "> the old shed.\n"
        "> The peas went in last week and they came up well. Thanks for that.\n\n"
        "Good to hear.\n"
    )
    blocks = _reply_blocks(tmp_path, body, "text/plain; format=flowed")
    assert blocks[1] == Quote(
        "I planted the early beans along the fence as you suggested, next to the old shed.\n"
        "The peas went in last week and they came up well. Thanks for that.",
        "Omar Vale",
        None,
    )


def test_a_thunderbird_forward_of_an_html_mail_keeps_the_answer_below_the_indented_quote(tmp_path: Path) -> None:
    """Thunderbird shows a forwarded HTML mail's quote as an indented block, its `>` lines a space deeper.

    The forwarded writer answers below the block, at the margin: those lines are theirs, not the quoted writer's,
    and never the forwarder's own. The block's `>` lines are a quote a level deeper.
    """
    body = (
        "Here is what Minji sent me.\n\n"
        "-------- Forwarded Message --------\n"
        "Subject: \tRe: Seed swap\n"
        "Date: \tMon, 4 Mar 2024 10:20:00 +0900\n"
        "From: \tMinji Park <minji@example.org>\n"
        "To: \tRhea Lind <rhea@example.org>\n\n\n"
        "Hi Rhea,\n\n"
        "2024년 3월 4일 (월) 오전 1:20, Rhea Lind <rhea@example.org <mailto:rhea@example.org>>님이 작성:\n\n"
        "     On 3/3/24 9:00 AM, Omar Vale wrote:\n"
        "      > Labels go on the left.\n\n"
        "     Can you bring the beans?\n\n\n"
        "I will bring them on Saturday.\n"
    )
    assert _reply_blocks(tmp_path, body) == (
        "Here is what Minji sent me.",
        Quote("Hi Rhea,", "Minji Park", None),
        Quote("Labels go on the left.", "Omar Vale", None),
        Quote("Can you bring the beans?", "Rhea Lind", None),
        Quote("I will bring them on Saturday.", "Minji Park", None),
    )


def test_clear_signed_pgp_armour_is_dropped_and_dash_escaping_undone(tmp_path: Path) -> None:
    """The armour, the Hash header and the signature are the signing program's; lines starting "-" were escaped "- -"."""
    body = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        "The seed swap moves to the barn.\n\n"
        "- - bring labels\n- - bring paper bags\n\n"
        "- -- \nRhea\n"
        "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEEabcdefghijklmnopqrstuvwxyz0123456789\n=AbCd\n"
        "-----END PGP SIGNATURE-----\n"
    )
    assert _reply_blocks(tmp_path, body) == ("The seed swap moves to the barn.\n- bring labels\n- bring paper bags",)


def test_a_quoted_clear_signed_mail_loses_its_armour_and_a_cut_signature_keeps_the_text(tmp_path: Path) -> None:
    body = (
        "On Mon, 4 Mar 2024 at 10:20, Omar Vale <omar@example.org> wrote:\n"
        "> -----BEGIN PGP SIGNED MESSAGE-----\n> Hash: SHA1\n>\n> Labels go on the left.\n"
        "> -----BEGIN PGP SIGNATURE-----\n> iD8DBQFabcdefghijklmnop\n> -----END PGP SIGNATURE-----\n\n"
        "Noted.\n\n-----BEGIN PGP SIGNATURE-----\nThis line is no signature: no END line follows.\n"
    )
    assert _reply_blocks(tmp_path, body) == (
        Quote("Labels go on the left.", "Omar Vale", None),
        "Noted.\n-----BEGIN PGP SIGNATURE-----\nThis line is no signature: no END line follows.",
    )


def test_a_header_block_right_over_a_quote_attributes_it_and_the_answer_below_is_kept(tmp_path: Path) -> None:
    """ "From: X" / "Date: …" straight over X's `>` lines names the quote's writer; the quoting writer answers below it.

    Read as the head of an unquoted history, the block swallowed the quote and the answer up to the next blank line.
    """
    body = (
        "On 2024.03.05 Omar Vale wrote:\n"
        ">From: Rhea Lind <rhea@example.org>\n"
        ">Date: Mon, Mar 04, 2024 at 10:20:00AM +0100\n"
        ">> Who brings the seed labels on Saturday?\n"
        ">>\n"
        ">I will, and the paper bags too.\n"
        ">\n\n"
        "Then I bring the tables.\n"
    )
    assert _reply_blocks(tmp_path, body) == (
        Quote("Who brings the seed labels on Saturday?", "Rhea Lind", None),
        Quote("I will, and the paper bags too.", "Omar Vale", None),
        "Then I bring the tables.",
    )


def test_an_outlook_header_block_over_a_blank_line_still_opens_an_unquoted_history(tmp_path: Path) -> None:
    # Guard: the header block of a history set off by a blank line is read as before.
    body = (
        "Fine by me.\n\nFrom: Rhea Lind <rhea@example.org>\nSent: Monday, March 4, 2024 10:20 AM\nSubject: Seed labels\n\n"
        "Who brings the seed labels?\n"
    )
    assert _reply_blocks(tmp_path, body) == ("Fine by me.", Quote("Who brings the seed labels?", "Rhea Lind", None))


def test_an_mbox_escaped_from_line_that_opens_a_quote_is_the_writers_own(tmp_path: Path) -> None:
    """A mail saved whole out of an mbox keeps ">From [1]:"; over a quote at its depth, it is the writer's line introducing it."""
    body = "Please assign an id to this issue.\n\n>From [1]:\n> A crafted label can run code in the printer.\n\nThanks\n"
    assert _reply_blocks(tmp_path, body) == (
        "Please assign an id to this issue.\nFrom [1]:",
        Quote("A crafted label can run code in the printer.", None, None),
        "Thanks",
    )


def test_an_rfc_1153_digest_without_message_numbers_is_read_as_its_mails(tmp_path: Path) -> None:
    """RFC 1153's plain digest (LISTSERV, majordomo): parts under lines of dashes, each a header block and a body."""
    path = tmp_path / "digest.mbox"
    path.write_text(
        "From digest@example.org  Tue Mar  5 10:00:00 2024\nFrom: Loom-L Digest <digest@example.org>\n"
        "Subject: LOOM-L Digest V3 #41\nMessage-ID: <v3-41@example.org>\n\n"
        "LOOM-L Digest             Tuesday, 5 March 2024        Volume 3 : Issue 41\n\nToday's Topics:\n    Heddle count\n\n"
        + "-"
        * 70
        + "\n\nDate: Mon, 4 Mar 2024 08:00:00 +0000\nFrom: Rosa Leal <rosa@example.org>\nSubject: Heddle count\n\n"
        "How many heddles does a 40 cm reed need?\n\n"
        + "-"
        * 30
        + "\n\nDate: Mon, 4 Mar 2024 09:00:00 +0000\nFrom: Tom Hale <tom@example.org>\nSubject: Re: Heddle count\n\n"
        "About three hundred for a fine sett.\n\n" + "-" * 30 + "\n\nEnd of LOOM-L Digest V3 #41\n****************************\n",
        encoding="utf-8",
    )
    (document,) = read_file(path, "digest.mbox")
    assert _sections(document) == [
        ("Rosa Leal", "1", False, "How many heddles does a 40 cm reed need?"),
        ("Tom Hale", "2", False, "About three hundred for a fine sett."),
    ]


def test_an_mbox_escaped_from_line_that_runs_on_into_own_text_is_the_writers_own(tmp_path: Path) -> None:
    body = (
        "> Is the old scheduler worth keeping?\n\n"
        "Perhaps not.\n\n"
        ">From where I stand, the new one is fairly important for getting\n"
        "the looms to start on time.\n"
    )
    assert _reply_blocks(tmp_path, body) == (
        Quote("Is the old scheduler worth keeping?", None, None),
        "Perhaps not.\nFrom where I stand, the new one is fairly important for getting the looms to start on time.",
    )


def test_a_quoted_patch_keeps_one_line_per_statement(tmp_path: Path) -> None:
    """Lines of a patch are never joined as if wrapped: a "+" line opens a line, and a statement ends one."""
    body = (
        "> > +    Loom *loom = loom_open(path);\n"
        "> > +    Error *err = NULL;\n"
        '> > +    loom_set_name(loom, "shed"); loom_start(loom, &err); loom_wait(loom);\n'
        ">\n> Keep the loom open instead of opening it again.\n\n"
        "Agreed, I will keep it open.\n"
    )
    blocks = _reply_blocks(tmp_path, body)
    assert blocks[0] == Quote(
        "+    Loom *loom = loom_open(path);\n+    Error *err = NULL;\n"
        '+    loom_set_name(loom, "shed"); loom_start(loom, &err); loom_wait(loom);',
        None,
        None,
    )


def test_a_reply_saved_alone_credits_its_unattributed_quote_to_its_addressee(tmp_path: Path) -> None:
    """The parent is not in the file and no line names the quoted writer: the reply's one To: recipient wrote it."""
    path = tmp_path / "reply.eml"
    head = (
        "From: Rhea Lind <rhea@example.org>\nSubject: Re: Seed swap\nDate: Tue, 5 Mar 2024 09:00:00 +0000\n"
        "Message-ID: <r1@example.org>\nIn-Reply-To: <o1@example.org>\nList-Post: <mailto:seeds@lists.example.org>\n"
    )
    body = "\n> Who brings the labels?\n\nI will.\n"
    path.write_text(head + "To: =?utf-8?q?Omar_V=C3=A1le?= <omar@example.org>\nCc: seeds@lists.example.org\n" + body, encoding="utf-8")
    (thread,) = mbox.read(path, print)
    assert thread.posts[0].blocks == (Quote("Who brings the labels?", "Omar Vále", None), "I will.")
    # Guards: addressed to the list, or to two people, the quote's writer is not known.
    for to in ("To: seeds@lists.example.org\n", "To: omar@example.org, ada@example.org\n"):
        path.write_text(head + to + body, encoding="utf-8")
        (thread,) = mbox.read(path, print)
        assert thread.posts[0].blocks == (Quote("Who brings the labels?", None, None), "I will.")


def test_a_quote_cut_by_a_rewrapped_line_stays_with_the_writer_its_header_block_names(tmp_path: Path) -> None:
    """Outlook quotes the sender's own earlier mail under its header block; a line its re-wrapping left unmarked cuts the
    quote in two, and the second part is still the earlier mail's, not the addressee's."""
    path = tmp_path / "followup.eml"
    path.write_text(
        "From: Rhea Lind <rhea@example.org>\nTo: <omar@example.org>\nSubject: RE: [PATCH] loom: slow the shuttle\n"
        "Date: Tue, 5 Mar 2024 09:00:00 +0000\nMessage-ID: <r2@example.org>\nIn-Reply-To: <r1@example.org>\n\n"
        "Please ignore this one, a second version follows.\n\n"
        "> -----Original Message-----\n> From: Rhea Lind <rhea@example.org>\n> Sent: Monday, March 4, 2024 5:16 PM\n"
        "> To: omar@example.org\n> Subject: [PATCH] loom: slow the shuttle on\nnarrow\n> warps\n>\n"
        "> The shuttle now waits a beat on warps under twenty threads.\n",
        encoding="utf-8",
    )
    (thread,) = mbox.read(path, print)
    quotes = [block for block in thread.posts[0].blocks if isinstance(block, Quote)]
    assert quotes and {quote.author for quote in quotes} == {"Rhea Lind"}
