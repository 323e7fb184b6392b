"""Saved phpBB, XenForo and vBulletin thread pages: posts, authors, dates, quotes, boilerplate, broken markup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, head_of, read_one
from forumqa.documents import Document, Section, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, forum_html
from forumqa.formats.forum_html import body, phpbb, phpbb_print, ubb, vbulletin, vbulletin2, vbulletin_archive, xenforo, xenforo1
from forumqa.formats.forum_html.body import blocks
from forumqa.formats.forum_html.markup import name_of
from forumqa.formats.forum_html.page import iso_date
from forumqa.loading import SNIFF_BYTES, load_documents, read_file
from forumqa.threads import Quote, Thread, clean_block

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "forums" / "corpus"
FORUM_PAGES = (
    "phpbb_prosilver.html",
    "phpbb_subsilver2_cp1252.html",
    "xenforo1.html",
    "xenforo2.html",
    "vbulletin3.html",
    "vbulletin4.html",
    "vbulletin5.html",
    "malformed.html",
    "phpbb33_dutch.html",
    "vbulletin3_german_latin1.html",
    "vbulletin3_php_code.html",
    "vbulletin_archive.html",
    "phpbb_print.html",
    "phpbb30_prosilver_plain.html",
    "vbulletin3_iso_dates.html",
    "vbulletin3_div_postbit.html",
    "vbulletin2_thread.html",
    "ubb6_topic.html",
    "ubb5_static_topic.html",
)
BOILERPLATE = (
    "Posts:",
    "Joined:",
    "Join Date",
    "Last edited",
    "Board index",
    "Powered by",
    "Select all",
    "Back to top",
    "Reply With Quote",
)


def _thread(path: Path) -> Thread:
    return next(forum_html.read(path, lambda message: None))


def _slice(document: Document, section: Section) -> str:
    return document.text[section.start : section.end]


def _own(document: Document, author: str) -> list[str]:
    """The text credited to `author` as their own words (not what they quote)."""
    return [_slice(document, s) for s in document.sections if s.author == author and not s.quoted]


def _assert_no_boilerplate(document: Document, *extra: str) -> None:
    for phrase in (*BOILERPLATE, *extra):
        assert phrase not in document.text, phrase


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize("name", FORUM_PAGES)
def test_every_engine_is_recognised_and_no_earlier_format_claims_it(name: str) -> None:
    path = FIXTURES / name
    assert forum_html.sniff(path, head_of(path))
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is forum_html.FORMAT


def test_an_ordinary_article_falls_through_to_the_page_reader() -> None:
    path = FIXTURES / "article.html"
    assert not forum_html.sniff(path, head_of(path))
    document, _ = read_one(path)
    assert document.title == "Ten years of keeping bees on a city roof"
    assert "lime trees along the canal" in document.text
    with pytest.raises(UnreadableDocument, match="no phpBB, XenForo or vBulletin posts"):
        _thread(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("thread.json", '{"title": "x", "posts": [{"author": "a", "text": "<div class=\\"postbody\\">hi</div>"}]}'),
        ("list.mbox", 'From a@b Mon Jan  3 10:00:00 2022\nSubject: postbody\n\n<div id="p1" class="post">quoted html</div>\n'),
        ("notes.md", '# Scraping phpBB\n\nPosts sit in `<div id="p12" class="post">` with a `div.postbody`.\n'),
        ("notes.txt", "post_message_12 and js-post-5 are vBulletin and XenForo ids.\n"),
    ],
)
def test_other_files_mentioning_forum_markup_are_not_claimed(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert not forum_html.sniff(path, head_of(path))


def test_a_page_whose_first_post_lies_past_the_sniffed_head_is_still_recognised(tmp_path: Path) -> None:
    page = (FIXTURES / "xenforo2.html").read_text(encoding="utf-8")
    padding = "<script>var pad = '" + "x" * (SNIFF_BYTES + 1000) + "';</script>"
    path = tmp_path / "late.html"
    path.write_text(page.replace("</head>", padding + "</head>", 1), encoding="utf-8")
    assert forum_html.sniff(path, head_of(path))
    document, _ = read_one(path)
    assert next(s.post for s in document.sections if not s.quoted) == "5001"


# ---------------------------------------------------------------- phpBB


def test_phpbb_posts_authors_dates_and_links() -> None:
    path = FIXTURES / "phpbb_prosilver.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert document.doc_id == "phpbb_prosilver"
    assert document.title == "Starter smells like nail varnish"
    assert [(p.post, p.author) for p in thread.posts] == [
        ("101", "Marta"),
        ("102", "breadhead"),
        ("105", "Øyvind"),
        ("107", "Marta"),
        ("109", "breadhead"),
    ]
    first = thread.posts[0]
    assert first.date == "2021-03-03T09:15+01:00"  # the footer says "All times are UTC+01:00"
    assert first.url == "https://bakers.example.org/forum/viewtopic.php?t=4242#p101"  # from HTTrack's "Mirrored from"
    assert document.date == "2021-03-03T09:15+01:00"
    assert [p.reply_to for p in thread.posts] == [None, None, "101", "105", None]
    assert warnings == ["partly read (phpBB/XenForo/vBulletin page): post 5 (id 108): no message body found; left out"]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Bake often", "Viewed 41 times", "crumb.jpg", "Proofing novice", "hidden by a moderator")


def test_phpbb_quotes_are_never_the_repliers_words() -> None:
    document, _ = read_one(FIXTURES / "phpbb_prosilver.html")
    oyvind, marta = " ".join(_own(document, "Øyvind")), " ".join(_own(document, "Marta"))
    assert "Hungry, almost certainly." in oyvind
    assert "spoiled, or just hungry" not in oyvind  # Marta's words, quoted by Øyvind
    assert "pear drops" not in oyvind  # oldbaker's words
    # nested: Marta quotes Øyvind, who quoted breadhead; each level is its own quote, none is Marta's
    assert "Hungry, almost certainly." not in marta and "solvent note" not in marta
    assert "> Øyvind wrote:\n> Hungry, almost certainly." in document.text
    assert "> breadhead wrote:\n> That solvent note" in document.text
    assert "wrote: ↑" not in document.text and "03 Mar 2021 09:15" not in document.text  # the cite line is no text


def test_phpbb_quote_of_a_post_not_on_the_page_is_citable_as_its_author() -> None:
    document, _ = read_one(FIXTURES / "phpbb_prosilver.html")
    quoted = [s for s in document.sections if s.quoted]
    by_oldbaker = [s for s in quoted if s.author == "oldbaker"]
    assert [_slice(document, s) for s in by_oldbaker] == [
        "A starter that smells of pear drops is asking for a bigger meal, not for the bin.",
        "Warm it to the high twenties for a day and it recovers.",
    ]
    assert {s.post for s in by_oldbaker} == {"77"}
    # quotes of posts on the page are shown but not indexed again; an unattributed blockquote is outside
    # material the poster brings in: citable, marked quoted, never part of the poster's own words
    others = [(s.author, s.post, _slice(document, s)) for s in quoted if s.author != "oldbaker"]
    assert others == [("breadhead", "109", "Rye ferments faster than wheat, so a rye levain needs feeding more often in summer.")]
    assert "Rye ferments" not in " ".join(_own(document, "breadhead"))


def test_phpbb_code_box_is_its_own_block() -> None:
    path = FIXTURES / "phpbb_prosilver.html"
    post = _thread(path).posts[1]
    assert (
        post.blocks[1] == "08:00  discard all but 20 g, add 40 g rye + 40 g water\n20:00  discard all but 20 g, add 40 g rye + 40 g water"
    )
    assert post.blocks[2] == "After three days of this it should double within six hours."
    document, _ = read_one(path)
    assert "\n08:00  discard all but 20 g, add 40 g rye + 40 g water\n20:00  discard" in document.text  # spacing kept


def test_older_phpbb_table_layout_in_windows_1252() -> None:
    path = FIXTURES / "phpbb_subsilver2_cp1252.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Réglage du ralenti après l'hiver"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("2201", "Hélène", "2019-03-16T15:37+01:00"),
        ("2204", "jean-luc", "2019-03-17T10:05+01:00"),
    ]
    assert thread.posts[0].url == "#p2201"  # no canonical link and no mirror comment
    assert "the new plugs cost me 30 €." in " ".join(_own(document, "Hélène"))
    assert thread.posts[1].blocks[0] == Quote("The mixture screws are where I left them in October", "Hélène", None)
    assert "left them in October" not in " ".join(_own(document, "jean-luc"))
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Ride safe", "Post subject")


def test_phpbb30_prosilver_avatar_link_and_unclassed_topic_heading() -> None:
    """phpBB 3.0's prosilver marks no username class and heads the topic with a bare h2: the author is the profile's
    first link with a name (the avatar's has none), the title that h2, not the first post's "Re:" subject."""
    path = FIXTURES / "phpbb30_prosilver_plain.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Slugs under the cold frame"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("9101", "Tamsin", "2019-04-09T07:12"),
        ("9104", "old_dibber", "2019-04-09T08:30"),
    ]
    assert _own(document, "Tamsin") == ["A board laid on the path overnight collects them; lift it at dawn and move them to the far hedge."]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "grows too many courgettes", "Seedling", "Re: Slugs")


def test_phpbb33_translated_board_credits_quotes_to_the_quoted_member() -> None:
    """A Dutch board writes "Femke schreef:" in the cite; the verb is no part of the name."""
    path = FIXTURES / "phpbb33_dutch.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("9001", "Femke", "2022-04-02T08:15+00:00", None),
        ("9004", "gast_wim", "2022-04-02T09:01+00:00", "9001"),
    ]
    assert thread.posts[1].blocks[0] == Quote("Mijn ketting kraakt bij elke trap.", "Femke", "9001")
    assert thread.posts[1].blocks[2] == Quote("Een droge ketting piept altijd.", "Sanne", None)
    assert "droge ketting" not in " ".join(_own(document, "gast_wim"))
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "schreef", "keer bekeken", "Laatst gewijzigd", "Groet, Wim", "Selecteer alles", "Bericht")


# ---------------------------------------------------------------- XenForo


def test_xenforo_posts_quotes_and_code() -> None:
    path = FIXTURES / "xenforo2.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Garage door opener keeps reversing"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("5001", "Kenji", "2023-05-06T18:20+00:00", None),
        ("5002", "Lorraine", "2023-05-06T19:02:31+00:00", "5001"),
        ("5007", "Kenji", "2023-05-07T08:45+00:00", "4990"),
    ]
    assert thread.posts[1].url == "https://fixers.example.net/threads/garage-door-opener-keeps-reversing.981/#post-5002"
    lorraine = " ".join(_own(document, "Lorraine"))
    assert "blinks instead of staying on" not in lorraine
    # inline code stays in its sentence; the code box is a block of its own
    assert "You can read the state with opener-cli status if yours has the wifi module." in lorraine
    assert "$ opener-cli status\nsafety_eye: BLOCKED\ntravel_limit_down: 212 cm" in thread.posts[1].blocks
    hank = [s for s in document.sections if s.author == "HandyHank"]
    assert [(_slice(document, s), s.post, s.quoted) for s in hank] == [
        ("Spiders love the warm housing of a safety eye, so check for webs across the lens every autumn.", "4990", True)
    ]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Click to expand", "said:", "Measure twice", "Kenji and 3 others", "Messages", "sensor.jpg", "Code:")


def _xenforo2_variant(tmp_path: Path, **replace: str) -> Path:
    """The XenForo 2 fixture with snippets of 2.2/2.3 markup put in: each key is a string of the page, each value its replacement."""
    page = (FIXTURES / "xenforo2.html").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in page, old
        page = page.replace(old, new)
    path = tmp_path / "xenforo22.html"
    path.write_text(page, encoding="utf-8")
    return path


_XF22_UNFURL = """<div class="bbCodeBlock bbCodeBlock--unfurl js-unfurl fauxBlockLink" data-unfurl="true" data-result-id="31"
  data-url="https://doors.example.com/safety-eyes" data-host="doors.example.com" data-pending="false">
 <div class="contentRow">
  <div class="contentRow-figure contentRow-figure--fixedSmall js-unfurl-figure">
   <img src="https://doors.example.com/eye.png" alt="doors.example.com" />
  </div>
  <div class="contentRow-main">
   <h3 class="contentRow-header js-unfurl-title">
    <a href="https://doors.example.com/safety-eyes" class="link link--external fauxBlockLink-blockLink"
     rel="nofollow ugc noopener">Aligning photo eyes on a sectional door</a>
   </h3>
   <div class="contentRow-snippet js-unfurl-desc">A vendor blurb about brackets and lenses.</div>
   <div class="contentRow-minor contentRow-minor--hideLinks"><span class="js-unfurl-favicon"></span> doors.example.com</div>
  </div>
 </div>
</div>"""
_XF22_SPOILER = """<div class="bbCodeSpoiler">
 <button type="button" class="bbCodeSpoiler-button button--longText button" data-xf-click="toggle" title="Click to reveal or hide spoiler">
  <span class="button-text"><span>Spoiler: <span class="bbCodeSpoiler-button-title">what it was</span></span></span>
 </button>
 <div class="bbCodeSpoiler-content"><div class="bbCodeBlock bbCodeBlock--spoiler">
  <div class="bbCodeBlock-content">A mud dauber nest sat behind the lens.</div>
 </div></div>
</div>Also an <span class="bbCodeInlineSpoiler" data-xf-click="toggle-class">embarrassing</span> amount of dust."""
_XF22_REACTIONS = """<footer class="message-footer">
 <div class="reactionsBar js-reactionsList is-active">
  <ul class="reactionSummary">
   <li><span class="reaction reaction--small reaction--1">
    <img src="data:," class="reaction-sprite js-reaction" alt="Like" title="Like" />
   </span></li>
   <li><span class="reaction reaction--small reaction--2">
    <img src="data:," class="reaction-sprite js-reaction" alt="Love" title="Love" />
   </span></li>
  </ul>
  <span class="u-srOnly">Reactions:</span>
  <a class="reactionsBar-link" href="/posts/5007/reactions"><bdi>Lorraine</bdi>, <bdi>Otto</bdi> and 2 others</a>
 </div>
 <div class="message-lastEdit">Last edited: <time class="u-dt" datetime="2023-05-07T09:01:00+0000">May 7, 2023</time></div>
</footer>"""
_XF2_LAST_POST_END = "</div>\n\t\t</div>\n\t</div>\n</article>\n\n\t</div>"


def test_xenforo22_unfurl_spoiler_reactions_and_thread_starter_class(tmp_path: Path) -> None:
    """XenForo 2.2/2.3 additions: a link preview is the linked page's words, a spoiler the poster's; reactions and edits are chrome."""
    starter = 'class="message message--post js-post js-inlineModContainer" data-author="Kenji"'
    cleaned = "Cleaned it and the door closes all the way now. "
    path = _xenforo2_variant(
        tmp_path,
        **{
            cleaned: cleaned + _XF22_UNFURL + _XF22_SPOILER,
            starter: starter.replace("message--post", "message--post message-threadStarterPost"),
            _XF2_LAST_POST_END: "</div>" + _XF22_REACTIONS + _XF2_LAST_POST_END.removeprefix("</div>"),
        },
    )
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author) for p in thread.posts] == [("5001", "Kenji"), ("5002", "Lorraine"), ("5007", "Kenji")]
    assert thread.posts[2].blocks[2] == (
        "There was a web across the right-hand eye. Cleaned it and the door closes all the way now.\n"
        "A mud dauber nest sat behind the lens.\nAlso an embarrassing amount of dust."
    )
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Spoiler", "what it was", "Aligning photo eyes", "vendor blurb", "doors.example.com")
    _assert_no_boilerplate(document, "Like", "Love", "Otto", "Reactions")


_RAW_QUOTE_PAGE = """<html><head><title>Allotments</title></head><body>
<article class="message message--post js-post" data-author="Rosa" id="js-post-71">
<header class="message-attribution"><div class="postUserName">Rosa</div>
<div class="message-attribution-main"><time datetime="2012-04-02T10:00:00+0300">2.4.2012</time></div></header>
<div class="message-userContent"><article class="message-body"><div class="bbWrapper">
[QUOTE="Bram";64]Sow the beans after the last frost,<br>
not a week before.[/QUOTE]<br>
<br>
Noted, I lost a whole row last spring.
</div></article></div></article>
<article class="message message--post js-post" data-author="Bram" id="js-post-75">
<div class="message-userContent"><article class="message-body"><div class="bbWrapper">
To quote a post, type [quote] before the words and close it after them.</div></article></div></article>
</body></html>"""


def test_printed_bbcode_quote_tags_are_read_as_quotes(tmp_path: Path) -> None:
    """Posts imported from another engine keep their [QUOTE="name";id]…[/QUOTE] as text: those words are the quoted
    writer's, not the replier's. A lone "[quote]" in prose (no closing tag) stays the poster's words."""
    path = tmp_path / "imported.html"
    path.write_text(_RAW_QUOTE_PAGE, encoding="utf-8")
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert thread.posts[0].blocks == (
        Quote("Sow the beans after the last frost,\nnot a week before.", "Bram", "64"),
        "Noted, I lost a whole row last spring.",
    )
    assert thread.posts[0].reply_to == "64"
    assert thread.posts[1].blocks == ("To quote a post, type [quote] before the words and close it after them.",)
    assert _own(document, "Rosa") == ["Noted, I lost a whole row last spring."]
    assert "[QUOTE" not in document.text and "[/QUOTE]" not in document.text
    assert_sections_exact(document, thread)


@pytest.mark.parametrize(
    ("tag", "source"),
    [
        ('="Bram";64', ("Bram", "64")),
        ("=Bram Stoker;64", ("Bram Stoker", "64")),
        ('="Bram, post: 64, member: 9"', ("Bram", "64")),
        ("=Bram post_id=64 time=1333350000 user_id=9", ("Bram", "64")),
        (" author=Bram link=topic=12.msg64#msg64 date=1333350000", ("Bram", "64")),
        ("", (None, None)),
    ],
)
def test_printed_quote_tags_of_the_common_engines_name_writer_and_post(tag: str, source: tuple[str | None, str | None]) -> None:
    assert body._raw_source(tag) == source


# ---------------------------------------------------------------- XenForo 1


def test_xenforo1_posts_authors_dates_and_links() -> None:
    path = FIXTURES / "xenforo1.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Stove door glass keeps going black"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("7101", "Mirela", "2014-05-12T21:14+00:00", None),  # abbr data-time (epoch) wins over "Monday at 9:14 PM"
        ("7102", "stovepipe_sam", "2014-05-13T17:33", "7101"),  # span.DateTime title: the saving visitor's zone, unknown
        ("7105", "Aurelio", "2014-05-13T09:40+00:00", "6950"),  # not the "Last edited" time
        ("7109", "Mirela", "2014-05-14T06:02:40+00:00", "7105"),
        ("7112", "birch_and_ash", "2014-05-14T07:15", None),
    ]
    assert thread.posts[1].url == "https://hearth.example.org/community/threads/stove-door-glass-keeps-going-black.2417/#post-7102"
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(
        document,
        *("Click to expand", "said:", "↑", "Code:", "Warm hands", "hisses", "Joined:", "Messages:", "like this", "Report", "+ Quote"),
        *("Show Spoiler", "Hide Spoiler", "Monday at", "Yesterday at", "minutes ago", "Discussion in", "Page 1 of 2", "Forum software"),
    )


def test_xenforo1_quotes_are_credited_to_the_quoted_member() -> None:
    path = FIXTURES / "xenforo1.html"
    document, _ = read_one(path)
    posts = {p.post: p for p in _thread(path).posts}
    assert posts["7102"].blocks[0] == Quote("I burn split beech that has been stacked under cover since last spring.", "Mirela", "7101")
    assert "stacked under cover since last spring" not in " ".join(_own(document, "stovepipe_sam"))
    # a quote of a post not on the page is citable as its author's words, never as Aurelio's
    oldflue = [(s.post, s.quoted, _slice(document, s)) for s in document.sections if s.author == "OldFlue"]
    assert oldflue[0] == (
        "6950",
        True,
        "A glass that blackens evenly points at the fuel or the draught. "
        "A glass that blackens only in one bottom corner points at a worn door rope letting cold air in.",
    )
    assert "worn door rope" not in " ".join(_own(document, "Aurelio"))
    # nested: Mirela quotes Aurelio, who quoted OldFlue; each level is its own quote, none is Mirela's
    assert posts["7109"].blocks[:2] == (
        Quote("A glass that blackens only in one bottom corner points at a worn door rope letting cold air in.", "OldFlue", "6950"),
        Quote("A new rope kit cost me less than a bag of kindling.", "Aurelio", "7105"),
    )
    mirela = " ".join(_own(document, "Mirela"))
    assert "worn door rope" not in mirela and "rope kit" not in mirela
    # XenForo 1.0/1.1 style: no data-author, no link back, the text right in the aside's blockquote
    reload = "Also keep the air wash slider open for the first half hour after each reload."
    assert posts["7112"].blocks[0] == Quote(reload, "stovepipe_sam", None)
    # a spoiler add-on reuses the quote markup for the poster's own words
    assert "I once ran a whole winter with mine shut before I noticed." in " ".join(_own(document, "birch_and_ash"))
    assert not [s for s in document.sections if s.quoted and s.author in (None, "birch_and_ash")]


def test_xenforo1_code_box_is_its_own_block_without_its_label() -> None:
    post = _thread(FIXTURES / "xenforo1.html").posts[1]
    assert post.blocks[2] == "under 20%   burn it\n20% to 25%  mix with drier logs\nover 25%    stack it for another summer"
    assert post.blocks[3] == "Also keep the air wash slider open for the first half hour after each reload."


def test_xenforo1_theme_prefixed_post_ids(tmp_path: Path) -> None:
    """UI.X and similar themes write li#fc-post-<id>.sectionMain.message; the id is still the post's."""
    page = (FIXTURES / "xenforo1.html").read_text(encoding="utf-8").replace('<li id="post-', '<li id="fc-post-')
    path = tmp_path / "uix.html"
    path.write_text(page.replace('class="message   "', 'class="sectionMain message      "'), encoding="utf-8")
    assert [p.post for p in _thread(path).posts] == ["7101", "7102", "7105", "7109", "7112"]


@pytest.mark.parametrize("name", FORUM_PAGES)
def test_xenforo1_and_the_other_engines_claim_only_their_own_pages(name: str) -> None:
    soup = BeautifulSoup((FIXTURES / name).read_bytes(), "html.parser")
    engines = (phpbb.ENGINE, xenforo.ENGINE, vbulletin.ENGINE, vbulletin2.ENGINE, ubb.ENGINE, phpbb_print.ENGINE, vbulletin_archive.ENGINE)
    others = [engine.find(soup) for engine in engines]
    if name == "xenforo1.html":
        assert xenforo1.find(soup) and not any(others)
    else:
        assert not xenforo1.find(soup) and any(others)


# ---------------------------------------------------------------- vBulletin


def test_vbulletin4_posts_quotes_code_and_signatures() -> None:
    path = FIXTURES / "vbulletin4.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Jetting a carburettor for high altitude"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("9001", "Dolores", "2014-07-14T09:30-07:00", None),
        ("9003", "gearhead_ray", "2014-07-14T11:52-07:00", "9001"),
        ("9010", "visiting_rider", None, None),  # "Yesterday" is no date
    ]
    assert thread.posts[1].blocks[0] == Quote("Should I go down a size on the main jet, or two?", "Dolores", "9001")
    assert "main jet  : 125 -> 115\nneedle    : clip 3 -> clip 2" in document.text  # a code box keeps its alignment
    assert "main jet" not in " ".join(_own(document, "Dolores")[1:])
    manual = [s for s in document.sections if s.quoted]
    assert [(s.author, _slice(document, s)) for s in manual] == [("visiting_rider", "Lean engines run hot long before they stall.")]
    assert "Lean engines" not in " ".join(_own(document, "visiting_rider"))
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Originally Posted by", "Two wheels", "needs adjusting", "plug.jpg", "Code:", "Junior Member")


def test_vbulletin3_tables_and_a_mislabelled_charset() -> None:
    path = FIXTURES / "vbulletin3.html"  # says ISO-8859-1, is UTF-8: the bytes win
    document, _ = read_one(path)
    thread = _thread(path)
    assert document.title == "Pond pump hums but does not turn"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("501", "koi_keeper", "2011-04-02T18:10+01:00"),
        ("502", "Mr. Zoltán", "2011-04-03T07:45+01:00"),
    ]
    assert thread.posts[1].blocks[0] == Quote("The impeller looks clean from the outside.", "koi_keeper", "501")
    assert "1 part white vinegar\n3 parts warm water" in thread.posts[1].blocks
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Quote:", "Code:", "Fish first", "Originally Posted by")


def test_vbulletin3_translated_quotes_and_the_plain_postbit_date() -> None:
    """A German vB3 board in Latin-1: "Zitat:" / "Zitat von X" quotes, and the date beside the "#2" in one thead cell."""
    path = FIXTURES / "vbulletin3_german_latin1.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("711", "Gärtnerin", "2010-05-12T14:20", None),
        ("712", "Rohrfuchs", "2010-05-13T08:02", "711"),
    ]
    assert thread.posts[1].blocks == (
        Quote("Mein Schlauch reißt jedes Frühjahr an derselben Stelle.", "Gärtnerin", "711"),
        "Im Winter entleeren und aufrollen.",
        Quote("Frost ist der Feind.", None, None),
    )
    assert _own(document, "Rohrfuchs") == ["Im Winter entleeren und aufrollen."]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Zitat", "Gruß aus dem Schuppen", "Geändert von", "Registriert")


def test_vbulletin3_iso_dates_in_the_thead_cell() -> None:
    """A vB3 board set to ISO dates shows "2017-09-14, 21:05" beside the status icon; the footer gives the zone."""
    path = FIXTURES / "vbulletin3_iso_dates.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("88101", "Perpetua", "2017-09-14T21:05+01:00"),
        ("88107", "Lodestar", "2017-09-15T06:40+01:00"),
    ]
    assert thread.posts[0].blocks[0] == Quote("The railing wobbles whenever a tram goes past.", "Lodestar", "88077")
    assert _own(document, "Perpetua") == ["A short refractor on a photo tripod shrugs that off better than any reflector."]
    assert_sections_exact(document, thread)


def test_vbulletin3_div_postbit_date_in_the_header_rows_first_cell() -> None:
    """A style that lays the postbit out in divs ("trow thead" of "tcell"s) puts the date in the header's first cell and
    the "#1 (permalink)" in the next; the date is read with its ordinal day ("3rd Mar 2022, 09:14")."""
    path = FIXTURES / "vbulletin3_div_postbit.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("77101", "wingwalker", "2022-03-03T09:14"),
        ("77108", "Tailwheel Tess", "2022-03-21T17:52"),
    ]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "permalink", "Join Date", "is offline")


def test_vbulletin2_rows_authors_dates_and_quotes() -> None:
    """vBulletin 2: a row per post anchored by <a name="postN">, the date in the row under it, quotes as a blockquote
    with a "quote:" label, rules and an "Originally posted by <b>X</b>" line."""
    path = FIXTURES / "vbulletin2_thread.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert thread.title == "Allotment Talk - Slugs ate every lettuce overnight"
    assert [(p.post, p.author, p.date, p.url) for p in thread.posts] == [
        ("4410", "Marigold", "2003-05-12T07:42+00:00", "#post4410"),
        ("4416", "old_ted", "2003-05-12T09:03+00:00", "#post4416"),
        ("4420", "Marigold", "2003-05-13T18:20+00:00", "#post4420"),
    ]
    assert thread.posts[1].blocks == (
        Quote("Beer traps or copper tape?", "Marigold", None),
        "Both work, but nothing beats a torch and a bucket after dark.\nGo out around ten when they come up the path.",
    )
    # a [quote] with no name is outside material, never the poster's own words
    assert thread.posts[2].blocks[0] == Quote("Keep the beds clear of weeds so they have nowhere to hide.", None, None)
    assert _own(document, "Marigold")[-1] == "That line from the council leaflet helped too. Thanks!"
    assert_sections_exact(document, thread)
    # the quote label and attribution, the post title line, signature, edit note, report line and buttons are no text
    _assert_no_boilerplate(document, "Originally posted by", "blue shed", "Last edited", "Report this post", "Logged")
    assert not any(_slice(document, s).lower().startswith("quote") for s in document.sections)


def test_vbulletin2_anchor_without_a_link_to_the_post_is_no_post() -> None:
    """<a name="postN"> alone (a blog's, a CMS's) is not vBulletin 2's: its rows must link to postid=N."""
    html = (
        '<html><body><table><tr><td><a name="post12"></a><b>Editor</b></td><td><p>Welcome to the new site.</p></td></tr>'
        '<tr><td>01-02-2003 10:00 AM</td><td><a href="archive.php?id=12">Archive</a></td></tr></table></body></html>'
    )
    assert vbulletin2.find(BeautifulSoup(html, "html.parser")) == []


def test_ubb6_rows_authors_dates_quotes_and_no_signature() -> None:
    """UBB.classic 6: a row per post, named by the reply_num of its edit, quote and IP buttons; the date in the
    byline ("posted March 03, 2002 07:15 PM"); the signature under the dashes and the edit note are not text."""
    path = FIXTURES / "ubb6_topic.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert thread.title == "Harbour Sailing Forums : Reefing early or late?"
    topic = "http://boards.example.org/cgi-bin/sail/ultimatebb.cgi?ubb=get_topic&f=4&t=000512"
    assert [(p.post, p.author, p.date, p.url) for p in thread.posts] == [
        ("0", "Skipper Nell", "2002-03-03T19:15", topic),
        ("1", "old_halyard", "2002-03-04T08:02", topic),
    ]
    assert thread.posts[1].blocks == (
        Quote("Do you put the first reef in at the dock, or wait until it blows?", "Skipper Nell", None),
        "At the dock, always. Shaking a reef out is easy; tying one in on a bucking foredeck is not.",
    )
    last = thread.posts[0].blocks[-1]  # the signature under the dashes is cut off
    assert isinstance(last, str) and last.endswith("or wait until it blows?")
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "stubborn fibreglass", "----", "edited by", "Originally posted by", "Logged", "Member #")


def test_ubb5_static_page_message_after_the_rule_inside_the_wrapping_font() -> None:
    """UBB 5: the buttons carry ReplyNum (postings.cgi?action=editpost, ubbmisc.cgi?action=getip); the byline, the
    rule and the words share one <font>; the topic's address comes from the "email this page" button; "All times are
    ET (US)" is New York time, summer time included; the quote, signature, edit note and IP line are not the text."""
    path = FIXTURES / "ubb5_static_topic.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    topic = "http://camp.example.net/ubb/Forum2/HTML/000417.html"
    assert [(p.post, p.author, p.date, p.url) for p in thread.posts] == [
        ("0", "pinecone_pat", "2001-02-14T09:05-05:00", topic),
        ("1", "Marta K", "2001-07-02T18:40-04:00", topic),
    ]
    assert thread.posts[0].blocks == (
        "My white-gas stove flares and then dies after a minute.\nI pump it thirty times before lighting. Is that too few?",
    )
    assert thread.posts[1].blocks == (
        Quote("I pump it thirty times before lighting.", "pinecone_pat", None),
        "Thirty is plenty. Clean the jet with the needle tool; soot there starves the flame.",
    )
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "somewhere up a hill", "edited by", "Originally posted by", "Logged", "posted 0")


def test_ubb_needs_a_post_button_in_the_rows_last_cell() -> None:
    """A reply_num link alone, outside a two-cell row that names its poster, is no UBB post."""
    html = (
        '<html><body><p><a href="x.cgi?ubb=get_ip&f=1&t=2&reply_num=3">Logged</a></p>'
        '<table><tr><td><a href="x.cgi?ubb=reply&f=1&t=2&replyto=4">Quote</a></td><td>words</td></tr></table></body></html>'
    )
    assert ubb.find(BeautifulSoup(html, "html.parser")) == []


def test_vbulletin3_php_code_box_is_its_own_block_without_its_label() -> None:
    path = FIXTURES / "vbulletin3_php_code.html"
    document, _ = read_one(path)
    thread = _thread(path)
    assert thread.posts[0].blocks == ("Try this:", "$total = 0;\n$total++;", "It counts.")
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "PHP Code")


def test_vbulletin5_nodes() -> None:
    path = FIXTURES / "vbulletin5.html"
    thread = _thread(path)
    assert thread.title == "Which glue for a cracked ukulele bridge?"
    assert [(p.post, p.author, p.reply_to) for p in thread.posts] == [("3310", "Pilar", None), ("3312", "luthier_sam", "3310")]
    assert thread.posts[1].blocks == (
        Quote("Is hide glue worth the trouble, or will wood glue do?", "Pilar", "3310"),
        "Hide glue, every time: the next repairer can undo it with a little heat and steam.",
    )
    document, _ = read_one(path)
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "View Post")


# ---------------------------------------------------------------- bad input


def test_unclosed_tags_and_a_post_without_body_cost_only_that_post() -> None:
    path = FIXTURES / "malformed.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert document.title == "Soldering iron tip turns black"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("1", "Ines", "2020-10-12T19:00"),
        ("2", "Theo", "2020-10-12T20:30"),
        ("4", "Wren", "2020-10-13T09:45"),
    ]
    assert warnings == ["partly read (phpBB/XenForo/vBulletin page): post 3 (id 3): no message body found; left out"]
    assert "320 degrees" not in " ".join(_own(document, "Theo"))  # a later post swallowed by an unclosed div stays its own
    assert "brass wool" not in " ".join(_own(document, "Wren"))
    assert_sections_exact(document, thread)


def test_markup_nested_too_deep_skips_the_post_with_a_warning(tmp_path: Path) -> None:
    deep = "<b>" * 3000 + "lost" + "</b>" * 3000
    post = (
        '<div id="p{0}" class="post"><div class="postbody">'
        '<p class="author">by <a class="username">{1}</a></p><div class="content">{2}</div></div></div>'
    )
    path = tmp_path / "deep.html"
    path.write_text(f"<html><body>{post.format(1, 'Ann', 'Kept text.')}{post.format(2, 'Bo', deep)}</body></html>", encoding="utf-8")
    document, warnings = read_one(path)
    assert _own(document, "Ann") == ["Kept text."]
    assert warnings == ["partly read (phpBB/XenForo/vBulletin page): post 2 (id 2): markup nested too deeply to read; left out"]


def test_a_page_whose_posts_are_all_empty_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text('<html><body><div id="p1" class="post"><div class="postbody"><div class="content"> </div></div></div></body></html>')
    with pytest.raises(UnreadableDocument, match="no post that has text"):
        read_file(path, "empty.html")


def test_copies_of_one_page_under_two_names_keep_title_and_post_ids(tmp_path: Path) -> None:
    """A mirror saves the same page under several query strings; stable ids let a loader spot the repeat."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(FIXTURES / "phpbb_prosilver.html", folder / "viewtopic_a.html")
    shutil.copy(FIXTURES / "phpbb_prosilver.html", folder / "viewtopic_b.html")
    first, second = load_documents(folder).documents
    assert first.doc_id != second.doc_id
    assert first.title == second.title
    assert [(s.post, s.url) for s in first.sections] == [(s.post, s.url) for s in second.sections]


@pytest.mark.parametrize(
    ("shown", "iso"),
    [
        ("Sat Jul 21, 2018 3:37 pm", "2018-07-21T15:37"),
        ("21 Jul 2018 00:03", "2018-07-21T00:03"),
        ("01-15-2012, 03:45 PM", "2012-01-15T15:45"),
        ("15th January 2012, 03:45 PM", "2012-01-15T15:45"),
        ("2023-05-06T18:20:00+0000", "2023-05-06T18:20+00:00"),
        ("May 13, 2014 at 5:33 PM", "2014-05-13T17:33"),  # XenForo's DateTime title
        ("2016-02-01, 02:29", "2016-02-01T02:29"),  # vBulletin 3 set to ISO dates
        # SMF's language packs: their month names and the words between a date's parts
        ("14 de Marzo de 2021, 06:40:22 pm", "2021-03-14T18:40:22"),
        ("2. Februar 2020, 08:15:00", "2020-02-02T08:15"),
        ("7 août 2019 à 21:04:30", "2019-08-07T21:04:30"),
        ("3 de Maio de 2019, às 23:10", "2019-05-03T23:10"),
        ("11 listopada 2022, 13:45:00", "2022-11-11T13:45"),
        ("Hoy a las 08:43:50 pm", None),
        ("Today, 10:15", None),
        ("", None),
    ],
)
def test_board_date_formats(shown: str, iso: str | None) -> None:
    assert iso_date(shown, None) == iso


# ---------------------------------------------------------------- light pages: vBulletin archive, phpBB printer view

#: Which engine reads each fixture; the light forms (no post ids) never take a page from the others.
ENGINE_OF = {
    "phpbb_prosilver.html": "phpBB",
    "phpbb_subsilver2_cp1252.html": "phpBB",
    "phpbb33_dutch.html": "phpBB",
    "malformed.html": "phpBB",
    "xenforo1.html": "XenForo 1",
    "xenforo2.html": "XenForo",
    "vbulletin3.html": "vBulletin",
    "vbulletin4.html": "vBulletin",
    "vbulletin5.html": "vBulletin",
    "vbulletin3_german_latin1.html": "vBulletin",
    "vbulletin3_php_code.html": "vBulletin",
    "vbulletin_archive.html": "vBulletin archive",
    "phpbb_print.html": "phpBB print view",
    "phpbb30_prosilver_plain.html": "phpBB",
    "vbulletin3_iso_dates.html": "vBulletin",
    "vbulletin3_div_postbit.html": "vBulletin",
    "vbulletin2_thread.html": "vBulletin 2",
    "ubb6_topic.html": "UBB.classic",
    "ubb5_static_topic.html": "UBB.classic",
}


@pytest.mark.parametrize("name", FORUM_PAGES)
def test_each_page_is_read_by_its_own_engine_and_the_light_forms_claim_no_other(name: str) -> None:
    soup = BeautifulSoup((FIXTURES / name).read_bytes(), "html.parser")
    match = forum_html._find(soup)
    assert match is not None and match[0].name == ENGINE_OF[name]
    light = {"vBulletin archive": vbulletin_archive.ENGINE, "phpBB print view": phpbb_print.ENGINE}
    for engine_name, engine in light.items():
        assert bool(engine.find(BeautifulSoup((FIXTURES / name).read_bytes(), "html.parser"))) == (engine_name == ENGINE_OF[name])


def test_vbulletin_archive_posts_authors_dates_and_positions_as_ids() -> None:
    path = FIXTURES / "vbulletin_archive.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Pond pump hums but moves no water"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("1", "reedwarbler", "2011-06-02T07:10"),
        ("2", "Tamsin K", "2011-06-02T09:48"),
        ("3", "reedwarbler", "2011-06-03T18:30"),
        ("4", "Gus", "2011-06-04T11:05"),
    ]
    assert {p.url for p in thread.posts} == {"http://ponds.example.com/forum/showthread.php?t=3310"}  # the full thread it links to
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "View Full Version", "PDA", "Pumps and Filters", "Jelsoft", "Originally Posted by", "Quote:")


def test_vbulletin_archive_quotes_are_credited_to_the_quoted_member() -> None:
    path = FIXTURES / "vbulletin_archive.html"
    document, _ = read_one(path)
    thread = _thread(path)
    # "Quote:" + "Originally Posted by X" and a bare "Originally Posted by X": the lines up to the blank one
    assert thread.posts[1].blocks[0] == Quote("My submersible pump hums loudly but the waterfall has stopped.", "reedwarbler", None)
    assert thread.posts[2].blocks[0] == Quote("Pull the pump and rinse the cage in a bucket of pond water.", "Tamsin K", None)
    # a "Quote:" with no name is outside material: quoted, never the poster's own words
    assert thread.posts[2].blocks[2] == Quote("An old leaflet said to check the cage every fortnight in June.", None, None)
    tamsin, reed = " ".join(_own(document, "Tamsin K")), " ".join(_own(document, "reedwarbler"))
    assert "waterfall has stopped" not in tamsin and "blanket weed" in tamsin
    assert "rinse the cage" not in reed and "every fortnight" not in reed and "I will do that from now on." in reed
    leaflet = next(s for s in document.sections if s.quoted)
    assert _slice(document, leaflet) == "An old leaflet said to check the cage every fortnight in June."
    assert (leaflet.author, leaflet.post) == ("reedwarbler", "3")
    for section in document.sections:
        assert not _slice(document, section).startswith(("Quote", "Originally Posted by"))


def test_light_pages_keep_repeated_posts_that_have_no_ids(tmp_path: Path) -> None:
    """With no ids on the page, positions stand in: two identical posts are two posts, not a duplicate."""
    page = (FIXTURES / "vbulletin_archive.html").read_text(encoding="utf-8")
    last = page[page.index('<div class="post"><div class="posttop"><div class="username">Gus') :]
    last = last[: last.index("<hr />")]
    path = tmp_path / "t-3310.html"
    path.write_text(page.replace(last, last + "<hr />" + last, 1), encoding="utf-8")
    warnings: list[str] = []
    thread = next(forum_html.read(path, warnings.append))
    assert warnings == []
    assert [(p.post, p.author) for p in thread.posts][-2:] == [("4", "Gus"), ("5", "Gus")]


def test_vbulletin_archive_one_line_attribution_and_inline_tags() -> None:
    html = (
        '<div class="post"><div class="posttop"><div class="username">Ida</div><div class="date">01-15-2012, 03:45 PM</div></div>'
        '<div class="posttext">Quote: Originally Posted by <b>Pavel</b><br />Lilies want <i>full</i> sun.<br /><br />'
        "Mine flower in shade.</div></div>"
    )
    found = vbulletin_archive.find(BeautifulSoup(html, "html.parser"))
    assert [(f.post, f.author, f.date) for f in found] == [("1", "Ida", "01-15-2012, 03:45 PM")]
    assert found[0].body is not None
    assert blocks(found[0].body, frozenset()).items == [Quote("Lilies want full sun.", "Pavel", None), "Mine flower in shade."]


def test_phpbb_print_view_posts_authors_dates_and_quotes() -> None:
    path = FIXTURES / "phpbb_print.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Wick keeps drowning in the oil"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("1", "Ottilie", "2018-07-21T15:37+01:00"),  # the footer says "All times are UTC+01:00"
        ("2", "burner_bob", "2018-07-21T17:02+01:00"),
        ("3", "Ottilie", "2018-07-22T09:15+01:00"),
    ]
    assert {p.url for p in thread.posts} == {"https://lanterns.example.org/forum/viewtopic.php?t=88"}
    assert thread.posts[1].blocks[0] == Quote("The flat wick in my brass lamp sinks into the font after an hour.", "Ottilie", None)
    assert thread.posts[2].blocks[0] == Quote("Never burn paraffin in a lamp made for colza oil.", "Hesketh", None)
    bob, ottilie = " ".join(_own(document, "burner_bob")), " ".join(_own(document, "Ottilie"))
    assert "sinks into the font" not in bob and "Swap the burner before you buy another wick." in bob
    assert "colza" not in ottilie and "A new burner fixed it, thank you." in ottilie
    hesketh = [_slice(document, s) for s in document.sections if s.author == "Hesketh"]
    assert hesketh == ["Never burn paraffin in a lamp made for colza oil."]
    assert_sections_exact(document, thread)
    _assert_no_boilerplate(document, "Posted:", "Re: Wick", "Page 1 of 1", "Lantern Makers", "Oil lamps", "Powered by")
    for section in document.sections:
        assert not _slice(document, section).startswith(("by ", "Posted", "Ottilie wrote"))


# ---------------------------------------------------------------- the real DosTips page


def test_real_dostips_thread_page() -> None:
    path = CORPUS / "dostips_viewtopic_t8729.html"
    if not path.exists():
        pytest.skip("../shared/forums/corpus not present: the real phpBB page (dostips_viewtopic_t8729.html) is not in this checkout")
    warnings: list[Skipped] = []
    documents = read_file(path, path.name, warnings)
    assert warnings == []
    assert len(documents) == 1
    document = documents[0]
    thread = _thread(path)
    assert document.title == "Context Menu options using CMD.exe or Powershell"
    assert [p.author for p in thread.posts] == ["Squashman", "Compo", "sst", "Compo", "sst", "sst", "Squashman", "sst"]
    assert [p.post for p in thread.posts] == ["57524", "57530", "57531", "57532", "57542", "57544", "57545", "57546"]
    assert thread.posts[0].date == "2018-07-21T00:03-06:00"
    assert thread.posts[0].url == "https://www.dostips.com/forum/viewtopic.php?t=8729#p57524"
    # sst quotes Compo twice, Squashman quotes sst, sst quotes Squashman
    quotes = {p.post: [(q.author, q.post) for q in p.blocks if isinstance(q, Quote)] for p in thread.posts}
    assert quotes["57542"] == [("Compo", "57532"), ("Compo", "57532")]
    assert quotes["57545"] == [("sst", "57544")]
    assert quotes["57546"] == [("Squashman", "57545")]
    assert [p.reply_to for p in thread.posts][4:] == ["57532", None, "57544", "57545"]
    for post in thread.posts:
        own = " ".join(_own(document, post.author or ""))
        for quote in (b for b in post.blocks if isinstance(b, Quote)):
            for line in clean_block(quote.text).split("\n"):
                assert line not in own or quote.author == post.author, (post.post, line)
    assert "accidentally clicked on" not in " ".join(_own(document, "sst"))
    assert "NoDefaultCurrentDirectoryInExePath variable" not in " ".join(_own(document, "sst"))
    assert "So I decided to first change the current directory" not in " ".join(_own(document, "Squashman"))
    assert not [s for s in document.sections if s.quoted]  # every quote here is of a post on the page
    _assert_no_boilerplate(document, "Return to", "Jump to", "All times are", "Print view", "Moderator:")
    assert_sections_exact(document, thread)


def test_discuz_thread_posts_quotes_and_furniture() -> None:
    """Discuz! X (many Chinese boards): posts by div#post_N, the relative date's full title, quotes by findpost link."""
    document, warnings = read_one(FIXTURES / "discuz_thread.html")
    assert warnings == []
    assert document.title == "阳台种番茄总是裂果"
    own = [s for s in document.sections if not s.quoted]
    assert {(s.post, s.author, s.date) for s in own} == {("7001", "青禾", "2023-06-04T08:15"), ("7004", "老周的菜地", "2023-06-05T21:40")}
    assert own[0].url == "https://garden.example.cn/thread-5521-1-1.html#pid7001"
    # the quote of post 7001 is not indexed again; the quote of a post in another thread is its writer's
    quoted = [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    assert quoted == [("山间小溪", "4410", "果子转色以后少浇水，甜度也会高一些。")]
    assert all(s.reply_to == "7001" for s in document.sections if s.post == "7004")
    for chrome in (
        "发表于",
        "本帖最后由",
        "x7Qp2",
        "绿篱小站原创",
        "下载附件",
        "复制代码",
        "积分",
        "当前离线",
        "只看该作者",
        "种菜十年",
        "阳台小菜园",
    ):
        assert chrome not in document.text
    assert "干了两指：浇透" in document.text


def test_phpbb2_subsilver_posts_quotes_signature_and_edit_note() -> None:
    """phpBB 2.0's subSilver tables: <a name="N"> rows, "X wrote:" quote tables, the signature after its rule."""
    document, warnings = read_one(FIXTURES / "phpbb2_subsilver.html")
    assert warnings == []
    assert document.title == "Chuck key keeps slipping"
    own = [s for s in document.sections if not s.quoted]
    assert {(s.post, s.author, s.date) for s in own} == {
        ("40211", "Morwenna", "2013-03-03T21:05"),
        ("40219", "Ezekiel Pryce", "2013-03-04T07:40"),
    }
    quoted = [(s.author, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    assert quoted == [("Tobias Venn", "A spring-loaded key pops out on its own, so it can never be left in the chuck.")]
    for chrome in ("Mostly making swarf", "_____", "Last edited by", "Posted:", "Post subject", "Joined:", "Back to top"):
        assert chrome not in document.text


def test_russian_phpbb_dates_are_read() -> None:
    """phpBB's Russian pack abbreviates months ("14 янв 2024, 08:30"); dates spelled out take the genitive ("января")."""
    document, warnings = read_one(FIXTURES / "phpbb30_russian.html")
    assert warnings == []
    assert [(s.author, s.date) for s in document.sections] == [
        ("Ярослава", "2024-01-14T08:30"),
        ("Тимофей Лукин", "2024-01-15T19:05"),
    ]
    assert "писал(а)" not in document.text


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("04 июл 2024, 17:50", "2024-07-04T17:50"),
        ("3 мая 2023, 9:05", "2023-05-03T09:05"),
        ("13-09-2011, 06:41 PM", "2011-09-13T18:41"),  # vBulletin with a day-first language pack (Vietnamese)
        ("2018-11-1 23:44", "2018-11-01T23:44"),  # Discuz!
    ],
)
def test_board_language_dates(shown: str, expected: str) -> None:
    assert iso_date(shown, None) == expected


def test_punbb12_posts_quote_signature_and_edit_note() -> None:
    """PunBB 1.2: div.blockpost#pN posts, the name in the profile's dt, an h4 "X wrote:" quote in a div.incqbox;
    "Today 07:45:30" names no day, so that post has no date."""
    path = FIXTURES / "punbb12_topic.html"
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is forum_html.FORMAT
    assert forum_html._find(BeautifulSoup(path.read_bytes(), "html.parser"))[0].name == "PunBB/FluxBB"  # type: ignore[index]
    document, warnings = read_one(path)
    assert warnings == []
    assert document.title == "Antenna tuner clicks but never settles"
    assert [(s.post, s.author, s.date, s.url) for s in document.sections if not s.quoted] == [
        ("9101", "ottoline", "2007-05-14T19:20:05", "http://radio.example.org/viewtopic.php?pid=9101#p9101"),
        ("9107", "Bartholomew Quayle", None, "http://radio.example.org/viewtopic.php?pid=9107#p9107"),
    ]
    reply = document.sections[-1]
    assert document.text[reply.start : reply.end].startswith("Then the wire is close to a half wave")
    assert "It settles fine on 20 metres" in document.text.split("Bartholomew Quayle", 1)[1]  # the quote is shown
    for chrome in ("Last edited by", "Seventy-three", "Registered:", "Falmouth", "Moderator", "Online", "Report"):
        assert chrome not in document.text


def test_fluxbb_quote_of_a_post_outside_the_page_is_credited_to_its_writer(tmp_path: Path) -> None:
    """FluxBB 1.5: a div.quotebox with a cite "X wrote:" before its blockquote; the signature is a div.postsignature.postmsg."""
    html = (
        (FIXTURES / "fluxbb_topic.html")
        .read_text(encoding="utf-8")
        .replace("Is it ruined?</p></div></blockquote>", "Will it ever rise?</p></div></blockquote>")
    )
    path = tmp_path / "fluxbb.html"
    path.write_text(html, encoding="utf-8")
    document, warnings = read_one(path)
    assert warnings == []
    assert document.title == "Sourdough starter smells of nail varnish"
    assert [(s.post, s.author, s.date, s.quoted) for s in document.sections] == [
        ("4410", "Hedwig Crane", "2015-09-21T18:03:44", False),
        ("4413", "Hedwig Crane", "2015-09-21T20:15:09", True),
        ("4413", "Ruaridh", "2015-09-21T20:15:09", False),
    ]
    quoted = document.sections[1]
    assert document.text[quoted.start : quoted.end] == "Will it ever rise?"
    assert document.sections[2].url == "https://bread.example.net/viewtopic.php?id=230#p4413"
    for chrome in ("Last edited by", "Flour, water, patience", "Registered:", "Inverness", "Offline"):
        assert chrome not in document.text


@pytest.mark.parametrize(
    ("attribution", "name"),
    [
        ("Compo wrote:", "Compo"),
        ("Jan hat folgendes geschrieben:", "Jan"),
        ("Amélie a dit :", "Amélie"),
        ("Олег сказал:", "Олег"),
        ("Quote", None),
    ],
)
def test_a_quotes_writer_is_read_from_the_attribution_in_the_boards_language(attribution: str, name: str | None) -> None:
    assert name_of(attribution) == name
