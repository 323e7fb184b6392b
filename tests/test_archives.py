"""Compressed exports are read as what they hold: a gzipped mbox month, a zipped Slack export."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest

from forumqa.documents import Document
from forumqa.loading import load_documents
from forumqa.uploads import safe_name

pytestmark = pytest.mark.unit

FORUMS = Path(__file__).parent / "fixtures" / "forums"
MBOX = FORUMS / "mbox" / "quill-users.mbox"
SLACK = FORUMS / "slack" / "acme-export"


def _posts(documents: list[Document]) -> list[tuple[str, str, list[tuple[str | None, str | None, str]]]]:
    """What a reader sees of each document, without the ids (those are made from the file's name)."""
    return [
        (d.title, d.text, [(s.author, s.post, d.text[s.start : s.end]) for s in d.sections])
        for d in sorted(documents, key=lambda d: d.doc_id)
    ]


def _zip_folder(folder: Path, target: Path, under: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{under}{path.relative_to(folder).as_posix()}")
    return target


def test_a_gzipped_mbox_month_reads_as_the_mbox_itself(tmp_path: Path) -> None:
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    shutil.copy(MBOX, plain / "2024-March.txt")  # pipermail names its months so
    (packed / "2024-March.txt.gz").write_bytes(gzip.compress(MBOX.read_bytes()))
    expected, found = load_documents(plain), load_documents(packed)
    assert found.skipped == expected.skipped == []
    assert len(found.documents) > 1 and _posts(found.documents) == _posts(expected.documents)
    assert {d.source for d in found.documents} == {"2024-March.txt.gz"}


@pytest.mark.parametrize("under", ["", "acme Slack export/"])
def test_a_zipped_slack_export_reads_as_the_folder(tmp_path: Path, under: str) -> None:
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    shutil.copytree(SLACK, plain / "acme-export")
    _zip_folder(SLACK, packed / "acme-export.zip", under)  # the export's files at the top, or in one folder
    expected, found = load_documents(plain), load_documents(packed)
    assert [s.reason for s in found.skipped] == [s.reason for s in expected.skipped]
    assert found.documents and _posts(found.documents) == _posts(expected.documents)


def test_damaged_archives_are_skipped_by_name_with_the_reason(tmp_path: Path) -> None:
    whole = gzip.compress(MBOX.read_bytes())
    (tmp_path / "cut.mbox.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "not.gz").write_bytes(b"plain words, no gzip header")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 and then nothing a zip needs")
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as archive:
        archive.writestr("notes/readme.txt", "A zip of notes is no export.")
    (tmp_path / "site.tar.gz").write_bytes(gzip.compress(b"a tar would be here"))
    (tmp_path / "fine.txt").write_text("Notes\n\nThis file is still read.\n")
    result = load_documents(tmp_path)
    reasons = {s.source: s.reason for s in result.skipped}
    assert reasons["cut.mbox.gz"].startswith("not a readable gzip file")
    assert reasons["not.gz"].startswith("not a readable gzip file")
    assert reasons["broken.zip"].startswith("not a readable zip file")
    assert "Slack export" in reasons["notes.zip"]
    assert reasons["site.tar.gz"].startswith("an archive inside an archive")
    assert [d.source for d in result.documents] == ["fine.txt"]


def test_the_size_limit_counts_unpacked_bytes(tmp_path: Path) -> None:
    limit = 1 << 20
    text = b"word " * limit  # 5 MB that compress to a few KB: a small file that unpacks large
    (tmp_path / "big.mbox.gz").write_bytes(gzip.compress(text))
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):  # no one member over the limit, all of them together
            archive.writestr(f"part{i}.txt", text[: limit // 2])
    assert all(path.stat().st_size < limit // 10 for path in tmp_path.iterdir())
    reasons = {s.source: s.reason for s in load_documents(tmp_path, max_file_bytes=limit).skipped}
    assert reasons == dict.fromkeys(["big.mbox.gz", "big.zip"], "unpacks to more than the 1 MB limit per file (FORUMQA_MAX_FILE_MB)")


def test_a_zip_member_that_points_outside_is_refused_and_nothing_is_written_there(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    with zipfile.ZipFile(folder / "export.zip", "w") as archive:
        archive.writestr("users.json", "[]")
        archive.writestr("../escaped.json", "[]")
    result = load_documents(folder)
    assert "outside the archive" in result.skipped[0].reason
    assert not (tmp_path / "escaped.json").exists() and not list(tmp_path.glob("**/escaped.json"))


def test_archives_can_be_uploaded() -> None:
    assert safe_name("2024-March.txt.gz") == "2024-March.txt.gz"
    assert safe_name("acme Slack export.zip") == "acme Slack export.zip"
