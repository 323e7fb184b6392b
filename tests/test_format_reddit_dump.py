"""Reddit data dumps (Pushshift / Arctic Shift NDJSON, plain or .zst): threads rebuilt from flat lines, in bounded memory."""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_checks import JSON_VALUES, assert_sections_exact, covering, head_of, places
from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, reddit, reddit_dump, thread_json
from forumqa.loading import load_documents, read_file
from forumqa.threads import Post, Quote, Thread, documents_of

pytestmark = pytest.mark.unit

FORUMS = Path(__file__).parent / "fixtures" / "forums"
FIXTURES = FORUMS / "reddit_dump"
COMMENTS = FIXTURES / "quietkilns_comments.jsonl"
SUBMISSIONS = FIXTURES / "quietkilns_submissions.jsonl"
NAME = reddit_dump.FORMAT.name
BISQUE = "1kq7m2a"
PERMALINK = "https://www.reddit.com/r/quietkilns/comments/1kq7m2a/bisque_firing_cracked_three_mugs_a_bowl_too_fast/"
REMOVED = "2 comments have no text (removed or deleted): kc0a004 by [deleted], kc0a007 by kiln_kat"
#: The other exports that are JSON: each must still go to its own reader.
OTHER_JSON = [
    FORUMS / "discourse" / "topic_5531.json",
    FORUMS / "reddit" / "nas_drives_spin_down.json",
    FORUMS / "discord" / "Backyard Optics - Equipment - telescopes [880000000000000111].json",
    FORUMS / "flarum" / "discussion_318.json",
    FORUMS / "telegram" / "ChatExport_2024-03-10" / "result.json",
]


#: Pushshift's files declare a 2 GiB window, past the decompressor's default limit (128 MiB); 256 MiB is past it too and cheap to write.
LONG_WINDOW = zstandard.ZstdCompressionParameters.from_level(3, window_log=28, write_checksum=True)


def _zst(source: Path, target: Path, frames: int = 1) -> Path:
    """`source` compressed with a long window as the dumps are, streamed (no size in the header), in `frames` frames."""
    lines = source.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // frames)
    with target.open("wb") as out:
        for start in range(0, len(lines), size):
            with zstandard.ZstdCompressor(compression_params=LONG_WINDOW).stream_writer(out, closefd=False) as frame:
                frame.write(b"".join(lines[start : start + size]))
    return target


def _threads(path: Path, warnings: list[str] | None = None) -> dict[str, Thread]:
    found = reddit_dump.read(path, (warnings if warnings is not None else []).append)
    return {thread.key or "": thread for thread in found}


def _load(path: Path) -> tuple[dict[str, Document], list[str]]:
    warnings: list[Skipped] = []
    documents = read_file(path, path.name, warnings)
    return {d.doc_id: d for d in documents}, [w.reason.removeprefix(f"partly read ({NAME}): ") for w in warnings]


def _order(thread: Thread) -> list[tuple[str | None, str | None, str | None]]:
    return [(p.post, p.author, p.reply_to) for p in thread.posts]


def _write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def _comment(comment_id: str, link: str = "s1", parent: str | None = None, body: str = "Kiln words here.", **more: Any) -> dict[str, Any]:
    return {"id": comment_id, "link_id": f"t3_{link}", "parent_id": parent or f"t3_{link}", "author": "potter", "body": body} | more


# ---------------------------------------------------------------- sniffing


def test_dump_lines_plain_or_zst_are_claimed_by_the_dump_reader_first(tmp_path: Path) -> None:
    arctic = shutil.copy(COMMENTS, tmp_path / "r_quietkilns_comments.json")  # Arctic Shift's scripts read .json as NDJSON
    bare = shutil.copy(SUBMISSIONS, tmp_path / "RS_2024-03")
    packed = _zst(COMMENTS, tmp_path / "RC_2024-03.zst")
    for path in (COMMENTS, SUBMISSIONS, Path(arctic), Path(bare)):
        assert next(f for f in THREAD_FORMATS if f.sniff(path, head_of(path))) is reddit_dump.FORMAT, path
    assert reddit_dump.sniff(packed, "")  # the loader hands a .zst over with no head: it is decompressed to tell


def test_single_document_json_exports_still_go_to_their_own_readers(tmp_path: Path) -> None:
    thread = _write_lines(tmp_path / "widget.json", [{"title": "Widget talk", "posts": [{"author": "ana", "text": "First post."}]}])
    for path in [*OTHER_JSON, thread]:
        minified = tmp_path / f"minified-{path.name}"
        minified.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
        for variant in (path, minified):
            head = head_of(variant)
            assert not reddit_dump.sniff(variant, head), variant
            assert next((f for f in THREAD_FORMATS if f.sniff(variant, head)), None) is not reddit_dump.FORMAT
    assert next(f for f in THREAD_FORMATS if f.sniff(thread, head_of(thread))) is thread_json.FORMAT
    assert next(f for f in THREAD_FORMATS if f.sniff(OTHER_JSON[1], head_of(OTHER_JSON[1]))) is reddit.FORMAT


@pytest.mark.parametrize(
    "first_line",
    [
        '{"id": "k1", "body": "no link_id nor parent_id"}',
        '{"id": "s1", "title": "a title", "subreddit": "quietkilns"}',  # no selftext: not a submission object
        '{"kind": "t1", "data": {"link_id": "t3_s1", "parent_id": "t3_s1", "body": "x"}}',  # an API object, not a dump line
        '["link_id", "parent_id", "body"]',
        "link_id parent_id body",
    ],
)
def test_lines_that_only_mention_the_keys_are_not_claimed(tmp_path: Path, first_line: str) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text(first_line + "\n" + COMMENTS.read_text(encoding="utf-8"), encoding="utf-8")
    assert not reddit_dump.sniff(path, head_of(path))


# ---------------------------------------------------------------- threads


def test_a_thread_is_its_submission_then_its_comment_tree() -> None:
    warnings: list[str] = []
    threads = _threads(COMMENTS, warnings)
    assert list(threads) == [BISQUE, "1kr2d4c", "1kp0z9z"]  # the submissions file's order, then threads it lacks
    bisque = threads[BISQUE]
    assert bisque.title == "Bisque firing cracked three mugs & a bowl — too fast?"  # HTML-escaped in the dump
    # Parent before child, siblings by created_utc (kc0a008 is later in the file, earlier in time);
    # the deleted kc0a004 and removed kc0a007 are left out, the reply to the deleted one stays.
    assert _order(bisque) == [
        (BISQUE, "glaze_goblin_7", None),
        ("kc0a008", "slipcast_sam", BISQUE),
        ("kc0a001", "cone6_carla", BISQUE),
        ("kc0a002", "glaze_goblin_7", "kc0a001"),
        ("kc0a003", "cone6_carla", "kc0a002"),
        ("kc0a005", "slipcast_sam", "kc0a004"),
        ("kc0a006", "wedging_wes", "kzz9999"),  # its parent is not in the dump: it stands at the top
    ]
    assert warnings == [REMOVED]


def test_dates_ids_and_permalinks_of_the_posts() -> None:
    posts = {p.post: p for p in _threads(COMMENTS)[BISQUE].posts}
    assert (posts[BISQUE].date, posts[BISQUE].url) == ("2024-03-06T08:00:00+00:00", PERMALINK)
    assert posts["kc0a002"].date == "2024-03-06T10:00:00+00:00"  # created_utc as a string
    assert posts["kc0a002"].url == PERMALINK + "kc0a002/"
    (first, _) = _threads(COMMENTS)["1kp0z9z"].posts
    assert first.url == "https://www.reddit.com/r/quietkilns/comments/1kp0z9z/_/kd0b001/"  # no permalink in the line: built


def test_a_quote_of_the_parent_is_the_parents_and_a_quote_of_a_deleted_comment_is_that_comments() -> None:
    posts = {p.post: p for p in _threads(COMMENTS)[BISQUE].posts}
    assert posts["kc0a002"].blocks == (
        Quote("Candle the kiln first: hold it at 82°C overnight with the lid propped before you start the ramp.", "cone6_carla", "kc0a001"),
        "Does the preset's slow segment not count as candling? It sits at 100°C for an hour.",
    )
    # The deleted comment's words are known only from the quote: credited to it, never to the replier.
    assert posts["kc0a005"].blocks[0] == Quote("just crank it to cone 04 and hope", "[deleted]", "kc0a004")


def test_comments_without_their_submission_are_a_thread_titled_by_its_id(tmp_path: Path) -> None:
    alone = shutil.copy(COMMENTS, tmp_path / "quietkilns_comments.jsonl")  # no submissions file beside it
    threads = _threads(Path(alone))
    assert list(threads) == [BISQUE, "1kp0z9z"]
    assert threads[BISQUE].title == f"Reddit thread t3_{BISQUE}"
    assert _order(threads[BISQUE])[0] == ("kc0a008", "slipcast_sam", BISQUE)
    assert threads["1kp0z9z"].title == "Reddit thread t3_1kp0z9z"
    assert [p.post for p in threads["1kp0z9z"].posts] == ["kd0b001", "kd0b002"]


def test_a_quote_of_a_submission_the_dump_lacks_is_credited_to_it_never_to_the_commenter(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [_comment("k1", body="&gt; Is a bisque to cone 04 enough?\n\nFor mugs, yes.")])
    (thread,) = _threads(path).values()
    assert thread.posts[0].blocks == (Quote("Is a bisque to cone 04 enough?", None, "s1"), "For mugs, yes.")
    (document,) = read_file(path, "c.jsonl")
    (quote,) = covering(document, "Is a bisque to cone 04 enough?")
    assert (quote.author, quote.post, quote.quoted) == (None, "s1", True)


def test_a_submissions_file_alone_gives_each_submission_with_text_as_a_thread_of_one_post(tmp_path: Path) -> None:
    alone = Path(shutil.copy(SUBMISSIONS, tmp_path / "quietkilns_submissions.jsonl"))
    warnings: list[str] = []
    threads = _threads(alone, warnings)
    # 1kq9x0b is only a link and 1kr5f6d was removed: left out without a word.
    assert list(threads) == [BISQUE, "1kr2d4c"] and warnings == []
    assert [len(t.posts) for t in threads.values()] == [1, 1]
    documents, _ = _load(alone)
    assert sorted(documents) == ["quietkilns_submissions/1kq7m2a", "quietkilns_submissions/1kr2d4c"]


def test_the_monthly_files_pair_as_rc_and_rs(tmp_path: Path) -> None:
    _zst(COMMENTS, tmp_path / "RC_2024-03.zst")
    _zst(SUBMISSIONS, tmp_path / "RS_2024-03.zst")
    assert reddit_dump.submissions_beside(tmp_path / "RC_2024-03.zst") == tmp_path / "RS_2024-03.zst"
    assert reddit_dump.comments_beside(tmp_path / "RS_2024-03.zst") == tmp_path / "RC_2024-03.zst"
    threads = _threads(tmp_path / "RC_2024-03.zst")
    assert threads[BISQUE].title.startswith("Bisque firing")
    result = load_documents(tmp_path)
    assert {d.source for d in result.documents} == {"RC_2024-03.zst"}


def test_a_zst_that_unpacks_past_the_file_limit_is_skipped_with_the_reason_as_an_archive_is(tmp_path: Path) -> None:
    """FORUMQA_MAX_FILE_MB counts what a .zst unpacks to: a small file must not spill gigabytes into the temporary folder."""
    dump = _zst(COMMENTS, tmp_path / "RC_2024-03.zst")
    unpacked = len(COMMENTS.read_bytes())
    assert dump.stat().st_size < unpacked // 2
    result = load_documents(tmp_path, max_file_bytes=unpacked // 2)
    assert not result.documents
    assert [(s.source, s.reason) for s in result.skipped] == [
        ("RC_2024-03.zst", f"unpacks to more than the {unpacked // 2 / 2**20:g} MB limit per file (FORUMQA_MAX_FILE_MB)")
    ]
    assert load_documents(tmp_path, max_file_bytes=unpacked).documents  # within the limit: read


def test_arctic_shift_posts_file_pairs_with_its_comments(tmp_path: Path) -> None:
    shutil.copy(COMMENTS, tmp_path / "r_quietkilns_comments.jsonl")
    shutil.copy(SUBMISSIONS, tmp_path / "r_quietkilns_posts.jsonl")
    assert reddit_dump.submissions_beside(tmp_path / "r_quietkilns_comments.jsonl") == tmp_path / "r_quietkilns_posts.jsonl"
    assert _threads(tmp_path / "r_quietkilns_comments.jsonl")[BISQUE].posts[0].post == BISQUE


def test_a_submissions_file_is_read_on_its_own_when_the_comments_file_beside_it_is_not_a_dump(tmp_path: Path) -> None:
    shutil.copy(SUBMISSIONS, tmp_path / "quietkilns_submissions.jsonl")
    (tmp_path / "quietkilns_comments.jsonl").write_text("notes, not a dump\n", encoding="utf-8")
    assert reddit_dump.comments_beside(tmp_path / "quietkilns_submissions.jsonl") is None
    result = load_documents(tmp_path)
    assert {d.source for d in result.documents} == {"quietkilns_submissions.jsonl"}


# ---------------------------------------------------------------- the loader, end to end


def test_the_loader_reads_a_folder_with_both_files_each_submission_once(tmp_path: Path) -> None:
    _zst(COMMENTS, tmp_path / "quietkilns_comments.zst")
    _zst(SUBMISSIONS, tmp_path / "quietkilns_submissions.zst")
    result = load_documents(tmp_path)
    assert [(s.source, s.reason) for s in result.skipped] == [("quietkilns_comments.zst", f"partly read ({NAME}): {REMOVED}")]
    documents = {d.doc_id: d for d in result.documents}
    assert sorted(documents) == [f"quietkilns_comments/{key}" for key in ("1kp0z9z", BISQUE, "1kr2d4c")]
    opening = "Three mugs came out with hairline cracks"
    assert sum(d.text.count(opening) for d in result.documents) == 1  # the submissions file is not read a second time

    threads = _threads(COMMENTS)
    for document in result.documents:
        thread = threads[document.doc_id.rsplit("/", 1)[1]]
        assert_sections_exact(document, thread)  # every slice is exactly a paragraph or quoted line of its post
        carriers = {p.url: p for p in thread.posts}
        for section in document.sections:
            if section.quoted:  # never the words of whoever quotes them
                assert section.author != carriers[section.url].author, section

    bisque = documents[f"quietkilns_comments/{BISQUE}"]
    (own,) = covering(bisque, "Candle the kiln first")  # the first time the words appear: kc0a001's own
    assert (own.author, own.post, own.quoted) == ("cone6_carla", "kc0a001", False)
    quoted_again = bisque.text.index("Candle the kiln first", bisque.text.index("glaze_goblin_7 · kc0a002"))
    assert not [s for s in bisque.sections if s.start <= quoted_again < s.end]  # the repeat is shown, not indexed
    (deleted,) = covering(bisque, "just crank it to cone 04")
    assert (deleted.author, deleted.post, deleted.quoted) == ("[deleted]", "kc0a004", True)
    (reply,) = covering(bisque, "Please don't, that is how shelves")
    assert (reply.author, reply.reply_to, reply.url) == ("slipcast_sam", "kc0a004", PERMALINK + "kc0a005/")
    (orphan,) = covering(bisque, "Same thing happened to me")
    assert (orphan.author, orphan.reply_to) == ("wedging_wes", "kzz9999")


def test_zst_reads_exactly_like_the_plain_file(tmp_path: Path) -> None:
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    for source in (COMMENTS, SUBMISSIONS):
        shutil.copy(source, plain / source.name)
        _zst(source, packed / source.with_suffix(".zst").name, frames=3)  # several frames, as appended files have
    expected, found = load_documents(plain), load_documents(packed)
    assert [(d.doc_id, d.title, d.text, d.sections) for d in found.documents] == [
        (d.doc_id, d.title, d.text, d.sections) for d in expected.documents
    ]
    with pytest.raises(zstandard.ZstdError, match="too much memory"):  # why the reader allows a long window
        zstandard.ZstdDecompressor().stream_reader((packed / "quietkilns_comments.zst").read_bytes()).read(1)


def test_lines_and_characters_split_across_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Path(shutil.copy(COMMENTS, tmp_path / "quietkilns_comments.jsonl"))
    packed = _zst(COMMENTS, tmp_path / "quietkilns_comments.zst")
    expected = _threads(plain)
    monkeypatch.setattr(reddit_dump, "_CHUNK", 7)  # "°" is two bytes: some chunk ends inside one, every line spans chunks
    assert _threads(plain) == _threads(packed) == expected


# ---------------------------------------------------------------- bad input


def test_bad_lines_are_named_by_number_and_the_rest_is_read(tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path / "quietkilns_comments.jsonl",
        [
            _comment("k1", body="Kilns vent at the top for a reason."),
            '{"id": "k2", "link_id": "t3_s1", "body": "cut',
            {"link_id": "t3_s1", "parent_id": "t3_s1", "body": "a comment with no id"},
            "",
            [1, 2],
            {"id": "x9", "score": 3},
            _comment("k3", link="", body="names no submission"),
            _comment("k4", parent="t1_k1", body="And the lid stays propped until 600°C."),
        ],
    )
    warnings: list[str] = []
    threads = _threads(path, warnings)
    assert [p.post for p in threads["s1"].posts] == ["k1", "k4"]
    assert warnings == [
        "line 2: invalid JSON at column 42 (Unterminated string starting); left out",
        "line 3: no id; left out",
        "line 5: not a JSON object; left out",
        "line 6: neither a comment (link_id) nor a submission (title); left out",
        "line 7: comment k3 names no submission (link_id); left out",
    ]


def test_a_line_nested_too_deeply_costs_that_line_only(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [_comment("k1"), "[" * 100_000, _comment("k2")])
    warnings: list[str] = []
    (thread,) = _threads(path, warnings).values()
    assert [p.post for p in thread.posts] == ["k1", "k2"]
    assert warnings == ["line 2: not JSON we read (nested too deeply); left out"]


@pytest.mark.integration  # fuzzing
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_value_in_any_line_gives_documents_or_a_named_skip(tmp_path: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from([COMMENTS, SUBMISSIONS]))
    lines: list[Any] = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    number = data.draw(st.integers(0, len(lines) - 1))
    place = data.draw(st.sampled_from(list(places(lines[number]))))
    damaged = data.draw(JSON_VALUES)
    if place:
        parent = lines[number]
        for key in place[:-1]:
            parent = parent[key]
        parent[place[-1]] = damaged
    else:
        lines[number] = damaged
    path = _write_lines(tmp_path / source.name, lines)
    with contextlib.suppress(UnreadableDocument):
        list(documents_of(reddit_dump.read(path, lambda message: None), "damaged", source.name, True))


def test_a_flood_of_bad_lines_is_named_ten_times_then_counted(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [_comment("k1"), *["{broken"] * 25])
    warnings: list[str] = []
    _threads(path, warnings)
    assert len(warnings) == 11 and warnings[0].startswith("line 2: invalid JSON")
    assert warnings[-1] == "15 more bad lines left out (not JSON, or not a comment or submission)"


def test_a_truncated_zst_keeps_what_was_read_and_says_it_was_cut(tmp_path: Path) -> None:
    records = [_comment(f"k{n}", body=f"Comment number {n} about shelf wash and kiln posts.") for n in range(3000)]
    whole = _zst(_write_lines(tmp_path / "all.jsonl", records), tmp_path / "whole.zst")
    cut = tmp_path / "quietkilns_comments.zst"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    warnings: list[str] = []
    (thread,) = _threads(cut, warnings).values()
    read = len(thread.posts)
    assert 0 < read < 3000 and [p.post for p in thread.posts] == [f"k{n}" for n in range(read)]
    assert warnings == [f"the file is cut short inside a zstd frame (an interrupted download?): the {read} lines before the cut were read"]
    warnings.clear()
    assert _threads(whole, warnings) and warnings == []  # a whole file says nothing


def test_a_line_past_the_limit_is_passed_over_and_named_plain_or_zst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line of `_MAX_LINE` bytes is read; one byte more and it is passed over as it streams, a last one without "\\n" too."""
    monkeypatch.setattr(reddit_dump, "_MAX_LINE", 1 << 20)
    monkeypatch.setattr(reddit_dump, "_CHUNK", 4096)  # the long lines span many buffers
    at_limit = (1 << 20) - len(json.dumps(_comment("k3", body="")))
    records = [
        _comment("k1"),
        _comment("k2", body="x" * (at_limit + 1)),
        _comment("k3", body="y" * at_limit),
        _comment("k4", body="z" * (1 << 20)),
    ]
    plain = _write_lines(tmp_path / "c.jsonl", records)
    plain.write_bytes(plain.read_bytes().removesuffix(b"\n"))
    packed = _zst(plain, tmp_path / "c.zst")
    for path in (plain, packed):
        warnings: list[str] = []
        (thread,) = _threads(path, warnings).values()
        assert [p.post for p in thread.posts] == ["k1", "k3"]
        assert warnings == ["line 2: longer than 1 MB; left out", "line 4: longer than 1 MB; left out"]


def test_a_cut_is_told_at_any_byte_of_several_frames_skippable_ones_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appended files hold several frames, and a skippable frame is a frame: the file is whole only where one ends."""
    monkeypatch.setattr(reddit_dump, "_CHECK_PIECE", 5)  # frames and headers straddle the pieces decompressed
    frame = zstandard.ZstdCompressor(write_checksum=True).compress
    skippable = (0x184D2A5E).to_bytes(4, "little") + (3).to_bytes(4, "little") + b"pad"
    frames = [frame(b"a\n" * 50), skippable, frame(b""), frame(b"b\n" * 50), skippable]
    ends = {sum(len(f) for f in frames[:n]) for n in range(len(frames) + 1)}
    whole = b"".join(frames)
    path = tmp_path / "c.zst"
    for end in range(len(whole) + 1):
        path.write_bytes(whole[:end])
        assert reddit_dump._whole_frames(path) == (end in ends), end


def test_damaged_zst_data_keeps_the_lines_before_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [_comment(f"k{n}", body=f"Comment {n}: {random.Random(n).random()} cones") for n in range(5000)]
    whole = _zst(_write_lines(tmp_path / "all.jsonl", records), tmp_path / "whole.zst").read_bytes()
    damaged = bytearray(whole)
    for at in range(len(whole) // 2, len(whole) // 2 + 64):
        damaged[at] ^= 0x5A
    path = tmp_path / "quietkilns_comments.zst"
    path.write_bytes(bytes(damaged))
    monkeypatch.setattr(reddit_dump, "_CHUNK", 4096)  # a real dump's damage lies many chunks in
    warnings: list[str] = []
    (thread,) = _threads(path, warnings).values()
    read = len(thread.posts)
    assert 0 < read < 5000 and [p.post for p in thread.posts] == [f"k{n}" for n in range(read)]
    assert warnings == [
        f"damaged zstd data after line {read} (zstd decompress error: Data corruption detected): "
        "the lines before it were read, the rest of the file was not"
    ]


def test_a_zst_that_is_not_a_dump_is_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.zst").write_bytes(zstandard.ZstdCompressor().compress(b"# kiln notes\nnot json at all\n"))
    (tmp_path / "plain.zst").write_bytes(b"these bytes are not zstandard")
    (tmp_path / "empty.zst").write_bytes(b"")
    result = load_documents(tmp_path)
    assert result.documents == []
    reason = "a .zst that is not a Reddit data dump (one comment or submission a line): only those are read compressed"
    assert sorted((s.source, s.reason) for s in result.skipped) == [(name, reason) for name in ("empty.zst", "notes.zst", "plain.zst")]


def test_repeated_ids_keep_the_first_line(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [_comment("k1", body="The first copy."), _comment("k1", body="A later copy.")])
    warnings: list[str] = []
    (thread,) = _threads(path, warnings).values()
    assert [p.blocks for p in thread.posts] == [("The first copy.",)]
    assert warnings == ["lines that repeat an id read before (the same comment or submission twice): 1; the first of each was kept"]


def test_a_loop_of_parents_is_read_once_without_hanging(tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path / "c.jsonl",
        [
            _comment("a", parent="t1_b", body="Loop start.", created_utc=1),
            _comment("b", parent="t1_a", body="Loop end.", created_utc=2),
            _comment("c", parent="t1_c", body="My own parent.", created_utc=3),
        ],
    )
    (thread,) = _threads(path).values()
    assert [(p.post, p.reply_to) for p in thread.posts] == [("c", "c"), ("a", "b"), ("b", "a")]  # a loop after the rest


def test_a_deep_reply_chain_is_walked_without_recursion(tmp_path: Path) -> None:
    chain = [_comment("k0", body="Level 0.")] + [_comment(f"k{n}", parent=f"t1_k{n - 1}", body=f"Level {n}.") for n in range(1, 3000)]
    (thread,) = _threads(_write_lines(tmp_path / "c.jsonl", chain)).values()
    assert len(thread.posts) == 3000 and thread.posts[-1].reply_to == "k2998"


def test_an_unreadable_dump_has_no_post_with_text(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [_comment("k1", body="[removed]"), _comment("k2", body="[deleted]", author="[deleted]")])
    with pytest.raises(UnreadableDocument, match="no post that has text"):
        read_file(path, "c.jsonl")


# ---------------------------------------------------------------- memory


def _write_big_dump(path: Path, comments: int) -> int:
    """`comments` comments over threads of 100 (a tenth top-level), ~400-character bodies, zstd as the dumps; their body bytes."""
    rng = random.Random(11)
    words = ["kiln", "glaze", "cone", "bisque", "shelf", "clay", "ramp", "foot", "steam", "mug", "crack", "wax"]
    bodies = 0
    with path.open("wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
        for number in range(comments):
            thread, place = divmod(number, 100)
            parent = f"t3_s{thread}" if place < 10 else f"t1_c{thread}x{rng.randrange(place)}"
            body = " ".join(rng.choices(words, k=70)) + "."
            bodies += len(body)
            line = {"id": f"c{thread}x{place}", "link_id": f"t3_s{thread}", "parent_id": parent, "author": f"potter{rng.randrange(300)}"}
            out.write((json.dumps(line | {"body": body, "created_utc": 1700000000 + number}) + "\n").encode())
    return bodies


@pytest.mark.integration
def test_memory_stays_bounded_while_a_large_dump_streams_through(tmp_path: Path) -> None:
    path = tmp_path / "quietkilns_comments.zst"
    bodies = _write_big_dump(path, 50_000)
    tracemalloc.start()
    try:
        posts = sum(len(thread.posts) for thread in reddit_dump.read(path, lambda message: None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert posts == 50_000
    assert bodies > 15_000_000
    # Holding every body would take more than `bodies` bytes (str objects add to that); one thread plus a chunk takes far less.
    assert peak < bodies / 10, f"peak {peak / 1e6:.1f} MB for {bodies / 1e6:.1f} MB of bodies"


# ---------------------------------------------------------------- helpers reddit.py shares


def test_the_tree_put_back_is_what_the_permalink_reader_walks() -> None:
    listing = reddit_dump._tree([_comment("k1"), _comment("k2", parent="t1_k1"), _comment("k3", parent="t1_gone")])
    posts: list[Post] = list(reddit.comment_tree(listing, (reddit.Source(None, "s1", None),), reddit.Tally()))
    assert [(p.post, p.reply_to) for p in posts] == [("k1", "s1"), ("k2", "k1"), ("k3", "gone")]
