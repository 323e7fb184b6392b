"""The phrase of a sentence that a question leaves open: what a "what / which / how / why" question asks for.

No reader model or part-of-speech tagger is available offline, so this is the classic alignment
method of extractive QA before neural readers: line the question's terms up with the sentence's
words; the answer is a short run of the sentence's words that the question does not say, next to the
words it does say ("Xming is based on **Cygwin**"), next to the thing the question asks for ("which
package" → "the package **indicator-datetime**"), or after a word that introduces what a "why" or
"how" question wants ("due to **effective institutional reforms**", "via **Javascript**").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass

from forumqa.lexical import content_terms as terms

#: A word, a file name, an address or a variable ("clip.bat", "mail-archives.apache.org", "%W", "R&D").
_TOKEN = re.compile(r"[\w%@$€£¥/][\w%@$€£¥/.&'’+-]*[\w%/]|[\w%]")
#: Text between two words that ends a clause; a phrase also ends at a quote mark or a comma (a list joins again after).
_CLAUSE_BREAK = re.compile(r"[;:()\[\]{}!?,]|\s[-–—]\s|\.\s|\.$")
_PHRASE_BREAK = re.compile(r"[;:()\[\]{}!?,“”\"]|\s[-–—]\s|\.\s|\.$")
_LIST_END = frozenset({"and", "or"})
#: A quoted segment short enough to be one answer (a setting, a search word, a short title); answer_types's
#: own pattern has no bound, because there a quote of any length is a title whose words are not names.
_QUOTED = re.compile(r"[“\"][^“”\"]{1,80}[”\"]")
#: The least score a phrase needs: one anchor on the left, or a quote with a name in it.
_ENOUGH = 1.75
_QUOTE_OPEN = frozenset("“\"'‘«")
#: Words a phrase neither starts nor ends with: they join a phrase to the sentence around it.
_EDGE = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "which", "who", "whom", "whose", "what", "where", "when", "how"}
    | {"why", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "has", "have", "had", "will"}
    | {"would", "shall", "should", "can", "could", "may", "might", "must", "of", "to", "in", "on", "at", "by", "for", "from"}
    | {"with", "into", "onto", "as", "than", "about", "over", "under", "after", "before", "during", "through", "via", "and"}
    | {"or", "but", "nor", "so", "such", "including", "like", "e.g", "i.e", "etc", "also", "just", "then", "there", "it"}
    | {"its", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "your", "my", "me", "him", "them", "us"}
    | {"one", "ones", "some", "any", "each", "both", "either", "probably", "really", "very", "quite", "rather", "simply"}
    | {"only", "even", "still", "already", "however", "therefore", "thus", "instead", "anyway", "btw", "tbh", "ie", "eg"}
    | {"maybe", "perhaps", "fact", "dr", "mr", "mrs", "ms", "prof"}
)
#: What introduces the answer to "why" and to "how": the phrase right after one of these.
_CUES = {
    "why": frozenset(["because", "due", "given", "since", "thanks", "owing", "as"]),
    "how": frozenset(["through", "via", "by", "using", "with"]),
}
#: Auxiliaries that end a "which X" / "what X" focus ("which variable did…").
_AUX = frozenset(
    {"is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "will", "would", "can", "could", "should", "may"}
    | {"might", "must"}
)
_FOCUS = re.compile(r"\b(?:which|what)\s+(?:(?:kind|sort|type)s?\s+of\s+)?((?:[\w-]+\s+){0,2}[\w-]+)", re.I)
_WH = re.compile(r"^\W*(why|how)\b(?!\s+(?:many|much|long|big|large|old|often|far|fast|high|low|soon))", re.I)
#: A longer phrase says more than "the" answer: each content word past this many costs more.
_CONCISE = 3
# The weights in open_phrase's score (anchor on the left 2, on the right 1, next to the asked-for thing 2,
# after a cue 3, a quote 1.5, names and code 0.5 each) were set by hand on the tuning half's short answers
# (eval/questions_v2.jsonl, split "tune"); the test half was scored once, after.


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str
    terms: frozenset[str]  # its stemmed terms, as the question's are
    asked: bool  # every term of the word is one of the question's
    edge: bool  # a joining word (_EDGE) or a stop word without a term


def _words(sentence: str, asked: frozenset[str]) -> list[_Word]:
    words = []
    for match in _TOKEN.finditer(sentence):
        text = match.group()
        found = frozenset(terms(text))
        words.append(_Word(match.start(), match.end(), text, found, bool(found) and found <= asked, text.lower() in _EDGE or not found))
    return words


def _focus(question: str, asked: frozenset[str]) -> frozenset[str]:
    """The terms of what a "which X" / "what kind of X" question asks for ("package", "context menu")."""
    match = _FOCUS.search(question)
    if not match:
        return frozenset()
    words: list[str] = []
    for word in match.group(1).split():
        if word.lower() in _AUX:
            break
        words.append(word)
    return frozenset(t for t in terms(" ".join(words)) if t in asked)


def _runs(sentence: str, words: list[_Word]) -> list[tuple[int, int]]:
    """Maximal runs of words the question does not say, within one clause: (first, last) word indexes."""
    runs: list[tuple[int, int]] = []
    first = None
    for i, word in enumerate(words):
        broken = i > 0 and bool(_PHRASE_BREAK.search(sentence[words[i - 1].end : word.start]))
        if first is not None and ((word.asked and not _inside(sentence, words, i)) or broken):
            runs.append((first, i - 1))
            first = None
        if not word.asked and first is None:
            first = i
    if first is not None:
        runs.append((first, len(words) - 1))
    return runs


def _inside(sentence: str, words: list[_Word], i: int) -> bool:
    """An asked word between two content words it is not asked about, in one phrase: "effective **institutional** reforms"."""
    if not 0 < i < len(words) - 1:
        return False
    before, after = words[i - 1], words[i + 1]
    joined = not _PHRASE_BREAK.search(sentence[before.end : words[i].start] + sentence[words[i].end : after.start])
    return joined and not (before.asked or before.edge or after.asked or after.edge)


def _trimmed(words: list[_Word], first: int, last: int) -> tuple[int, int] | None:
    while first <= last and words[first].edge:
        first += 1
    while last >= first and words[last].edge:
        last -= 1
    return (first, last) if first <= last else None


def _neighbour_asked(sentence: str, words: list[_Word], i: int, step: int) -> float:
    """1 when the nearest word on one side, skipping joining words within the clause, is one the question says;
    less when that word is a name (the subject the question is about, not what it asks of it)."""
    j = i + step
    while 0 <= j < len(words):
        a, b = (words[j].end, words[i].start) if step < 0 else (words[i].end, words[j].start)
        if _CLAUSE_BREAK.search(sentence[a:b]):
            return 0.0
        if not words[j].edge:
            return 0.0 if not words[j].asked else 1.0 if words[j].text[:1].islower() else 0.75
        i, j = j, j + step
    return 0.0


def _cued(words: list[_Word], first: int, cues: frozenset[str]) -> bool:
    """A cue word stands among the two words right before the phrase ("due to …", "because of …", "via …")."""
    return any(words[j].text.lower() in cues for j in range(max(first - 2, 0), first))


def _special(word: _Word, initial: bool) -> bool:
    """A name, number, file or address: what forum answers are made of ("SHA1", "%W", "clip.bat")."""
    text = word.text
    inner = text[1:]
    return (text[:1].isupper() and not initial) or any(c.isdigit() or c.isupper() or c in "%./_@&" for c in inner)


def _spans(sentence: str, words: list[_Word]) -> Iterable[tuple[int, int, bool, bool, bool]]:
    """Candidate phrases (first, last word) and whether each touches its run's left and right end.

    Within a run of words the question does not say, a phrase starts at the run's start or after a
    joining word, ends at its end or before one, and is anchored on at least one side ("based on
    **Cygwin** and has the ability…": the answer rarely floats in the middle of a run). A quoted
    segment is a candidate as a whole even where it repeats some of the question's words.
    """
    for run in _runs(sentence, words):
        span = _trimmed(words, *run)
        if span is None:
            continue
        first, last = span
        starts = [i for i in range(first, last + 1) if not words[i].edge and (i == first or words[i - 1].edge)]
        ends = [i for i in range(first, last + 1) if not words[i].edge and (i == last or words[i + 1].edge)]
        for a in starts:
            for b in ends:
                if a <= b and (a == first or b == last):
                    yield a, b, a == first, b == last, False
    for match in _QUOTED.finditer(sentence):
        quote = _CLAUSE_BREAK.split(match.group()[1:-1])[0]  # a title up to its colon: “How MNC…: Reflections…”
        inside = [i for i, w in enumerate(words) if match.start() < w.start and w.end <= match.start() + 1 + len(quote)]
        if inside and not all(words[i].asked or words[i].edge for i in inside):
            yield inside[0], inside[-1], True, True, True


def open_phrase(sentence: str, question: str) -> tuple[int, int] | None:
    """The phrase of `sentence` that answers `question` by the alignment rules above; None when none stands out."""
    asked = frozenset(terms(question))
    words = _words(sentence, asked)
    if not words or not any(w.asked for w in words):
        return None  # nothing lines up: no way to tell which words the question leaves open
    wh = _WH.match(question)
    kind = wh.group(1).lower() if wh else ""
    cues = _CUES.get(kind, frozenset())
    focus = _focus(question, asked)
    best: tuple[float, int, int] | None = None
    for first, last, at_start, at_end, quoted in _spans(sentence, words):
        content = [w for w in words[first : last + 1] if not w.edge]
        cued = bool(cues) and _cued(words, first, cues)
        if kind == "why" and not cued:
            continue  # a "why" wants a reason: without a cue no single phrase gives one
        if at_start and _continues_name(sentence, words, first):
            continue  # "Ana **Ruiz**" for a question about Ana: the rest of the name it asks about
        left = _neighbour_asked(sentence, words, first, -1) if at_start else 0.0
        right = _neighbour_asked(sentence, words, last, +1) if at_end else 0.0
        by_focus = (at_start and _is_focus_at(words, first - 1, focus)) or (at_end and _is_focus_at(words, last + 1, focus))
        score = 2.0 * left + 1.0 * right + 2.0 * by_focus + 3.0 * cued + 1.5 * quoted
        score += 0.5 * min(sum(_special(w, w.start == 0) for w in content), 2)
        if not quoted:  # a quote is one unit, however long: a title, a setting, a search word
            score -= 0.25 * (len(content) - 1) + 0.5 * max(len(content) - _CONCISE, 0)
        if best is None or score > best[0]:
            best = (score, first, last)
    if best is None or best[0] < _ENOUGH:
        return None
    _, first, last = best
    while _is_focus_at(words, last + 1, focus) and _same_case(words[last], words[last + 1]):
        last += 1  # "an international **mindset**", "the Filesystem Hierarchy **Standard**", not "Magento ecommerce"
    return words[_list_start(sentence, words, first)].start, words[_listed(sentence, words, last)].end


def _continues_name(sentence: str, words: list[_Word], first: int) -> bool:
    before = words[first - 1] if first > 0 else None
    return (
        before is not None
        and before.asked
        and before.text[:1].isupper()
        and words[first].text[:1].isupper()
        and sentence[before.end : words[first].start] == " "
    )


def _same_case(a: _Word, b: _Word) -> bool:
    return a.text[:1].isupper() == b.text[:1].isupper()


def _is_focus_at(words: list[_Word], i: int, focus: frozenset[str]) -> bool:
    return 0 <= i < len(words) and _is_focus(words[i], focus)


def _listed(sentence: str, words: list[_Word], last: int) -> int:
    """The last word of the list a phrase opens ("oncology, cardiovascular, and metabolic diseases"), or `last`.

    A list has an item between its first and its "and" item: "winds, and the pier closed" is two clauses.
    """
    i, middle = last, False
    while i + 1 < len(words) and sentence[words[i].end : words[i + 1].start].strip() == ",":
        j = i + 1
        closing = words[j].text.lower() in _LIST_END
        while j + 1 < len(words) and not words[j + 1].asked and not _PHRASE_BREAK.search(sentence[words[j].end : words[j + 1].start]):
            j += 1
        if words[j].asked or words[j].edge:
            return last
        if closing:
            return j if middle else last
        i, middle = j, True
    return last


def _list_start(sentence: str, words: list[_Word], first: int) -> int:
    """The first word of the list a phrase closes ("oncology, cardiovascular, and **metabolic diseases**"), or `first`.

    The mirror of _listed: items of words the question does not say, joined by commas, then "and"/"or";
    at least two items before it, or "… and" is as likely two clauses.
    """
    joiner = first - 1
    if (
        joiner < 1
        or words[joiner].text.lower() not in _LIST_END
        or sentence[words[joiner - 1].end : words[joiner].start].strip() not in ("", ",")
    ):
        return first
    start, items, last = first, 0, joiner - 1
    while True:
        item = last
        while item > 0 and sentence[words[item - 1].end : words[item].start] == " " and _plain(words[item - 1]):
            item -= 1
        if not _plain(words[item]):
            break
        start, items = item, items + 1
        if item == 0 or sentence[words[item - 1].end : words[item].start].strip() != "," or not _plain(words[item - 1]):
            break
        last = item - 1
    return start if items >= 2 else first


def _plain(word: _Word) -> bool:
    return not (word.asked or word.edge)


def _is_focus(word: _Word, focus: frozenset[str]) -> bool:
    return bool(focus) and bool(word.terms) and word.terms <= focus


def nearness(sentence: str, question: str, titles: Set[str] = frozenset()) -> Callable[[int, int], tuple[bool, int, int, bool]]:
    """How far a span of `sentence` lies from the words the question says: content words between, within one clause.

    Typed answers (a name for "who", a date for "when") are chosen by it: the name next to the role the
    question names ("Yang Xi, Chairman of Guoju Capital"), not the first name of the sentence. The names
    the question says count first: "Which company does Jason Yang lead as CEO?" wants the company by
    Jason Yang, not the one next to another CEO later in the list (`titles`: capitalised words that are
    no names, "CEO"). Returned, in the order they count: whether the span shares no clause with a name
    the question says, its distance to those names, its distance to any asked word (a span with no asked
    word in its clause is far: the length of the sentence), and whether the nearest asked word comes
    before it; on a tie the span after an asked word wins: "organized by the Shenzhen Bay Laboratory
    and moderated by **Peng Wei**".
    """
    asked = frozenset(terms(question))
    words = _words(sentence, asked)
    clause = [0] * len(words)  # which part between semicolons: "Yang Xi, Chairman of X; Wang Xiaomei, Founder of Y"
    for i in range(1, len(words)):
        clause[i] = clause[i - 1] + (";" in sentence[words[i - 1].end : words[i].start])
    anchors = [i for i, w in enumerate(words) if w.asked]
    named = frozenset(w for w in _TOKEN.findall(question)[1:] if w[:1].isupper() and w not in titles)
    names = [i for i in anchors if words[i].text in named]

    def gap(points: list[int], first: int, last: int) -> tuple[int, bool]:
        gaps = [
            (sum(not words[k].edge for k in range(min(a, first) + 1, max(a, last)) if not first <= k <= last), a > last)
            for a in points
            if clause[a] == clause[first] and not first <= a <= last
        ]
        return min(gaps, default=(len(words), True))

    def distance(start: int, end: int) -> tuple[bool, int, int, bool]:
        inside = [i for i, w in enumerate(words) if start <= w.start and w.end <= end]
        if not inside:
            return True, len(words), len(words), True
        to_names = gap(names, inside[0], inside[-1])[0] if names else 0
        return to_names == len(words), to_names, *gap(anchors, inside[0], inside[-1])

    return distance
