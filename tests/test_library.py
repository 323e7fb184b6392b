"""The Python front door: the README's example runs as written, and the public names are importable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import forumqa
from conftest import ROOT, SHIPPED_DOCUMENTS
from forumqa.embedding import SentenceTransformerEmbedder


def _readme_python() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Python section has no python block"
    return match.group(1)


@pytest.mark.unit
def test_everything_in_all_is_importable() -> None:
    missing = [name for name in forumqa.__all__ if not hasattr(forumqa, name)]
    assert not missing
    assert issubclass(forumqa.DocumentNotFoundError, forumqa.ForumQAError)


def test_the_readme_python_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SHIPPED_DOCUMENTS, tmp_path / "documents")
    monkeypatch.chdir(tmp_path)
    # The session's model, not a second load: open() would build its own embedder from the same settings.
    monkeypatch.setattr("forumqa.engine.SentenceTransformerEmbedder", lambda *args, **kwargs: embedder)
    exec(compile(_readme_python(), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "moderated by Becky Wong" in out.splitlines()[0]
    assert (tmp_path / "index" / "CURRENT").exists()
