"""forumqa.uploads without HTTP or a model: which names are stored, how they are written, what a delete may remove."""

from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest

from forumqa import uploads
from forumqa.formats import PAGE_PARSERS
from forumqa.loading import load_documents
from forumqa.uploads import DeleteRefused, NameTaken, UploadRefused, UploadTooLarge, delete_source, plan_upload, safe_name, store

pytestmark = pytest.mark.unit

MB = 2**20


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("notes.md", "notes.md"),
        ("../x.md", "x.md"),
        ("..\\x.md", "x.md"),
        ("a/../../b.md", "b.md"),
        ("C:\\Users\\me\\Desktop\\thread.json", "thread.json"),
        ("/var/mail/list.mbox", "list.mbox"),
        ("  spaced name.TXT ", "spaced name.TXT"),
        ("Posts.xml", "Posts.xml"),
        ("cafe\u0301.md", "caf\u00e9.md"),  # NFC: one spelling on disk whatever the client sent
    ],
)
def test_only_the_base_name_is_kept(raw: str, stored: str) -> None:
    assert safe_name(raw) == stored


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "no file name"),
        ("", "no file name"),
        ("   ", "no file name"),
        ("..", "not a file name"),
        (".", "not a file name"),
        ("a/..", "not a file name"),
        ("dir/", "not a file name"),
        ("/etc/passwd", "unsupported file type (no extension)"),
        (".hidden.md", "hidden file"),
        ("../.env", "hidden file"),
        ("bad\x00name.md", "control"),
        ("x.md\x00.exe", "control"),
        ("new\nline.md", "control"),
        ("evil\u202egpj.md", "control"),  # right-to-left override: shows a name other than the real one
        ("a\uff0fb.md", "path separator"),  # full-width solidus: a slash under NFKC
        ("\uff0e\uff0e", "not a file name"),  # full-width dots: '..' under NFKC
        ("x.exe", "unsupported file type .exe"),
        ("archive.tar.gz", "unsupported file type .tar.gz"),
        ("inner.zip.gz", "unsupported file type .zip.gz"),
        ("a" * 260 + ".md", "longer than 255 bytes"),
    ],
)
def test_unsafe_or_unreadable_names_are_refused(raw: str | None, reason: str) -> None:
    with pytest.raises(UploadRefused, match=re.escape(reason)):
        safe_name(raw)


def test_the_readable_types_come_from_the_loader() -> None:
    assert set(PAGE_PARSERS) <= uploads.SUFFIXES and {".json", ".xml", ".mbox"} <= uploads.SUFFIXES
    assert ".exe" not in uploads.SUFFIXES and ".md" in uploads.supported()


# ---------------------------------------------------------------- planning a batch


def test_a_batch_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text("# Old\n\nText.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("Notes\nText.\n", encoding="utf-8")
    (tmp_path / "folder.md").mkdir()
    sent = [
        ("new.md", 10),
        ("old.md", 10),
        ("x.exe", 10),
        ("Notes.md", 10),  # document id "notes", taken by notes.txt
        ("big.txt", 2 * MB),
        ("empty.txt", 0),
        ("folder.md", 10),
        ("twin.md", 10),
        ("TWIN.txt", 10),  # same id as twin.md in the same batch
        ("unknown-size.md", None),
    ]
    plan = plan_upload(tmp_path, sent, overwrite=False, max_bytes=MB)
    assert plan.accepted == [(0, "new.md"), (1, "old.md"), (7, "twin.md"), (9, "unknown-size.md")]
    assert plan.existing == ["old.md"] and plan.too_large == ["big.txt"]
    reasons = {r.name: r.reason for r in plan.rejected}
    assert set(reasons) == {"x.exe", "Notes.md", "empty.txt", "folder.md", "TWIN.txt"}
    assert "notes.txt" in reasons["Notes.md"] and "twin.md" in reasons["TWIN.txt"] and "folder" in reasons["folder.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.md", "notes.txt", "old.md"]
    assert plan_upload(tmp_path, [("old.md", 10)], overwrite=True, max_bytes=MB).existing == []


# ---------------------------------------------------------------- storing


def test_store_writes_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    data = b"# Title\n\n" + b"words " * 300_000  # several chunks of the copy loop
    assert store(tmp_path / "docs", "a.md", io.BytesIO(data), max_bytes=4 * MB) == len(data)
    assert (tmp_path / "docs" / "a.md").read_bytes() == data
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["a.md"]
    assert (tmp_path / "docs" / "a.md").stat().st_mode & 0o777 == 0o644


def test_store_refuses_to_replace_unless_asked(tmp_path: Path) -> None:
    store(tmp_path, "a.md", io.BytesIO(b"first"), MB)
    with pytest.raises(NameTaken, match=re.escape("a.md is already in the documents folder; send overwrite=true")):
        store(tmp_path, "a.md", io.BytesIO(b"second"), MB)
    assert (tmp_path / "a.md").read_bytes() == b"first"
    store(tmp_path, "a.md", io.BytesIO(b"second"), MB, overwrite=True)
    assert (tmp_path / "a.md").read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_an_oversize_or_empty_file_is_not_stored(tmp_path: Path) -> None:
    with pytest.raises(UploadTooLarge, match="1 MB"):
        store(tmp_path, "big.md", io.BytesIO(b"x" * (MB + 1)), MB)
    with pytest.raises(UploadRefused, match="empty file"):
        store(tmp_path, "empty.md", io.BytesIO(b""), MB)
    assert list(tmp_path.iterdir()) == []


def test_two_uploads_of_one_name_at_once_store_one_of_them(tmp_path: Path) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def send(n: int) -> None:
        barrier.wait()
        try:
            store(tmp_path, "race.md", io.BytesIO(f"version {n}".encode()), MB)
            outcomes.append("stored")
        except NameTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stored"] + ["taken"] * 7
    assert [p.name for p in tmp_path.iterdir()] == ["race.md"]


def test_a_temporary_upload_is_invisible_to_the_loader(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nThe kiln was fired.\n", encoding="utf-8")
    (tmp_path / ".upload-123.part").write_text("# Half\n\nwritten", encoding="utf-8")
    result = load_documents(tmp_path)
    assert [d.source for d in result.documents] == ["a.md"] and result.skipped == []


# ---------------------------------------------------------------- deleting


def test_delete_removes_the_source_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "list.mbox").write_text("From x\n", encoding="utf-8")
    assert delete_source(tmp_path, "sub/list.mbox") is True
    assert not (tmp_path / "sub" / "list.mbox").exists() and (tmp_path / "sub").is_dir()
    assert delete_source(tmp_path, "sub/list.mbox") is False  # already gone


@pytest.mark.parametrize("source", ["../outside.md", "/etc/passwd", "a/../../outside.md", "", ".", "a//b.md", "..\\outside.md"])
def test_delete_refuses_paths_that_leave_the_folder(tmp_path: Path, source: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "outside.md").write_text("keep me", encoding="utf-8")
    with pytest.raises(DeleteRefused):
        delete_source(docs, source)
    assert (tmp_path / "outside.md").exists()


def test_delete_refuses_links_that_lead_outside_and_removes_links_inside(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    secret = tmp_path / "secret.md"
    secret.write_text("keep me", encoding="utf-8")
    (docs / "escape.md").symlink_to(secret)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.md").write_text("keep me too", encoding="utf-8")
    (docs / "via").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (docs / "loop.md").symlink_to(docs / "loop.md")
    for source in ("escape.md", "via/b.md", "loop.md"):
        with pytest.raises(DeleteRefused, match="outside"):
            delete_source(docs, source)
    assert secret.exists() and (tmp_path / "elsewhere" / "b.md").exists()
    (docs / "real.md").write_text("# Real\n\nText.\n", encoding="utf-8")
    (docs / "alias.md").symlink_to(docs / "real.md")
    assert delete_source(docs, "alias.md") is True
    assert (docs / "real.md").exists() and not os.path.lexists(docs / "alias.md")


def test_delete_refuses_a_folder_export(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    with pytest.raises(DeleteRefused, match="folder"):
        delete_source(tmp_path, "slack")
    assert (tmp_path / "slack").is_dir()
