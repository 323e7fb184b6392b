"""A post body as the thread model wants it: its own paragraphs and code, and each quote credited to its author.

Quote blocks differ per engine (and per engine version); `_as_quote` tells them apart by markup
and hands each to its engine's reader. Navigation, signatures, attachment boxes and other
boilerplate inside a body are left out by tag and class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import Tag
from bs4.element import NavigableString

from forumqa.formats.forum_html import phpbb, vbulletin, xenforo, xenforo1
from forumqa.formats.forum_html.markup import BLOCK_TAGS, QuoteMark, attr, classes, flat_text
from forumqa.threads import Code, Quote

_SPACES = re.compile(r"\s+")
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "img", "svg", "button", "input", "select", "textarea",
    "iframe", "video", "audio", "object", "embed", "form",
})  # fmt: skip
_SKIP_CLASSES = frozenset(
    {
        # phpBB: signature, "Last edited by" notice, attachment boxes and their "Viewed N times" captions
        "signature", "notice", "attachbox", "inline-attachment", "thumbnail", "quotetitle",
        # XenForo: quote titles, "Click to expand...", image/media wrappers, link previews, edits, signatures
        "bbCodeBlock-title", "bbCodeBlock-expandLink", "bbImageWrapper", "bbMediaWrapper", "bbCodeBlock--unfurl",
        "message-lastEdit", "message-signature", "attachmentList", "reactionsBar",
        # XenForo 1: quote attributions (read by the quote) and spoiler buttons, "Click to expand...", the end marker
        "attribution", "quoteExpand", "messageTextEndMarker",
        # vBulletin: "Code:" labels, quote attributions (read by the quote), signatures, attachments, edit notes
        "bbcode_description", "bbcode_postedby", "bbcode_quote_container", "signaturecontainer", "attachments", "lastedited",
        "sr-only",
    }
)  # fmt: skip
_CODE_LABELS = frozenset({"code:", "html code:", "php code:"})
#: Classes of the images boards draw emoji and smilies with (Discourse's img.emoji, XenForo's img.smilie, phpBB's
#: img.smilies, SMF's img.smiley): their alt text ("😂", ":boom:", ":)") is part of the sentence, unlike a picture's.
_EMOJI_CLASSES = frozenset({"emoji", "smilie", "smilies", "smiley"})
_XENFORO1_CODE = frozenset({"bbCodeCode", "bbCodePHP", "bbCodeHtml"})


@dataclass
class Collector:
    """A body's own paragraphs and its quotes, in reading order; inline text is gathered until a block ends."""

    items: list[str | Quote] = field(default_factory=list)
    reply_to: str | None = None
    pending: list[str] = field(default_factory=list)

    def text(self, value: str) -> None:
        self.pending.append(_SPACES.sub(" ", value))

    def newline(self) -> None:
        self.pending.append("\n")

    def flush(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self.pending).split("\n"))
        text = "\n".join(line for line in lines if line)
        self.pending.clear()
        if text:
            self.items.append(text)

    def code(self, text: str) -> None:
        self.flush()
        if text:
            self.items.append(Code(text))

    def quotes(self, quotes: list[Quote], post: str | None) -> None:
        self.flush()
        self.items.extend(quotes)
        if self.reply_to is None and post is not None:
            self.reply_to = post


def blocks(body: Tag, skip: frozenset[int]) -> Collector:
    """The body's blocks; tags whose id() is in `skip` (other posts' containers, nested by broken markup) are left out."""
    out = Collector()
    _walk(body, out, skip)
    out.flush()
    out.items = _raw_quotes(out.items)
    if out.reply_to is None:
        out.reply_to = next((item.post for item in out.items if isinstance(item, Quote) and item.post), None)
    return out


#: A quote tag a board prints as text: posts imported from another engine, or written where BBCode is off, keep
#: "[QUOTE="ana";123]…[/QUOTE]" (vBulletin), "[quote author=ana link=topic=5.msg123#msg123 date=…]" (SMF),
#: "[QUOTE="ana, post: 123, member: 4"]" (XenForo), "[quote=ana post_id=123 time=…]" (phpBB 3.2+) in their words.
_RAW_QUOTE = re.compile(r"\[(/?)quote\b([^\]\n]{0,300})\]", re.IGNORECASE)
_RAW_AUTHOR = re.compile(r"""^\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^;\s\]]+(?:\s+(?!\w+=)[^;\s\]]+)*))|author=(\S+))""")
_RAW_POST = re.compile(r"(?:;\s*|post:\s*|post_id=|msg)(\d+)")


def _raw_quotes(items: list[str | Quote]) -> list[str | Quote]:
    """Paragraphs with printed [quote]…[/quote] tags split into the poster's words and Quotes credited to the quoted
    writer the tag names. Only a body whose opening and closing tags pair up is changed: a lone "[quote]" is prose
    (someone explaining BBCode), and code boxes are never read for tags."""
    paragraphs = [item for item in items if type(item) is str]
    opened = sum(1 for text in paragraphs for match in _RAW_QUOTE.finditer(text) if not match.group(1))
    if not opened or opened != sum(1 for text in paragraphs for match in _RAW_QUOTE.finditer(text) if match.group(1)):
        return items
    out: list[str | Quote] = []
    sources: list[tuple[str | None, str | None]] = []
    for item in items:
        if type(item) is not str:
            out.append(item)
            continue
        start = 0
        for match in _RAW_QUOTE.finditer(item):
            _add_piece(out, item[start : match.start()], sources[-1] if sources else None)
            if match.group(1):
                if sources:
                    sources.pop()
            else:
                sources.append(_raw_source(match.group(2)))
            start = match.end()
        _add_piece(out, item[start:], sources[-1] if sources else None)
    return out


def _raw_source(arguments: str) -> tuple[str | None, str | None]:
    """The writer and post a printed quote tag names: '="ana";123' → ("ana", "123"); "" → (None, None)."""
    named = _RAW_AUTHOR.match(arguments)
    author = next((group for group in named.groups() if group), None) if named else None
    if author is not None:
        author = author.split(",")[0].strip() or None  # XenForo's "ana, post: 123, member: 4"
    post = _RAW_POST.search(arguments)
    return author, post.group(1) if post else None


def _add_piece(out: list[str | Quote], text: str, source: tuple[str | None, str | None] | None) -> None:
    """A piece of a split paragraph: the poster's own, or quoted (joined to the quote it continues)."""
    text = "\n".join(line.strip() for line in text.strip().split("\n") if line.strip())
    if not text:
        return
    if source is None:
        out.append(text)
    elif out and isinstance(out[-1], Quote) and (out[-1].author, out[-1].post) == source:
        out[-1] = Quote(f"{out[-1].text}\n{text}", *source)
    else:
        out.append(Quote(text, *source))


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in _SKIP_TAGS or classes(tag) & _SKIP_CLASSES:
        return True
    if "display:none" in attr(tag, "style").replace(" ", "").lower():
        return True
    # vBulletin 3 labels a code box with a "Code:" line of its own; "PHP Code:" boxes are a div holding a code
    if "smallfont" not in classes(tag) or flat_text(tag).lower() not in _CODE_LABELS:
        return False
    box = tag.find_next_sibling(True)
    return box is not None and (box.name == "pre" or box.find(("pre", "code")) is not None)


def _lines(tag: Tag) -> str:
    """A code box's raw text; highlighted XenForo 1 PHP boxes break their lines with <br> instead of newlines."""
    return "".join("\n" if isinstance(node, Tag) else str(node) for node in tag.descendants if _is_line_part(node))


def _is_line_part(node: object) -> bool:
    return (isinstance(node, Tag) and node.name == "br") or type(node) is NavigableString


def _code_text(tag: Tag) -> str | None:
    """A code box's lines, or None: `pre`, phpBB div.codebox, XenForo .bbCodeBlock--code, a multi-line `code`.

    A box with a label ("Code:", "PHP:") is read from its inner pre/code only: XenForo 1 writes
    div.bbCodeBlock.bbCodeCode (or .bbCodePHP, .bbCodeHtml) > div.type "Code:" + pre (or div.code).
    """
    tag_classes = classes(tag)
    xenforo1_box = "bbCodeBlock" in tag_classes and bool(tag_classes & _XENFORO1_CODE)
    if "codebox" in tag_classes or "bbCodeBlock--code" in tag_classes or xenforo1_box:
        inner = tag.find("pre") or tag.find("code") or tag.find(class_="bbCodeCode") or tag.find(class_="code")
        raw = _lines(inner) if inner is not None else ""
    elif tag.name == "code" and tag.find("br") is not None:
        raw = _lines(tag).replace("\xa0", " ")  # vBulletin 3 highlighted PHP: <br> lines, &nbsp; spaces
    elif tag.name == "pre" or "bbCodeCode" in tag_classes or (tag.name == "code" and "\n" in tag.get_text().strip()):
        raw = tag.get_text()
    else:
        return None
    lines = [line.rstrip() for line in raw.replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")


def _in_spoiler(tag: Tag) -> bool:
    """XenForo 1 spoiler add-ons hold the poster's own hidden text in quote markup: div.bbCodeQuote.bbmSpoilerBlock >
    div.quotecontent > div.bbm_spoiler > blockquote. A phpBB quote (it has a cite) is still a quote there."""
    near = (tag.parent, tag.parent.parent if tag.parent is not None else None)
    spoiler = any(parent is not None and any("spoiler" in name.lower() for name in classes(parent)) for parent in near)
    return spoiler and tag.find("cite") is None


def _as_quote(tag: Tag) -> QuoteMark | None:
    tag_classes = classes(tag)
    if tag.name == "blockquote":
        if tag_classes & {"postcontent", "signature"}:
            return None  # vBulletin 4 wraps a whole body (and a signature) in a blockquote
        if "bbCodeBlock--quote" in tag_classes or tag.has_attr("data-quote"):
            return xenforo.quote(tag)
        if _in_spoiler(tag):
            return None
        return phpbb.quote(tag)
    if "bbcode_quote" in tag_classes:
        return vbulletin.quote(tag)
    if "bbCodeQuote" in tag_classes:
        return xenforo1.quote(tag)
    if "quotecontent" in tag_classes:
        return None if _in_spoiler(tag) else phpbb.titled_quote(tag)
    if tag.name == "div":
        return vbulletin.quote_v3(tag)
    return None


def _quote_items(mark: QuoteMark, skip: frozenset[int]) -> list[Quote]:
    """The quote's own words as Quotes credited to its author; quotes nested in it stay Quotes of their own."""
    inner = Collector()
    _walk(mark.content, inner, skip)
    inner.flush()
    quotes: list[Quote] = []
    run: list[str] = []
    for item in [*inner.items, None]:
        if isinstance(item, str):
            run.append(item)
            continue
        if run:
            quotes.append(Quote("\n".join(run), mark.author, mark.post))
            run = []
        if item is not None:
            quotes.append(item)
    return quotes


def _emoji(tag: Tag) -> str:
    """An emoji or smiley image's alt text; "" for any other tag, and for an image drawn without one."""
    if tag.name != "img" or not classes(tag) & _EMOJI_CLASSES:
        return ""
    return attr(tag, "alt").strip()


def _visit(tag: Tag, out: Collector, skip: frozenset[int]) -> None:
    if emoji := _emoji(tag):
        out.text(emoji)
        return
    if id(tag) in skip or _is_boilerplate(tag):
        return
    if tag.name == "br":
        out.newline()
        return
    if (code := _code_text(tag)) is not None:
        out.code(code)
        return
    if (mark := _as_quote(tag)) is not None:
        out.quotes(_quote_items(mark, skip), mark.post)
        return
    block = tag.name in BLOCK_TAGS
    if block:
        out.newline()
    _walk(tag, out, skip)
    if block:
        out.newline()


def _walk(node: Tag, out: Collector, skip: frozenset[int]) -> None:
    for child in list(node.children):
        if isinstance(child, Tag):
            _visit(child, out, skip)
        elif type(child) is NavigableString:  # not a comment, CDATA or doctype
            out.text(str(child))
