"""Saved forum thread pages (phpBB, XenForo 1 and 2, vBulletin 3/4/5): one page, one thread, posts with their quotes.

A generic HTML reader keeps navigation, profile blocks and signatures, and credits every quoted
sentence to the person who quoted it. These engines write posts and quotes in stable,
documented markup, so each post is read from its own container and each quote block becomes a
`Quote` with the author and post id the markup records. Recognition is by markup, not extension:
a page with no post containers is left to the plain page reader.

One module per engine (phpbb, xenforo, xenforo1, vbulletin: where its posts and quotes are; phpbb_print and
vbulletin_archive for the light page forms without post ids; schema_org for the boards with no engine of their
own that mark posts with schema.org microdata, Discourse's crawler view among them; invision for Invision
Community's pages, which mark no forum posting; smf for Simple Machines Forum; mybb for MyBB; vanilla for Vanilla Forums;
discuz for Discuz!, the engine of many Chinese boards; phpbb2 for phpBB 2's subSilver tables; punbb for PunBB 1.2
and FluxBB; vbulletin2 for vBulletin 2's table rows; ubb for UBB.classic 6's and UBB 5's; phorum for Phorum 3's message tables),
`markup` for what they share, `body` for a post's text and quotes, `page` for the page's zone, address and title.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup

from forumqa.documents import UnreadableDocument
from forumqa.formats.forum_html import (
    discuz,
    invision,
    mybb,
    phorum,
    phpbb,
    phpbb2,
    phpbb_print,
    punbb,
    schema_org,
    smf,
    ubb,
    vanilla,
    vbulletin,
    vbulletin2,
    vbulletin_archive,
    xenforo,
    xenforo1,
)
from forumqa.formats.forum_html.body import blocks
from forumqa.formats.forum_html.markup import Engine, Found
from forumqa.formats.forum_html.page import iso_date, more_of, page_timezone, page_title, page_url, read_soup, thread_url
from forumqa.threads import Post, Thread, ThreadFormat, Warn

#: A thread page is a few MB at most; past this it is not one, and its DOM would not fit comfortably.
MAX_BYTES = 64 * 1024 * 1024
#: Substrings every supported engine's post markup carries; a page without any is not parsed to sniff it.
_MARKERS = (
    "postbody",
    "js-post",
    "post_message_",
    "bbwrapper",
    "messagetext",
    "posttext",
    "page-body",
    "discussionforumposting",
    "schema.org/question",
    "elcomment_",
    "post_wrapper",
    "post_body",
    "itemdiscussion",
    "itemcomment",
    'component="topic"',  # NodeBB before 3.0: Comment items in its post list, no forum posting
    "postmessage_",  # Discuz!
    "blockpost",  # PunBB, FluxBB
    'name="post',  # vBulletin 2's post anchors
    "reply_num=",  # UBB.classic's post buttons
    "replynum=",  # UBB 5's post buttons
    "phorummessage",  # Phorum 3
)
#: Tried in this order; the first whose post containers are on the page reads it. The light forms without
#: post ids (phpBB's printer view, vBulletin's archive) come after them, then schema.org microdata, which some of
#: those engines' pages carry too, and Invision's, SMF's, MyBB's, Discuz!'s, phpBB 2's, PunBB's, vBulletin 2's, UBB's,
#: Phorum's and Vanilla's posts without it: a page an engine read before is read the same.
_ENGINES = (
    phpbb.ENGINE,
    xenforo.ENGINE,
    xenforo1.ENGINE,
    vbulletin.ENGINE,
    phpbb_print.ENGINE,
    vbulletin_archive.ENGINE,
    schema_org.ENGINE,
    invision.ENGINE,
    smf.ENGINE,
    mybb.ENGINE,
    discuz.ENGINE,
    phpbb2.ENGINE,
    punbb.ENGINE,
    vbulletin2.ENGINE,
    ubb.ENGINE,
    phorum.ENGINE,
    vanilla.ENGINE,
)


def _find(soup: BeautifulSoup) -> tuple[Engine, list[Found]] | None:
    for engine in _ENGINES:
        if found := engine.find(soup):
            return engine, found
    return None


def sniff(path: Path, head: str) -> bool:
    """Post containers of one of the engines; an article page, however it names its classes, is not claimed."""
    lowered = head.lower()
    if not any(tag in lowered for tag in ("<html", "<!doctype html", "<body", "<div", "<article")):
        return False
    if not any(marker in lowered for marker in _MARKERS):
        more = more_of(path, head)
        if more is None or not any(marker in more.lower() for marker in _MARKERS):
            return False
        head = more
    return _find(BeautifulSoup(head, "html.parser")) is not None


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    soup = read_soup(path, MAX_BYTES, "one forum thread page")
    match = _find(soup)
    if match is None:
        raise UnreadableDocument("no phpBB, XenForo or vBulletin posts found in this page")
    engine, found = match
    zone, base = page_timezone(soup), page_url(soup) or thread_url(soup, engine)
    skip = frozenset(id(f.container) for f in found)
    thread = Thread(page_title(soup, engine, path.stem))
    seen: set[str] = set()
    for number, item in enumerate(found, start=1):
        label = f"post {number} (id {item.post or '?'})"
        if item.post in seen:
            warn(f"{label}: appears twice on the page; the second copy left out")
            continue
        seen.add(item.post)
        if item.body is None:
            warn(f"{label}: no message body found; left out")
            continue
        try:
            collected = blocks(item.body, skip)
        except RecursionError:
            warn(f"{label}: markup nested too deeply to read; left out")
            continue
        if not collected.items:
            warn(f"{label}: no text; left out")
            continue
        # a light page has no anchor per post: its posts link to the page itself
        anchor = f"#{engine.anchor.format(item.post)}" if engine.anchor else ""
        thread.posts.append(
            Post(
                blocks=tuple(collected.items),
                author=item.author,
                date=iso_date(item.date, zone),
                post=item.post or None,
                reply_to=item.reply_to or collected.reply_to,
                url=item.url or f"{base or ''}{anchor}" or None,
            )
        )
    yield thread


FORMAT = ThreadFormat("phpBB/XenForo/vBulletin page", sniff, read)
