"""Stack Exchange data dump `Posts.xml`: one thread per question, its answers after it, each post's comments after it.

The dump is ordered by Id, so a question's answers may lie anywhere after it in a file of many
gigabytes. Reading it takes two streaming passes instead of one big dictionary: the first counts
each question's answers (a few integers per question), the second parses bodies and hands a
thread on the moment its last answer has been read. What is held at any time is therefore the
parsed text of the "open" threads (question read, some answer still ahead) plus those counters;
in a dump where answers follow their question closely that is a small, constant amount.

Author names are not in Posts.xml: `OwnerUserId` is joined with the `Users.xml` beside it
(`askubuntu_Posts.xml` pairs with `askubuntu_Users.xml`), streamed too and keeping only the ids
the posts and comments name.

Comments, which often hold the correction ("that flag was renamed in 3.0"), are the
`Comments.xml` beside it, paired by the same naming rule. It is ordered by comment Id, so a post's
comments are anywhere in a file that runs to tens of GB: one streaming pass copies it into a
temporary SQLite file indexed by PostId (deleted when the read ends, also on error), and each
thread looks up its posts' comments as it is handed on. A comment follows the post it is on,
oldest first, as a post of its own ("c<Id>", replying to that post) credited to the commenter.
Its `Text` is the comment's mini-markdown as typed (`code`, *emphasis*, [links](url)), not HTML;
it is shown as a reader sees it.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from bs4.element import PreformattedString
from markdown_it import MarkdownIt

from forumqa.archives import table_name
from forumqa.documents import UnreadableDocument, parse_date
from forumqa.formats.reddit import markdown_segments
from forumqa.threads import Code, Post, Quote, Thread, ThreadFormat, Warn

QUESTION, ANSWER = "1", "2"

#: The root after an optional declaration and comments. A copy given a document type (`<!DOCTYPE posts
#: SYSTEM 'posts.dtd'>`, as course material that validates the dump does) is the same table; one with
#: an internal subset ([…]: entity definitions) is not taken for a dump.
_ROOT = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE\s[^\[>]*>\s*(?:<!--.*?-->\s*)*)?<posts[\s>]", re.DOTALL)
#: A dump extracted into a folder named after its site ("askubuntu.com") says where its posts live.
_SITE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")
#: The notice Stack Exchange put at the top of a question closed as a duplicate: not the asker's words.
#: Before 2013 it read "Possible Duplicate:", later "This question already has an answer here:" (or "answers").
_DUPLICATE_NOTICE = re.compile(r"^\s*(?:possible duplicates?:|this question already has (?:an )?answers? here:)", re.IGNORECASE)


def sniff(path: Path, head: str) -> bool:
    return bool(_ROOT.match(head)) and "<row" in head


# ---------------------------------------------------------------- streaming rows


class _Broken(Exception):
    """The XML stops being well-formed; what came before it is still good."""

    def __init__(self, error: ET.ParseError, rows: int) -> None:
        line, column = error.position
        super().__init__(f"invalid XML at line {line}, column {column} ({error.msg.split(':')[0]})")
        self.rows = rows


def _rows(path: Path, root_tag: str | None) -> Iterator[dict[str, str]]:
    """The attributes of each `<row>`, one at a time; the tree is cleared as it goes so memory stays flat.

    `root_tag` None takes any root: a table read only for what its rows hold (Comments.xml) is
    judged row by row, so a placeholder with no rows costs nothing and says nothing.
    """
    rows = 0
    with path.open("rb") as handle:
        root: ET.Element | None = None
        try:
            for event, element in ET.iterparse(handle, events=("start", "end")):
                if root is None:
                    root = element
                    if root_tag is not None and element.tag != root_tag:
                        raise UnreadableDocument(f"not a Stack Exchange {root_tag} file: its root element is <{element.tag}>")
                elif event == "end" and element.tag == "row":
                    rows += 1
                    yield dict(element.attrib)
                    root.clear()
        except ET.ParseError as exc:
            raise _Broken(exc, rows) from exc


# ---------------------------------------------------------------- rows → posts


@dataclass(frozen=True)
class _Row:
    """What both passes agree a row is, so their answer counts match exactly."""

    id: int
    kind: str
    parent: int | None
    attrib: dict[str, str]


def _classify(attrib: dict[str, str], number: int, warn: Warn | None) -> _Row | None:
    """A question or an answer with usable ids; other post types (tag wikis, …) are skipped silently."""
    kind = attrib.get("PostTypeId")
    if kind not in (QUESTION, ANSWER):
        return None
    try:
        post_id = int(attrib["Id"])
        parent = int(attrib["ParentId"]) if kind == ANSWER else None
    except (KeyError, ValueError):
        if warn is not None:
            what = "question" if kind == QUESTION else "answer"
            warn(f"row {number} ({what} {attrib.get('Id', 'without Id')}): no usable Id/ParentId; left out")
        return None
    return _Row(post_id, kind, parent, attrib)


def _count_answers(path: Path) -> tuple[dict[int, int], set[int], _Broken | None]:
    """Pass 1: each question's number of answers in the file, the user ids named, where the XML breaks."""
    questions: dict[int, int] = {}
    answers: dict[int, int] = {}
    users: set[int] = set()
    broken: _Broken | None = None
    try:
        for number, attrib in enumerate(_rows(path, "posts"), start=1):
            row = _classify(attrib, number, None)
            if row is None:
                continue
            if row.parent is None:
                questions[row.id] = 0
            else:
                answers[row.parent] = answers.get(row.parent, 0) + 1
            if (owner := _id(attrib.get("OwnerUserId", ""))) is not None:
                users.add(owner)
    except _Broken as exc:
        if exc.rows == 0:
            raise UnreadableDocument(str(exc)) from exc
        broken = exc
    return {q: answers.get(q, 0) for q in questions}, users, broken


def _table_beside(path: Path, table: str) -> Path | None:
    """The dump's `table` ("Users", "Comments") beside this Posts.xml, if it is there."""
    other = path.with_name(table_name(path.name, table))
    return other if other != path and other.is_file() else None


def _id(value: str) -> int | None:
    """An id attribute as a number (-1 is the Community user); None for "", "abc" or "²", which int() refuses."""
    digits = value.removeprefix("-")
    return int(value) if digits.isascii() and digits.isdigit() else None


def _user_names(path: Path, wanted: set[int], warn: Warn) -> dict[int, str]:
    """DisplayName of each wanted user from the Users.xml that belongs to this Posts.xml, if there is one."""
    users_path = _table_beside(path, "Users")
    if users_path is None or not wanted:
        return {}
    names: dict[int, str] = {}
    try:
        for attrib in _rows(users_path, "users"):
            user = _id(attrib.get("Id", ""))
            if user is not None and user in wanted and attrib.get("DisplayName", "").strip():
                names[user] = attrib["DisplayName"].strip()
    except (_Broken, UnreadableDocument) as exc:
        warn(f"{users_path.name}: {exc}; authors it does not name are shown by user id")
    return names


def _author(user: str, shown: str, names: dict[int, str]) -> str | None:
    """Users.xml's name for the user id, else the name the row keeps itself (a deleted user's), else "user <id>".

    Posts give `OwnerUserId`/`OwnerDisplayName`, comments `UserId`/`UserDisplayName`: one rule for both.
    """
    if (number := _id(user)) is not None and number in names:
        return names[number]
    if shown.strip():
        return shown.strip()
    return f"user {user}" if user else None


def _site(path: Path) -> str | None:
    folder = path.resolve().parent.name.lower()
    return folder if _SITE.match(folder) else None


def _post(row: _Row, names: dict[int, str], site: str | None) -> Post:
    short = "q" if row.kind == QUESTION else "a"
    return Post(
        blocks=body_blocks(row.attrib.get("Body", "")),
        author=_author(row.attrib.get("OwnerUserId", ""), row.attrib.get("OwnerDisplayName", ""), names),
        date=parse_date(row.attrib.get("CreationDate", "")),
        post=str(row.id),
        reply_to=str(row.parent) if row.parent is not None else None,
        url=f"https://{site}/{short}/{row.id}" if site else None,
    )


# ---------------------------------------------------------------- body HTML → blocks

#: Elements that end a line of prose: a paragraph, a list item, a heading, a table row, a line break.
_LINE_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
    "table", "hr", "dd", "dt", "dl",
})  # fmt: skip
#: Table cells: a row's cells share its line ("shade auto"), kept apart by spaces so their words never run together.
_CELL_TAGS = frozenset({"td", "th"})


def body_blocks(html: str) -> tuple[str | Quote, ...]:
    """Paragraphs and list items as lines, each `<pre>` a block of its own, each `<blockquote>` level a Quote.

    A plain `<blockquote>` on Stack Exchange is outside material (a man page, an error message), so
    its Quote has no author; the duplicate-question notice the site inserts is dropped. One walk
    over the tree, no searches: at a few hundred thousand bodies per dump, bs4's find_all costs
    more than the parse itself.
    """
    blocks = _Blocks()
    blocks.walk(BeautifulSoup(html, "html.parser"))
    return tuple(blocks.done())


class _Blocks:
    """Collects a body's blocks: prose lines until a `<pre>` or `<blockquote>` starts a block of its own."""

    def __init__(self) -> None:
        self.out: list[str | Quote] = []
        self.prose: list[str] = []

    def flush(self) -> None:
        text = "\n".join(line.strip() for line in "".join(self.prose).split("\n") if line.strip())
        if text:
            self.out.append(text)
        self.prose.clear()

    def done(self) -> list[str | Quote]:
        self.flush()
        return self.out

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if not isinstance(child, Tag):
                if not isinstance(child, PreformattedString):  # a comment, a doctype
                    # A newline inside a paragraph is the source's soft wrap, shown as a space: a sentence runs across it.
                    self.prose.append(str(child).replace("\r", " ").replace("\n", " "))
            elif child.name == "pre":
                self.flush()
                if code := child.get_text().strip("\n"):
                    self.out.append(Code(code))
            elif child.name == "blockquote" and "spoiler" not in (child.get("class") or ()):
                self.flush()
                inner = _Blocks()
                inner.walk(child)
                self.out.extend(_quotes(inner.done()))
            elif child.name in _CELL_TAGS:
                self.prose.append(" ")
                self.walk(child)
                self.prose.append(" ")
            elif child.name in _LINE_TAGS or child.name == "blockquote":  # a `>!` spoiler: the poster's own words, hidden
                self.prose.append("\n")
                self.walk(child)
                self.prose.append("\n")
            else:
                self.walk(child)


def _quotes(blocks: list[str | Quote]) -> list[Quote]:
    """One Quote per nesting level, in reading order: a quote inside a quote is its own Quote."""
    out: list[Quote] = []
    run: list[str] = []
    for block in [*blocks, None]:
        if isinstance(block, str):
            run.append(block)
            continue
        if run and not _DUPLICATE_NOTICE.match(run[0]):
            out.append(Quote("\n".join(run)))
        run = []
        if block is not None:
            out.append(block)
    return out


# ---------------------------------------------------------------- comments

#: A comment's `Text` is the mini-markdown its author typed, on one line: `code`, *emphasis*, **strong**
#: and [links](url) are rendered; lists, headings, quotes, code blocks, images and HTML are not (a comment's
#: "> 5 is too many", "# 1" or "<br>" is shown as typed). The XML parser has decoded the attribute's
#: entities already, so the entity rule is off: a typed "&amp;" is not decoded a second time.
_COMMENT_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(
    ["code", "fence", "blockquote", "hr", "list", "reference", "html_block", "heading", "lheading", "image", "entity"]
)

#: (Id, PostId, CreationDate, UserId, UserDisplayName, Text): a comment row as the SQLite copy keeps it.
_CommentRow = tuple[int, int, str, str, str, str]


def comment_blocks(text: str) -> tuple[str, ...]:
    """A comment's Text as a reader sees it: backticks and emphasis marks dropped, a link shown as its text."""
    return tuple(segment.text for segment in markdown_segments(text, _COMMENT_MARKDOWN))


def _comment_row(attrib: dict[str, str]) -> _CommentRow | None:
    """A usable comment row; None without an Id, a PostId or any Text (nothing to show, or nowhere to show it)."""
    comment_id, post_id, text = _id(attrib.get("Id", "")), _id(attrib.get("PostId", "")), attrib.get("Text", "")
    if comment_id is None or post_id is None or not text.strip():
        return None
    user, shown = attrib.get("UserId", ""), attrib.get("UserDisplayName", "")
    return comment_id, post_id, attrib.get("CreationDate", ""), user, shown, text


def _comment(row: _CommentRow, on: Post, names: dict[int, str]) -> Post:
    """A comment as a post of its own, replying to the post it is on and linked where that post is."""
    comment_id, _, date, user, shown, text = row
    return Post(
        blocks=comment_blocks(text),
        author=_author(user, shown, names),
        date=parse_date(date),
        post=f"c{comment_id}",
        reply_to=on.post,
        url=f"{on.url}#comment{comment_id}_{on.post}" if on.url else None,
    )


class _CommentTable:
    """A Comments.xml copied into a temporary SQLite file with an index on PostId.

    The file is ordered by comment Id and runs to tens of GB (Stack Overflow's), so a post's
    comments are anywhere in it: neither a dict of every comment nor a pass per thread will do.
    The copy costs one streaming pass and disk space; a thread's comments are then an indexed
    query each. `users` are the commenters the Users.xml pass must name too.
    """

    BATCH = 1000  # rows held before each insert: a few hundred KB

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db = db
        self.name = name
        self.users: set[int] = set()
        self.stored = 0
        self.delivered = 0

    def fill(self, path: Path, warn: Warn) -> None:
        """Copy every usable row; a file broken part-way keeps the rows before the break, as Posts.xml does."""
        self.db.execute("CREATE TABLE comments (id INTEGER, post INTEGER, date TEXT, user TEXT, shown TEXT, text TEXT)")
        batch: list[_CommentRow] = []
        bad = 0
        broken: _Broken | None = None
        try:
            for attrib in _rows(path, None):
                if (row := _comment_row(attrib)) is None:
                    bad += 1
                    continue
                batch.append(row)
                if (user := _id(row[3])) is not None:
                    self.users.add(user)
                if len(batch) >= self.BATCH:
                    self._insert(batch)
        except _Broken as exc:
            broken = exc
        self._insert(batch)
        self.db.execute("CREATE INDEX comments_by_post ON comments (post, date, id)")
        self.db.commit()
        if bad:
            warn(f"{self.name}: {bad} rows without a usable Id, PostId or Text; left out")
        if broken is not None:
            warn(f"{self.name}: {broken}; the {broken.rows} rows before it were read, the rest of the file was not")

    def _insert(self, batch: list[_CommentRow]) -> None:
        self.db.executemany("INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?)", batch)
        self.stored += len(batch)
        batch.clear()

    def attach(self, posts: list[Post], names: dict[int, str]) -> list[Post]:
        """Each post followed by its comments, oldest first (by CreationDate, then Id)."""
        out: list[Post] = []
        for post in posts:
            out.append(post)
            if post.post and post.post.isdigit():
                rows = self.db.execute(
                    "SELECT id, post, date, user, shown, text FROM comments WHERE post = ? ORDER BY date, id", (int(post.post),)
                ).fetchall()
                self.delivered += len(rows)
                out.extend(_comment(row, post, names) for row in rows)
        return out

    def report(self, posts_name: str, warn: Warn) -> None:
        """One warning for the comments no thread took: on a post not in the file, a tag wiki, or a post left out."""
        if (left := self.stored - self.delivered) > 0:
            warn(f"{self.name}: {left} comments on posts that are not a question or answer read from {posts_name}; left out")


def _comment_table(path: Path, warn: Warn, cleanup: ExitStack) -> _CommentTable | None:
    """The Comments.xml beside this Posts.xml, copied for lookup; None if there is none or it cannot be copied.

    `cleanup` closes the database and deletes its folder when the read ends, however it ends. A
    Comments.xml that cannot be read costs its comments only, never the posts.
    """
    comments_path = _table_beside(path, "Comments")
    if comments_path is None:
        return None
    try:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="forumqa-comments-")))
        # The reader is a generator: a consumer may resume it from another thread, one call at a time.
        db = cleanup.enter_context(closing(sqlite3.connect(folder / "comments.sqlite", check_same_thread=False)))
        db.execute("PRAGMA journal_mode = OFF")  # a scratch copy: nothing to recover after a crash
        db.execute("PRAGMA synchronous = OFF")
        table = _CommentTable(db, comments_path.name)
        table.fill(comments_path, warn)
    except OSError as exc:
        warn(f"{comments_path.name}: cannot be read ({exc.strerror or exc}); comments are left out")
        return None
    except sqlite3.Error as exc:
        warn(f"{comments_path.name}: could not be copied for lookup ({exc}); comments are left out")
        return None
    return table


# ---------------------------------------------------------------- threads


@dataclass
class _Open:
    """A question whose answers are still being read: parsed text and the few fields ordering needs, no HTML."""

    question: Post | None = None
    title: str = ""
    accepted: str = ""
    answers: list[tuple[int, Post]] = field(default_factory=list)  # (score, answer)


def _score(row: _Row) -> int:
    score = row.attrib.get("Score", "0")
    return int(score) if score.lstrip("-").isdigit() else 0


#: Puts each post's comments after it (`_CommentTable.attach`); None when the dump has no Comments.xml.
_Attach = Callable[[list[Post]], list[Post]] | None


def _thread(question_id: int, entry: _Open, warn: Warn, attach: _Attach = None) -> Thread | None:
    """The question, then its answers: the accepted one first, then by score (highest first), then by date.

    Comments follow the post they are on; whether a thread has words at all is still its posts' say.
    """
    if entry.question is None:
        return None

    def order(item: tuple[int, Post]) -> tuple[bool, int, str, int]:
        score, answer = item
        return (answer.post != entry.accepted, -score, answer.date or "", int(answer.post or 0))

    answers = (
        replace(answer, accepted=True) if entry.accepted and answer.post == entry.accepted else answer
        for _, answer in sorted(entry.answers, key=order)
    )
    posts = [entry.question, *answers]
    if not any(p.blocks for p in posts):
        warn(f"question {question_id}: no text in it or its answers; left out")
        return None
    for number, p in enumerate(posts):
        if not p.blocks:
            warn(f"{'answer' if number else 'question'} {p.post}: no text")
    if attach is not None:
        posts = attach(posts)
    return Thread(entry.title or f"Question {question_id}", posts, key=f"q{question_id}", date=entry.question.date)


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    expected, users, broken = _count_answers(path)
    with ExitStack() as cleanup:  # the comments' temporary copy goes when the read ends, also on error or when abandoned
        comments = _comment_table(path, warn, cleanup)
        if comments is not None:
            users |= comments.users
            comments.users.clear()
        names = _user_names(path, users, warn)
        attach = partial(comments.attach, names=names) if comments is not None else None
        yield from _threads(path, expected, broken, names, attach, warn)
        if comments is not None:
            comments.report(path.name, warn)


def _threads(
    path: Path, expected: dict[int, int], broken: _Broken | None, names: dict[int, str], attach: _Attach, warn: Warn
) -> Iterator[Thread]:
    """Pass 2: each thread the moment its last answer has been read."""
    site = _site(path)
    open_threads: dict[int, _Open] = {}
    try:
        for number, attrib in enumerate(_rows(path, "posts"), start=1):
            row = _classify(attrib, number, warn)
            if row is None:
                continue
            question_id = row.id if row.parent is None else row.parent
            if question_id not in expected:
                warn(f"answer {row.id}: its question {row.parent} is not in the file; left out")
                continue
            entry = open_threads.setdefault(question_id, _Open())
            if row.parent is None:
                entry.question, entry.title = _post(row, names, site), " ".join(attrib.get("Title", "").split())
                entry.accepted = attrib.get("AcceptedAnswerId", "")
            else:
                entry.answers.append((_score(row), _post(row, names, site)))
            if entry.question is not None and len(entry.answers) >= expected[question_id]:
                del open_threads[question_id]
                if (thread := _thread(question_id, entry, warn, attach)) is not None:
                    yield thread
    except _Broken as exc:  # the break pass 1 found (or a file changed in between): reported after what came before it
        broken = broken or exc
    if broken is not None:
        warn(f"{broken}: the {broken.rows} rows before it were read, the rest of the file was not")
    for question_id in sorted(open_threads):  # only if the file changed between the passes
        if (thread := _thread(question_id, open_threads[question_id], warn, attach)) is not None:
            yield thread


FORMAT = ThreadFormat("Stack Exchange Posts.xml", sniff, read, many=True)
