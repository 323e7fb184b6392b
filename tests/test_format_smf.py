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
