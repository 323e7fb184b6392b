"""Forum pages read through their schema.org microdata: Discourse's crawler view and an Invision-style board."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, head_of, read_one
from forumqa.documents import Document, Section
from forumqa.formats import THREAD_FORMATS, forum_html
from forumqa.formats.forum_html import schema_org
from forumqa.threads import Quote, Thread

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html"
DISCOURSE = FIXTURES / "discourse_crawler.html"
MICRODATA = FIXTURES / "microdata_forum.html"
TOPIC = "https://forum.kilnfolk.example/t/kiln-controller-shows-e-4-halfway-through-a-glaze-firing/4821"
BOARD = "https://benchnotes.example.org/topic/318-bandsaw-blade-drifts-to-the-left/"


def _thread(path: Path) -> Thread:
    return next(forum_html.read(path, lambda message: None))


def _slice(document: Document, section: Section) -> str:
    return document.text[section.start : section.end]


def _own(document: Document, author: str | None) -> str:
    """Everything credited to `author` as their own words, not what they quote."""
    return " ".join(_slice(document, s) for s in document.sections if s.author == author and not s.quoted)


def _quoted(document: Document) -> list[tuple[str | None, str | None, str]]:
    return [(s.author, s.post, _slice(document, s)) for s in document.sections if s.quoted]


def _page(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "page.html"
    path.write_text(f"<!DOCTYPE html><html><head><title>A saved page</title>{head}</head><body>{body}</body></html>", encoding="utf-8")
    return path


# ---------------------------------------------------------------- recognition


@pytest.mark.parametrize("path", [DISCOURSE, MICRODATA])
def test_microdata_pages_are_claimed_by_the_schema_org_engine_alone(path: Path) -> None:
    assert forum_html.sniff(path, head_of(path))
    assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is forum_html.FORMAT
    match = forum_html._find(BeautifulSoup(path.read_bytes(), "html.parser"))
    assert match is not None and match[0] is schema_org.ENGINE
    others = forum_html._ENGINES[: forum_html._ENGINES.index(schema_org.ENGINE)]  # tried before it (Invision's comes after)
    assert not any(engine.find(BeautifulSoup(path.read_bytes(), "html.parser")) for engine in others)


def test_a_page_an_engine_of_its_own_reads_is_read_as_before() -> None:
    """vBulletin 5 marks its first post as a DiscussionForumPosting too; the vBulletin engine, tried first, keeps it."""
    page = (FIXTURES / "vbulletin5.html").read_bytes()
    assert schema_org.find(BeautifulSoup(page, "html.parser"))
    match = forum_html._find(BeautifulSoup(page, "html.parser"))
    assert match is not None and match[0].name == "vBulletin"


def test_an_article_with_comments_is_not_claimed(tmp_path: Path) -> None:
    """A blog post marks itself as a BlogPosting and its comments as Comment items: it stays a page, every word kept."""
    comment = (
        '<li itemprop="comment" itemscope itemtype="https://schema.org/Comment"><span itemprop="author">Rafa</span>'
        '<time itemprop="datePublished" datetime="2023-06-02">June 2</time><div itemprop="text"><p>Lovely hives!</p></div></li>'
    )
    path = _page(
        tmp_path,
        '<article itemscope itemtype="https://schema.org/BlogPosting"><h1 itemprop="headline">Bees on the roof</h1>'
        '<div itemprop="articleBody"><p>The lime trees along the canal fed the colony.</p></div>'
        f"<ol>{comment}</ol></article>",
    )
    assert not forum_html.sniff(path, head_of(path))
    document, warnings = read_one(path)
    assert warnings == []
    assert "lime trees along the canal" in document.text and "Lovely hives!" in document.text
    article = FIXTURES / "article.html"
    assert not forum_html.sniff(article, head_of(article))


def test_a_page_with_json_ld_alone_stays_a_page(tmp_path: Path) -> None:
    """JSON-LD is not read: its DiscussionForumPosting names the marker, but the page has no posting element."""
    data = '{"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": "Chalk paint", "text": "Two coats."}'
    path = _page(tmp_path, "<h1>Chalk paint</h1><p>Two coats, then wax.</p>", f'<script type="application/ld+json">{data}</script>')
    assert not forum_html.sniff(path, head_of(path))
    document, _ = read_one(path)
    assert "Two coats, then wax." in document.text


# ---------------------------------------------------------------- Discourse crawler view


def test_discourse_posts_authors_dates_positions_and_links() -> None:
    document, warnings = read_one(DISCOURSE)
    thread = _thread(DISCOURSE)
    assert warnings == []
    assert document.title == "Kiln controller shows E-4 halfway through a glaze firing"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("1", "marguerite", "2024-02-10T19:04:51+00:00", None),
        ("2", "Bjørn", "2024-02-10T20:31:07+00:00", "1"),
        ("3", "clayhands", "2024-02-11T08:12:44+00:00", None),  # quotes a post of another topic
        ("4", "marguerite", "2024-02-12T17:45+00:00", "3"),
        ("5", "Bjørn", "2024-02-12T18:02:19+00:00", None),
    ]
    # the topic's url property for the first post, the canonical address and the post's element id for the others
    assert [p.url for p in thread.posts] == [TOPIC, *(f"{TOPIC}#post_{n}" for n in range(2, 6))]
    assert document.date == "2024-02-10T19:04:51+00:00"
    assert_sections_exact(document, thread)


def test_discourse_quotes_are_credited_to_the_quoted_writer() -> None:
    document, _ = read_one(DISCOURSE)
    posts = {p.post: p for p in _thread(DISCOURSE).posts}
    assert posts["2"].blocks[0] == Quote("Is this the thermocouple or the relays?", "marguerite", "1")
    assert "thermocouple or the relays" not in _own(document, "Bjørn")
    # a post of another topic (data-topic 3977): credited to its writer, citable, never clayhands' words
    worn = "Worn elements heat fine at low temperature but cannot keep up with the ramp once the kiln is past red heat."
    assert posts["3"].blocks[1] == Quote(worn, "oldfiringhand", None)
    assert [q for q in _quoted(document) if q[0] == "oldfiringhand"] == [("oldfiringhand", "3", worn)]
    assert "Worn elements" not in _own(document, "clayhands")
    # nested: marguerite quotes clayhands, who quoted oldfiringhand; each level is its own quote, none is hers
    assert posts["4"].blocks[:2] == (Quote(worn, "oldfiringhand", None), Quote("New elements fixed it for me.", "clayhands", "3"))
    assert "Worn elements" not in _own(document, "marguerite") and "New elements fixed" not in _own(document, "marguerite")
    assert "> clayhands wrote:\n> New elements fixed it for me." in document.text


def test_discourse_attributions_link_previews_and_pasted_text() -> None:
    document, _ = read_one(DISCOURSE)
    # the quote titles ("marguerite:", the other topic's title) are attribution, not text
    assert "marguerite:" not in document.text and "clayhands:" not in document.text
    assert "Elements tired after 200 firings" not in document.text
    quoted = _quoted(document)
    # a link preview is the linked site's words; an unattributed blockquote is outside material Bjørn brings in
    assert ("kilnparts.example.com", "5", "Error E-4: kiln not climbing") in quoted
    assert ("Bjørn", "5", "Replace elements as a set, never one at a time.") in quoted
    bjorn = _own(document, "Bjørn")
    assert "less than 15 degrees" not in bjorn and "as a set" not in bjorn
    assert "That line from the manual is worth keeping in mind too." in bjorn


def test_discourse_code_block_and_page_furniture() -> None:
    document, _ = read_one(DISCOURSE)
    first = _thread(DISCOURSE).posts[0]
    assert first.blocks[1] == "seg 2  ramp 150/h  target 1222\nt=03:40  temp 598  E-4\nt=03:41  relays off"
    assert first.blocks[2] == "Is this the thermocouple or the relays?"
    for furniture in (
        *("Likes", "Related topics", "Powered by", "Guidelines", "Categories", "Kilnfolk Co-operative", "2.1k"),
        *("1200×800", "ohms.jpeg", "(Marguerite Oyelaran)", "February 10, 2024", "Controllers"),
    ):
        assert furniture not in document.text, furniture


def test_discourse_later_page_dates_the_first_post_shown_by_its_own_time(tmp_path: Path) -> None:
    """On page 2 the first post is no item of its own: the topic's meta datePublished around it is the topic's date."""
    post = (
        "<div id='post_{0}' {1} class='topic-body crawler-post'><div class='crawler-post-meta'>"
        "<span class='creator' itemprop='author' itemscope itemtype='http://schema.org/Person'><span itemprop='name'>{2}</span></span>"
        "<span class='crawler-post-infos'><time {3} datetime='{4}' class='post-time'>shown</time>"
        "<span itemprop='position'>{0}</span></span></div><div class='post' itemprop='text'><p>{5}</p></div></div>"
    )
    comment = "itemprop='comment' itemscope itemtype='http://schema.org/Comment'"
    path = _page(
        tmp_path,
        "<div itemscope itemtype='http://schema.org/DiscussionForumPosting'><meta itemprop='headline' content='Glaze crawl'>"
        "<meta itemprop='datePublished' content='2023-01-05T09:00:00Z'>"
        + post.format(21, "", "ines", "", "2023-03-01T10:00:00Z", "Wipe the bisque before glazing.")
        + post.format(22, comment, "tomás", "itemprop='datePublished'", "2023-03-02T11:30:00Z", "Dust was my problem too.")
        + "</div>",
        "<link rel='canonical' href='https://forum.example.com/t/glaze-crawl/77?page=2'>",
    )
    thread = _thread(path)
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("21", "ines", "2023-03-01T10:00+00:00"),
        ("22", "tomás", "2023-03-02T11:30+00:00"),
    ]


def test_discourse_2_4_edited_first_post_is_dated_by_its_datepublished_meta(tmp_path: Path) -> None:
    """Discourse 2.4's noscript view shows an edited post's edit time (itemprop dateModified) and puts the post's
    datePublished in a meta beside it: the post was written then. Its h1.crawler-topic-title is the topic's title,
    not the <title> with category and site name; an emoji image keeps its alt text in the sentence."""
    post = (
        "<div itemscope itemtype='http://schema.org/DiscussionForumPosting' class='topic-body crawler-post'>"
        "<div class='crawler-post-meta'><span class='creator' itemprop='author' itemscope itemtype='http://schema.org/Person'>"
        "<a itemprop='url' href='https://forum.example.com/u/{0}'><span itemprop='name'>{0}</span></a> (Full Name)</span>"
        "<span class='crawler-post-infos'>{1}<span itemprop='position'>{2}</span></span></div>"
        "<div class='post' itemprop='articleBody'><p>{3}</p></div>"
        "<meta itemprop='headline' content='Kiln shelf wash'></div>"
    )
    first_dates = (
        "<meta itemprop='datePublished' content='2016-05-02T08:00:00Z'>"
        "<time itemprop='dateModified' datetime='2019-11-20T17:45:00Z' class='post-time'>Nov 20, 2019</time>"
    )
    second_dates = "<time itemprop='datePublished' datetime='2016-05-02T09:30:00Z' class='post-time'>May 2, 2016</time>"
    emoji = "<img src='/images/emoji/twitter/fire.png?v=9' title=':fire:' class='emoji' alt=':fire:'>"
    path = _page(
        tmp_path,
        "<noscript><div id='main-outlet'><h1 class='crawler-topic-title'><a href='/t/kiln-shelf-wash/314'>Kiln shelf wash</a></h1>"
        + post.format("odile", first_dates, 1, f"Two thin coats, never one thick one {emoji} trust me.")
        + post.format("kenji", second_dates, 2, "Same here.")
        + "</div></noscript>",
        "<link rel='canonical' href='https://forum.example.com/t/kiln-shelf-wash/314'>",
    )
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert thread.title == "Kiln shelf wash"
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("1", "odile", "2016-05-02T08:00+00:00"),
        ("2", "kenji", "2016-05-02T09:30+00:00"),
    ]
    assert _own(document, "odile") == "Two thin coats, never one thick one :fire: trust me."
    assert_sections_exact(document, thread)


def test_older_discourse_topic_title_is_the_bare_heading_of_its_main_outlet(tmp_path: Path) -> None:
    """Discourse 1.x gives its noscript view's topic heading no class: the h1 right inside #main-outlet, not the <title>."""
    path = _page(
        tmp_path,
        "<noscript><div id='main-outlet'><h1><a href='/t/glaze-pinholes/52'>Glaze pinholes</a></h1>"
        "<div itemscope itemtype='http://schema.org/DiscussionForumPosting'><b itemprop='author'>noor</b>"
        "<time datetime='2015-01-03T10:00:00Z' itemprop='datePublished'>2015-01-03</time><span itemprop='position'>#1</span>"
        "<div class='post' itemprop='articleBody'><p>Fire slower through 1000.</p></div></div></div></noscript>",
    )
    assert _thread(path).title == "Glaze pinholes"


def test_older_discourse_crawler_markup(tmp_path: Path) -> None:
    """Discourse before 2019 made every post a DiscussionForumPosting: b[itemprop=author], position "#N", articleBody."""
    post = (
        "<div itemscope itemtype='http://schema.org/DiscussionForumPosting'><div class='creator'><span>"
        "<a href='/u/{0}'><b itemprop='author'>{0}</b></a> <time datetime='{1}' itemprop='datePublished'>{1}</time></span>"
        "<span itemprop='position'>#{2}</span></div><div class='post' itemprop='articleBody'>{3}</div>"
        "<meta itemprop='headline' content='Pugging clay'><hr></div>"
    )
    quote = (
        '<aside class="quote" data-post="1" data-topic="88"><div class="title"><div class="quote-controls"></div>'
        '<img class="avatar" src="/a.png"> wen:</div><blockquote><p>Is a pugmill worth it?</p></blockquote></aside>'
    )
    path = _page(
        tmp_path,
        post.format("wen", "2018-04-02T08:00:00Z", 1, "<p>Is a pugmill worth it?</p>")
        + post.format("arlo", "2018-04-02T09:15:00Z", 2, quote + "<p>Only past fifty kilos a week.</p>"),
        "<link rel='canonical' href='https://clay.example.net/t/pugging-clay/88'>",
    )
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("1", "wen", "2018-04-02T08:00+00:00", None),
        ("2", "arlo", "2018-04-02T09:15+00:00", "1"),
    ]
    # no data-username: the name comes from the quote's title
    assert thread.posts[1].blocks[0] == Quote("Is a pugmill worth it?", "wen", "1")
    assert _own(document, "arlo") == "Only past fifty kilos a week."
    assert_sections_exact(document, thread)


def test_a_solved_discourse_topic_is_a_question_with_answers_each_linked_by_position(tmp_path: Path) -> None:
    """Discourse's "solved" categories mark the topic as a QAPage's Question and replies as Answers, with no post ids."""
    answer = (
        "<div class='topic-body crawler-post' itemprop='{0}' itemscope itemtype='https://schema.org/Answer'>"
        "<span class='creator' itemprop='author' itemscope itemtype='http://schema.org/Person'><a href='/u/{1}'>"
        "<span itemprop='name'>{1}</span></a></span><time itemprop='datePublished' datetime='{2}'>{2}</time>"
        "<span itemprop='position'>{3}</span><div class='post' itemprop='text'><p>{4}</p></div></div>"
    )
    path = _page(
        tmp_path,
        "<div itemscope itemtype='https://schema.org/QAPage'><div itemprop='mainEntity' itemscope itemtype='https://schema.org/Question'>"
        "<meta itemprop='name' content='Shadows flicker on the floor'>"
        "<div id='post_1' class='topic-body crawler-post'><span class='creator' itemprop='author' itemscope "
        "itemtype='http://schema.org/Person'><span itemprop='name'>tove</span></span>"
        "<time itemprop='dateCreated' datetime='2022-05-01T10:00:00Z'>May 1</time>"
        "<div class='post' itemprop='text'><p>My shadows flicker when the camera moves.</p></div></div>"
        + answer.format("suggestedAnswer", "ikaika", "2022-05-01T11:00:00Z", 2, "Try a larger shadow camera frustum.")
        + answer.format("acceptedAnswer", "tove", "2022-05-02T09:30:00Z", 3, "Raising the shadow bias fixed it.")
        + "</div></div>",
        "<link rel='canonical' href='https://gfx.example.org/t/shadows-flicker-on-the-floor/5120'>",
    )
    document, warnings = read_one(path)
    assert warnings == []
    assert [(s.author, s.post, s.url) for s in document.sections] == [
        ("tove", "1", "https://gfx.example.org/t/shadows-flicker-on-the-floor/5120"),  # the topic is its first post
        ("ikaika", "2", "https://gfx.example.org/t/shadows-flicker-on-the-floor/5120/2"),
        ("tove", "3", "https://gfx.example.org/t/shadows-flicker-on-the-floor/5120/3"),
    ]
    assert _own(document, "ikaika") == "Try a larger shadow camera frustum."
    assert_sections_exact(document, _thread(path))


# ---------------------------------------------------------------- an Invision-style board


def test_microdata_board_posts_authors_dates_and_links() -> None:
    document, warnings = read_one(MICRODATA)
    thread = _thread(MICRODATA)
    assert warnings == ["partly read (phpBB/XenForo/vBulletin page): post 4 (id 5507): no message body found; left out"]
    assert document.title == "Bandsaw blade drifts to the left on resaw cuts"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("5501", "Hélène", "2021-09-04T16:20+00:00", None),  # not the "Edited" time inside the post
        ("5502", "Oakley", "2021-09-04T18:05:40+00:00", "5501"),  # itemprop="creator"; a time with no itemprop
        ("5503", "Zoë Ferreira", "2021-09-05T07:48+02:00", "5502"),  # plain-text author, a span with a content date
        ("5509", None, "2021-09-06T10:15+00:00", None),  # no author at all: kept, anonymous
    ]
    assert [p.url for p in thread.posts] == [
        BOARD,  # its url property
        f"{BOARD}?do=findComment&comment=5502",  # a meta url property
        f"{BOARD}#elComment_5503",  # none: the canonical address and the element's id
        f"{BOARD}#elComment_5509",
    ]
    assert_sections_exact(document, thread)


def test_microdata_board_quotes_are_credited_to_the_quoted_writer() -> None:
    document, _ = read_one(MICRODATA)
    posts = {p.post: p for p in _thread(MICRODATA).posts}
    first = "Every resaw cut on my 14 inch bandsaw wanders to the left, even with a new 1/2 inch blade."
    tension = "Tension a resaw blade until it deflects no more than a quarter inch under firm thumb pressure."
    assert posts["5502"].blocks[0] == Quote(first, "Hélène", "5501")
    assert posts["5502"].blocks[2] == Quote(tension, "Grizzled Greg", "4980")
    # a comment not on the page: citable as its writer's, once, never as Oakley's or Zoë's words
    assert [q for q in _quoted(document) if q[0] == "Grizzled Greg"] == [("Grizzled Greg", "4980", tension)]
    assert "quarter inch" not in _own(document, "Oakley") and "quarter inch" not in _own(document, "Zoë Ferreira")
    # nested: Zoë quotes Oakley, who quoted Greg
    assert Quote("That advice from the tension thread helped me as well.", "Oakley", "5502") in posts["5503"].blocks
    # "Hélène said in the first post:" over a blockquote is its attribution, not Zoë's words
    fence = "I set the fence square to the table and the guides a paper's width from the blade."
    assert posts["5503"].blocks[0] == Quote(fence, "Hélène", None)
    zoe = _own(document, "Zoë Ferreira")
    assert "said in the first post" not in document.text and "fence square" not in zoe
    # "Here is the log ...:" names nobody: the line is Zoë's, the paste under it her outside material
    assert "Here is the log from my tracking test:" in zoe
    assert ("Zoë Ferreira", "5503", "top wheel tilted 2 turns, blade centred on crown") in _quoted(document)
    assert "angle  drift\n0      3 mm\n2 deg  0 mm" in document.text


def test_microdata_board_threaded_reply_and_furniture() -> None:
    """A reply nested inside another comment's element is a post of its own; citations, edits and chrome are no text."""
    document, _ = read_one(MICRODATA)
    posts = {p.post: p for p in _thread(MICRODATA).posts}
    assert not any("upper wheel" in b for b in posts["5502"].blocks if isinstance(b, str))
    for furniture in (
        *("said:", "On 9/4/2021", "Edited", "Measure twice", "46 posts", "Apprentice", "Quote"),
        *("Powered by", "Privacy Policy", "Previous topic", "Hand and Power Tools", "hidden by a moderator", "spam_bot_44"),
    ):
        assert furniture not in document.text, furniture


def test_a_malformed_posting_costs_only_itself(tmp_path: Path) -> None:
    """A comment without a body is reported and left out; one without an author is kept; the others are read."""
    comment = '<div id="c{0}" itemprop="comment" itemscope itemtype="https://schema.org/Comment">{1}</div>'
    author = '<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{}</span></span>'
    path = _page(
        tmp_path,
        '<div id="c1" itemscope itemtype="https://schema.org/DiscussionForumPosting">'
        + author.format("Priya")
        + '<p itemprop="text">Which oil for a walnut worktop?</p>'
        + comment.format(2, author.format("Ned") + '<span itemprop="datePublished" content="2022-05-01">May 1</span>')
        + comment.format(3, '<div itemprop="text"><p>Hardwax oil, three thin coats.</p></div>')
        + comment.format(4, author.format("Ole") + '<div itemprop="text"><p>Tung oil if you can wait a month.</p></div>')
        + "</div>",
    )
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == ["partly read (phpBB/XenForo/vBulletin page): post 2 (id 2): no message body found; left out"]
    assert [(p.post, p.author, p.url) for p in thread.posts] == [("1", "Priya", "#c1"), ("3", None, "#c3"), ("4", "Ole", "#c4")]
    assert _own(document, None) == "Hardwax oil, three thin coats."
    assert_sections_exact(document, thread)


def test_a_topic_item_around_its_posts_is_no_post(tmp_path: Path) -> None:
    """NodeBB marks the topic with a meta text (its title) around posts that carry their own: the meta is no post body."""
    comment = (
        '<li component="post" data-pid="{0}" itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
        '<meta itemprop="datePublished" content="{1}"><div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<meta itemprop="name" content="{2}"></div><div class="content" itemprop="text">{3}</div></li>'
    )
    said = '<p><a href="/user/ana">@ana</a> said in <a href="/post/41">Rust on cast iron</a>:</p>'
    said += "<blockquote><p>Vinegar soak.</p></blockquote>"
    path = _page(
        tmp_path,
        '<div itemscope itemtype="https://schema.org/DiscussionForumPosting"><meta itemprop="headline" content="Rust on cast iron">'
        '<meta itemprop="text" content="Rust on cast iron"><meta itemprop="datePublished" content="2023-10-01T12:00:00Z"><ul>'
        + comment.format(41, "2023-10-01T12:00:00Z", "ana", "<p>Vinegar soak.</p>")
        + comment.format(42, "2023-10-01T13:30:00Z", "bo", said + "<p>Then season it straight away.</p>")
        + "</ul></div>",
    )
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert [(p.post, p.author, p.date) for p in thread.posts] == [
        ("41", "ana", "2023-10-01T12:00+00:00"),
        ("42", "bo", "2023-10-01T13:30+00:00"),
    ]
    assert thread.posts[1].blocks == (Quote("Vinegar soak.", "ana", "41"), "Then season it straight away.")
    assert _own(document, "bo") == "Then season it straight away."
    assert_sections_exact(document, thread)


def test_nodebb_comments_without_a_forum_posting_are_a_thread() -> None:
    """NodeBB before 3.0 marks each post as a Comment in its ul[component=topic] and no topic item: still a thread,
    read post by post, the "@X said in …:" quote of a post on the page shown but not X's reply."""
    path = FIXTURES / "nodebb_topic_comments.html"
    assert forum_html.sniff(path, head_of(path))
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Kiln shelf cracked on the second firing"
    assert [(p.post, p.author, p.date, p.reply_to) for p in thread.posts] == [
        ("30001", "Wendeline", "2020-02-11T08:15+00:00", None),
        ("30004", "Ruairi", "2020-02-11T10:02+00:00", "30001"),
    ]
    assert thread.posts[1].blocks[0] == Quote("The shelf split straight across after I stacked stoneware two high.", "Wendeline", "30001")
    assert _own(document, "Ruairi") == "Heavy loads on a cold shelf do that; warm the kiln slowly through the first hour."
    assert "last edited by" not in document.text and "1 Reply" not in document.text
    assert_sections_exact(document, thread)


def test_nodebb_byline_inside_the_post_text_is_not_text() -> None:
    """A NodeBB theme (forums.opera.com's) writes the byline, group badge, "@ana" reply button and "last edited by"
    note inside the text element: the author still comes from its property, the reply from the button, the link from
    the permalink, and none of them is the post's words."""
    path = FIXTURES / "nodebb_byline_in_text.html"
    document, warnings = read_one(path)
    thread = _thread(path)
    assert warnings == []
    assert document.title == "Bicycle dynamo light flickers at low speed"
    assert [(p.post, p.author, p.date, p.reply_to, p.url) for p in thread.posts] == [
        ("7001", "Marit", "2022-04-02T07:30+00:00", None, "https://riders.example.net/post/7001"),
        ("7004", "Joost", "2022-04-02T09:12+00:00", "7001", "https://riders.example.net/post/7004"),
    ]
    assert _own(document, "Marit") == "My hub dynamo light flickers below walking pace and goes steady once I am rolling."
    assert _own(document, "Joost") == (
        "@Marit That is normal for a light without a standlight capacitor; newer lamps keep glowing for a few minutes."
    )
    for chrome in ("last edited by", "Mechanics", "1 Reply"):
        assert chrome not in document.text
    assert_sections_exact(document, thread)
