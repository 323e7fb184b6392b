"""The chat page in headless Chromium against a real uvicorn server on a free localhost port."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from conftest import SHIPPED_DOCUMENTS, free_port
from forumqa.api import create_app
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "Security Test Bulletin\n2024-05-01\n"
    "The bulletin quoted a payload <script>window.__pwned = 1</script> in its text. "
    'The zebra mascot of the bulletin was named <img src=x onerror="window.__pwned = 2">Stripes.\n'
)
# Emoji are one code point but two UTF-16 units: offsets from Python must be sliced as code points.
EMOJI = (
    "Garden Party Notes\n2024-06-01\n🎉🎉 Welcome! 🎈🌟 The garden party was planned by Mira Solano. 🍰 Cake came from the corner bakery.\n"
)
REBUILT = "Harbour Fair Notes\n2024-07-01\nThe harbour fair was organised by Tomas Ferreira.\n"


@dataclass
class Served:
    url: str
    engine: Engine
    documents: Path


@pytest.fixture(scope="module")
def server(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not found: `apt-get install -y chromium` (make test does it when run as root) enables the browser test")
    documents = tmp_path_factory.mktemp("browser-docs")
    shutil.copytree(SHIPPED_DOCUMENTS, documents, dirs_exist_ok=True)
    (documents / "security-bulletin.txt").write_text(HOSTILE, encoding="utf-8")
    (documents / "garden-party.txt").write_text(EMOJI, encoding="utf-8")
    (documents / "harbour-fair.txt").write_text(REBUILT, encoding="utf-8")
    settings = Settings(documents_dir=documents, index_dir=tmp_path_factory.mktemp("browser-index"))
    engine = Engine.open(settings, embedder, build_if_missing=True)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    yield Served(f"http://127.0.0.1:{port}/", engine, documents)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: Served):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto(server.url)
        yield tab
        browser.close()
        assert errors == [], errors


def ask(page, question: str):  # type: ignore[no-untyped-def]
    count = page.locator(".bubble.answer, .bubble.error").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator(".bubble.answer, .bubble.error").nth(count).wait_for(timeout=30_000)
    return page.locator(".bubble.answer, .bubble.error").nth(count)


def test_ask_see_the_answer_and_open_the_highlighted_citation(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "Who moderated the License-in/out & Commercialization Forum?")
    assert "Becky Wong" in answer.locator(".answer-text").inner_text()
    assert answer.locator(".marker").first.inner_text() == "[1]"
    citation = answer.locator(".citation").first
    assert "License-in/out & Commercialization Forum" in citation.inner_text()
    assert "cbiic-2024-license-in-out-forum.txt" in citation.inner_text()
    citation.click()
    mark = page.locator("#viewer-text mark")
    mark.wait_for()
    assert "Becky Wong" in mark.inner_text()
    assert mark.is_visible() and mark.bounding_box() is not None
    page.screenshot(path=str(tmp_path / "answer-with-citation.png"), full_page=True)


def test_off_topic_question_shows_the_abstention(page) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "What is the tallest mountain in the world?")
    assert "couldn't find this in the documents" in answer.inner_text()
    assert answer.locator(".citation").count() > 0  # related passages still shown


def test_follow_up_uses_the_conversation_and_new_conversation_clears_it(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "When was the License-in/out & Commercialization Forum held?")
    follow_up = ask(page, "Who moderated it?")
    assert "Becky Wong" in follow_up.inner_text()
    page.click("#new-conversation")
    assert page.locator(".bubble").count() == 0


def test_document_markup_renders_inert(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "What was the zebra mascot of the security bulletin named?")
    assert "<img" in answer.inner_text()  # shown as text, not turned into an element
    answer.locator(".citation").first.click()
    page.locator("#viewer-text mark").wait_for()
    viewer_text = page.locator("#viewer-text").inner_text()
    assert "<script>window.__pwned = 1</script>" in viewer_text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#viewer-text script, #viewer-text img, .bubble img, .bubble script").count() == 0
    page.screenshot(path=str(tmp_path / "inert-markup.png"))


def test_errors_are_shown_in_the_chat(page) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "   a\u0007b   ")
    assert "control characters" in answer.inner_text() and "error" in (answer.get_attribute("class") or "")


def test_phone_width_is_usable(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 800})
    answer = ask(page, "Who is the CEO of VISEN Pharmaceuticals?")
    assert "Pony Lu" in answer.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"


def open_first_citation(page, answer):  # type: ignore[no-untyped-def]
    answer.locator(".citation").first.click()
    mark = page.locator("#viewer-text mark")
    mark.wait_for()
    return mark.inner_text()


def test_highlights_are_exact_after_emoji(page) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "Who planned the garden party?")
    quoted = answer.locator(".citation .quote").first.inner_text()
    assert "Mira Solano" in quoted
    assert open_first_citation(page, answer) == quoted


def test_highlight_after_a_rebuild_shows_the_version_that_answered(page, server: Served) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "Who organised the harbour fair?")
    quoted = answer.locator(".citation .quote").first.inner_text()
    assert "Tomas Ferreira" in quoted
    moved = REBUILT.replace("2024-07-01\n", "2024-07-01\nA new opening line moves every offset after it by a good many characters.\n")
    (server.documents / "harbour-fair.txt").write_text(moved, encoding="utf-8")
    server.engine.reindex()  # between the answer and the click
    assert open_first_citation(page, answer) == quoted


def test_the_short_answer_is_bold_inside_the_quote(page) -> None:  # type: ignore[no-untyped-def]
    answer = ask(page, "Who planned the garden party?")
    assert answer.locator(".answer-text strong.short").inner_text() == "Mira Solano"
