"""What kind of answer a question wants, and the phrases in a sentence that could be it.

No reader model is available offline, so the short answer and the answer-type signal come from
surface patterns: a "who" question wants a name, "when" a date, "how many / how much / how big"
a number or an amount, "where" a place, "which version / release" a release number ("1.6.1", "Fedora 12");
of several, the one nearest the question's words. A question
that wants none of these ("which package…", "what is X based on?") gets the phrase it leaves open
(forumqa.phrases). Spans are (start, end) offsets into the sentence text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from forumqa.phrases import nearness, open_phrase

AnswerType = Literal["name", "date", "number", "money", "place", "version", "other"]

#: Roles a "which …" question names a person by ("Which of the speakers…?"). A "partner" is as often a company.
_ROLE_ASKED = (
    r"(?:founder|co-founder|ceo|cfo|coo|cto|cio|cso|chairman|chairwoman|chair|director|manager|president|officer|"
    r"investigator|professor|executive|speaker|panelist|panellist|member|moderator|host|organi[sz]er|keynote speaker)"
)

_TYPE_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    # "when" opens the question; "which year" asks for a date wherever it stands ("…fell in 2023 compared with which year?")
    ("date", re.compile(r"^\s*(when|since when)\b|\b(what|which) (year|date|day|month)\b", re.I)),
    (
        "money",
        re.compile(
            # the amount is what a "what" asks for ("What was the total deal value…"), not a word met later
            # in a question that asks for something else ("Who runs the board once the funding round closes?")
            r"\b(how much (money|did|does|do|was|is|were|are)|worth|valuation)\b"
            r"|^\s*what(?:'s|\s+\w+)?\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}?(?:value|cost|price|payment|funding|budget|revenue)s?\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(how (many|much|big|large|long|old|often|fast|far|high|low|quickly|soon)|what (percentage|share|amount|number|price|"
            r"proportion|fraction|size)|what (?:was|is|were|are) the (?:\w+ )?(?:value|amount|cost|price|size|total|number|lead time|share|"
            r"percentage|valuation|budget|revenue|payment))\b",
            re.I,
        ),
    ),
    ("place", re.compile(r"^\s*(where|in which (city|country|place|region|town)|which (city|country|venue|place|region))\b", re.I)),
    # forum threads ask which release did or fixed something: "Which version did the maintainer push?"
    (
        "version",
        re.compile(
            r"\b(?:which|what)\s+(?:(?!(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should)\b)[\w.+-]+\s+){0,2}"
            r"(?:version|release|build)s?\b(?!\s+notes?\b)",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"^\s*(who|whom|whose|which (company|companies|firm|organi[sz]ation|person|speaker|panelist|executive|user|member|"
            r"consultancy|association|institute|university|bank|fund|investor|partner|author|poster)|what (company|firm|organi[sz]ation))\b"
            # "Which Vertex Ventures China partner…", "Which of the speakers…": someone named by their role
            rf"|\bwhich (?:[\w.&'’-]+ ){{0,3}}?(?:{_ROLE_ASKED}|partner)s?\b",
            re.I,
        ),
    ),
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:{_MONTH}\.? {_DAY},? \d{{4}}|\d{{1,2}} {_MONTH}\.?,? \d{{4}}|{_MONTH}\.? \d{{4}}|{_MONTH}\.? {_DAY}"
    r"|\d{4}-\d{2}-\d{2}|\d{4}/\d{1,2}/\d{1,2}|(?:early|mid|late|end of|the end of) \d{4}|Q[1-4] \d{4}|(?:19|20)\d{2}s?)\b"
)
_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|dozen|dozens)"
#: Units that belong to a quantity's answer ("40 weeks", "20 mg"); other trailing nouns ("300 attendees") are left out.
_UNITS = r"(?:weeks?|days?|months?|years?|hours?|minutes?|seconds?|times|fold|x|kg|g|mg|ml|l|liters?|litres?|km|m|cm|mm|GB|MB|TB|KB)"
_NUMBER = re.compile(
    rf"(?:(?:more than|over|about|around|nearly|almost|up to|at least|roughly|some|within|under|less than) )?"
    rf"(?:(?:US\$|USD|RMB|CNY|HK\$|[$€£¥])\s?)?(?:\d[\d,]*(?:\.\d+)?|{_NUMBER_WORDS}\b)(?:(?:\s(?:to|-|–)\s|–)\d[\d,]*(?:\.\d+)?)?"
    rf"(?:\s?(?:%|percent|per cent))?"
    rf"(?:\s(?:million|billion|thousand|trillion|bn|mn)\b)?(?:\s{_UNITS}\b)?",
    re.I,
)
_NAME_WORD = r"(?:[A-Z][\w&.'’-]*|[A-Z]{2,}|\d+[A-Z][\w-]*)"
#: A company's legal form after a comma is part of its name: "Shanghai BiBo Biopharma Engineering Co., Ltd."
_NAME = re.compile(
    rf"{_NAME_WORD}(?:(?: (?:of|and|for|de|van|von|the|&) )?[ -]?{_NAME_WORD})*(?:, (?:Ltd|Inc|LLC|GmbH|AG|PLC|Corp|S\.A)\b\.?)*"
)
_WORD = re.compile(r"[\w$€£¥%.'’-]+")
#: Capitalised words that open sentences or name months, not people or organisations.
_NOT_NAMES = frozenset(
    {"The", "A", "An", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "I", "You", "His", "Her", "Their", "Our"}
    | {"In", "On", "At", "For", "With", "From", "By", "As", "And", "But", "Or", "If", "When", "While", "After", "Before", "During"}
    | {"Since", "Also", "However", "Yes", "No"}
    | {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
    | {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)
_YEAR = re.compile(r"(?:19|20)\d{2}")
#: A release: "1.6.1", "v2.0-rc1", "3.11", or a product and its number ("Fedora 12", "Windows 10", "Python 3.11").
_VERSION = re.compile(
    r"\b(?:[A-Z][\w+-]*\s)?v?\d+(?:\.\d+){1,3}(?:[-.]?(?:rc|beta|alpha|dev|post|b|a|p)\d*)?\b(?!\.\d)"
    r"|\b[A-Z][\w+-]*\s\d{1,4}\b(?!\.\d)"
)
_MONEY = re.compile(r"[$€£¥]|\b(?:US\$|USD|RMB|CNY|HK\$|million|billion|trillion|bn|mn)\b", re.I)


#: Search-box queries ("ai summit moderator", "roche pathoai deal value") ask with a noun instead of a question
#: word: the noun names the type. Only for a query with no question word and no "?" (a question's own nouns,
#: as in "What did the CEO say?", are what it is about, not what it asks for).
_QUERY_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("money", re.compile(r"\b(value|price|worth|valuation|fee)s?\b", re.I)),
    ("number", re.compile(r"\b(count|number|attendance|attendees|size|capacity|percentage)\b", re.I)),
    ("date", re.compile(r"\bdates?\b", re.I)),
    ("place", re.compile(r"\b(city|country|venue|location)\b", re.I)),
    ("version", re.compile(r"\bversions?\b", re.I)),
    (
        "name",
        re.compile(
            r"\b(moderator|chair|chairman|chairwoman|ceo|cio|cto|cfo|coo|founder|co-founder|president|head|director|executive|exec"
            r"|speaker|organi[sz]er|host|company|firm|organi[sz]ation|association|institute|investor|officer)s?\b",
            re.I,
        ),
    ),
)
_QUESTION_WORD = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how)\b|\?", re.I)


def expected_type(question: str) -> AnswerType:
    for answer_type, pattern in _TYPE_PATTERNS:
        match = pattern.search(question)
        if match and not _embedded(question, match):
            return answer_type
    if not _QUESTION_WORD.search(question):
        return next((answer_type for answer_type, pattern in _QUERY_TYPES if pattern.search(question)), "other")
    return "other"


#: A question word before "how long / how many": then the "how" clause is what the question is about,
#: not what it asks for ("What decides **how long** a bubble stays?" wants a reason, not a duration).
_LEADING_WH = re.compile(r"\b(what|which|who|whom|whose|where|when|why)\b", re.I)


def _embedded(question: str, match: re.Match[str]) -> bool:
    return match.group().lower().startswith("how") and bool(_LEADING_WH.search(question, 0, match.start()))


def _words(text: str) -> set[str]:
    return {w.lower().strip(".'’") for w in _WORD.findall(text)}


#: Words of a job title: "Yang Xi, Chairman of Guoju Capital" names a person and a company, and the title is neither.
_ROLES = frozenset(
    {"President", "Vice", "Executive", "Director", "Chairman", "Chairwoman", "Chair", "Founder", "Co-founder", "Cofounder"}
    | {"CEO", "COO", "CFO", "CTO", "CIO", "CSO", "CMO", "VP", "SVP", "EVP", "Head", "Chief", "Officer", "Manager", "Partner"}
    | {"Principal", "Investigator", "Secretary", "Board", "Professor", "Dean", "Senior", "Managing", "Moderator", "Panelists"}
    | {"Speaker", "Treasurer", "General", "Deputy", "Assistant", "Associate"}
)
_HONORIFICS = frozenset(["Dr.", "Dr", "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Prof.", "Prof", "Sir", "Dame"])
_QUOTED = re.compile(r"[“\"][^“”\"]*[”\"]")
#: The small words _NAME lets inside a name ("Bank of China"), never at its ends.
_JOINERS = frozenset({"of", "and", "for", "de", "van", "von", "the", "&"})


def _name_spans(sentence: str) -> Iterable[tuple[int, int]]:
    """Runs of capitalised words, less titles, honorifics and what a quote holds (a talk's title is no one's name)."""
    quoted = [m.span() for m in _QUOTED.finditer(sentence)]
    for match in _NAME.finditer(sentence):
        if any(a <= match.start() < b for a, b in quoted):
            continue
        for start, end in _without_roles(sentence, *match.span()):
            words = sentence[start:end].split()
            while words and (words[0] in _NOT_NAMES or words[0] in _HONORIFICS):  # "The Novartis team" -> "Novartis team"
                start += len(words.pop(0)) + 1
            while words and words[-1] in _NOT_NAMES:  # "Shenzhen in" -> "Shenzhen"
                words.pop()
            while words and words[-1].lower() in _JOINERS:
                words.pop()
            while words and words[0].lower() in _JOINERS:
                start += len(words.pop(0)) + 1
            if words and not _DATE.fullmatch(" ".join(words)):
                yield start, start + len(" ".join(words))


def _without_roles(sentence: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """The parts of a capitalised run between its title words ("CEO & President of **R&D**")."""
    at = start
    for word in re.finditer(r"\S+", sentence[start:end]):
        if word.group().strip(",") in _ROLES:
            if word.start() + start > at:
                yield at, start + word.start()
            at = start + word.end() + 1
    if at < end:
        yield at, end


def candidates(sentence: str, answer_type: AnswerType) -> list[tuple[int, int]]:
    """Phrases of the wanted type in the sentence, in order of appearance."""
    if answer_type == "version":
        return [m.span() for m in _VERSION.finditer(sentence)]
    if answer_type == "date":
        return [m.span() for m in _DATE.finditer(sentence)]
    if answer_type == "number":  # a bare year is a date, not a quantity: quantities first
        spans = [m.span() for m in _NUMBER.finditer(sentence)]
        return sorted(spans, key=lambda span: bool(_YEAR.fullmatch(sentence[span[0] : span[1]].strip())))
    if answer_type == "money":
        spans = candidates(sentence, "number")
        return sorted(spans, key=lambda span: not _MONEY.search(sentence[span[0] : span[1]]))
    if answer_type in ("name", "place"):
        return list(_name_spans(sentence))
    return []


def fits(sentence: str, question: str, answer_type: AnswerType) -> bool:
    """The sentence holds a phrase of the wanted type that the question does not already say."""
    return short_answer(sentence, question, answer_type) is not None


def short_answer(sentence: str, question: str, answer_type: AnswerType | None = None) -> tuple[int, int] | None:
    """The phrase that answers, as (start, end) in the sentence; None when no single phrase does.

    A phrase made mostly of the question's own words is not an answer ("Who is Becky Wong?" is not
    answered by "Becky Wong"); of the rest, the phrase of the wanted type that shares a clause with a
    name the question says, then the person or the organisation the question asks for (_unlike), then
    the one nearest the question's words in the sentence ("Who chairs Guoju Capital?": "Panelists
    included **Yang Xi**, Chairman of Guoju Capital; …"), the first on a tie.
    A question that wants no particular type gets the job title it asks for (_title_of) or the phrase
    the question leaves open (forumqa.phrases).
    """
    answer_type = answer_type or expected_type(question)
    if answer_type == "other":
        return _title_of(sentence, question) or open_phrase(sentence, question)
    asked = _words(question)
    found = []
    for start, end in candidates(sentence, answer_type):
        phrase = sentence[start:end].strip(" ,.;:")
        if answer_type == "version" and len(phrase.split()) == 2 and _not_product(phrase.split()[0], asked):
            phrase = phrase.split()[1]  # "Which Python version…?": the product is asked, its number is the answer
        if not phrase or 2 * len(_words(phrase) - asked) <= len(_words(phrase)):
            continue  # mostly the question's own words: "Zhejiang Haichang Biotech Co" for "…of Zhejiang Haichang Biotech?"
        offset = sentence.index(phrase, start)
        found.append((offset, offset + len(phrase)))
    if not found:
        return None
    distance = nearness(sentence, question, _ROLES)
    kind = _kind_asked(question) if answer_type == "name" else None

    def order(span: tuple[int, int]) -> tuple[bool, bool, int, int, int, bool]:
        apart, to_names, to_any, before = distance(*span)  # apart: in no clause with a name the question says
        return _lesser(sentence, span, answer_type, asked), apart, _unlike(sentence, span, kind), to_names, to_any, before

    return min(found, key=order)


_PERSON_ASKED = re.compile(
    r"^\s*(?:who|whom|whose)\b|\bwhich (?:\w+ )?(?:person|people|speaker|panelist|executive|member|user|author|poster)\b"
    rf"|\bwhich (?:[\w.&'’-]+ ){{0,3}}?{_ROLE_ASKED}s?\b",
    re.I,
)
_ORG_ASKED = re.compile(
    r"\b(?:which|what) (?:company|companies|firm|organi[sz]ation|consultancy|association|institute|university|bank|fund|investor)\b", re.I
)
#: Words that end an organisation's name ("Guoju Capital", "CStone Pharmaceuticals", "Shenzhen Bay Laboratory").
_ORG_WORDS = frozenset(
    {"Capital", "Pharmaceuticals", "Pharma", "Biotech", "Biopharma", "Therapeutics", "Laboratory", "Lab", "Labs", "Ventures"}
    | {"Inc", "Inc.", "Ltd", "Ltd.", "Co", "Co.", "Corp", "Corp.", "Corporation", "Company", "Group", "Bank", "University", "Institute"}
    | {"Association", "Foundation", "Fund", "Partners", "Technologies", "Technology", "Holdings", "Hospital", "Council", "Society"}
)


def _kind_asked(question: str) -> Literal["person", "organisation"] | None:
    """Whether a "who / which X" question wants a person or an organisation; None when it does not say."""
    if _ORG_ASKED.search(question):
        return "organisation"
    return "person" if _PERSON_ASKED.search(question) else None


def _unlike(sentence: str, span: tuple[int, int], kind: Literal["person", "organisation"] | None) -> int:
    """0 when the name reads as the kind asked, higher the less it does; 0 for any name when no kind is asked.

    A name reads as a person when a job title follows it ("Wang Xun, CIO of…"). It reads as an
    organisation when it ends like one ("CStone Pharmaceuticals") or a title leads to it with "at"
    ("Chief Medical Officer at Hutchmed"); less when a title leads to it with "of", which as often
    names a department ("Head of R&D") as an employer ("CEO of VISEN").
    """
    if kind is None:
        return 0
    start, end = span
    after = re.match(r",\s*(?:the |a |an )?([\w-]+)", sentence[end:])
    person = bool(after and after.group(1) in _ROLES)
    if kind == "person":
        return 0 if person else 1
    before = sentence[:start].split()[-2:]
    titled = len(before) == 2 and before[0].strip(",&") in _ROLES
    if not person and (sentence[start:end].split()[-1].rstrip(".,") in _ORG_WORDS or (titled and before[-1] == "at")):
        return 0
    return 1 if not person and ((titled and before[-1] == "of") or (bool(before) and before[-1] in _ROLES)) else 2


#: "What is Becky Wong's job?", "What is the role of Ana Ruiz?"; not "the title of Ana's keynote" (a talk's title).
_TITLE_ASKED = re.compile(
    r"^\s*(?i:what)(?:'s| is| was| are| were)\b.*(?:[A-Z][\w-]*['’]s (?:job |official )?(?:job|title|role|position)\b"
    r"|\b(?:job|title|role|position) of [A-Z][\w-]*(?: [A-Z][\w-]*)*(?:\?|,| at | in |$))"
)
_APPOSITIVE = re.compile(r",\s*([^,;()]+)")
_PLACE_OF = re.compile(r"\s(?:of|at|in)\s(?:the\s)?(\S+)")


def _title_of(sentence: str, question: str) -> tuple[int, int] | None:
    """The job title after the name a "What is X's job / title / role?" question asks about: "Becky Wong,
    **Project Manager** of the Hong Kong iCampus" (the title stops where the place the question names begins)."""
    if not _TITLE_ASKED.match(question):
        return None
    named = [w for w in re.findall(r"[\w&-]+", question)[1:] if w[:1].isupper()]
    asked = _words(question)
    for name in _name_spans(sentence):
        if not set(sentence[name[0] : name[1]].split()) & set(named):
            continue
        after = _APPOSITIVE.match(sentence, name[1])
        if after is None:
            continue
        start, end = after.span(1)
        for place in _PLACE_OF.finditer(sentence, start, end):
            if re.sub(r"['’]s$", "", place.group(1).lower().rstrip(".,")) in asked:
                end = place.start()
                break
        title = sentence[start:end].rstrip()
        return (start, start + len(title)) if title else None
    return None


def _not_product(word: str, asked: set[str]) -> bool:
    """The word before a version number is no product the question leaves open: asked already ("Which **Python**
    version…?"), the word "version" itself, or a capitalised word that opens a sentence ("Only 1.6.0 fails")."""
    return word in _NOT_NAMES or word in {"Only", "Just", "Version", "Release", "Build"} or _words(word) <= asked


def _lesser(sentence: str, span: tuple[int, int], answer_type: AnswerType, asked: set[str]) -> bool:
    """A weaker reading of the type: a bare year for "how many", an amount with no currency for "how much money",
    a release that does not follow the product the question names ("What version of **Python**…?": "Python
    **3.12.1**", not the "Windows 11" after "I run")."""
    phrase = sentence[span[0] : span[1]]
    if answer_type == "version":
        before = sentence[: span[0]].split()[-1:]
        return not (before and before[0][:1].isupper() and _words(before[0]) <= asked)
    if answer_type == "number":
        return bool(_YEAR.fullmatch(phrase))
    if answer_type == "money":
        return not _MONEY.search(phrase)
    return False
