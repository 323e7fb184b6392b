from __future__ import annotations

import json
from pathlib import Path

import pytest

from forumqa.documents import Document, Section, UnreadableDocument, make_doc_id, parse_date
from forumqa.errors import NoDocumentsError
from forumqa.loading import load_documents, read_file

pytestmark = pytest.mark.unit


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def read_document(path: Path, source: str) -> Document:
    [document] = read_file(path, source)
    return document


def body(document: Document) -> str:
    return "".join(document.text[s.start : s.end] for s in document.sections)


def test_txt_title_date_and_body(tmp_path: Path) -> None:
    path = write(tmp_path, "report.txt", "Forum Report Title\n2025-03-09 23:14\nFirst sentence. Second one.\n")
    document = read_document(path, "report.txt")
    assert document.title == "Forum Report Title"
    assert document.date == "2025-03-09T23:14"
    assert body(document).strip() == "First sentence. Second one."
    assert document.text == path.read_text()  # offsets index into the file's own text


def test_txt_without_date_line_keeps_second_line_as_body(tmp_path: Path) -> None:
    document = read_document(write(tmp_path, "a.txt", "Title\nNot a date at all.\n"), "a.txt")
    assert document.date is None
    assert "Not a date at all." in body(document)


def test_markdown_title_from_first_heading(tmp_path: Path) -> None:
    document = read_document(write(tmp_path, "n.md", "# The Title\n2024-12-02\n\n## Part\n\nSome prose here.\n"), "n.md")
    assert document.title == "The Title"
    assert document.date == "2024-12-02"
    assert "Some prose here." in body(document)


def test_html_visible_text_only(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Summit Report</title><meta name='date' content='2024-10-15'>"
        "<script>var secret = 1;</script><style>p {}</style></head>"
        "<body><nav><a href='/'>Home</a> | <a href='/reports'>Reports</a></nav>"
        "<h1>Summit Report</h1><p>The <b>summit</b> took place.</p><p>Second paragraph.</p></body></html>"
    )
    document = read_document(write(tmp_path, "s.html", html), "s.html")
    assert document.title == "Summit Report"
    assert document.date == "2024-10-15"
    assert "secret" not in document.text and "p {}" not in document.text and "Home" not in document.text
    assert "The summit took place.\nSecond paragraph." in document.text  # inline tags stay inline, blocks split


def test_thread_posts_keep_author_and_date(tmp_path: Path) -> None:
    thread = {
        "title": "NewCo talk",
        "posts": [
            {"author": "anna", "date": "2024-12-05", "text": "First post."},
            {"author": "marco", "date": "2024-12-06", "text": "Reply here."},
        ],
    }
    document = read_document(write(tmp_path, "t.json", json.dumps(thread)), "t.json")
    assert document.title == "NewCo talk"
    assert [(s.author, s.date) for s in document.sections] == [("anna", "2024-12-05"), ("marco", "2024-12-06")]
    assert [document.text[s.start : s.end] for s in document.sections] == ["First post.", "Reply here."]
    assert [s.post for s in document.sections] == ["1", "2"]
    assert document.date == "2024-12-05"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", "   \n", "empty"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("latin1.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("broken.json", "{not json", "not a forum export"),
        ("noposts.json", '{"title": "x"}', "not a forum export"),
        ("truncated.json", '{"title": "x", "posts": [{"author": "a", "te', "invalid JSON"),
        ("titleonly.txt", "Only a title\n", "no text"),
    ],
)
def test_bad_files_raise_a_reason(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocument, match=reason):
        read_document(write(tmp_path, name, content), name)


def test_load_skips_bad_files_by_name_and_keeps_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", "Good\nA fine sentence.\n")
    write(tmp_path, "sub/also-good.md", "# Also good\n\nMore prose.\n")
    write(tmp_path, "bad.txt", b"\xff\xfe\x00")
    write(tmp_path, "image.png", b"\x89PNG")
    write(tmp_path, ".hidden.txt", "ignored")
    result = load_documents(tmp_path)
    assert sorted(d.doc_id for d in result.documents) == ["good", "sub/also-good"]
    assert sorted(s.source for s in result.skipped) == ["bad.txt", "image.png"]
    assert all(s.reason for s in result.skipped)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoDocumentsError, match="does not exist"):
        load_documents(tmp_path / "nowhere")


def test_doc_ids_are_stable_and_path_derived() -> None:
    assert make_doc_id("cbiic-2024-license-in-out-forum.txt") == "cbiic-2024-license-in-out-forum"
    assert make_doc_id("Threads/My Thread (1).json") == "threads/my-thread-1"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2025-03-09 23:14", "2025-03-09T23:14"),
        ("2024-12-02", "2024-12-02"),
        ("December 1, 2024", "2024-12-01"),
        ("Opening Ceremony", None),
    ],
)
def test_parse_date(line: str, expected: str | None) -> None:
    assert parse_date(line) == expected


def test_a_document_whose_sections_moved_under_the_same_text_is_changed_for_a_rebuild() -> None:
    """A rebuild reuses an unchanged document's sentences, and a sentence records its section: a reader that now
    credits a quote to its writer changes no text, only sections, and must not leave the old records in place."""
    text = "Kiln notes\n> ana wrote:\n> Fire slowly.\nAgreed."
    before = Document("d", "d.json", "Kiln notes", None, text, (Section(24, 36, author="ben"), Section(37, 44, author="ben")))
    after = Document("d", "d.json", "Kiln notes", None, text, (Section(24, 36, author="ana", quoted=True), Section(37, 44, author="ben")))
    assert before.content_hash != after.content_hash
    assert before.content_hash == Document("d", "elsewhere", "Kiln notes", None, text, before.sections).content_hash
