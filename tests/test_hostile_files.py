"""Files that used to hang, balloon or abort a build (hardening findings 3, 4 and 5): each is now read in
bounded work or skipped by name with a reason, and the rest of the folder is indexed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forumqa.chunking import split_sentences
from forumqa.config import Settings
from forumqa.index import build_index
from forumqa.loading import load_documents, read_file
from forumqa.testing import FakeEmbedder

pytestmark = pytest.mark.unit


def reasons(folder: Path, **limits: int) -> dict[str, str]:
    return {s.source: s.reason for s in load_documents(folder, **limits).skipped}


def test_a_parser_failure_skips_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Good\nA fine sentence.\n")
    (tmp_path / "deep.json").write_text('{"title": "x", "posts": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "bigint.json").write_text('{"title": "x", "posts": [{"author": "a", "text": ' + "9" * 5000 + "}]}")
    result = load_documents(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good"]
    skipped = {s.source: s.reason for s in result.skipped}
    assert set(skipped) == {"deep.json", "bigint.json"}
    assert all("\n" not in reason and len(reason) < 300 for reason in skipped.values())


def test_a_bad_file_does_not_fail_the_build(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "good.txt").write_text("Good\nThe good file says hello.\n")
    (documents / "deep.json").write_text('{"title": "x", "posts": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = build_index(Settings(documents_dir=documents, index_dir=tmp_path / "index"), FakeEmbedder())
    assert report.documents == 1
    assert [s.source for s in report.skipped] == ["deep.json"]


@pytest.mark.integration
def test_a_long_paragraph_is_split_in_bounded_windows_with_exact_offsets(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("Long Line\n" + "".join(f"word{i}, other; Mr. X e.g. 3.5 " for i in range(3000)) + "\n")
    [document] = read_file(path, "long.txt")
    sentences = split_sentences(document, max_chars=500)
    assert len(sentences) >= len(document.text) // 500
    for sentence in sentences:
        assert len(sentence.text) <= 500
        assert document.text[sentence.start : sentence.end] == sentence.text


def test_identical_lines_are_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "same.txt"
    path.write_text("Same Lines\n" + "the same short line.\n" * 50_000 + "One different line.\n")
    [document] = read_file(path, "same.txt")
    assert [s.text for s in split_sentences(document)] == ["the same short line.", "One different line."]


@pytest.mark.integration
def test_deeply_nested_html_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<html><head><title>Deep</title></head><body>" + "<div>" * 100_000 + "Deep text here." + "</div>" * 100_000)
    [document] = read_file(path, "deep.html")
    assert document.text == "Deep\nDeep text here."


def test_files_over_the_size_limit_are_skipped_by_name(tmp_path: Path) -> None:
    (tmp_path / "small.txt").write_text("Small\nA small file.\n")
    (tmp_path / "big.txt").write_text("Big\n" + "x " * 600_000)
    skipped = reasons(tmp_path, max_file_bytes=1_000_000)
    assert list(skipped) == ["big.txt"] and "limit" in skipped["big.txt"] and "FORUMQA_MAX_FILE_MB" in skipped["big.txt"]


def test_links_out_of_the_folder_loops_and_dangling_links_are_reported_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\nThe password is swordfish.\n")
    (folder / "inside.txt").write_text("Inside\nAn ordinary file.\n")
    os.symlink(outside, folder / "etc-passwd.txt")
    os.symlink(folder / "inside.txt", folder / "alias.txt")  # stays inside: read
    os.symlink(folder / "nowhere.txt", folder / "dangling.txt")
    os.symlink(folder / "loop-b.txt", folder / "loop-a.txt")
    os.symlink(folder / "loop-a.txt", folder / "loop-b.txt")
    os.symlink(tmp_path, folder / "up")
    result = load_documents(folder)
    assert sorted(d.doc_id for d in result.documents) == ["alias", "inside"]
    assert not any("swordfish" in d.text for d in result.documents)
    skipped = {s.source: s.reason for s in result.skipped}
    assert "outside the documents folder" in skipped["etc-passwd.txt"]
    assert "dangling" in skipped["dangling.txt"]
    assert "loops" in skipped["loop-a.txt"] and "loops" in skipped["loop-b.txt"]
    assert "outside" in skipped["up"]


def test_the_other_tables_of_a_stack_exchange_dump_are_not_reported_as_skipped(tmp_path: Path) -> None:
    for name in ("Users.xml", "Comments.xml", "Votes.xml"):
        (tmp_path / name).write_text('<?xml version="1.0" encoding="utf-8"?>\n<users>\n</users>\n')
    (tmp_path / "Posts.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        '  <row Id="1" PostTypeId="1" CreationDate="2024-01-01T10:00:00.000" Title="Why is the kettle loud?" '
        'Body="&lt;p&gt;My kettle whistles loudly.&lt;/p&gt;" OwnerUserId="5" />\n</posts>\n'
    )
    result = load_documents(tmp_path)
    assert [d.doc_id for d in result.documents] == ["posts/q1"] and result.skipped == []


def test_repeated_short_lines_that_look_like_headings_are_stored_once_too(tmp_path: Path) -> None:
    path = tmp_path / "same.txt"
    path.write_text("Same Lines\n" + "ok line\n" * 20_000)
    [document] = read_file(path, "same.txt")
    assert [s.text for s in split_sentences(document)] == ["ok line"]


def test_a_long_run_without_sentence_punctuation_skips_the_splitter_and_keeps_exact_offsets(tmp_path: Path) -> None:
    path = tmp_path / "run-on.txt"
    path.write_text("Run On\n" + " ".join(f"word{i}" for i in range(50_000)) + "\n")
    [document] = read_file(path, "run-on.txt")
    sentences = split_sentences(document, max_chars=1000)
    assert all(len(s.text) <= 1000 and document.text[s.start : s.end] == s.text for s in sentences)
    assert " ".join(s.text for s in sentences) == document.text.split("\n")[1]
