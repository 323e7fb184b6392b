"""Simple Machines Forum topic pages: posts from div.post_wrapper, quotes credited to the quoted member."""

from __future__ import annotations

from pathlib import Path

import pytest

from export_checks import read_clean

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parent / "fixtures" / "forums" / "forum_html" / "smf_topic.html"


def test_posts_authors_dates_and_links() -> None:
    document = read_clean(PAGE)
    own = [s for s in document.sections if not s.quoted]
    assert [(s.post, s.author, s.date) for s in own] == [
        ("7701", "Halvard", "2022-03-09T07:41:05"),
        ("7704", "Ingrid Solberg", "2022-03-09T09:02:40"),
        ("7710", "Halvard", "2022-03-10T18:15"),
    ]
    assert own[0].url == "https://woodlot.example.org/index.php?topic=881.0#msg7701"
    assert document.text[own[0].start : own[0].end].startswith("The chain on my 50cc saw jumps off")


def test_quotes_are_credited_to_the_quoted_member_in_2_0_and_2_1_markup() -> None:
    document = read_clean(PAGE)
    # SMF 2.0's quote of a post on the page is not indexed again; 2.1's quote of a post elsewhere stays, its writer credited
    quoted = [(s.author, s.post, document.text[s.start : s.end]) for s in document.sections if s.quoted]
    assert quoted == [("Øystein", "4122", "Always file the rakers after every third sharpening.")]
    reply = next(s for s in document.sections if s.post == "7704" and not s.quoted)
    assert "worn drive sprocket" in document.text[reply.start : reply.end]


def test_page_furniture_is_not_text() -> None:
    document = read_clean(PAGE)
    for chrome in ("Quote from", "Cita de", "[Select]", "Report to moderator", "Burn dry wood", "Posts: 188", "Login", "Simple Machines"):
        assert chrome not in document.text
    assert "bar 18in / pitch .325 / gauge .063" in document.text  # a code box keeps its code
    for section in document.sections:
        assert document.text[section.start : section.end].strip() == document.text[section.start : section.end]


def test_dates_in_the_board_language_are_read() -> None:
    """A Spanish board writes its dates with its language pack's month names ("14 de Marzo de 2021, 06:40:22 pm")."""
    document = read_clean(PAGE.with_name("smf_topic_spanish.html"))
    own = [s for s in document.sections if not s.quoted]
    assert [(s.post, s.author, s.date) for s in own] == [
        ("5120", "Rosalba", "2021-03-14T09:05:10"),
        ("5127", "Teodoro", "2021-03-14T18:40:22"),
    ]
    assert (
        document.text[own[1].start : own[1].end] == "La ventana enfría mucho de noche. Pon la bandeja encima de la nevera hasta que asomen."
    )
    for chrome in ("Cita de", "Última modificación", "Reportar", "Mensajes: 64"):
        assert chrome not in document.text


def test_a_theme_with_a_status_icon_before_the_name_and_a_day_first_24_hour_date(tmp_path: Path) -> None:
    """Some themes put an online-status icon link ahead of the profile link in the poster's heading, and boards may pick
    a "Fri, 07 January 2022, 11:21:39" time format; a smiley's alt text stays in the sentence."""
    post = (
        '<a id="msg{0}"></a><div class="windowbg"><div class="post_wrapper"><div class="poster"><h4>'
        '<a href="/index.php?action=pm;sa=send;u=9" title="Online"><img src="/useron.gif" alt="Online" /></a>'
        '<a href="/index.php?action=profile;u=9" title="View the profile of {1}">{1}</a></h4></div>'
        '<div class="postarea"><div class="flow_hidden"><div class="keyinfo"><h5 id="subject_{0}">'
        '<a href="/index.php?topic=40.msg{0}#msg{0}">Re: Lathe belt tension</a></h5>'
        '<div class="smalltext">&#171; <strong>Reply #{2} on:</strong> {3} &#187;</div></div></div>'
        '<div class="post"><div class="inner" id="msg_{0}">{4}</div></div></div></div></div>'
    )
    page = tmp_path / "topic.html"
    page.write_text(
        '<html><head><title>Lathe belt tension</title><link rel="canonical" href="https://shop.example.org/index.php?topic=40.0">'
        "</head><body><div id='forumposts'>"
        + post.format(601, "Marisol", 3, "Tue, 04 March 2025, 08:15:02", "Loosen the motor bolts first.")
        + post.format(
            607, "Bartek", 4, "Tue, 04 March 2025, 21:40:59", 'Worked, thanks <img src="/smile.gif" alt=":)" class="smiley" /> all set.'
        )
        + "</div></body></html>",
        encoding="utf-8",
    )
    document = read_clean(page)
    assert [(s.post, s.author, s.date) for s in document.sections] == [
        ("601", "Marisol", "2025-03-04T08:15:02"),
        ("607", "Bartek", "2025-03-04T21:40:59"),
    ]
    last = document.sections[1]
    assert document.text[last.start : last.end] == "Worked, thanks :) all set."
    assert "Online" not in document.text
