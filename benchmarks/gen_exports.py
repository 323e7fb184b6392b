"""Synthetic forum exports of any size, one function per format, for timing the format readers.

    python benchmarks/gen_exports.py discourse 100000 /tmp/topic.json
    python benchmarks/gen_exports.py stackexchange 100000 /tmp/se/Posts.xml
    python benchmarks/gen_exports.py mbox 100000 /tmp/list.mbox

Each generator writes a file shaped like the real export (the same fields and markup, including
quotes of earlier posts and the furniture a reader has to drop) with made-up words, seeded so
that two runs write the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

_WORDS = (  # noqa: SIM905 (a line of words reads better than 31 quoted ones)
    "filter list rule site page browser cache proxy setting update version release panel logger request domain script "
    "network element picker cookie extension option profile backup restore export import sync mobile desktop"
).split()
_USERS = [f"user{i:03d}" for i in range(250)]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 16))
    return " ".join(words).capitalize() + rng.choice(".?!.")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))


def _discourse_cooked(rng: random.Random, number: int, topic_id: int, authors: list[str]) -> str:
    """A post's cooked HTML: paragraphs, now and then a quote aside, a list, a lightbox image or code."""
    parts: list[str] = []
    if number > 1 and rng.random() < 0.3:
        quoted = rng.randint(1, number - 1)
        parts.append(
            f'<aside class="quote no-group" data-username="{authors[quoted - 1]}" data-post="{quoted}" data-topic="{topic_id}">'
            f'<div class="title"><div class="quote-controls"></div><img alt="" width="20" height="20" class="avatar">'
            f"{authors[quoted - 1]}:</div><blockquote><p>{_sentence(rng)}</p></blockquote></aside>"
        )
    parts.extend(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(1, 3)))
    roll = rng.random()
    if roll < 0.1:
        parts.append("<ul>" + "".join(f"<li>{_sentence(rng)}</li>" for _ in range(3)) + "</ul>")
    elif roll < 0.15:
        parts.append(
            '<p><div class="lightbox-wrapper"><a href="//uploads.example/original/a.png" class="lightbox" title="a.png">'
            '<img src="//uploads.example/optimized/a_645x499.png" width="645" height="499"><div class="meta">'
            '<span class="filename">a.png</span><span class="informations">800x620 97.3 KB</span></div></a></div></p>'
        )
    elif roll < 0.2:
        parts.append("<pre><code>" + "\n".join(rng.choices(_WORDS, k=6)) + "</code></pre>")
    return "\n\n".join(parts)


def discourse(n: int, path: Path) -> None:
    """A Discourse /t/<id>.json holding all `n` posts (as `?print=true` would), written post by post."""
    rng = random.Random(1148)
    topic_id, slug = 4242, "synthetic-support-thread"
    start = datetime(2020, 1, 1, tzinfo=UTC)
    authors = [rng.choice(_USERS) for _ in range(n)]
    with path.open("w", encoding="utf-8") as out:
        out.write('{"post_stream": {"posts": [\n')
        for number in range(1, n + 1):
            created = start + timedelta(minutes=7 * number)
            post = {
                "id": 100000 + number,
                "name": authors[number - 1].title(),
                "username": authors[number - 1],
                "created_at": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "cooked": _discourse_cooked(rng, number, topic_id, authors),
                "post_number": number,
                "post_type": 1,
                "reply_to_post_number": rng.randint(1, number - 1) if number > 1 and rng.random() < 0.4 else None,
                "topic_id": topic_id,
                "topic_slug": slug,
            }
            out.write(("" if number == 1 else ",\n") + json.dumps(post))
        stream = ", ".join(str(100000 + number) for number in range(1, n + 1))
        out.write(f'\n], "stream": [{stream}]}},\n')
        head = {"id": topic_id, "title": "Synthetic support thread", "slug": slug, "posts_count": n, "chunk_size": 20}
        out.write(json.dumps(head)[1:] + "\n")


def _stackexchange_body(rng: random.Random) -> str:
    """An answer or question body as the dump stores it: paragraphs, now and then code or a quoted error."""
    parts = [f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(1, 4))]
    roll = rng.random()
    if roll < 0.15:
        parts.insert(1, "<pre><code>" + "\n".join(" ".join(rng.choices(_WORDS, k=4)) for _ in range(3)) + "\n</code></pre>")
    elif roll < 0.25:
        parts.insert(1, f"<blockquote>\n  <p>{_sentence(rng)}</p>\n</blockquote>")
    elif roll < 0.3:
        parts.append("<ul>\n" + "".join(f"<li>{_sentence(rng)}</li>\n" for _ in range(3)) + "</ul>")
    return "\n\n".join(parts) + "\n"


def stackexchange(n: int, path: Path) -> None:
    """A data-dump Posts.xml of `n` rows in Id order (and its Users.xml beside it when the name holds "Posts").

    A third of the rows are questions. Most answers follow their question within a few dozen rows,
    as in a real dump; one in twenty answers a question from anywhere earlier, so some threads stay
    open across much of the file.
    """
    rng = random.Random(72679)
    start = datetime(2010, 7, 28, 19, 0, tzinfo=UTC)
    questions: list[int] = []

    with path.open("w", encoding="utf-8") as out:
        out.write('\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n')
        for post_id in range(1, n + 1):
            created = (start + timedelta(seconds=41 * post_id)).isoformat(timespec="milliseconds").replace("+00:00", "")
            fields = {"Id": str(post_id)}
            if not questions or rng.random() < 0.34:
                questions.append(post_id)
                fields |= {"PostTypeId": "1", "CreationDate": created, "Score": str(rng.randint(-2, 40))}
                fields |= {"Body": _stackexchange_body(rng), "OwnerUserId": str(rng.randint(1, 250))}
                fields |= {"Title": _sentence(rng)[:-1] + "?", "Tags": "<" + "><".join(rng.sample(_WORDS, 2)) + ">"}
            else:
                parent = rng.choice(questions[-20:]) if rng.random() < 0.95 else rng.choice(questions)
                fields |= {"PostTypeId": "2", "ParentId": str(parent), "CreationDate": created, "Score": str(rng.randint(-2, 40))}
                fields |= {"Body": _stackexchange_body(rng), "OwnerUserId": str(rng.randint(1, 250))}
            out.write("  <row " + " ".join(f"{key}={quoteattr(value)}" for key, value in fields.items()) + " />\r\n")
        out.write("</posts>\r\n")
    if "Posts" in path.name:
        with path.with_name(path.name.replace("Posts", "Users")).open("w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="utf-8"?>\n<users>\n')
            for user_id in range(1, 251):
                out.write(f'  <row Id="{user_id}" DisplayName={quoteattr(_USERS[user_id - 1].title())} />\n')
            out.write("</users>\n")


def _mail_body(rng: random.Random, own: str, parent: tuple[str, str, str] | None, flowed: bool) -> str:
    """A reply's text: top-posted over the parent's quoted text, or interleaved, with a signature now and then."""
    import textwrap

    def wrap(text: str) -> str:
        filled = textwrap.fill(text, 72)
        return filled.replace("\n", " \n") if flowed else filled

    lines = [wrap(paragraph) for paragraph in own.split("\n")]
    if rng.random() < 0.03:
        lines.insert(1, "From what I saw in the logs this is new.")  # mbox escapes it as ">From"
    if rng.random() < 0.5:
        lines.append(f"--\x20\n{rng.choice(_USERS).title()} | {rng.choice(_WORDS)} team")
    if parent is None:
        return "\n\n".join(lines)
    name, date, text = parent
    quoted = "\n".join("> " + line if line else ">" for line in textwrap.fill(text, 70).split("\n"))
    attribution = f"On {date}, {name} wrote:" if rng.random() < 0.7 else f"{name} wrote:"
    if rng.random() < 0.25:  # interleaved: answer under the quote
        return "\n\n".join([attribution + "\n" + quoted, *lines])
    return "\n\n".join([*lines, attribution + "\n" + quoted])


def mbox(n: int, path: Path) -> None:
    """A mailing-list archive of `n` messages in threads of 5-20, threads interleaved in date order, as a list server files them.

    Message parts vary as in a Pony Mail or Mailman download: plain, format=flowed, quoted-printable,
    base64 and multipart/alternative with an HTML twin; replies quote their parent (top-posted or
    interleaved) under an attribution line; some senders write from two addresses.
    """
    import base64
    import quopri
    from email.utils import format_datetime

    rng = random.Random(2022)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    footer = "\n\n_______________________________________________\nsynth mailing list\nhttps://lists.example/listinfo/synth\n"
    written = 0
    with path.open("wb") as out:
        while written < n:
            batch: list[tuple[datetime, bytes]] = []  # ~40 threads open at once, their messages mixed by date
            for _ in range(40):
                subject = _sentence(rng)[:-1][:60]
                size = min(rng.randint(5, 20), n - written)
                written += size
                when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 7))
                thread: list[tuple[str, str, str, str]] = []  # (message id, display name, own text, date)
                for number in range(size):
                    user = rng.choice(_USERS)
                    address = f"{user}@{'example.org' if rng.random() < 0.8 else 'mail.example.net'}"
                    own = "\n".join(_paragraph(rng) for _ in range(rng.randint(1, 3)))
                    parent = rng.choice(thread) if thread else None
                    flowed = rng.random() < 0.15
                    body = _mail_body(rng, own, (parent[1], parent[3], parent[2]) if parent else None, flowed) + footer
                    msgid = f"<{written}.{number}.{rng.getrandbits(32):08x}@synth.example>"
                    headers = [f"From: {user.title()} <{address}>", f"Date: {format_datetime(when)}", f"Message-ID: {msgid}"]
                    headers.append(f"Subject: {'Re: ' if parent else ''}[synth] {subject}")
                    if parent:
                        references = " ".join(dict.fromkeys([thread[0][0], parent[0]]))
                        headers += [f"In-Reply-To: {parent[0]}", f"References: {references}"]
                    roll = rng.random()
                    if roll < 0.1:
                        encoded = quopri.encodestring(body.encode()).decode()
                        html = "<div>" + own.replace("\n", "</div><div>") + "</div>"
                        parts = [
                            f"--b\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n{encoded}",
                            f"--b\nContent-Type: text/html; charset=UTF-8\n\n{html}\n--b--",
                        ]
                        headers.append('Content-Type: multipart/alternative; boundary="b"')
                        body = "\n".join(parts)
                    elif roll < 0.15:
                        headers += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64"]
                        body = base64.encodebytes(body.encode()).decode()
                    else:
                        headers.append("Content-Type: text/plain; charset=UTF-8" + ("; format=flowed" if flowed else ""))
                    body = "\n".join(">" + line if line.startswith("From ") else line for line in body.split("\n"))
                    envelope = f"From {address} {when.strftime('%a %b %d %H:%M:%S %Y')}\n"
                    batch.append((when, (envelope + "\n".join(headers) + "\nMIME-Version: 1.0\n\n" + body + "\n\n").encode()))
                    thread.append((msgid, user.title(), own.replace("\n", " "), format_datetime(when)))
                    when += timedelta(minutes=rng.randint(5, 60 * 24))
                if written >= n:
                    break
            for _, data in sorted(batch, key=lambda item: item[0]):
                out.write(data)
            start += timedelta(days=7)


GENERATORS: dict[str, Callable[[int, Path], None]] = {"discourse": discourse, "stackexchange": stackexchange, "mbox": mbox}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("format", choices=sorted(GENERATORS))
    parser.add_argument("n", type=int, help="how many posts (or messages)")
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    GENERATORS[args.format](args.n, args.path)


if __name__ == "__main__":
    main()
