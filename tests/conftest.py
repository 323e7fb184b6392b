from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from forumqa.config import Settings
from forumqa.embedding import SentenceTransformerEmbedder
from forumqa.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DOCUMENTS = ROOT / "documents"
EVAL_DIR = ROOT / "eval"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tiers: a test that reaches the real model (the `embedder` fixture, directly or not) is `model`;
    a `unit` test must not, so that `make test-fast` never loads it.
    """
    for item in items:
        if "embedder" in getattr(item, "fixturenames", ()):
            if item.get_closest_marker("unit"):
                raise pytest.UsageError(f"{item.nodeid} is marked unit but loads the real model (fixture `embedder`)")
            item.add_marker(pytest.mark.model)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every default path (documents/, index/) resolves inside the test's own folder."""
    monkeypatch.chdir(tmp_path)
    for name in ("DOCUMENTS_DIR", "INDEX_DIR", "MODEL", "ADMIN_TOKEN", "RETRIEVAL", "ABSTAIN_BELOW"):
        monkeypatch.delenv(f"FORUMQA_{name}", raising=False)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real bundled model, loaded once for the whole run."""
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def shipped_engine(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = Settings(documents_dir=SHIPPED_DOCUMENTS, index_dir=tmp_path_factory.mktemp("shipped-index"))
    return Engine.open(settings, embedder, build_if_missing=True)


@pytest.fixture(scope="session")
def forums_engine(embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = Settings(documents_dir=EVAL_DIR / "corpus", index_dir=tmp_path_factory.mktemp("forums-index"))
    return Engine.open(settings, embedder, build_if_missing=True)


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the shipped documents, for tests that change them."""
    folder = tmp_path / "documents"
    shutil.copytree(SHIPPED_DOCUMENTS, folder)
    yield folder


def assert_citations_exact(engine: Engine, citations: list) -> None:  # type: ignore[type-arg]
    """The product's invariant: document text[start:end] is exactly the quoted text."""
    for citation in citations:
        text = engine.document(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.text, citation
