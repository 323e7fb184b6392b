"""Sentences and chunks with character offsets into the document text.

Sentences are the unit an answer is quoted in; chunks (runs of whole sentences sized by the
model's own tokenizer) are the unit retrieval ranks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from forumqa.documents import Document

#: Counts word pieces for a batch of texts (the embedding model's tokenizer, without special tokens).
TokenCounter = Callable[[Sequence[str]], list[int]]

_ENDS_SENTENCE = re.compile(r"[.!?…。！？]")
_SENTENCE_END = re.compile(r"[.!?…:;)\]\"”’]\s*$")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    section: int
    #: Title-like lines ("Opening Ceremony") win similarity contests but are never answers.
    heading: bool = False


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int
    end: int
    text: str
    first_sentence: int
    last_sentence: int  # inclusive


#: The rules that turn a document into sentences and chunks, as a number: raise it whenever a change to this
#: module would split an unchanged document differently, so that an index built before is split again (its
#: vectors still come from the embedding cache). 2: a short unpunctuated line in a post is a sentence.
SPLIT_VERSION = 2


@lru_cache(maxsize=1)
def segmenter() -> pysbd.Segmenter:
    """The one sentence splitter, built once: documents' paragraphs and a question's message are split alike."""
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def is_heading(line: str, in_post: bool = False) -> bool:
    """A Markdown heading, or a line with no closing punctuation that is short or in Title Case.

    In a forum post or chat message a short line without a full stop is how people write ("use
    tasksel instead", "you need xauth for that"), so there only a Title Case line is a heading.
    """
    stripped = line.strip()
    if stripped.startswith("#"):
        return True
    if _SENTENCE_END.search(stripped):
        return False
    words = stripped.split()
    capitalised = sum(1 for w in words if w[:1].isupper())
    return (len(words) <= 12 and not in_post) or capitalised >= 0.6 * len(words)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


#: Paragraphs longer than this reach the splitter in windows: pysbd is quadratic in paragraph length
#: (84k characters of abbreviations took 13.5 s; a 5 MB line would take hours). No sentence is longer.
MAX_SENTENCE_CHARS = 2000


def _windows(paragraph: str, limit: int) -> Iterator[tuple[int, str]]:
    """Pieces of at most `limit` characters, cut at the last space where there is one; linear time."""
    start = 0
    while len(paragraph) - start > limit:
        cut = paragraph.rfind(" ", start + 1, start + limit + 1)
        cut = cut if cut > start else start + limit
        yield start, paragraph[start:cut]
        start = cut
    yield start, paragraph[start:]


def split_sentences(document: Document, max_chars: int = MAX_SENTENCE_CHARS) -> list[Sentence]:
    """Sentences of every section, paragraph by paragraph (a line is a paragraph).

    A sentence repeated in the same document (a signature, a pasted log line, "+1") is kept once:
    a million identical lines must not cost a million vectors. Identical paragraphs are split once.
    """
    text = document.text
    sentences: list[Sentence] = []
    seen: set[str] = set()
    pieces_of: dict[str, list[tuple[int, int]]] = {}
    for section_index, section in enumerate(document.sections):
        in_post = section.author is not None or section.post is not None
        for line in re.finditer(r"[^\n]+", text[section.start : section.end]):
            line_start, line_end = _trimmed(text, section.start + line.start(), section.start + line.end())
            if line_start == line_end:
                continue
            paragraph = text[line_start:line_end]
            if is_heading(paragraph, in_post):
                if paragraph not in seen:
                    seen.add(paragraph)
                    sentences.append(Sentence(line_start, line_end, paragraph, section_index, heading=True))
                continue
            if paragraph not in pieces_of:
                pieces_of[paragraph] = _sentence_offsets(paragraph, max_chars)
            for start, end in pieces_of[paragraph]:
                sentence = text[line_start + start : line_start + end]
                if sentence in seen:
                    continue
                seen.add(sentence)
                sentences.append(Sentence(line_start + start, line_start + end, sentence, section_index))
    return sentences


def _sentence_offsets(paragraph: str, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence in the paragraph; pysbd returns pieces in order, located to get exact offsets."""
    offsets = []
    for window_start, window in _windows(paragraph, max_chars):
        if not _ENDS_SENTENCE.search(window):  # nothing for the splitter to split (a log line, a run-on post)
            start, end = _trimmed(window, 0, len(window))
            offsets += [(window_start + start, window_start + end)] if start < end else []
            continue
        cursor = 0
        for piece in segmenter().segment(window):
            piece = piece.strip()
            if not piece:
                continue
            found = window.find(piece, cursor)
            if found < 0:
                continue
            offsets.append((window_start + found, window_start + found + len(piece)))
            cursor = found + len(piece)
    return offsets


def make_chunks(
    document: Document,
    sentences: Sequence[Sentence],
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap: int,
) -> list[Chunk]:
    """Greedy runs of whole sentences within `max_tokens`, overlapping by `overlap` sentences.

    Chunks never cross a section (a post in a thread), so a chunk has one author. A sentence
    longer than the budget is a chunk of its own (the model truncates it, but it is never cut).
    """
    if not sentences:
        return []
    lengths = count_tokens([s.text for s in sentences])
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last, used = first, lengths[first]
        while (
            last + 1 < len(sentences)
            and sentences[last + 1].section == sentences[first].section
            and used + 1 + lengths[last + 1] <= max_tokens
        ):
            last += 1
            used += 1 + lengths[last]
        start, end = sentences[first].start, sentences[last].end
        chunks.append(Chunk(start, end, document.text[start:end], first, last))
        if last + 1 >= len(sentences):
            break
        crosses_section = sentences[last + 1].section != sentences[first].section
        first = last + 1 if crosses_section else max(first + 1, last + 1 - overlap)
    return chunks
