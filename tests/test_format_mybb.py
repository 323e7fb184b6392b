"""MyBB thread pages: posts from div.post_body#pid_N, quotes credited to the quoted member, code boxes kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from export_checks import assert_sections_exact, head_of, read_clean
from forumqa.formats import SUPPORTED, forum_html
from forumqa.formats.forum_html import mybb

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html"
PAGE = FIXTURES / "mybb_thread.html"
URL = "https://allotment.example.net/showthread.php?tid=412"


def test_the_page_is_claimed_by_the_mybb_engine() -> None:
    assert forum_html.sniff(PAGE, head_of(PAGE))
    match = forum_html._find(BeautifulSoup(PAGE.read_bytes(), "html.parser"))
    assert match is not None and match[0] is mybb.ENGINE
    assert "MyBB" in SUPPORTED


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html") if p != PAGE))
def test_the_other_pages_are_not_mybb_pages(name: str) -> None:
    soup = BeautifulSoup((FIXTURES / name).read_bytes(), "html.parser")
    assert mybb.find(soup) == []
    match = forum_html._find(soup)
    assert match is None or match[0] is not mybb.ENGINE


def test_posts_authors_dates_and_links() -> None:
    document = read_clean(PAGE)
    assert document.title == "Greenhouse heater keeps tripping the breaker"
    own = [s for s in document.sections if not s.quoted]
    posts = list(dict.fromkeys((s.post, s.author, s.date) for s in own))
    assert posts == [
        ("3301", "Tomasz Wójcik", "2024-03-02T08:15"),
        # "Yesterday, 07:40 PM" with the day in the span's title; the edit note in the date line is no date
        ("3302", "fernhollow", "2024-03-03T19:40"),
        # "2 hours ago" with the whole date in its title
        ("3305", "Mags Delaney", "2024-03-04T11:05"),
        # "5 hours ago" with no title (older 1.8 language packs): no date rather than a wrong one
        ("3307", "Tomasz Wójcik", None),
        # a guest: the name without a profile link
        ("3310", "Ruth", "2024-03-04T13:20"),
    ]
    assert own[0].url == f"{URL}#pid3301"
    assert {s.url for s in own if s.post == "3307"} == {f"{URL}#pid3307"}
    assert document.text[own[0].start : own[0].end].startswith("Since the frost came back my 2kW fan heater")
    assert_sections_exact(document, next(forum_html.read(PAGE, lambda message: None)))


def test_quotes_are_credited_to_the_quoted_member_and_post() -> None:
    document = read_clean(PAGE)
    quoted = [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    # the quote of post 3301, which is on the page, is shown but not indexed again; the quote of a post elsewhere
    # and the quote nested in it stay, each credited to its own writer; a bare "Quote:" is the poster's
    assert quoted == [
        ("Bert H", "2950", "Mine only trips on the coldest nights, never in the daytime."),
        ("oldroots", "2987", "That is the thermostat cycling the element on and off all night; each cold start pulls a surge, "
         "and an old Type B breaker does not like it."),
        ("Tomasz Wójcik", "3307", "Garden circuit 16A Type B, 30mA RCD protected"),
    ]  # fmt: skip
    assert "> Tomasz Wójcik wrote:\n> Is the heater too much for that run" in document.text
    reply = [document.text[s.start : s.end] for s in document.sections if s.post == "3302"]
    assert reply[0].startswith("Forty metres of 1.5mm")
    assert not any("Is the heater too much" in text for text in reply)


def test_code_boxes_keep_their_lines_without_their_titles() -> None:
    document = read_clean(PAGE)
    code = [document.text[s.start : s.end] for s in document.sections if s.post in ("3305", "3310")]
    assert "frost_guard:\n  on_below: 3C\n  off_above: 6C\n  max_watts: 1200" in code  # &nbsp; indentation kept as spaces
    assert "$limit = 16 * 0.8;\n$ok = $amps < $limit;" in code


def test_page_furniture_is_not_text() -> None:
    document = read_clean(PAGE)
    chrome = (
        "Wrote:", "Quote:", "Code:", "PHP Code:", "Grow what you eat", "last modified", "Posts: 214", "Joined:",
        "Seedling Wrangler", "Reputation", "Find", "Report", "New Reply", "Thread Modes", "Sheds, Greenhouses",
        "Powered By", "MyBB", "Return to Top", "Hello There, Guest", "Current time", "Users browsing", "Next Oldest",
        "(03-02-2024",
    )  # fmt: skip
    for text in chrome:
        assert text not in document.text, text
    for section in document.sections:
        assert document.text[section.start : section.end].strip() == document.text[section.start : section.end]


@pytest.mark.parametrize(
    "cite, expected",
    [
        ('<cite><span> (Yesterday)</span>ana Wrote:  <a href="post-77.html#pid77" class="quick_jump"></a></cite>', ("ana", "77")),
        ("<cite>Mary Ann Wrote:</cite>", ("Mary Ann", None)),
        ("<cite>Jörg schrieb:</cite>", ("Jörg", None)),
        ("<cite>Zitat:</cite>", (None, None)),
    ],
)
def test_quote_attributions(cite: str, expected: tuple[str | None, str | None]) -> None:
    tag = BeautifulSoup(cite, "html.parser").cite
    assert tag is not None
    assert mybb._attribution(tag) == expected
