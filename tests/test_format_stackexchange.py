"""Stack Exchange Posts.xml: one document per question, answers in order, quotes kept apart, memory flat."""

from __future__ import annotations

import random
import shutil
import tempfile
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Generator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from bs4 import BeautifulSoup

from forumqa.citations import citation
from forumqa.config import Settings
from forumqa.documents import Document, Skipped, UnreadableDocument
from forumqa.formats import THREAD_FORMATS, stackexchange
from forumqa.index import build_index, load_index
from forumqa.loading import _head, load_documents, read_file
from forumqa.testing import FakeEmbedder
from forumqa.threads import Code

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "forums" / "stackexchange"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "forums" / "corpus"
NAME = stackexchange.FORMAT.name


def load(path: Path, source: str | None = None) -> tuple[dict[str, Document], list[str]]:
    warnings: list[Skipped] = []
    documents = read_file(path, source or path.name, warnings)
    for document in documents:
        for section in document.sections:
            text = document.text[section.start : section.end]
            assert text and text == text.strip(), section
    return {d.doc_id: d for d in documents}, [w.reason.removeprefix(f"partly read ({NAME}): ") for w in warnings]


def posts(document: Document) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """(post, author, date, reply_to) of each post in reading order."""
    out: list[tuple[str | None, str | None, str | None, str | None]] = []
    for s in document.sections:
        if not out or out[-1][0] != s.post:
            out.append((s.post, s.author, s.date, s.reply_to))
    return out


def own(document: Document) -> list[tuple[str | None, str]]:
    return [(s.post, document.text[s.start : s.end]) for s in document.sections if not s.quoted]


def quoted(document: Document) -> list[str]:
    return [document.text[s.start : s.end] for s in document.sections if s.quoted]


# ---------------------------------------------------------------- sniffing


def test_posts_xml_is_recognised_by_its_root_and_rows_and_claimed_by_no_other_format(tmp_path: Path) -> None:
    path = FIXTURES / "Posts.xml"
    assert [f.name for f in THREAD_FORMATS if f.sniff(path, _head(path))] == [NAME]
    renamed = tmp_path / "dump.txt"  # content decides, not the name
    shutil.copy(path, renamed)
    assert stackexchange.sniff(renamed, _head(renamed))


@pytest.mark.parametrize(
    "head",
    [
        (FIXTURES / "Users.xml").read_text(encoding="utf-8"),
        '{"post_stream": {"posts": [{"cooked": "<p>hi</p>"}]}}',
        "From ana@example.org Mon Jan  3 10:00:00 2022\nSubject: posts\n\n<posts><row/></posts>",
        "<!DOCTYPE html><html><body><div id='p12' class='post'><row></row></div></body></html>",
        '<?xml version="1.0"?>\n<comments>\n  <row Id="1" PostId="2" Text="hi" />\n</comments>',
        '<?xml version="1.0"?>\n<!DOCTYPE posts [<!ENTITY a "aaaa">]>\n<posts>\n  <row Id="1" Body="&a;" />\n</posts>',
    ],
)
def test_other_files_are_not_claimed(head: str) -> None:
    assert not stackexchange.sniff(Path("Posts.xml"), head)


def test_a_dump_given_a_document_type_is_read_with_its_users() -> None:
    """`<!DOCTYPE posts SYSTEM 'posts.dtd'>` before the root (a copy made to be validated) is still the dump's table."""
    path = FIXTURES / "doctype" / "Posts.xml"
    assert [f.name for f in THREAD_FORMATS if f.sniff(path, _head(path))] == [NAME]
    documents, warnings = load(path, "doctype/Posts.xml")
    assert warnings == []
    (document,) = documents.values()
    assert document.title == "Knot for a wet ridge line"
    assert [(s.post, s.author) for s in document.sections] == [("31", "Oksana W."), ("32", "Rafael Quint")]  # names from Users.xml


# ---------------------------------------------------------------- the fixture dump


def test_one_document_per_question_with_titles_and_the_skipped_rows_named() -> None:
    documents, warnings = load(FIXTURES / "Posts.xml")
    assert sorted(documents) == ["posts/q1", "posts/q12", "posts/q2", "posts/q9"]
    assert documents["posts/q1"].title == "Quillmark build fails with “template not found” after upgrading"
    assert documents["posts/q1"].date == "2021-03-01T08:15"
    assert warnings == [
        "answer 8: its question 9999 is not in the file; left out",
        "answer 10: no text",
        "question 13: no text in it or its answers; left out",
    ]


def test_answers_follow_their_question_accepted_first_then_by_score_then_by_date() -> None:
    documents, _ = load(FIXTURES / "Posts.xml")
    # Answer 5 is accepted though answer 3 scores higher.
    assert posts(documents["posts/q1"]) == [
        ("1", "Marta Kowalczyk", "2021-03-01T08:15", None),
        ("5", "Priya N.", "2021-03-03T17:45:30", "1"),
        ("3", "李明", "2021-03-02T09:00", "1"),
    ]
    # No accepted answer, equal scores: the earlier answer first. Authors: Users.xml, else OwnerDisplayName, else the id.
    assert posts(documents["posts/q2"]) == [
        ("2", "Søren Ødegaard", "2021-03-01T09:40:12", None),
        ("6", "user 77", "2021-03-01T11:02", "2"),
        ("7", "old_account_42", "2021-03-01T13:20", "2"),
    ]
    assert all(s.url is None for d in documents.values() for s in d.sections)  # the site is not known
    # The accepted answer is kept as such (its own words only), and only it.
    accepted = {s.post for d in documents.values() for s in d.sections if s.accepted}
    assert accepted == {"5"}
    assert not any(s.accepted and s.quoted for d in documents.values() for s in d.sections)


def test_a_citation_from_the_accepted_answer_says_so(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("Posts.xml", "Users.xml"):
        shutil.copy(FIXTURES / name, docs / name)
    settings = Settings(documents_dir=docs, index_dir=tmp_path / "index")
    fake = FakeEmbedder()
    build_index(settings, fake)
    snapshot = load_index(settings, fake.dimension)
    document = next(d for d in snapshot.documents.values() if d.doc_id.endswith("q1"))
    marks = {s.post: citation(snapshot, document.doc_id, s.start, s.end, 1.0).accepted for s in document.sections}
    assert marks == {"1": False, "5": True, "3": False}  # read back from the index: the flag survives the build


def test_body_html_becomes_lines_code_blocks_and_quotes() -> None:
    documents, _ = load(FIXTURES / "Posts.xml")
    q1, q2, q9 = documents["posts/q1"], documents["posts/q2"], documents["posts/q9"]
    assert own(q1) == [
        ("1", "After upgrading Quillmark from 2.3 to 3.0, every build stops with this error:"),
        ("1", "My layouts folder is still there. What changed in 3.0?"),
        ("5", "The release notes for 3.0 say so too:"),
        ("5", "Setting the folder explicitly fixed the build for me."),
        (
            "3",
            "In 3.0 the default layouts folder was renamed to _layouts. Rename your folder, or point Quillmark back at the old name in "
            "the config:",
        ),
        ("3", '[build]\nlayouts = "layouts"'),  # the code block is a block of its own
    ]
    # A plain blockquote is outside material: a Quote, never the poster's own words; a nested one is its own Quote.
    assert quoted(q1) == [
        'Error: template "base.html" not found in search path ./layouts',
        "Layouts now live in _layouts by default.",
        "Projects that name their layouts folder explicitly are not affected.",
    ]
    assert "> Layouts now live in _layouts by default.\n> quote:\n> Projects that" in q1.text
    assert own(q2)[0] == (
        "2",
        "I keep unfinished posts in the same folder as the finished ones. Is there a setting that leaves them out of the built site?\n"
        "Quillmark 3.0.1\nWindows 11, site on a café network drive",
    )
    assert own(q2)[-1][1].endswith("Quillmark never copies those folders. 🙂")
    # The closed-as-duplicate notice is the site's, not the asker's; entities in code are decoded once.
    assert "Possible Duplicate" not in q9.text and "Front matter formats" not in q9.text
    assert own(q9)[-1][1].endswith("\nCheck a page with quillmark check --front-matter <file>.")


def test_urls_when_the_dump_lies_in_a_folder_named_after_its_site(tmp_path: Path) -> None:
    site = tmp_path / "quill.example.com"
    site.mkdir()
    for name in ("Posts.xml", "Users.xml"):
        shutil.copy(FIXTURES / name, site / name)
    documents, _ = load(site / "Posts.xml")
    urls = {s.post: s.url for s in documents["posts/q1"].sections}
    assert urls == {"1": "https://quill.example.com/q/1", "5": "https://quill.example.com/a/5", "3": "https://quill.example.com/a/3"}


def test_users_xml_belongs_to_its_posts_xml_by_name(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "Posts.xml", tmp_path / "quill_Posts.xml")
    shutil.copy(FIXTURES / "Users.xml", tmp_path / "Users.xml")  # another dump's users: not used
    documents, _ = load(tmp_path / "quill_Posts.xml")
    assert posts(documents["quill_posts/q12"])[0][1] == "user 14"
    shutil.copy(FIXTURES / "Users.xml", tmp_path / "quill_Users.xml")
    documents, _ = load(tmp_path / "quill_Posts.xml")
    assert posts(documents["quill_posts/q12"])[0][1] == "Priya N."


# ---------------------------------------------------------------- shapes real dumps have


def test_a_dump_with_answers_before_their_question_and_every_post_type_reads_each_thread_whole() -> None:
    # BOM, CRLF, `|a|b|` tags, post types 3/5/6/7 (wiki and nomination rows), an answer read before its question.
    documents, warnings = load(FIXTURES / "variants_Posts.xml")
    assert sorted(documents) == ["variants_posts/q21", "variants_posts/q24"]
    assert warnings == ["answer 28: its question 999 is not in the file; left out"]
    # Accepted first, then by score; the Community user from Users.xml, a deleted user by OwnerDisplayName.
    assert [p[:2] for p in posts(documents["variants_posts/q21"])] == [
        ("21", "tavi & co"),
        ("20", "Oksana Brindle"),
        ("22", "Community"),
        ("23", "gone_fernhollow"),
    ]
    assert "Lumenwick is a colour tool" not in documents["variants_posts/q21"].text  # a tag wiki is no thread's post


def test_a_soft_wrapped_paragraph_stays_one_paragraph_and_inline_markup_reads_as_text() -> None:
    """Rendered bodies keep the markdown's line wraps inside a <p>; a browser shows them as spaces."""
    documents, _ = load(FIXTURES / "variants_Posts.xml")
    q21 = own(documents["variants_posts/q21"])
    assert q21[0] == ("21", "Since the last update the Lumenwick palette stays grey after I edit wick.toml. My config:")
    assert q21[1] == ("21", '[palette]\nshade = "<grey>"')  # a code block keeps its lines, entities decoded once
    assert q21[3] == (
        "20",
        "Press Ctrl+Shift+K to open the palette, then type wick: reload and hit Enter.\n"
        "The cost grows as n2 — so keep the list short & tidy.",
    )


def test_a_spoiler_is_the_posters_own_words_and_a_quote_of_the_question_is_not_repeated() -> None:
    documents, _ = load(FIXTURES / "variants_Posts.xml")
    q21 = documents["variants_posts/q21"]
    assert ("23", "The fix is hidden in the manual:\nSet shade to auto and the palette reloads by itself.") in own(q21)
    assert quoted(q21) == []  # answer 22 quotes the question: shown, but credited to nobody new
    assert "> How do I make it reload?" in q21.text


def test_the_later_duplicate_notice_is_dropped_and_table_rows_keep_their_cells_together() -> None:
    documents, _ = load(FIXTURES / "variants_Posts.xml")
    q24 = documents["variants_posts/q24"]
    assert "already has an answer" not in q24.text and "3 answers" not in q24.text and quoted(q24) == []
    assert own(q24) == [("24", "My palette went grey once more after the autumn release."), ("29", "Setting Value\nshade auto")]


# ---------------------------------------------------------------- bad input


def test_a_truncated_dump_keeps_the_rows_before_the_break_and_says_where_it_broke() -> None:
    documents, warnings = load(FIXTURES / "truncated_Posts.xml")
    assert sorted(documents) == ["truncated_posts/q1", "truncated_posts/q2"]
    assert [p[0] for p in posts(documents["truncated_posts/q1"])] == ["1", "3"]
    assert warnings == ["invalid XML at line 6, column 2 (unclosed token): the 3 rows before it were read, the rest of the file was not"]


def test_a_dump_broken_before_its_first_row_is_unreadable_with_the_line() -> None:
    with pytest.raises(UnreadableDocument, match=r"invalid XML at line 3, column \d+"):
        read_file(FIXTURES / "broken_Posts.xml", "broken_Posts.xml")


def test_a_dump_without_questions_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "Posts.xml"
    path.write_text('<?xml version="1.0"?>\n<posts>\n  <row Id="4" PostTypeId="4" Body="&lt;p&gt;wiki&lt;/p&gt;" />\n</posts>\n')
    with pytest.raises(UnreadableDocument, match="no post that has text"):
        read_file(path, "Posts.xml")


# ---------------------------------------------------------------- comments

COMMENTS = FIXTURES / "comments"


def _dump(folder: Path, comments: str | None = "Comments.xml", prefix: str = "") -> Path:
    """The fixture's Posts.xml and Users.xml in `folder`, with a Comments.xml fixture beside them under the same prefix."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("Posts.xml", "Users.xml"):
        shutil.copy(FIXTURES / name, folder / f"{prefix}{name}")
    if comments is not None:
        shutil.copy(COMMENTS / comments, folder / f"{prefix}Comments.xml")
    return folder / f"{prefix}Posts.xml"


def test_comments_follow_their_post_oldest_first_credited_to_the_commenter(tmp_path: Path) -> None:
    documents, _ = load(_dump(tmp_path))
    # Comment 103 has the higher Id but was written first. Names: Users.xml (15 owns no post, so only a
    # comment asks for it), else UserDisplayName (a deleted user), else the id; the Community user too.
    assert posts(documents["posts/q1"]) == [
        ("1", "Marta Kowalczyk", "2021-03-01T08:15", None),
        ("c103", "user 77", "2021-03-01T08:30", "1"),
        ("c101", "李明", "2021-03-01T09:00:05", "1"),
        ("c102", "Marta Kowalczyk", "2021-03-01T09:12", "1"),
        ("5", "Priya N.", "2021-03-03T17:45:30", "1"),
        ("c104", "Never Posted", "2021-03-04T07:00", "5"),
        ("3", "李明", "2021-03-02T09:00", "1"),
        ("c105", "fern_gone", "2021-03-02T10:00", "3"),
    ]
    assert [p[:2] for p in posts(documents["posts/q12"])] == [("12", "Priya N."), ("c113", "Community")]
    assert "\nNever Posted · c104 · 2021-03-04T07:00\n" in documents["posts/q1"].text  # the header names the comment
    assert not any(s.accepted for s in documents["posts/q1"].sections if (s.post or "").startswith("c"))


def test_posts_and_answers_read_exactly_as_without_comments(tmp_path: Path) -> None:
    without, without_warnings = load(_dump(tmp_path / "plain", comments=None))
    documents, warnings = load(_dump(tmp_path / "commented"))
    assert sorted(documents) == sorted(without)
    for doc_id, document in documents.items():
        assert [(p, t) for p, t in own(document) if not (p or "").startswith("c")] == own(without[doc_id])
        assert quoted(document) == quoted(without[doc_id])
        assert document.title == without[doc_id].title and document.date == without[doc_id].date
    assert [w for w in warnings if not w.startswith("Comments.xml: ")] == without_warnings


def test_comment_text_reads_as_a_reader_sees_it(tmp_path: Path) -> None:
    documents, _ = load(_dump(tmp_path))
    comments = {p: t for d in documents.values() for p, t in own(d) if (p or "").startswith("c")}
    assert comments == {
        "c101": "Did you upgrade from 2.x? The default folder was renamed in 3.0, see the release notes.",
        "c102": "@李明 yes, from 2.3. Thanks!",
        "c103": "Which version of Quillmark exactly?",
        "c104": "Note: layouts_dir was renamed to layouts in 3.1, so use that key instead.",
        "c105": "This worked & the build is fast again.",
        "c106": "Does draft: true also hide pages from the RSS feed?",
        # "> " opens no quote in a comment; entities are decoded once, by the XML parser (the code shows what was typed)
        "c107": "> 2 drafts folders is too many. Mark a page with &lt;!-- draft --&gt; instead.",
        "c113": "Is this still a problem on 3.0.2?",
    }
    assert quoted(documents["posts/q2"]) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Use `--drafts`, not **--draft**.", "Use --drafts, not --draft."),
        (
            "See [the guide](https://quill.example.com/guide) and <https://quill.example.com/faq>",
            "See the guide and https://quill.example.com/faq",
        ),
        ("`a*b*c` is *not* _emphasis_, layouts_dir is a name", "a*b*c is not emphasis, layouts_dir is a name"),
        ("# 1 is the one", "# 1 is the one"),
        ("1. build 2. deploy", "1. build 2. deploy"),
        ("    indented by habit", "indented by habit"),
        ("<br> is shown as typed, &amp; too", "<br> is shown as typed, &amp; too"),
        ("an escaped \\*star\\*", "an escaped *star*"),
    ],
)
def test_comment_markdown_is_the_mini_markdown_comments_render(text: str, shown: str) -> None:
    assert stackexchange.comment_blocks(text) == (shown,)


def test_comment_urls_point_at_the_comment_under_its_post(tmp_path: Path) -> None:
    documents, _ = load(_dump(tmp_path / "quill.example.com"))
    urls = {s.post: s.url for s in documents["posts/q1"].sections}
    assert urls["c101"] == "https://quill.example.com/q/1#comment101_1"
    assert urls["c104"] == "https://quill.example.com/a/5#comment104_5"
    assert urls["1"] == "https://quill.example.com/q/1"  # the post's own link is unchanged
    plain, _ = load(_dump(tmp_path / "plain"))
    assert all(s.url is None for d in plain.values() for s in d.sections)  # no site known: no link, for comments too


def test_comments_xml_belongs_to_its_posts_xml_by_name(tmp_path: Path) -> None:
    posts_path = _dump(tmp_path, comments=None, prefix="quill_")
    shutil.copy(COMMENTS / "Comments.xml", tmp_path / "Comments.xml")  # another dump's comments: not used
    documents, warnings = load(posts_path)
    assert not any((s.post or "").startswith("c") for d in documents.values() for s in d.sections)
    assert not any("Comments.xml" in w for w in warnings)
    shutil.copy(COMMENTS / "Comments.xml", tmp_path / "quill_Comments.xml")
    documents, warnings = load(posts_path)
    assert [p[0] for p in posts(documents["quill_posts/q12"])] == ["12", "c113"]
    assert "quill_Comments.xml: 4 comments on posts that are not a question or answer read from quill_Posts.xml; left out" in warnings


def test_bad_comment_rows_and_comments_no_thread_holds_are_each_counted_in_one_warning(tmp_path: Path) -> None:
    _, warnings = load(_dump(tmp_path))
    # Rows 111 (no PostId), 112 (blank Text), 115 (PostId "²") and one without Id; comments on answer 8 (its question is not
    # in the file), the tag wiki 4, post 12345 (not in the file) and question 13 (no text, left out).
    assert warnings == [
        "Comments.xml: 4 rows without a usable Id, PostId or Text; left out",
        "answer 8: its question 9999 is not in the file; left out",
        "answer 10: no text",
        "question 13: no text in it or its answers; left out",
        "Comments.xml: 4 comments on posts that are not a question or answer read from Posts.xml; left out",
    ]


def test_a_truncated_comments_xml_keeps_the_comments_before_the_break_and_says_where(tmp_path: Path) -> None:
    documents, warnings = load(_dump(tmp_path, comments="truncated_Comments.xml"))
    assert [p[0] for p in posts(documents["posts/q1"])] == ["1", "c101", "5", "c102", "3"]
    assert warnings == [
        "Comments.xml: invalid XML at line 5, column 2 (unclosed token); the 2 rows before it were read, the rest of the file was not",
        "answer 8: its question 9999 is not in the file; left out",
        "answer 10: no text",
        "question 13: no text in it or its answers; left out",
    ]


@pytest.mark.parametrize(
    "content",
    [
        '<?xml version="1.0" encoding="utf-8"?>\n<comments>\n</comments>\n',
        '<?xml version="1.0" encoding="utf-8"?>\n<users>\n</users>\n',  # a placeholder copied from another table
    ],
)
def test_a_comments_xml_without_rows_changes_nothing(tmp_path: Path, content: str) -> None:
    without, without_warnings = load(_dump(tmp_path / "plain", comments=None))
    posts_path = _dump(tmp_path / "empty", comments=None)
    (posts_path.parent / "Comments.xml").write_text(content)
    documents, warnings = load(posts_path)
    assert warnings == without_warnings
    assert {k: d.text for k, d in documents.items()} == {k: d.text for k, d in without.items()}


def test_a_comments_xml_that_is_no_xml_costs_its_comments_only(tmp_path: Path) -> None:
    posts_path = _dump(tmp_path, comments=None)
    (tmp_path / "Comments.xml").write_text("PostId,Text\n1,hello\n")
    documents, warnings = load(posts_path)
    assert sorted(documents) == ["posts/q1", "posts/q12", "posts/q2", "posts/q9"]
    assert warnings[0].startswith("Comments.xml: invalid XML at line 1, column 0 (syntax error); the 0 rows before it were read")


def test_the_temporary_copy_is_deleted_when_the_read_ends_is_abandoned_or_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    posts_path = _dump(tmp_path / "dump")
    assert len(list(stackexchange.read(posts_path, lambda message: None))) == 4
    assert list(scratch.iterdir()) == []
    threads = stackexchange.read(posts_path, lambda message: None)
    assert isinstance(threads, Generator)
    next(threads)
    assert len(list(scratch.iterdir())) == 1  # in use while threads are handed out
    threads.close()  # a consumer that stops early
    assert list(scratch.iterdir()) == []

    def fail(message: str) -> None:
        if message.startswith("answer 8"):
            raise RuntimeError("a failure part-way through")

    with pytest.raises(RuntimeError):
        list(stackexchange.read(posts_path, fail))
    assert list(scratch.iterdir()) == []


def test_a_citation_of_a_comment_names_the_commenter_and_its_offsets_hold(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _dump(docs)
    settings = Settings(documents_dir=docs, index_dir=tmp_path / "index")
    fake = FakeEmbedder()
    build_index(settings, fake)
    snapshot = load_index(settings, fake.dimension)
    document = next(d for d in snapshot.documents.values() if d.doc_id.endswith("q1"))
    quote = "use that key instead"
    start = document.text.index(quote)
    cited = citation(snapshot, document.doc_id, start, start + len(quote), 1.0)
    assert (cited.text, cited.author, cited.post, cited.quoted, cited.accepted) == (quote, "Never Posted", "c104", False, False)
    assert document.text[cited.start : cited.end] == quote
    # Each comment's whole span, read back from the index: its words exactly, credited to its writer.
    comments = [citation(snapshot, document.doc_id, s.start, s.end, 1.0) for s in document.sections if (s.post or "").startswith("c")]
    assert {c.post: (c.author, c.text) for c in comments} == {
        "c103": ("user 77", "Which version of Quillmark exactly?"),
        "c101": ("李明", "Did you upgrade from 2.x? The default folder was renamed in 3.0, see the release notes."),
        "c102": ("Marta Kowalczyk", "@李明 yes, from 2.3. Thanks!"),
        "c104": ("Never Posted", "Note: layouts_dir was renamed to layouts in 3.1, so use that key instead."),
        "c105": ("fern_gone", "This worked & the build is fast again."),
    }


# ---------------------------------------------------------------- memory


def _write_dump(path: Path, rows: int, words_per_body: int = 1500) -> None:
    """Rows in Id order, answers a few dozen rows after their question, ~10 KB bodies."""
    rng = random.Random(5)
    words = ["layout", "template", "cache", "build", "draft", "page", "folder", "config", "theme", "front", "matter", "render"]
    questions: list[int] = []
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for post_id in range(1, rows + 1):
            body = f"<p>{' '.join(rng.choices(words, k=words_per_body))}.</p>\n"
            if not questions or rng.random() < 0.3:
                questions.append(post_id)
                kind = f'PostTypeId="1" Title="Question {post_id}"'
            else:
                kind = f'PostTypeId="2" ParentId="{rng.choice(questions[-20:])}"'
            out.write(f'  <row Id="{post_id}" {kind} CreationDate="2021-01-01T00:00:00.000" Score="1" Body={quoteattr(body)} />\n')
        out.write("</posts>\n")


@pytest.mark.integration
def test_memory_stays_flat_while_a_large_dump_streams_through(tmp_path: Path) -> None:
    path = tmp_path / "Posts.xml"
    _write_dump(path, 2000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        threads = sum(1 for _ in stackexchange.read(path, lambda message: None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert threads > 500
    assert size > 10_000_000
    assert peak < size / 10, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def _write_comments(path: Path, posts: int, rows: int) -> None:
    """Comments in Id order on posts anywhere in the dump, as a real Comments.xml has them; ~300 bytes of text each."""
    rng = random.Random(7)
    words = ["rename", "folder", "version", "flag", "cache", "layouts", "the", "is", "in", "`--drafts`", "*works*"]
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<comments>\n')
        for comment_id in range(1, rows + 1):
            text = " ".join(rng.choices(words, k=45))
            out.write(
                f'  <row Id="{comment_id}" PostId="{rng.randint(1, posts)}" Score="0" Text={quoteattr(text)} '
                f'CreationDate="2021-01-02T00:00:00.000" UserId="{rng.randint(1, 5000)}" />\n'
            )
        out.write("</comments>\n")


@pytest.mark.integration
def test_memory_stays_flat_while_a_large_comments_xml_streams_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What streams is measured, not the Markdown rendering (tested above), which takes most of the time under tracemalloc.
    monkeypatch.setattr(stackexchange, "comment_blocks", lambda text: (text,))
    posts_path = tmp_path / "Posts.xml"
    _write_dump(posts_path, 3000, words_per_body=40)  # small posts: the comments are what streams through
    comments_path = tmp_path / "Comments.xml"
    _write_comments(comments_path, 3000, 60_000)
    size = comments_path.stat().st_size
    tracemalloc.start()
    try:
        comments = 0
        for thread in stackexchange.read(posts_path, lambda message: None):
            comments += sum(1 for post in thread.posts if (post.post or "").startswith("c"))
            del thread
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert comments == 60_000
    assert size > 15_000_000
    assert peak < size / 10, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB Comments.xml"


# ---------------------------------------------------------------- the real dump


def _corpus_file() -> Path:
    path = CORPUS / "askubuntu_Posts.xml"
    if not path.is_file():
        pytest.skip(f"../shared/forums/corpus not present: {path} holds the real askubuntu Posts.xml this test reads")
    return path


def _squeezed(text: str) -> str:
    """No whitespace at all: markup decides where a line breaks, the words and their order must match."""
    return "".join(text.split())


def test_real_askubuntu_dump() -> None:
    path = _corpus_file()
    rows = {row.attrib["Id"]: row.attrib for row in ET.parse(path).getroot()}
    questions = {i for i, r in rows.items() if r["PostTypeId"] == "1"}
    answers = {i: r["ParentId"] for i, r in rows.items() if r["PostTypeId"] == "2"}
    assert (len(rows), len(questions), len(answers)) == (98, 42, 56)

    documents, warnings = load(path, "askubuntu_Posts.xml")
    assert warnings == ["answer 98: its question 72679 is not in the file; left out"]
    assert sorted(documents) == sorted(f"askubuntu_posts/q{q}" for q in questions)
    seen: set[str] = set()
    for doc_id, document in documents.items():
        question = doc_id.rsplit("/q", 1)[1]
        assert document.title == " ".join(rows[question]["Title"].split())
        order = posts(document)
        assert order[0][:2] == (question, f"user {rows[question]['OwnerUserId']}")
        assert all(answers[post] == question and reply_to == question for post, _, _, reply_to in order[1:] if post)
        seen.update(post for post, *_ in order if post)
        for section in document.sections:  # every span is text of the row it is credited to
            body = _squeezed(BeautifulSoup(rows[section.post or ""]["Body"], "html.parser").get_text())
            assert _squeezed(document.text[section.start : section.end]) in body, section
    assert seen == set(rows) - {"98"}  # every post but the orphan, each under its own question

    headless = documents["askubuntu_posts/q6"]
    assert [p[0] for p in posts(headless)] == ["6", "12", "10", "91", "48", "22"]  # accepted, then score 9, 6, 1, 0
    assert headless.title == "What is the best way to set up a headless server?"
    battery = documents["askubuntu_posts/q1"]
    assert quoted(battery) == ["Your battery may be old or broken. Etc..."]
    assert "Your battery may be old or broken" not in " ".join(text for _, text in own(battery))
    lamp = documents["askubuntu_posts/q34"]
    assert "mysql-client-core-5.1 libwrap0 apache2" in quoted(lamp)
    assert ("45", "sudo apt-get install tasksel\nsudo tasksel install lamp-server") in own(lamp)
    equalizer = documents["askubuntu_posts/q94"]
    assert "Possible Duplicate" not in equalizer.text and quoted(equalizer) == []
    ruby = documents["askubuntu_posts/q95"]
    assert quoted(ruby)[0] == "purge"
    assert quoted(ruby)[1].startswith("purge is identical to remove except that packages are removed and purged")


def test_a_code_block_keeps_its_indentation() -> None:
    blocks = stackexchange.body_blocks("<p>Use:</p>\n<pre><code>def fix(path):\n    return path.resolve()\n</code></pre>")
    assert blocks == ("Use:", "def fix(path):\n    return path.resolve()")
    assert isinstance(blocks[1], Code)


def test_a_comments_xml_without_its_posts_xml_is_skipped_with_that_reason(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "comments" / "Comments.xml", tmp_path / "cs_Comments.xml")
    (tmp_path / "Users.xml").write_text("<users>\n  <row Id='7' DisplayName='Ana' />\n</users>\n", encoding="utf-8")
    reasons = {s.source: s.reason for s in load_documents(tmp_path).skipped}
    alone = "beside it, not a document itself: there is none here"
    assert reasons == {
        "cs_Comments.xml": f"a Stack Exchange Comments.xml belongs to the dump's cs_Posts.xml {alone}",
        "Users.xml": f"a Stack Exchange Users.xml belongs to the dump's Posts.xml {alone}",
    }
    shutil.copy(FIXTURES / "Posts.xml", tmp_path / "Posts.xml")  # read by itself (an upload, a per-file check): said so
    with pytest.raises(UnreadableDocument) as caught:
        read_file(tmp_path / "Users.xml", "Users.xml")
    assert str(caught.value).endswith("belongs to the dump's Posts.xml beside it, not a document itself: it is read with it")
