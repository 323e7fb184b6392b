"""Discourse topic JSON: posts, quote asides, plain blockquotes, and the furniture that is not text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import covering, read_damaged
from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, discord, discourse, reddit, thread_json
from forumqa.loading import read_file
from forumqa.threads import Quote, Thread

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
TOPIC = FIXTURES / "discourse" / "topic_5531.json"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "forums" / "corpus"


def _read(path: Path, source: str = "forums/topic_5531.json") -> tuple[Document, list[Skipped]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source, warnings)
    assert len(documents) == 1
    return documents[0], warnings


def _thread(path: Path) -> tuple[Thread, list[str]]:
    warnings: list[str] = []
    return next(discourse.read(path, warnings.append)), warnings


def test_topic_becomes_one_document_with_title_date_and_exact_sections() -> None:
    document, _ = _read(TOPIC)
    assert document.doc_id == "forums/topic_5531"
    assert document.title == "Rain gauge keeps under-reading"
    assert document.date == "2021-03-14T08:02:11+00:00"
    assert document.sections
    for section in document.sections:
        assert document.text[section.start : section.end].strip()
        assert document.text[section.start : section.end] == document.text[section.start : section.end].strip()


def test_sections_carry_username_post_number_date_and_url() -> None:
    document, _ = _read(TOPIC)
    (section,) = covering(document, "Moved it to the middle of the lawn")
    assert section.author == "marisol_r"  # the username the forum shows, not the display name
    assert section.post == "4"
    assert section.date == "2021-03-15T17:21:45+00:00"
    assert section.url == "/t/rain-gauge-keeps-under-reading/5531/4"
    assert not section.quoted
    (reply,) = covering(document, "Late to this")
    assert reply.reply_to == "40"  # a reply to a post that is not in the export keeps its number


def test_posts_fetched_without_their_topic_take_its_name_and_links_from_the_posts(tmp_path: Path) -> None:
    topic = json.loads(TOPIC.read_text(encoding="utf-8"))
    path = tmp_path / "posts.json"  # /t/<id>/posts.json: the post stream alone
    path.write_text(json.dumps({"post_stream": {"posts": topic["post_stream"]["posts"]}}), encoding="utf-8")
    document, _ = _read(path, "forums/posts.json")
    whole, _ = _read(TOPIC)
    assert document.title == "Rain gauge keeps under reading"  # from the posts' topic_slug
    assert document.text.split("\n", 1)[1] == whole.text.split("\n", 1)[1]
    assert [s.url for s in document.sections] == [s.url for s in whole.sections]


def test_posts_of_a_topic_slugged_as_the_placeholder_are_titled_by_the_topic_id(tmp_path: Path) -> None:
    topic = json.loads(TOPIC.read_text(encoding="utf-8"))
    for post in topic["post_stream"]["posts"]:
        post["topic_slug"] = "topic"  # what Discourse makes of a title with no Latin letters
    path = tmp_path / "posts.json"
    path.write_text(json.dumps({"post_stream": {"posts": topic["post_stream"]["posts"]}}), encoding="utf-8")
    document, _ = _read(path, "forums/posts.json")
    assert document.title == "Topic 5531"


def test_earlier_posts_sent_newest_first_are_read_in_topic_order() -> None:
    """`/t/<id>/posts.json?post_number=N` ("load earlier posts") lists the posts before N newest first."""
    document, warnings = _read(FIXTURES / "discourse" / "earlier_posts_8810.json", "forums/earlier_posts_8810.json")
    assert warnings == []
    assert [(s.post, s.author, s.quoted) for s in document.sections] == [
        ("12", "marisol", False),
        ("13", "tevita", False),
        ("14", "marisol", False),  # its quote of post 13 is shown, not indexed again
    ]
    assert document.date == "2024-05-01T07:31:12+00:00"  # the earliest post's: the file has no topic date
    assert document.text.index("two weeks") < document.text.index("lukewarm") < document.text.index("four days")


def test_the_solution_post_is_kept_as_the_accepted_answer(tmp_path: Path) -> None:
    topic = json.loads(TOPIC.read_text(encoding="utf-8"))
    posts = topic["post_stream"]["posts"]
    posts[1]["accepted_answer"] = True  # discourse-solved marks the solution post so
    path = tmp_path / "solved.json"
    path.write_text(json.dumps(topic), encoding="utf-8")
    document, _ = _read(path)
    solution = str(posts[1]["post_number"])
    assert {s.post for s in document.sections if s.accepted} == {solution}


@pytest.mark.parametrize(
    ("links", "first_url"),
    [
        ([], "/t/rain-gauge-keeps-under-reading/5531/1"),  # nothing names the site: left relative, as the JSON gives it
        ([{"url": "https://weather.example.net/guide", "internal": False}], "/t/rain-gauge-keeps-under-reading/5531/1"),
        (
            [{"url": "https://talk.example.org/t/wind-shields/5102/3", "internal": True}],
            "https://talk.example.org/t/rain-gauge-keeps-under-reading/5531/1",
        ),
    ],
)
def test_post_links_are_made_absolute_from_a_link_discourse_marks_internal(
    tmp_path: Path, links: list[dict[str, object]], first_url: str
) -> None:
    topic = json.loads(TOPIC.read_text(encoding="utf-8"))
    topic.setdefault("details", {})["links"] = links
    for post in topic["post_stream"]["posts"]:
        post.pop("link_counts", None)
    path = tmp_path / "linked.json"
    path.write_text(json.dumps(topic), encoding="utf-8")
    document, _ = _read(path)
    assert document.sections[0].url == first_url


def test_quote_aside_is_never_the_repliers_text() -> None:
    document, _ = _read(TOPIC)
    quoted = "Move it to an open spot at least twice as far"
    assert document.text.count(quoted) == 2  # said in post 2, quoted in post 4
    for section in document.sections:
        if quoted in document.text[section.start : section.end]:
            assert (section.author, section.post, section.quoted) == ("ted.okafor", "2", False)
    assert "> ted.okafor wrote:\n> Move it" in document.text


def test_nested_and_cross_topic_quotes_keep_their_own_authors() -> None:
    thread, _ = _thread(TOPIC)
    post = next(p for p in thread.posts if p.post == "5")
    quotes = [b for b in post.blocks if isinstance(b, Quote)]
    assert [(q.author, q.post) for q in quotes] == [("marisol_r", "1"), ("ted.okafor", "2"), ("old_hand", None)]
    assert quotes[0].text.startswith("My tipping-bucket gauge")  # the inner quote is its own Quote
    assert "tipping-bucket" not in quotes[1].text
    document, _ = _read(TOPIC)
    (other_topic,) = covering(document, "Snow that blows over the funnel")
    assert (other_topic.author, other_topic.quoted) == ("old_hand", True)  # not in this thread: citable, as old_hand's
    assert not covering(document, "ted.okafor wrote:")


def test_plain_blockquote_is_a_quote_of_outside_material() -> None:
    thread, _ = _thread(TOPIC)
    post = next(p for p in thread.posts if p.post == "2")
    assert (
        Quote("Place the collector away from walls, trees and roofs; turbulence around them can reduce the catch by a quarter or more.")
        in post.blocks
    )
    document, _ = _read(TOPIC)
    (section,) = covering(document, "Place the collector away")
    assert section.quoted and section.post == "2"


def test_lightbox_caption_and_onebox_chrome_are_dropped() -> None:
    document, _ = _read(TOPIC)
    for furniture in ("88.1 KB", "1024x768", "gauge.jpeg", "Photo of the mount:gauge"):
        assert furniture not in document.text
    assert "Photo of the mount:" in document.text
    (preview,) = covering(document, "Volunteer observers are asked")
    assert (preview.author, preview.quoted) == ("weather.example.org", True)  # the linked page's words, credited to the site
    assert document.text.count("weather.example.org") == 1


def test_lists_headings_code_and_non_ascii_survive() -> None:
    document, _ = _read(TOPIC)
    assert "Setup\nMy tipping-bucket gauge" in document.text
    assert "\nMounted on a fence post, 1.5 m high\nFirmware 2.4.1\n" in document.text
    assert "for tip in range(50):\n    pour(ml=5.0)\n    log(tip)\n" in document.text  # a code block keeps its indentation
    for words in ("Last night’s shower", "Danke für die Hilfe! 🌧️", "雪の多い地域では"):
        assert words in document.text


def test_small_actions_are_silent_and_empty_posts_and_missing_posts_are_reported() -> None:
    document, warnings = _read(TOPIC)
    reasons = [w.reason for w in warnings]
    assert any("2 of the topic's 9 posts are not in this file" in r and "/t/<topic id>/posts.json?post_ids[]=" in r for r in reasons)
    assert any("post 6 (id 9022): no text" in r for r in reasons)
    assert len(reasons) == 2  # the pinned notice (post 3) is not a post anyone wrote
    assert {s.post for s in document.sections} == {"1", "2", "4", "5", "7"}


def test_sniff_claims_discourse_topics_only() -> None:
    head = TOPIC.read_text(encoding="utf-8")
    assert discourse.sniff(TOPIC, head)
    assert next(f for f in THREAD_FORMATS if f.sniff(TOPIC, head)) is discourse.FORMAT
    for other in (*FIXTURES.glob("reddit/*.json"), *FIXTURES.glob("discord/*.json")):
        other_head = other.read_text(encoding="utf-8")
        assert not discourse.sniff(other, other_head), other
        assert not reddit.sniff(TOPIC, head) and not discord.sniff(TOPIC, head)
    assert not discourse.sniff(Path("t.json"), json.dumps({"title": "x", "posts": [{"text": "post_stream"}]}))
    assert thread_json.sniff(TOPIC, head)  # why discourse must come first in THREAD_FORMATS


def test_truncated_file_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "topic.json"
    broken.write_text(TOPIC.read_text(encoding="utf-8")[:3000], encoding="utf-8")
    with pytest.raises(UnreadableDocument, match=r"invalid JSON at line \d+, column \d+"):
        read_file(broken, "topic.json")


def test_not_a_topic_is_unreadable(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"post_stream": {"posts": {"1": "x"}}}', encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not a Discourse topic"):
        next(discourse.read(odd, print))


def test_a_bad_post_costs_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    good = {"post_number": 2, "username": "ana", "cooked": "<p>Still here.</p>", "created_at": "2020-05-01T10:00:00Z"}
    withdrawn = {"post_number": 3, "user_deleted": True, "cooked": "<p>(post withdrawn by author, will be automatically deleted)</p>"}
    posts = [42, {"post_number": 1, "cooked": None}, withdrawn, good]
    path.write_text(json.dumps({"id": 1, "title": "T", "post_stream": {"posts": posts}}))
    document, warnings = _read(path, "t.json")
    assert [s.author for s in document.sections] == ["ana"]
    assert "withdrawn" not in document.text
    reasons = [w.reason for w in warnings]
    assert len(reasons) == 3 and "entry 1" in reasons[0] and "post 1 " in reasons[1] and "post 3 (id None): deleted" in reasons[2]


@pytest.mark.parametrize(
    ("cooked", "expected"),
    [
        ("<p>one<br>two</p><p>three</p>", ("one two\nthree",)),
        ("<h3>Title</h3><ol><li>a</li><li>b <em>c</em></li></ol>", ("Title\na\nb c",)),
        ("<!-- a comment --><p>text</p>", ("text",)),
        ("<details><summary>More</summary><p>hidden</p></details>", ("More\nhidden",)),
        (
            '<aside class="quote" data-post="3"><div class="title">bo:</div><blockquote><p>said</p></blockquote></aside><p>reply</p>',
            (Quote("said", "bo", "3"), "reply"),
        ),
        (
            '<aside class="quote" data-post="3" data-topic="8" data-username="cy"><blockquote><p>there</p></blockquote></aside>',
            (Quote("there", "cy", None),),
        ),
    ],
)
def test_cooked_html_to_blocks(cooked: str, expected: tuple[str | Quote, ...]) -> None:
    assert discourse.cooked_blocks(cooked, "7") == expected


# ---------------------------------------------------------------- shapes current Discourse writes

VARIANTS = FIXTURES / "discourse" / "topic_7001.json"


def test_poll_counters_footnote_links_and_lightbox_sizes_are_furniture_but_options_and_cells_are_words() -> None:
    document, _ = _read(VARIANTS, "topic_7001.json")
    for furniture in ("voters", "↩", "88.1 KB", "1024×577"):
        assert furniture not in document.text
    assert "Which grease do you use?\nSilicone\nLithium\nWhy I ask\nLithium thickens in the cold." in document.text
    assert "Measured at dawn." in document.text
    assert "\nVent State\nnorth stuck\n" in document.text  # cells written without spaces between them


def test_a_chat_quote_is_its_authors_words_without_its_header() -> None:
    document, _ = _read(VARIANTS, "topic_7001.json")
    (section,) = covering(document, "I replaced the sensor")
    assert section.quoted and section.author == "brisa"
    assert "#greenhouse" not in document.text


def test_whispers_are_left_out_with_a_warning_small_actions_silently() -> None:
    document, warnings = _read(VARIANTS, "topic_7001.json")
    assert [w.reason.split(": ", 1)[1] for w in warnings] == [
        "post 5 (id 805): a staff whisper, meant for staff only; left out",
        "post 8 (id 808): deleted; left out",
    ]
    assert {s.post for s in document.sections} == {"1", "2", "3", "4", "7", "9"}
    (wiki,) = covering(document, "Footnote test")
    assert wiki.author == "Wiki Editor"  # no username: the name is still readable


def test_a_quote_from_another_topic_keeps_its_author_and_no_post_number() -> None:
    document, _ = _read(VARIANTS, "topic_7001.json")
    (section,) = covering(document, "Silicone spray keeps hinges")
    assert section.quoted and (section.author, section.post) == ("ferrow", "3")
    assert "Old vents thread" not in document.text


def test_old_markup_cross_topic_quote_takes_its_author_from_the_title_not_the_topic_link() -> None:
    cooked = (
        '<aside class="quote" data-post="2" data-topic="90"><div class="title"><div class="quote-controls"></div>'
        '<img class="avatar" src="/a.png">lindqvist:<a href="/t/other/90/2">Another topic</a></div>'
        "<blockquote><p>Words from there.</p></blockquote></aside>"
    )
    assert discourse.cooked_blocks(cooked, "7") == (Quote("Words from there.", "lindqvist", None),)


def test_emoji_pictures_keep_their_names_in_every_markup_discourse_wrote() -> None:
    cooked = (
        '<p>Bring a coat <img src="/plugins/emoji/images/emoji_one/umbrella.png" title=":umbrella:" class="emoji" alt="umbrella">'
        ' and snacks <img src="/images/emoji/twitter/+1.png?v=12" title=":+1:" class="emoji" alt=":+1:" loading="lazy"></p>'
        '<p>Cheers <img class="emoji" alt="🍵" src="/twemoji/1f375.png"></p>'
    )
    assert discourse.cooked_blocks(cooked, "7") == ("Bring a coat :umbrella: and snacks :+1:\nCheers 🍵",)


def test_a_bare_onebox_link_is_the_posters_own_words_not_a_quote_of_the_site() -> None:
    # Before its preview is fetched (and in 2014-era Discourse always) a onebox is only an anchor with that class.
    cooked = '<p>The venue is here:<br><a href="https://hall.example.net/" class="onebox" target="_blank">https://hall.example.net/</a></p>'
    assert discourse.cooked_blocks(cooked, "7") == ("The venue is here: https://hall.example.net/",)


# ---------------------------------------------------------------- the real export


def test_real_topic_1148() -> None:
    path = CORPUS / "discourse_topic_1148.json"
    if not path.exists():
        pytest.skip("../shared/forums/corpus not present: the real Discourse topic is read from there")
    document, warnings = _read(path, "discourse_topic_1148.json")
    assert document.title == "[Support] uBlock Origin"
    assert {s.post for s in document.sections} == {str(n) for n in range(1, 21)}  # nothing skipped (post 7 is all blockquote)
    assert [w.reason for w in warnings] == [
        "partly read (Discourse topic JSON): 2 of the topic's 22 posts are not in this file (Discourse sends them in chunks); "
        "fetch them with /t/<topic id>/posts.json?post_ids[]=<id>&post_ids[]=… for the ids in post_stream.stream, "
        "or save the topic with ?print=true"
    ]
    thread, _ = _thread(path)
    post19 = next(p for p in thread.posts if p.post == "19")
    assert isinstance(post19.blocks[0], Quote) and (post19.blocks[0].author, post19.blocks[0].post) == ("gorhill", "18")
    for section in covering(document, "I will investigate to make the load-on-demand code smarter"):
        assert (section.author, section.post) == ("gorhill", "18")
    assert document.text.count("I will investigate to make the load-on-demand code smarter") == 2
    post8 = next(p for p in thread.posts if p.post == "8")
    assert [type(b).__name__ for b in post8.blocks] == ["Quote", "str", "Quote"]
    quote = post8.blocks[2]
    assert isinstance(quote, Quote) and quote == Quote(quote.text)  # gorhill's GitHub answer: a plain blockquote, no attribution
    (github,) = covering(document, "All the source material supporting that")
    assert github.quoted and github.post == "8"
    assert "800x620" not in document.text and "97.3 KB" not in document.text
    (first,) = covering(document, "This is the new support and feedback thread")
    # the site is named by the links Discourse marks internal: post links are absolute
    assert (first.author, first.url) == ("gorhill", "https://discourse.mozilla-community.org/t/support-ublock-origin/1148/1")


# ---------------------------------------------------------------- damaged files


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    read_damaged(discourse.FORMAT, TOPIC, data, tmp_path)


def test_a_moderator_action_notice_is_no_ones_words(tmp_path: Path) -> None:
    def post(number: int, kind: int, cooked: str) -> dict[str, object]:
        return {"id": 900 + number, "post_number": number, "post_type": kind, "username": "mod_ines", "cooked": cooked}

    topic = {
        "id": 42,
        "title": "Glaze crawling",
        "post_stream": {
            "posts": [
                post(1, 1, "<p>Wipe the bisque before glazing.</p>"),
                post(2, 2, "<p>This topic is now pinned. It will appear at the top of its category.</p>"),
            ]
        },
    }
    path = tmp_path / "topic_42.json"
    path.write_text(json.dumps(topic), encoding="utf-8")
    document, warnings = _read(path, "topic_42.json")
    assert "pinned" not in document.text and [s.post for s in document.sections] == ["1"] and not warnings


# ---------------------------------------------------------------- a posts.json page: replies to posts in other chunks

PAGE = FIXTURES / "discourse" / "posts_page_3310.json"


def test_hand_made_quote_in_a_reply_to_a_post_outside_the_file_is_the_replied_writers() -> None:
    """A 20-post page of /t/<id>/posts.json: post 42 replies to post 38 (another page) and pastes its line under `>`."""
    document, warnings = _read(PAGE, "forums/posts_page_3310.json")
    assert warnings == []
    (quoted,) = covering(document, "A rye starter wants feeding twice a day")
    assert (quoted.author, quoted.post, quoted.quoted) == ("hilde_b", "38", True)  # reply_to_user, never the replier
    (own,) = covering(document, "I only fed mine once a day")
    assert (own.author, own.post, own.quoted) == ("tomas_k", "42", False)


def test_a_quote_in_a_reply_to_a_post_in_the_file_or_naming_no_user_stays_unattributed() -> None:
    thread, _ = _thread(PAGE)
    posts = {p.post: p for p in thread.posts}
    # Post 43 replies to post 42, which the file holds: the flour bag's words are outside material, the poster's to bring in.
    assert Quote("Store below 20 degrees and use within three months of milling.") in posts["43"].blocks
    # Post 44 replies to post 39 but Discourse named no user (suppress_reply_when_quoting): nobody to credit but the poster.
    assert Quote("Keep the jar somewhere warm, near the boiler if you can.") in posts["44"].blocks
    document, _ = _read(PAGE, "forums/posts_page_3310.json")
    (flour,) = covering(document, "Store below 20 degrees")
    assert (flour.author, flour.post, flour.quoted) == ("hilde_b", "43", True)
