"""Saves docs/screenshot.png: the chat page answering "Who moderated the forum?" from the shipped documents.

A real server (the app `forumqa serve` runs, in a thread, building a throw-away index of documents/ at
start-up) and headless Chromium driven by Playwright, launched as tests/test_browser.py launches it.
The picture shows the answer with its short answer in bold, its citations, and the first citation
opened in the document panel with the quoted sentence highlighted.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from forumqa.api import create_app
from forumqa.config import Settings
from forumqa.testing import serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Who moderated the forum?"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Building the index embeds every shipped sentence on the CPU: tens of seconds on a small machine.
START_TIMEOUT_S = 600.0


@contextmanager
def serving(documents: Path, index_dir: Path) -> Iterator[str]:
    """The URL of a server over `documents`, up until the block ends."""
    settings = Settings(documents_dir=documents, index_dir=index_dir)
    with serve_in_thread(create_app(settings), start_timeout_s=START_TIMEOUT_S) as url:
        yield f"{url}/"


def take(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            page.goto(url)
            page.locator("#doc-list li").first.wait_for()
            page.fill("#question", QUESTION)
            page.press("#question", "Enter")
            answer = page.locator(".bubble.answer")
            answer.wait_for(timeout=60_000)
            answer.locator(".citation").first.click()
            page.locator("#viewer-text mark").wait_for()
            page.locator("#question").blur()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--documents-dir", type=Path, default=ROOT / "documents")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forumqa-screenshot-") as index_dir, serving(args.documents_dir, Path(index_dir)) as url:
        take(url, args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
