"""Citations: a span of a snapshot's document, credited to the post and person it came from."""

from __future__ import annotations

import bisect

from forumqa.answer import Citation, Short
from forumqa.answer_types import short_answer
from forumqa.index import IndexSnapshot
from forumqa.retrieval import ChunkHit


def citation(snapshot: IndexSnapshot, doc_id: str, start: int, end: int, value: float) -> Citation:
    """`text[start:end]` of the document, with the author, post, date and link of the post it lies in."""
    document = snapshot.documents[doc_id]
    # Sections lie in text order; a thread export can hold 100k posts, so no linear scan per citation.
    at = bisect.bisect_right(document.sections, start, key=lambda s: s.start) - 1
    section = document.sections[at] if at >= 0 and start < document.sections[at].end else None
    return Citation(
        doc_id=doc_id,
        title=document.title,
        source=document.source,
        date=section.date if section and section.date else document.date,
        start=start,
        end=end,
        text=document.text[start:end],
        score=round(float(value), 4),
        author=section.author if section else None,
        post=section.post if section else None,
        url=section.url if section else None,
        quoted=section.quoted if section else False,
        accepted=section.accepted if section else False,
    )


def passage(snapshot: IndexSnapshot, hit: ChunkHit) -> Citation:
    """A retrieved chunk as a citation (the related passages, search results)."""
    chunk = snapshot.chunks[hit.chunk_id]
    return citation(snapshot, chunk.doc_id, chunk.start, chunk.end, hit.score)


def short(quote: Citation, question: str) -> Short | None:
    """The phrase of the quoted answer that answers the question, moved to document offsets."""
    span = short_answer(quote.text, question)
    return Short(quote.start + span[0], quote.start + span[1], quote.text[span[0] : span[1]]) if span else None
