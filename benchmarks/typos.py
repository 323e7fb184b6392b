"""A question set with one slip of the keyboard in each question, to measure forumqa.spelling.

Each question of the input set gets one edit (two letters swapped, one dropped, or one doubled) in
one of its lower-case words of five letters or more, chosen with a fixed seed, so the set is the
same on every run. The questions keep their answers, split and kind.

Run: .venv/bin/python benchmarks/typos.py eval/questions_v2.jsonl /tmp/questions_v2_typos.jsonl
     .venv/bin/forumqa eval /tmp/questions_v2_typos.jsonl --documents-dir <the set's documents> --mode hybrid
     (FORUMQA_SPELLING=false for the same without the correction)
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

SEED = 7
_WORD = re.compile(r"[A-Za-z]{5,}")
_QUESTION_WORDS = frozenset({"which", "what", "where", "when", "whose", "about", "there", "their", "would", "could", "should"})
_QUESTION_WORDS |= {"after", "before", "these", "those", "does"}


def slip(question: str, rng: random.Random) -> str:
    words = [m for m in _WORD.finditer(question) if m.group().lower() not in _QUESTION_WORDS and not m.group()[0].isupper()]
    if not words:
        return question
    match = rng.choice(words)
    word, at = match.group(), rng.randrange(1, len(match.group()) - 1)
    kind = rng.choice(["swap", "drop", "double"])
    if kind == "swap":
        slipped = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        slipped = word[:at] + word[at + 1 :]
    else:
        slipped = word[:at] + word[at] + word[at:]
    return question[: match.start()] + slipped + question[match.end() :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("questions", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    rng = random.Random(SEED)
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["q"] = slip(row["q"], rng)
    args.out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(rows)} questions written to {args.out}")


if __name__ == "__main__":
    main()
