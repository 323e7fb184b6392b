"""Mailing-list archives saved as web pages: one mail per page (Mailman 2's pipermail, MHonArc, Hypermail, HyperKitty), or a
HyperKitty thread.

Whoever mirrors a list archive with `wget`, or saves it from a browser, gets the archive's HTML
pages, not its mbox. Read as plain pages they lose who wrote and when, and every `>` line of
history counts as the replier's words. Each generator writes its mails in fixed markup, so the
sender, date and Message-ID are read from where the generator puts them, and the body, rendered
back into the lines the mail had, goes through the mbox reader's own quote, attribution and
signature rules (formats.mbox.quotes): a quote is credited to whoever its "On …, X wrote:" line
names, or to the sender of the mail it answers where the page says which, never to the replier.

Checked against each generator's own code and templates: Mailman 2.1's
Mailman/Archiver/HyperArch.py, templates/en/article.html and Mailman/i18n.py (its date format), as
in terencehonles/mailman and jaredmauch/mailman2-python3 (pipermail); sympa-community/MHonArc's
lib/mhamain.pl (output_mail: the X- comments and section markers), lib/mhinit.pl (the default
References entries), lib/mhmsgfile.pl and lib/ewhutil.pl (how the comments are written and read
back) and lib/mhtxtplain.pl (pre and blockquote bodies); hyperkitty/hyperkitty's templates
hyperkitty/messages/message.html, message.html, thread.html and ajax/replies.html,
views/thread.py (reply depths), templatetags/hk_generic.py (snip_quoted, snip_pgp, escapeemail)
and the tests of its lib/renderer.py (blockquote quotes). The fixtures in
tests/fixtures/forums/mail_html/ mirror that markup in invented mails.

A page is recognised by its generator's markers, never by its name or a loose class: pipermail's
`<!--beginarticle-->` under an `<H1>`, MHonArc's `<!--X-Message-Id: …-->` record with its head
and body markers (`<!--X-Head-of-Message-->`, or before 2.3 `<!--X-Head-End-->` then
`<!--X-MsgBody-->`), Hypermail's `<!-- sent="…" -->` / `<!-- isosent="…" -->` record over its
`<!-- body="start" -->`, a HyperKitty `div.email` holding its header and body. A page
has one thread; a mail with no text is left out with a warning, a page with none is unreadable.
Modules: message (what the generators share), pipermail, mhonarc, hypermail, hyperkitty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from forumqa.formats.mail_html import hyperkitty, hypermail, mhonarc, pipermail
from forumqa.formats.mail_html.message import decode, is_html
from forumqa.threads import Thread, ThreadFormat, Warn


def sniff(path: Path, head: str) -> bool:
    """A web page with one generator's markers; an article or a forum page has none of them.

    Hypermail's comment record is enough on its own: Open MPI's pages are PHP with the `<html>` in an include.
    """
    if hypermail.claims(head):
        return True
    if not is_html(head):
        return False
    return mhonarc.claims(head) or pipermail.claims(head) or hyperkitty.claims(path, head)


def read(path: Path, warn: Warn) -> Iterator[Thread]:
    """The page's thread. MHonArc is asked first: its HTML bodies may hold anything, pipermail's and HyperKitty's are escaped."""
    text = decode(path)
    if mhonarc.claims(text):
        reader = mhonarc.read
    elif hypermail.claims(text):
        reader = hypermail.read
    else:
        reader = pipermail.read if pipermail.claims(text) else hyperkitty.read
    yield reader(text, path.stem, warn)


FORMAT = ThreadFormat("mailing-list archive page", sniff, read)
