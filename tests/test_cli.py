"""The CLI as a user runs it: a real subprocess, so messages, exit codes and the absence of tracebacks are what a shell sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EVAL_DIR, SHIPPED_DOCUMENTS

FORUMQA = [sys.executable, "-m", "forumqa.cli"]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FORUMQA, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like a checkout (documents/, index/) with the index built by `forumqa index`."""
    root = tmp_path_factory.mktemp("cli")
    (root / "documents").symlink_to(SHIPPED_DOCUMENTS)
    result = run("index", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "indexed 1 documents" in result.stdout and "chunks" in result.stdout
    return root


def test_ask_prints_the_answer_with_numbered_citations(built: Path) -> None:
    result = run("ask", "What is the total deal value of AstraZeneca's licensing agreements?", cwd=built)
    assert result.returncode == 0, result.stderr
    assert "$8.5 billion" in result.stdout and "[1]" in result.stdout and "cbiic-2024-license-in-out-forum.txt:" in result.stdout


def test_ask_json_is_the_api_answer_object(built: Path) -> None:
    result = run("ask", "Who wrote Romeo and Juliet?", "--json", cwd=built)
    body = json.loads(result.stdout)
    assert body["abstained"] is True and body["answer"] is None and body["related"]
    assert set(body) >= {"question", "answer", "abstained", "confidence", "citations", "related", "timings_ms"}


def test_index_json_and_environment_settings(built: Path, tmp_path: Path) -> None:
    result = run(
        "index", "--json", cwd=tmp_path, env={"FORUMQA_DOCUMENTS_DIR": str(SHIPPED_DOCUMENTS), "FORUMQA_INDEX_DIR": str(tmp_path / "idx")}
    )
    report = json.loads(result.stdout)
    assert report["documents"] == 1 and report["added"] == ["cbiic-2024-license-in-out-forum"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "   "), "the question is empty"),
        (("ask", "anything", "--index-dir", "nowhere"), "run `forumqa index`"),
        (("index", "--documents-dir", "missing-folder"), "does not exist"),
        (("ask", "anything", "--mode", "fuzzy"), "retrieval"),
    ],
)
def test_errors_are_one_line_without_traceback(built: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=built)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_empty_documents_folder(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    result = run("index", cwd=tmp_path)
    assert result.returncode == 1 and "no readable documents" in result.stderr and "Traceback" not in result.stderr


def test_eval_prints_the_three_modes(built: Path) -> None:
    result = run("eval", str(EVAL_DIR / "dev_questions.jsonl"), cwd=built)
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split()[:2]): line.split() for line in result.stdout.splitlines()[2:] if line.split()[:1] == ["all"]}
    assert set(rows) == {("all", "bm25"), ("all", "dense"), ("all", "hybrid")}
    hybrid = rows[("all", "hybrid")]
    assert float(hybrid[3]) >= 0.9 and float(hybrid[5]) >= 0.9  # the dev set's answer accuracy and off-topic abstention
