"""Compressed exports are read as what they hold: a gzipped mbox month, a zipped Slack export, a Stack Exchange dump's .7z."""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import py7zr
import pytest

from forumqa import archives
from forumqa.archives import unpacked
from forumqa.documents import Document
from forumqa.loading import load_documents
from forumqa.uploads import plan_upload, safe_name, store

pytestmark = pytest.mark.unit

FORUMS = Path(__file__).parent / "fixtures" / "forums"
MBOX = FORUMS / "mbox" / "quill-users.mbox"
SLACK = FORUMS / "slack" / "acme-export"
STACKEXCHANGE = FORUMS / "stackexchange"
#: The tables of a Stack Exchange site dump that forumqa leaves packed, in our own words.
OTHER_TABLES = {
    "Badges.xml": '<?xml version="1.0" encoding="utf-8"?>\n<badges>\n  <row Id="1" UserId="7" Name="Teacher" />\n</badges>\n',
    "Comments.xml": '<?xml version="1.0" encoding="utf-8"?>\n<comments>\n  <row Id="1" PostId="1" Text="Which version?" />\n</comments>\n',
    "Votes.xml": '<?xml version="1.0" encoding="utf-8"?>\n<votes>\n  <row Id="1" PostId="1" VoteTypeId="2" />\n</votes>\n',
}


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


# ---------------------------------------------------------------- Stack Exchange dumps as .7z


def _seven_zip(target: Path, members: dict[str, bytes]) -> Path:
    with py7zr.SevenZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return target


def _site_dump(under: str = "") -> dict[str, bytes]:
    """A site's dump as Stack Exchange packs it: every table at the top (or, as some dumps are laid out, in one folder)."""
    tables = {name: text.encode() for name, text in OTHER_TABLES.items()}
    tables |= {name: (STACKEXCHANGE / name).read_bytes() for name in ("Posts.xml", "Users.xml")}
    return {f"{under}{name}": data for name, data in sorted(tables.items())}


def _urls(documents: list[Document]) -> list[list[str | None]]:
    return [[s.url for s in d.sections] for d in sorted(documents, key=lambda d: d.doc_id)]


def _plain_dump(folder: Path, *tables: str) -> Path:
    site = folder / "quill.example.com"  # unpacked by hand into a folder named after its site, as 7-Zip's "extract to" does
    site.mkdir(parents=True)
    for name in tables:
        shutil.copy(STACKEXCHANGE / name, site / name)
    return folder


@pytest.mark.parametrize("under", ["", "quill.example.com/"])
def test_a_7z_site_dump_reads_as_the_unpacked_folder(tmp_path: Path, under: str) -> None:
    plain, packed = _plain_dump(tmp_path / "plain", "Posts.xml", "Users.xml"), tmp_path / "packed"
    (plain / "quill.example.com" / "Comments.xml").write_text(OTHER_TABLES["Comments.xml"])  # unpacked with the posts too
    packed.mkdir()
    _seven_zip(packed / "quill.example.com.7z", _site_dump(under))
    expected, found = load_documents(plain), load_documents(packed)
    assert [s.reason for s in found.skipped] == [s.reason for s in expected.skipped]
    assert {s.source for s in found.skipped} == {"quill.example.com.7z"}
    assert len(found.documents) > 1 and _posts(found.documents) == _posts(expected.documents)
    assert "Priya N." in {s.author for d in found.documents for s in d.sections}  # names from the Users.xml packed beside it
    assert _urls(found.documents) == _urls(expected.documents) and "https://quill.example.com/q/1" in _urls(found.documents)[0]


def test_only_posts_users_and_comments_are_unpacked_from_a_7z(tmp_path: Path) -> None:
    dump = _seven_zip(tmp_path / "quill.example.com.7z", _site_dump())
    with unpacked(dump) as posts:
        root = posts.parent.parent
        assert posts.name == "Posts.xml" and posts.read_bytes() == (STACKEXCHANGE / "Posts.xml").read_bytes()
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
            "quill.example.com/Comments.xml",
            "quill.example.com/Posts.xml",
            "quill.example.com/Users.xml",
        ]


def test_a_7z_sites_comments_are_read_and_stay_packed_when_they_would_pass_the_size_limit(tmp_path: Path) -> None:
    tables = _site_dump()
    limit = len(tables["Posts.xml"]) + len(tables["Users.xml"]) + 1024
    long_comment = b'  <row Id="9" PostId="1" Text="' + b"x" * limit + b'" />\n</comments>'
    tables["Comments.xml"] = tables["Comments.xml"].replace(b"</comments>", long_comment)
    _seven_zip(tmp_path / "quill.example.com.7z", tables)
    with unpacked(tmp_path / "quill.example.com.7z") as posts:
        assert (posts.parent / "Comments.xml").is_file()
    with unpacked(tmp_path / "quill.example.com.7z", max_bytes=limit) as posts:
        assert sorted(p.name for p in posts.parent.iterdir()) == ["Posts.xml", "Users.xml"]  # the posts still read
    found = load_documents(tmp_path)
    assert any(s.post == "c1" and s.reply_to == "1" for d in found.documents for s in d.sections)  # "Which version?" under question 1


def test_a_per_table_7z_with_posts_only_reads_as_posts_xml_alone(tmp_path: Path) -> None:
    plain, packed = _plain_dump(tmp_path / "plain", "Posts.xml"), tmp_path / "packed"
    packed.mkdir()
    # Stack Overflow's dump: one archive per table; the site's name is what comes before "-Posts"
    _seven_zip(packed / "quill.example.com-Posts.7z", {"Posts.xml": (STACKEXCHANGE / "Posts.xml").read_bytes()})
    expected, found = load_documents(plain), load_documents(packed)
    assert [s.reason for s in found.skipped] == [s.reason for s in expected.skipped]
    assert found.documents and _posts(found.documents) == _posts(expected.documents)
    assert _urls(found.documents) == _urls(expected.documents)
    assert "Priya N." not in {s.author for d in found.documents for s in d.sections}  # no Users.xml: "user <id>"


def test_a_7z_that_is_no_stack_exchange_dump_is_skipped_with_the_reason(tmp_path: Path) -> None:
    tables = _site_dump()
    _seven_zip(tmp_path / "stackoverflow.com-Comments.7z", {"Comments.xml": tables["Comments.xml"]})
    _seven_zip(tmp_path / "notes.7z", {"notes/readme.txt": b"A 7z of notes is no dump."})
    _seven_zip(tmp_path / "two.7z", {"a/Posts.xml": tables["Posts.xml"], "b/Posts.xml": tables["Posts.xml"]})
    (tmp_path / "fine.txt").write_text("Notes\n\nThis file is still read.\n")
    result = load_documents(tmp_path)
    reasons = {s.source: s.reason for s in result.skipped}
    assert "7z archive holds no Stack Exchange Posts.xml" in reasons["stackoverflow.com-Comments.7z"]
    assert "7z archive holds no Stack Exchange Posts.xml" in reasons["notes.7z"]
    assert "more than one Posts.xml (a/Posts.xml, b/Posts.xml)" in reasons["two.7z"]
    assert [d.source for d in result.documents] == ["fine.txt"]


def test_damaged_or_encrypted_7z_archives_are_skipped_by_name_with_the_reason(tmp_path: Path) -> None:
    whole = _seven_zip(tmp_path / "whole.7z", _site_dump()).read_bytes()
    (tmp_path / "whole.7z").unlink()
    (tmp_path / "cut.7z").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "not.7z").write_bytes(b"plain words, no 7z signature")
    flipped = bytearray(whole)
    for offset in range(40, 60):  # inside the packed stream, just after the 32-byte signature header
        flipped[offset] ^= 0xFF
    (tmp_path / "flipped.7z").write_bytes(bytes(flipped))
    for name, header_encryption in (("locked.7z", False), ("locked-names.7z", True)):
        with py7zr.SevenZipFile(tmp_path / name, "w", password="secret", header_encryption=header_encryption) as archive:
            archive.writestr((STACKEXCHANGE / "Posts.xml").read_bytes(), "Posts.xml")
    (tmp_path / "fine.txt").write_text("Notes\n\nThis file is still read.\n")
    result = load_documents(tmp_path)
    reasons = {s.source: s.reason for s in result.skipped}
    for name in ("cut.7z", "not.7z", "flipped.7z"):
        assert reasons[name].startswith("not a readable 7z file ("), reasons[name]
    encrypted = "an encrypted 7z archive (it needs a password, which forumqa does not take)"
    assert reasons["locked.7z"] == reasons["locked-names.7z"] == encrypted
    assert [d.source for d in result.documents] == ["fine.txt"]


@pytest.mark.parametrize("bad", ["../../escaped.xml", "/escaped.xml", "C:/escaped.xml", "site\\..\\..\\..\\escaped.xml"])
def test_a_7z_member_that_points_outside_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    folder, scratch = tmp_path / "documents", tmp_path / "scratch"
    folder.mkdir()
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the archive is unpacked: "../../x" would land in it
    with py7zr.SevenZipFile(folder / "quill.example.com.7z", "w") as archive:
        archive.writestr((STACKEXCHANGE / "Posts.xml").read_bytes(), "Posts.xml")
        archive._writef(io.BytesIO(b"<users />"), bad)  # py7zr's public writef refuses such names; a hostile tool does not
    result = load_documents(folder)
    assert [s.source for s in result.skipped] == ["quill.example.com.7z"] and not result.documents
    assert "outside the archive" in result.skipped[0].reason
    assert not list(scratch.iterdir()) and not list(tmp_path.glob("**/escaped.xml"))


def _big_dump(size: int) -> bytes:
    row = b'  <row Id="1" PostTypeId="1" Title="Fan" Body="&lt;p&gt;word word word&lt;/p&gt;" OwnerUserId="7" />\n'
    return b'<?xml version="1.0" encoding="utf-8"?>\n<posts>\n' + row * (size // len(row)) + b"</posts>\n"


def test_the_size_limit_counts_unpacked_7z_bytes(tmp_path: Path) -> None:
    limit = 1 << 20
    _seven_zip(tmp_path / "big.7z", {"Posts.xml": _big_dump(3 * limit)})
    # no one table over the limit, the two unpacked together; the tables left packed do not count
    _seven_zip(tmp_path / "pair.7z", {"Posts.xml": _big_dump(limit * 6 // 10), "Users.xml": _big_dump(limit * 6 // 10)})
    _seven_zip(tmp_path / "quill.example.com.7z", _site_dump() | {"PostHistory.xml": _big_dump(3 * limit)})
    assert all(path.stat().st_size < limit // 10 for path in tmp_path.iterdir())
    result = load_documents(tmp_path, max_file_bytes=limit)
    reasons = {s.source: s.reason for s in result.skipped if "limit" in s.reason}
    assert reasons == dict.fromkeys(["big.7z", "pair.7z"], "unpacks to more than the 1 MB limit per file (FORUMQA_MAX_FILE_MB)")
    assert {d.source for d in result.documents} == {"quill.example.com.7z"}


def test_the_7z_size_limit_holds_while_unpacking_whatever_the_headers_declare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 1 << 20
    _seven_zip(tmp_path / "big.7z", {"Posts.xml": _big_dump(3 * limit)})
    monkeypatch.setattr(archives, "_declared_size", lambda members: 0)  # headers that claim the dump is empty
    written: list[int] = []
    count = archives._Sinks.count

    def counted(sinks: archives._Sinks, size: int) -> None:
        written.append(size)
        count(sinks, size)

    monkeypatch.setattr(archives._Sinks, "count", counted)
    reasons = [s.reason for s in load_documents(tmp_path, max_file_bytes=limit).skipped]
    assert reasons == ["unpacks to more than the 1 MB limit per file (FORUMQA_MAX_FILE_MB)"]
    assert sum(written) > limit and sum(written[:-1]) <= limit  # it stopped at the block that passed the limit


def test_a_7z_dump_can_be_uploaded_and_is_read(tmp_path: Path) -> None:
    data = _seven_zip(tmp_path / "dump.7z", _site_dump()).read_bytes()
    assert safe_name("askubuntu.com.7z") == "askubuntu.com.7z"
    assert safe_name("stackoverflow.com-Posts.7z") == "stackoverflow.com-Posts.7z"
    folder = tmp_path / "documents"
    plan = plan_upload(folder, [("quill.example.com.7z", len(data))], overwrite=False, max_bytes=1 << 20)
    assert plan.accepted == [(0, "quill.example.com.7z")] and not plan.rejected
    store(folder, "quill.example.com.7z", io.BytesIO(data), max_bytes=1 << 20)
    result = load_documents(folder)
    assert result.documents and {d.source for d in result.documents} == {"quill.example.com.7z"}
