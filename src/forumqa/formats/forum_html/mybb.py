"""MyBB thread pages (showthread.php, 1.8 and 1.6): `div.post_body#pid_N` bodies in `#post_N` posts.

MyBB marks no microdata. Its 1.8 default theme writes each post as `div.post#post_N` (`div.post.classic`
for the classic layout) after an `<a id="pidN">` anchor (1.6 writes the same body; its container is
found by the post_N id whatever its tag): the author in `.author_information .largetext`, the date in
`span.post_date` (with the "last modified" line in a `span.post_edit` inside it), the message in
`div.post_body#pid_N`, the signature in a `div.signature` after it. 1.6 quotes are the same blockquote
without the class. Quotes are `blockquote.mycode_quote > cite` ("ana Wrote:" in the board's language, a
`span` with the quoted post's date and an `a.quick_jump` to `…?pid=N#pidN`; a bare "Quote:" names no
one); they are rewritten into the quote form body.py credits (markup.mark_quote), the cite dropped.
Code boxes (`div.codeblock > div.title "Code:" + div.body`) become a `pre` of their lines: MyBB
breaks the lines with `<br />` after nl2br, so the raw newlines and the breaks would count twice.
"""

from __future__ import annotations

import copy
import re

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from forumqa.formats.forum_html.markup import Engine, Found, attr, classes, inline_text, mark_quote, own

_BODY_ID = re.compile(r"^pid_(\d+)$")
#: A link to the quoted post: showthread.php?pid=N#pidN, or post-N.html with search-engine-friendly URLs.
_PID_LINK = re.compile(r"(?:#pid|[?&]pid=|\bpost-)(\d+)")
_AUTHOR = ".author_information .largetext, .post_author .largetext, .largetext"
#: "(This post was last modified: … by …)": an edit note in the date line, not the date.
_EDIT_NOTE = ".post_edit, .edited_post"
#: The "Wrote:" label of MyBB's language packs: what follows the quoted member's name in a quote's cite.
_WROTE = ("wrote", "schrieb", "a écrit", "escribió", "ha scritto", "escreveu", "napisał", "schreef", "skrev", "написал", "yazdı")


def find(soup: BeautifulSoup) -> list[Found]:
    """Posts: each div.post_body#pid_N in its #post_N container; a page with none is not MyBB's."""
    bodies = [b for b in soup.find_all("div", id=_BODY_ID) if "post_body" in classes(b)]
    containers = [_container(body) for body in bodies]
    ids = {id(container) for container in containers}
    found = []
    for body, container in zip(bodies, containers, strict=True):
        number = _BODY_ID.match(attr(body, "id"))
        _tidy(body)
        author = inline_text(own(container, _AUTHOR, ids, avoid=body)) or None
        stamp = own(container, "span.post_date", ids, avoid=body)
        found.append(Found(number.group(1) if number else "", container, body, author, _date(stamp)))
    return found


def _container(body: Tag) -> Tag:
    """The post element whose id is post_N for the body's N (1.8's div.post), else the body's parent."""
    number = attr(body, "id").removeprefix("pid_")
    post = body.find_parent(id=f"post_{number}")
    if isinstance(post, Tag):
        return post
    return body.parent if isinstance(body.parent, Tag) else body


def _date(stamp: Tag | None) -> str | None:
    """The date line without its edit note; a relative day or time ("Yesterday", "2 hours ago") is replaced by the
    full date MyBB 1.8 puts in its title attribute ("03-03-2024" + ", 07:40 PM", or the whole "03-03-2024, 07:40 PM")."""
    if stamp is None:
        return None
    line = copy.copy(stamp)
    for note in line.select(_EDIT_NOTE):
        note.decompose()
    for relative in line.select("span[title]"):
        relative.replace_with(NavigableString(attr(relative, "title")))
    return " ".join(line.get_text().split()) or None


def _tidy(body: Tag) -> None:
    for box in body.select("div.codeblock"):
        _as_pre(box)
    quotes = [b for b in body.find_all("blockquote") if "mycode_quote" in classes(b) or b.find("cite", recursive=False)]
    for block in reversed(quotes):  # innermost first: an outer quote holds its nested ones
        cite = block.find("cite", recursive=False)
        author, post = _attribution(cite) if isinstance(cite, Tag) else (None, None)
        if isinstance(cite, Tag):
            cite.decompose()
        mark_quote(block, author, post)


def _attribution(cite: Tag) -> tuple[str | None, str | None]:
    """'ana Wrote:' (the cite's own words, the date span and jump link aside) and the post id in the jump link."""
    link = cite.find("a", href=_PID_LINK)
    post = _PID_LINK.search(attr(link, "href")) if isinstance(link, Tag) else None
    said = " ".join("".join(str(s) for s in cite.children if type(s) is NavigableString).split()).rstrip(":").strip()
    words = said.split()
    if len(words) < 2:  # "Quote:" alone: [quote] without a name
        return None, post.group(1) if post else None
    lowered = said.lower()
    verb = next((v for v in _WROTE if lowered.endswith(f" {v}")), None)
    name = said[: -len(verb)].strip() if verb else " ".join(words[:-1])
    return name or None, post.group(1) if post else None


def _as_pre(box: Tag) -> None:
    """div.codeblock (div.title + div.body, a `code` inside) → a pre of its lines, the "Code:" title dropped."""
    title = box.find("div", class_="title")
    if isinstance(title, Tag):
        title.decompose()
    parts: list[str] = []
    after_break = False
    for node in box.descendants:
        if isinstance(node, Tag) and node.name == "br":
            parts.append("\n")
            after_break = True
        elif type(node) is NavigableString:
            text = str(node)
            parts.append(text[1:] if after_break and text.startswith("\n") else text)
            after_break = False
    box.clear()
    box.name = "pre"
    box.attrs = {}
    box.append(NavigableString("".join(parts).replace("\xa0", " ").strip("\n")))


ENGINE = Engine("MyBB", find, ".navigation span.active, td.thead > div > strong", "pid{}")
