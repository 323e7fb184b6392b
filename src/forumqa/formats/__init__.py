"""Every file format forumqa reads, and how a file's format is told from its content.

Thread formats are tried in order on the first 64 KiB of each file (a `.json` may be a Discourse
topic, a Reddit thread, a DiscordChatExporter channel, a Flarum discussion, a Telegram Desktop export,
a Reddit data dump's lines or forumqa's own thread; a `.zst` is sniffed by the dump reader from its path);
a file none of them claims is read as a page by its extension. A Slack export is a folder, recognised as one.
"""

from __future__ import annotations

from forumqa.formats import (
    discord,
    discourse,
    flarum,
    forum_html,
    mail_html,
    mbox,
    reddit,
    reddit_dump,
    slack,
    stackexchange,
    telegram,
    telegram_html,
    thread_json,
)
from forumqa.formats.pages import PAGE_PARSERS, PageParser
from forumqa.threads import ThreadFormat

THREAD_FORMATS: tuple[ThreadFormat, ...] = (
    discourse.FORMAT,
    reddit.FORMAT,
    discord.FORMAT,
    flarum.FORMAT,  # before thread_json: a discussion's posts relationship is a "posts" key too
    telegram.FORMAT,  # after the forum JSONs, claimed only by the exporter's opening keys; before thread_json's loose "posts"
    reddit_dump.FORMAT,  # after the one-document JSONs: claims only a first line that is a whole comment or submission object
    thread_json.FORMAT,
    stackexchange.FORMAT,
    mbox.FORMAT,
    mail_html.FORMAT,  # before forum_html: an archive page is a web page, claimed by its generator's markers
    telegram_html.FORMAT,  # before forum_html: a chat page, claimed by the exporter's stylesheet, page_wrap and page_header
    forum_html.FORMAT,
)
FOLDER_FORMATS: tuple[ThreadFormat, ...] = (slack.FORMAT,)

#: What the README and error messages list.
SUPPORTED = (
    "Discourse topic JSON, Reddit thread JSON, "
    "Reddit data dumps (Pushshift/Arctic Shift NDJSON: RC_/RS_ months, <subreddit>_comments/_submissions; plain or .zst), "
    "DiscordChatExporter JSON, Flarum discussion JSON (/api/discussions/<id>), "
    "Telegram Desktop chat exports (result.json, one chat or a whole account; or the HTML export's messages*.html pages), "
    "Slack export folders, mbox and single .eml mails (or a raw mail or news article saved as .txt), "
    "mailing-list archive pages (pipermail, MHonArc, Hypermail, HyperKitty), "
    "phpBB/XenForo/vBulletin/Invision/SMF/MyBB/Vanilla/Discuz!/PunBB/FluxBB/UBB pages "
    "and other forum pages with schema.org post markup (Discourse's crawler view), "
    "Stack Exchange Posts.xml, forumqa thread JSON, .txt, .md and .html; "
    "any of these gzipped (.gz, as pipermail archives a month), a Slack export as its .zip "
    "and a Stack Exchange data dump as its .7z (askubuntu.com.7z, stackoverflow.com-Posts.7z)"
)

__all__ = ["FOLDER_FORMATS", "PAGE_PARSERS", "SUPPORTED", "THREAD_FORMATS", "PageParser", "ThreadFormat"]
