"""An Answer as plain text: for the terminal (`forumqa ask`) and for chat clients (the OpenAI-compatible endpoint).

One module, so that both say who wrote a quote the same way; the structured Answer stays the
authority (exact offsets), these texts are for reading.
"""

from __future__ import annotations

from forumqa.answer import NOT_FOUND, Answer, Citation

#: A chat reply lists this many of the closest passages when it abstains; the structured answer has them all.
CHAT_PASSAGES = 3


def byline(citation: Citation) -> str:
    """Who wrote the quote, in which post, when ("Ann · #12 · 2024-05-01"); empty when the document says none of it."""
    post = f"#{citation.post}" if citation.post and citation.post.isdigit() else citation.post
    return " · ".join(x for x in (citation.author, "quote" if citation.quoted else None, post, citation.date) if x)


def terminal_text(answer: Answer) -> str:
    """What `forumqa ask` prints: offsets (`source:start-end`) included, for someone who will open the file."""
    if answer.abstained:
        passages = [f"  ({n}) {p.title} [{p.source}]: {p.text}" for n, p in enumerate(answer.related, start=1)]
        return "\n".join([answer.message or "", *passages])
    lines = [f"{answer.answer} [1]", f"(confidence {answer.confidence:.2f})"]
    for number, citation in enumerate(answer.citations, start=1):
        by = byline(citation)
        lines.append(f"  [{number}] {citation.title}{f' ({by})' if by else ''}, {citation.source}:{citation.start}-{citation.end}")
    return "\n".join(lines)


def _reference(number: int, citation: Citation) -> str:
    by = byline(citation)
    link = f" {citation.url}" if citation.url else ""
    return f"[{number}] {citation.title}{f' — {by}' if by else ''} ({citation.source}){link}"


def chat_text(answer: Answer, passages: int = CHAT_PASSAGES) -> str:
    """A chat reply: the quote with its marker and a "Sources:" list, or the not-found message and the closest passages.

    The quote is verbatim; a passage's whitespace is folded so that each stays on its one numbered line.
    """
    if answer.abstained:
        related = [f"{_reference(n, p)}: {' '.join(p.text.split())}" for n, p in enumerate(answer.related[:passages], start=1)]
        message = answer.message or NOT_FOUND
        return f"{message}\n\nRelated passages:\n" + "\n".join(related) if related else message
    sources = [_reference(n, c) for n, c in enumerate(answer.citations, start=1)]
    return f"{answer.answer} [1]\n\nSources:\n" + "\n".join(sources)
