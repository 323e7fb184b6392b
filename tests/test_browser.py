"""The chat page in headless Chromium against a real uvicorn server on a free localhost port.

One server and one browser for the module; each test gets a fresh browser context (its own
sessionStorage and clipboard permission) on the same server.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from conftest import SHIPPED_DOCUMENTS
from forumqa.api import create_app
from forumqa.cli import app as cli_app
from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine
from forumqa.testing import serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

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
TOKEN = "t0ken"
SHIPPED_TITLE = "License-in/out & Commercialization Forum"
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
# Uploaded from the page: a fact no other document holds, so the answer can only come from this file.
LANTERN = (
    "# Lantern Walk Report\n\n2024-10-12\n\n"
    "Around two hundred neighbours carried paper lanterns along the canal towpath on Saturday evening. "
    "The autumn lantern walk was led by Ottilie Brandvold, who has coordinated the river trust volunteers since spring. "
    "Hot cider was served at the lock keeper's cottage at the end of the route.\n"
)
LANTERN_QUESTION = "Who led the autumn lantern walk?"
# Markup in an uploaded file's name, title and text, and in a feedback comment, must reach the page as text.
PAYLOAD_NAME = "digest<img src=x onerror=window.__pwned=3>.md"
PAYLOAD_DOC = (
    "# <img src=x onerror=window.__pwned=4> Payload Digest\n\n"
    "<script>window.__pwned = 5</script> The payload digest mascot was a grey heron named Quill. "
    '<img src=x onerror="window.__pwned = 6"> It lived by the pond.\n'
)
PAYLOAD_COMMENT = '<script>window.__pwned = 7</script><img src=x onerror="window.__pwned = 8"> wrong heron'
INERT = "#library img, #library script, .bubble img, .bubble script, #viewer-text img, #viewer-text script, #manage-result img"


@dataclass
class Served:
    url: str
    engine: Engine
    documents: Path
    settings: Settings


@pytest.fixture(scope="module")
def server(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not found: `apt-get install -y chromium` (make test does it when run as root) enables the browser test")
    documents = tmp_path_factory.mktemp("browser-docs")
    shutil.copytree(SHIPPED_DOCUMENTS, documents, dirs_exist_ok=True)
    (documents / "security-bulletin.txt").write_text(HOSTILE, encoding="utf-8")
    (documents / "garden-party.txt").write_text(EMOJI, encoding="utf-8")
    (documents / "harbour-fair.txt").write_text(REBUILT, encoding="utf-8")
    settings = Settings(documents_dir=documents, index_dir=tmp_path_factory.mktemp("browser-index"), admin_token=TOKEN)
    engine = Engine.open(settings, embedder, build_if_missing=True)
    with serve_in_thread(create_app(settings, engine)) as url:
        yield Served(f"{url}/", engine, documents, settings)


@pytest.fixture(scope="module")
def browser(server: Served) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: Served) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(server.url)
    tab.locator("#doc-list li").first.wait_for()
    yield tab
    context.close()
    assert errors == [], errors


def ask(page: Page, question: str) -> Locator:
    count = page.locator(".bubble.answer, .bubble.error").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator(".bubble.answer, .bubble.error").nth(count).wait_for(timeout=30_000)
    return page.locator(".bubble.answer, .bubble.error").nth(count)


def test_ask_see_the_answer_and_open_the_highlighted_citation(page: Page, tmp_path: Path) -> None:
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


def test_off_topic_question_shows_the_abstention(page: Page, server: Served) -> None:
    question = "What is the tallest mountain in the world?"
    answer = ask(page, question)
    assert "couldn't find this in the documents" in answer.inner_text()  # the server's message
    cards = answer.locator(".citation")
    # The related passages are still shown: the first three, in the server's order (best first).
    shown = [(cards.nth(i).get_attribute("data-doc-id"), cards.nth(i).get_attribute("data-start")) for i in range(cards.count())]
    related = server.engine.ask(question).related[:3]
    assert related and shown == [(p.doc_id, str(p.start)) for p in related]


def test_follow_up_uses_the_conversation_and_new_conversation_clears_it(page: Page) -> None:
    ask(page, "When was the License-in/out & Commercialization Forum held?")
    follow_up = ask(page, "Who moderated it?")
    assert "Becky Wong" in follow_up.inner_text()
    assert page.locator("#library").is_hidden()  # the conversation replaces the empty state
    page.click("#new-conversation")
    assert page.locator(".bubble").count() == 0
    assert page.locator("#library").is_visible()


def test_document_markup_renders_inert(page: Page, tmp_path: Path) -> None:
    answer = ask(page, "What was the zebra mascot of the security bulletin named?")
    assert "<img" in answer.inner_text()  # shown as text, not turned into an element
    answer.locator(".citation").first.click()
    page.locator("#viewer-text mark").wait_for()
    viewer_text = page.locator("#viewer-text").inner_text()
    assert "<script>window.__pwned = 1</script>" in viewer_text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#viewer-text script, #viewer-text img, .bubble img, .bubble script").count() == 0
    page.screenshot(path=str(tmp_path / "inert-markup.png"))


def test_errors_are_shown_in_the_chat(page: Page) -> None:
    answer = ask(page, "   a\u0007b   ")
    assert "control characters" in answer.inner_text() and "error" in (answer.get_attribute("class") or "")


def test_phone_width_is_usable(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    page.click("#manage summary")  # the empty state with the admin area open, the widest the page gets
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the empty state scrolls sideways at phone width ({width}px)"
    answer = ask(page, "Who is the CEO of VISEN Pharmaceuticals?")
    assert "Pony Lu" in answer.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"


def open_first_citation(page: Page, answer: Locator) -> str:
    answer.locator(".citation").first.click()
    mark = page.locator("#viewer-text mark")
    mark.wait_for()
    return mark.inner_text()


def test_highlights_are_exact_after_emoji(page: Page) -> None:
    answer = ask(page, "Who planned the garden party?")
    quoted = answer.locator(".citation .quote").first.inner_text()
    assert "Mira Solano" in quoted
    assert open_first_citation(page, answer) == quoted


def test_highlight_after_a_rebuild_shows_the_version_that_answered(page: Page, server: Served) -> None:
    answer = ask(page, "Who organised the harbour fair?")
    quoted = answer.locator(".citation .quote").first.inner_text()
    assert "Tomas Ferreira" in quoted
    moved = REBUILT.replace("2024-07-01\n", "2024-07-01\nA new opening line moves every offset after it by a good many characters.\n")
    (server.documents / "harbour-fair.txt").write_text(moved, encoding="utf-8")
    server.engine.reindex()  # between the answer and the click
    assert open_first_citation(page, answer) == quoted


def test_the_short_answer_is_bold_inside_the_quote(page: Page) -> None:
    answer = ask(page, "Who planned the garden party?")
    assert answer.locator(".answer-text strong.short").inner_text() == "Mira Solano"


# ---------------------------------------------------------------- issue 13: empty state, feedback, copy, links, admin


def test_the_empty_state_shows_what_is_indexed_and_opens_a_document(page: Page, server: Served) -> None:
    status = page.locator("#index-status").inner_text()
    documents = len(server.engine.documents())
    assert f"{documents} documents" in status and "chunks" in status and "index built" in status, status
    assert page.get_attribute("#question", "maxlength") == str(server.settings.max_question_chars)
    item = page.locator("#doc-list li", has_text=SHIPPED_TITLE)
    assert "cbiic-2024-license-in-out-forum.txt" in item.inner_text()
    item.locator(".doc-open").click()
    page.locator("#viewer-text", has_text="Becky Wong").wait_for()
    assert SHIPPED_TITLE in page.locator("#viewer-title").inner_text()
    assert page.locator("#viewer-text mark").count() == 0  # a whole document, nothing to highlight


def test_who_moderated_the_forum_shows_the_name_in_bold(page: Page) -> None:
    answer = ask(page, "Who moderated the forum?")
    assert "Becky Wong" in answer.locator(".answer-text strong").inner_text()


def test_a_q_link_asks_at_once(page: Page, server: Served) -> None:
    page.goto(server.url + "?q=" + quote("Who moderated the forum?"))
    answer = page.locator(".bubble.answer")
    answer.wait_for(timeout=30_000)
    assert page.locator(".bubble.question").inner_text() == "Who moderated the forum?"
    assert "Becky Wong" in answer.locator(".answer-text strong").inner_text()


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(page: Page) -> None:
    answer = ask(page, "Who moderated the forum?")
    answer.locator(".copy").click()
    answer.locator(".tool-status", has_text="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Q: Who moderated the forum?\nA: The forum was moderated by Becky Wong"), copied
    assert "Sources:" in copied and "[1] " + SHIPPED_TITLE in copied and "cbiic-2024-license-in-out-forum.txt" in copied


def feedback_export(server: Served, everything: bool = False) -> list[dict[str, object]]:
    arguments = ["feedback", "export", "--index-dir", str(server.settings.index_dir), *(["--all"] if everything else [])]
    result = CliRunner().invoke(cli_app, arguments)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_thumbs_up_and_thumbs_down_with_a_comment_are_recorded(page: Page, server: Served) -> None:
    liked = ask(page, "Who planned the garden party?")
    liked.locator(".vote-up").click()
    liked.locator(".feedback-thanks").wait_for()
    disliked = ask(page, "Who moderated the forum?")
    assert disliked.locator(".feedback-comment").is_hidden()  # the comment box comes with 👎
    disliked.locator(".vote-down").click()
    disliked.locator(".feedback-comment textarea").fill("The panel moderator was meant.")
    disliked.locator(".feedback-send").click()
    assert disliked.locator(".feedback-thanks").inner_text() == "Thanks"
    entries = feedback_export(server, everything=True)
    down = next(e for e in entries if e["comment"] == "The panel moderator was meant.")
    assert down["q"] == "Who moderated the forum?" and down["kind"] == "review"
    assert "Becky Wong" in str(down["answer"]) and down["doc"] == "cbiic-2024-license-in-out-forum"
    up = next(e for e in entries if e["q"] == "Who planned the garden party?")
    assert up["kind"] == "confirmed" and "Mira Solano" in str(up["answer"])


def open_manage(page: Page, token: str) -> None:
    if page.locator("#library").is_hidden():
        page.click("#show-library")
    if page.locator("#manage[open]").count() == 0:
        page.click("#manage summary")
    page.fill("#admin-token", token)


def finished(page: Page) -> int:
    return int(page.get_attribute("#manage", "data-finished") or 0)


def wait_finished(page: Page, before: int) -> str:
    """The admin action is over, rebuild and list refresh included; returns what the page reported."""
    page.locator(f'#manage[data-finished="{before + 1}"]').wait_for(state="attached", timeout=120_000)
    return page.locator("#manage-status").inner_text() + "\n" + page.locator("#manage-result").inner_text()


def upload(page: Page, name: str, text: str, token: str = TOKEN) -> str:
    open_manage(page, token)
    before = finished(page)
    from playwright.sync_api import FilePayload

    page.set_input_files("#file-input", files=[FilePayload(name=name, mimeType="text/markdown", buffer=text.encode("utf-8"))])
    return wait_finished(page, before)


def delete(page: Page, title: str) -> str:
    open_manage(page, TOKEN)
    before = finished(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#doc-list li", has_text=title).locator(".doc-delete").click()
    return wait_finished(page, before)


def test_upload_then_delete_a_document_from_the_page(page: Page, server: Served) -> None:
    refused = upload(page, "lantern-walk.md", LANTERN, token="wrong")
    assert "wrong admin token" in refused and not (server.documents / "lantern-walk.md").exists()

    report = upload(page, "lantern-walk.md", LANTERN)
    assert "Done" in report and "Stored lantern-walk.md" in report and "Added: lantern-walk" in report, report
    assert page.evaluate("sessionStorage.getItem('forumqa.adminToken')") == TOKEN
    assert page.locator("#doc-list li", has_text="Lantern Walk Report").count() == 1
    answer = ask(page, LANTERN_QUESTION)
    assert "Ottilie Brandvold" in answer.locator(".answer-text").inner_text()
    assert "lantern-walk.md" in answer.locator(".citation").first.inner_text()

    report = delete(page, "Lantern Walk Report")
    assert "Deleted lantern-walk.md" in report and "Removed: lantern-walk" in report, report
    assert not (server.documents / "lantern-walk.md").exists()
    assert page.locator("#doc-list li", has_text="Lantern Walk Report").count() == 0
    again = ask(page, LANTERN_QUESTION)
    assert "abstained" in (again.get_attribute("class") or "") and "Ottilie" not in again.inner_text()


def test_uploaded_markup_and_feedback_comments_stay_inert(page: Page, server: Served) -> None:
    report = upload(page, PAYLOAD_NAME, PAYLOAD_DOC)
    assert "Stored " + PAYLOAD_NAME in report, report
    title = page.locator("#doc-list li", has_text="Payload Digest")
    assert "<img src=x onerror=window.__pwned=4>" in title.inner_text()
    title.locator(".doc-open").click()
    page.locator("#viewer-text", has_text="grey heron").wait_for()
    assert "<script>window.__pwned = 5</script>" in page.locator("#viewer-text").inner_text()

    answer = ask(page, "What was the payload digest mascot named?")
    assert "Quill" in answer.inner_text()
    answer.locator(".vote-down").click()
    answer.locator(".feedback-comment textarea").fill(PAYLOAD_COMMENT)
    answer.locator(".feedback-send").click()
    answer.locator(".feedback-thanks").wait_for()
    assert any(entry["comment"] == PAYLOAD_COMMENT for entry in feedback_export(server))

    delete(page, "Payload Digest")
    assert page.evaluate("window.__pwned") is None
    assert page.locator(INERT).count() == 0
