"""The question inside a message: greetings, thanks, apologies and indirect frames set aside before searching.

Forum users rarely type a bare question: "Hi all, does anyone know who moderated the forum? Thanks in
advance!" asks what "Who moderated the forum?" asks. Left in, the wrapping costs twice. Its words are
words the corpus lacks ("anyone", "advance"), which weigh most in coverage and move the question's
vector; and the question word no longer opens the question, so the answer type is lost ("Who…" wants a
name, "Does anyone know who…" wants nothing in particular). Wrapped in the way people write, each
question of eval/questions_v2.jsonl lost a third of its right answers (README, Answer quality).

Surface patterns, as for the answer type: the framing language is a small closed set, unlike the topic
words around it. A sentence made only of framing ("Thanks in advance!", "Newbie here.") is dropped; a
frame that opens a sentence ("Could someone tell me …", "Sorry if this is a dumb question, but …") or
thanks that close one are cut off. Everything else is kept as typed, the user's own context included
("I run 10.04 on a server."): it may name what the question is about. A message that is all framing
is left as it is.
"""

from __future__ import annotations

import re

from forumqa.chunking import segmenter

_WHO = r"(?:any|some|every)(?:one|body)(?: (?:here|out there|else))?"
_YOU = r"(?:you|u|ya|y'all|you guys|you all|any of you|folks|guys)"
_IF = r"(?: (?:if|whether))?"
_GREETING = (
    r"(?:hi|hello|hey|heya|hiya|howdy|greetings|yo|good (?:morning|afternoon|evening|day)|dear)"
    r"(?: (?:all|everyone|everybody|guys|folks|there|team|people|friends|forum|y'all|experts|gurus|members))*"
)
_THANKS = (
    r"(?:thanks|thank you|thank u|thx|thnx|ty|tia|cheers|many thanks|much appreciated|appreciated|regards|best regards|kind regards"
    r"|(?:any|all) (?:help|pointers|advice|tips|ideas|suggestions|input|info)(?: (?:is|are|would be|will be))?"
    r"(?: (?:much|greatly|really|very much))?(?: (?:appreciated|welcome|great|helpful))?"
    r"|(?:i )?(?:really |greatly )?appreciate (?:any|your|the) (?:help|pointers|advice|tips|ideas|input|time)(?: you can give)?)"
    r"(?: (?:a lot|so much|very much|in advance|all|everyone|guys|folks"
    r"|for (?:any|your|the|all) (?:help|time|answers|replies|pointers|advice)))*"
)
_APOLOGY = (
    r"(?:(?:sorry|apologies|forgive me)(?: in advance)?(?: (?:if|for|about|to)\b[^,.!?:;]*)?"
    r"|(?:a )?(?:quick|simple|small|silly|dumb|stupid|newbie|noob|basic|probably obvious) (?:question|one)"
    r"|(?:i )?(?:have|got) a (?:quick |simple |small |silly |dumb |stupid |newbie |noob |basic )?question"
    r"(?: for (?:you|you all|everyone|the forum))?"
    r"|(?:newbie|noob|new) here|new to (?:this|the) (?:forum|list|group|site|community|board)|first (?:time )?post(?:er|ing)?(?: here)?"
    r"|long time lurker(?: first time poster)?"
    r"|this (?:might|may|could) be (?:obvious|a silly question|a dumb question)[^,.!?:;]*)"
)
_INDIRECT = (
    rf"(?:(?:does|do|would|will|can|could|might) (?:{_WHO}|{_YOU})(?: please| possibly| maybe)?"
    rf"(?: (?:happen to|be able to))? (?:know|tell me|tell us|explain(?: to me)?|say|remember|confirm|let me know"
    rf"|help me(?: understand| figure out| find out)?|point me to|mind telling me)"
    rf"|is there (?:{_WHO})(?: who)? (?:knows?|can tell me)"
    rf"|(?:please )?(?:tell|let) me(?: know)?"
    rf"|i(?:'m| am| was|'ve been) (?:wondering|curious|trying to (?:find out|figure out|work out|understand|learn))(?: about)?"
    rf"|(?:just )?(?:wondering|curious)"
    rf"|i(?:'d| would) (?:like|love) to (?:know|find out|learn|understand)"
    rf"|i (?:want|need|wanted) to (?:know|find out|ask)"
    rf"|(?:does )?(?:{_WHO}) (?:have|got) (?:any |an )?ideas?"
    rf"|any ideas?(?: on| about)?"
    rf"|i (?:can't|cannot|could not|couldn't) (?:figure out|find out|work out|remember)"
    rf"|i(?:'d| would) (?:be grateful|appreciate it) if (?:{_WHO}) could (?:tell|explain to|let) me(?: know)?)"
    rf"{_IF}"
)
#: What may open a sentence before its question: one framing phrase after another, each with its punctuation.
#: A phrase ends at a word's end, not inside a compound: "Hi-Fi settings?", "So-called…", "First post-processing…".
_PHRASE_END = r"\b(?![-'’]\w)"
_OPENING = re.compile(rf"^(?:(?:{_GREETING}|{_APOLOGY}|{_INDIRECT}|so|um|erm){_PHRASE_END}[\s,.!:;…-]*(?:but\b|so\b)?\s*)+", re.I)
#: Thanks closing the question's own sentence: "…held? thx", "…held, thanks in advance!".
_CLOSING = re.compile(rf"(?:(?<=[?!.])\s*|\s*[,;]\s*|\s+[-–—]+\s*)\b(?:{_THANKS})\b[\s.!]*$", re.I)
#: A sentence that is only framing: "Thanks in advance!", "Hope you're all well.", "-- Mark".
_ONLY_FRAMING = re.compile(
    rf"^(?:(?:{_GREETING}|{_THANKS}|{_APOLOGY}|hope (?:you're|you are|everyone is|all is) (?:all )?(?:well|good|doing well)"
    r"|[-–—]+\s*[A-Z][\w.]*)\b[\s,.!:;…-]*)+(?:[A-Z][a-z]+[.!]?)?$",
    re.I,
)
_SENTENCE_BREAK = re.compile(r"[.!?…]\s")
#: Phones and word processors type ’ for ': the patterns here and the answer types are written with '.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
#: A question word typed in chat without its apostrophe: "whats the total", "whos the moderator".
_CLIPPED = re.compile(r"\b(what|who|where|when|how|why)s\b", re.I)
#: A question typed without its question mark ("who moderated the forum"), or left as the tail of a statement
#: ("I'd like to know who moderated the forum."): it is searched with one, as the model's vector of the same
#: words differs without it (questions_v2.jsonl typed without "?": tuning answer accuracy 0.707, with 0.739).
_ASKING = re.compile(
    r"^(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|should|would|will|has|have|had)\b[^?]*$", re.I
)


def core(message: str) -> tuple[str, str]:
    """The question as it would read bare, and the sentences around it that ask nothing ("I run 10.04 on a
    server."), for the engine to treat as the turn before it: a question that leans on them ("How do I stop it
    updating?") is searched with them, as a follow-up is with the question it follows; one that does not is
    searched alone, so "I've been searching for ages" adds nothing. A message that is all framing, or has no
    sentence ending in "?", is the question whole.
    """
    message = _CLIPPED.sub(r"\1's", message.translate(_APOSTROPHES))
    pieces = segmenter().segment(message) if _SENTENCE_BREAK.search(message) else [message]
    kept = []
    for piece in pieces:
        text = piece.strip()
        if _ONLY_FRAMING.fullmatch(text):
            continue
        text = _CLOSING.sub("", _OPENING.sub("", text)).strip()
        if _ASKING.match(text):
            text = text.rstrip(" .") + "?"
        if any(c.isalnum() for c in text):
            kept.append(text)
    if not kept:
        return message, ""
    asking = [text for text in kept if text.endswith("?")]
    if not asking or len(asking) == len(kept):
        bare = " ".join(kept)
        return (bare if bare != message else message), ""
    return " ".join(asking), " ".join(text for text in kept if text not in asking)
