"""The short answer and the answer-type signal: pure functions over a sentence and a question."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from forumqa.answer import Calibration, decide
from forumqa.answer_types import expected_type, short_answer
from forumqa.evaluation import _same_phrase
from forumqa.retrieval import SentenceEvidence
from forumqa.term_vectors import TermVectors, surface_words

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "sentence", "short"),
    [
        ("Who moderated the panel?", "The panel was moderated by Irene Castillo, head of research at Bluefin.", "Irene Castillo"),
        ("When did the fair open?", "The fair opened on March 3, 2025 in the old market hall.", "March 3, 2025"),
        ("How many people came to the fair?", "It drew more than 4,000 visitors in 2025.", "more than 4,000"),
        ("How long did delivery take in 2022?", "Delivery took 12 weeks in 2022.", "12 weeks"),
        ("What was the total value of the deals?", "In 2023 the firm signed deals with three labs worth $4.2 billion.", "$4.2 billion"),
        ("Where is the new plant?", "The company opened its new plant in Porto last spring.", "Porto"),
        ("Who is Irene Castillo?", "Irene Castillo spoke first.", None),  # the question's own name is no answer
        ("Why did the talk run late?", "The projector failed twice.", None),  # no single phrase answers a why
        # The nearest name to the words the question says, not the first name of the sentence; titles are no names.
        ("Who is the treasurer of Kelp Works?", "Guests included Ana Ruiz, Treasurer of Kelp Works; Ben Oduya of Tidal.", "Ana Ruiz"),
        ("Who opened the fair?", "It was planned by the Harbour Guild and opened by Dr. Lena Park.", "Lena Park"),
        (
            "Which company does Ana Ruiz work for?",
            "In the talk “Growing Kelp at Scale” Ana Ruiz, Treasurer at Kelp Works, spoke.",
            "Kelp Works",
        ),
        ("How long does the ferry take?", "The ferry takes 20 to 25 minutes in calm weather.", "20 to 25 minutes"),
        # "Who" wants the person a job title follows, "which company" the name that ends like one or that a title leads to.
        ("Who is the CFO of Kelp Works?", "The talk was chaired by Ana Ruiz, CFO of Kelp Works, Kelp Holdings Ltd.", "Ana Ruiz"),
        ("Who heads design at Tidal?", "Ben Oduya, Head of Design and Chief Officer at Tidal, spoke.", "Ben Oduya"),
        ("Which company is Ben Oduya from?", "Ben Oduya, Head of Design and Chief Officer at Tidal, spoke.", "Tidal"),
        # The names the question says come first: the company by Ana Ruiz, not the one by the other CEO.
        (
            "Which company does Ana Ruiz lead as CEO?",
            "Guests were Ana Ruiz, CEO of Kelp Works; Ben Oduya, Director of Tidal; and Lia Moss, CEO of Reef Capital.",
            "Kelp Works",
        ),
        # A job title asked by the name: the title, up to the place the question already names.
        ("What is Ana Ruiz's job at Kelp Works?", "The panel was led by Ana Ruiz, Project Lead of Kelp Works in Porto.", "Project Lead"),
        ("What was the title of Ana Ruiz's talk?", "Ana Ruiz, Treasurer of Kelp Works, gave “Farming the Tide”.", "Farming the Tide"),
        # A person asked by their role ("Which … partner"), a title opening with "General", a company's legal form.
        (
            "Which Reef Capital partner joined the panel?",
            "Panelists were Lia Moss, Partner of Reef Capital; and Tom Hale, General Manager of Sales at Tidal.",
            "Lia Moss",
        ),
        (
            "Who spoke for Tidal?",
            "Panelists were Lia Moss, Partner of Reef Capital; and Tom Hale, General Manager of Sales at Tidal.",
            "Tom Hale",
        ),
        ("Which company does Tom Hale work for?", "Tom Hale, Director of Kelp Engineering Co., Ltd., spoke.", "Kelp Engineering Co., Ltd"),
    ],
)
def test_short_answer(question: str, sentence: str, short: str | None) -> None:
    span = short_answer(sentence, question)
    assert (sentence[span[0] : span[1]] if span else None) == short


@pytest.mark.parametrize(
    ("question", "sentence", "short"),
    [
        # What the question leaves open next to the words it says.
        ("What is the lantern made from?", "The lantern is made from recycled tin and glows for hours.", "recycled tin"),
        ("What was Ana's talk about?", "Ana Ruiz, Treasurer of Kelp Works, gave a talk on seaweed farming.", "seaweed farming"),
        # The thing a "which X" question names, with the words that make it up.
        ("Which setting hides the toolbar?", "Turn on the setting compact_mode and the toolbar is gone.", "compact_mode"),
        ("What kind of attitude should teams keep?", "Teams should keep a patient attitude through the winter.", "patient attitude"),
        ("Which standard covers the plugs?", "The Coastal Wiring Standard covers them.", "Coastal Wiring Standard"),
        # A quote as one unit; a list as one answer; a reason after the word that introduces it.
        ("Which word should I search for?", 'Search for "marlin-fix" in the tracker.', "marlin-fix"),
        ("Which colours did the boats use?", "The boats used colours such as teal, ochre, and deep red.", "teal, ochre, and deep red"),
        # ...however the list is reached: here by its last item, next to the thing asked for.
        ("Which crops did the farm plant?", "The farm planted wheat, barley, and winter oat crops.", "wheat, barley, and winter oat crops"),
        ("Why did the ferry stop?", "The ferry stopped due to strong autumn winds, and the pier closed.", "strong autumn winds"),
        ("How do I reach the island?", "You can reach the island via the north causeway.", "north causeway"),
        ("Why did the markets grow?", "The markets grew thanks to stable market rules.", "stable market rules"),  # an asked word inside
        # Nothing lines up with the question, or a why without a cue: no phrase.
        ("What is the capital of Peru?", "The lantern glows for hours.", None),
        ("Why is the pier closed?", "The pier is closed and the boats wait.", None),
    ],
)
def test_the_open_phrase(question: str, sentence: str, short: str | None) -> None:
    span = short_answer(sentence, question)
    assert expected_type(question) == "other" or short is None
    assert (sentence[span[0] : span[1]] if span else None) == short


def test_short_exact_match_counts_as_squad_does() -> None:
    assert _same_phrase("a waste of time", "Waste of time.") and _same_phrase("the “Made in China” label", "Made in China label")
    assert not _same_phrase("waste", "a waste of time")


def test_expected_types() -> None:
    assert [expected_type(q) for q in ("Who chaired it?", "When was it held?", "How big was it?", "Where was it?", "Why?")] == [
        "name",
        "date",
        "number",
        "place",
        "other",
    ]


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("With how many growers did the co-op sign?", "number"),  # a preposition before "how many" still asks a count
        ("According to Ines, how long does the glaze take to dry?", "number"),
        ("What decides how long the kiln stays hot?", "other"),  # asks what decides, not for a duration
        ("Which setting controls how many copies are kept?", "other"),
        # An amount is asked when the "what" asks for it, not whenever a money word appears.
        ("What was the total value of the kiln deal?", "money"),
        ("What does a firing cost at the co-op?", "money"),
        ("Who chairs the board once the funding round closes?", "name"),
        ("What will the new kiln do to firing costs?", "other"),
        # "which year" asks for a date wherever it stands.
        ("Sales fell in 2023 compared with which year?", "date"),
        # A search-box query asks with a noun: the noun names the type, unless a question word asks instead.
        ("pottery fair moderator", "name"),
        ("kiln deal value", "money"),
        ("glaze workshop attendance", "number"),
        ("open studio date", "date"),
        ("ceramics expo venue", "place"),
        ("kiln monitor version that fixed the drift", "version"),
        ("new kiln firing costs this year", "other"),  # costs and years a query is about, not what it asks for
        ("What did the moderator say about glazes?", "other"),
        # which release did or fixed something: a version
        ("Which kiln-monitor version fixed the drift?", "version"),
        ("In which release did the timer come back?", "version"),
        ("What did the release notes say about timers?", "other"),
    ],
)
def test_the_answer_type_is_what_the_question_word_asks_for(question: str, wanted: str) -> None:
    assert expected_type(question) == wanted


def test_a_near_synonym_earns_graded_credit_and_an_unrelated_word_none() -> None:
    words = surface_words(["The meeting was moderated by Ann.", "Moderation matters."])
    assert words["moder"] in {"moderated", "moderation"}
    unit = np.eye(3, dtype=np.float32)
    vectors = TermVectors(["moder", "ann", "meet"], unit)
    chaired = np.array([0.8, 0.0, 0.6], dtype=np.float32)  # close to "moder", far from "ann"
    credit = vectors.soft_credit({"chair": chaired}, {"moder", "ann"})
    assert credit.best(["chair"], {"moder"}) == {"chair": 1.0}
    assert credit.best(["chair"], {"ann"}) == {}
    assert credit.best(["chair"], {"ann", "moder"}) == {"chair": 1.0}  # the best term of the sentence counts


def test_calibration_wants_a_clear_winner() -> None:
    calibration = Calibration(intercept=-5.0, score=8.0, dense=0.0, margin=4.0, soft_coverage=0.0, answer_above=0.6)

    def ev(sid: int) -> SentenceEvidence:
        return SentenceEvidence(sentence_id=sid, doc_id="d", start=sid * 100, end=sid * 100 + 50, dense=0.5, chunk_score=0.0, coverage=0.5)

    clear = calibration.confidence([(0.8, ev(1)), (0.4, ev(2))])
    tie = calibration.confidence([(0.8, ev(1)), (0.79, ev(2))])
    assert clear > tie and calibration.confidence([]) == 0.0


def test_calibration_trusts_a_quote_that_meaning_and_words_both_point_to() -> None:
    calibration = Calibration(
        intercept=-1.0, score=0.0, dense=0.0, margin=0.0, soft_coverage=0.0, answer_above=0.6, dense_agrees=1.0, words_agree=1.0
    )

    def ev(sid: int, dense: float, soft: float, start: int | None = None) -> SentenceEvidence:
        begin = sid * 100 if start is None else start
        return SentenceEvidence(sid, "d", begin, begin + 50, dense=dense, chunk_score=0.0, coverage=soft, soft_coverage=soft)

    both = calibration.confidence([(0.8, ev(1, 0.7, 0.6)), (0.7, ev(2, 0.6, 0.5))])
    # The closest in meaning is a span that joins the best sentence with its neighbour: that agrees.
    joined = calibration.confidence([(0.8, ev(1, 0.6, 0.6)), (0.7, ev(3, 0.7, 0.5, start=120))])
    meaning_elsewhere = calibration.confidence([(0.8, ev(1, 0.6, 0.6)), (0.7, ev(2, 0.7, 0.5))])
    neither = calibration.confidence([(0.8, ev(1, 0.6, 0.5)), (0.7, ev(2, 0.7, 0.6))])
    assert both == joined > meaning_elsewhere > neither


def test_abstention_counts_a_missing_answer_type_checked_for_the_best_sentence_only() -> None:
    def ev(sid: int, dense: float) -> SentenceEvidence:
        return SentenceEvidence(sid, "d", sid * 100, sid * 100 + 50, dense=dense, chunk_score=0.0, coverage=0.6, soft_coverage=0.6)

    evidence = [ev(1, 0.7), ev(2, 0.3)]
    asked: list[int] = []

    def fit(value: float) -> Callable[[SentenceEvidence], float]:
        def check(e: SentenceEvidence) -> float:
            asked.append(e.sentence_id)
            return value

        return check

    found, _ = decide(evidence, "hybrid", fit=fit(1.0))
    missing, _ = decide(evidence, "hybrid", fit=fit(0.0))
    neutral, _ = decide(evidence, "hybrid", fit=fit(0.5))  # a question that wants no type
    assert missing < found == neutral
    assert asked == [1, 1, 1]


@pytest.mark.parametrize(
    ("sentence", "question", "short"),
    [
        (
            "I pushed a new build, 2.4.1 (waiting for review), which should install.",
            "Which version did Ines push after the 2.4.0 problem?",
            "2.4.1",
        ),
        ("Only 2.4.0 refuses to install here.", "Which version refuses to install?", "2.4.0"),
        ("I run Windows 11 with Python 3.12.1 on the studio laptop.", "What version of Python does the studio laptop run?", "3.12.1"),
        ("Fedora 12 shipped the passwordless installs.", "Which release shipped the passwordless installs?", "Fedora 12"),
    ],
)
def test_a_version_question_gets_the_release_and_not_the_product_it_names(sentence: str, question: str, short: str) -> None:
    span = short_answer(sentence, question)
    assert span is not None and sentence[span[0] : span[1]] == short
