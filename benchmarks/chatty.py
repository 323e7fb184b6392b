"""A question set with each question wrapped the way forum users write: greetings, thanks, indirect frames.

"Hi all, does anyone know who moderated the forum? Thanks in advance!" asks what "Who moderated the
forum?" asks. Each question gets one wrapper from benchmarks/chatty_frames.json, chosen with a fixed
seed from the half matching the question's split (a tuning question gets a tuning wrapper), so the
test half is measured with wording nobody tuned forumqa.questions.core on. The wrappers were written
for this by someone who had not seen the code that strips them. The questions keep their answers,
split and kind.

Run: .venv/bin/python benchmarks/chatty.py eval/questions_v2.jsonl /tmp/questions_v2_chatty.jsonl
     .venv/bin/forumqa eval /tmp/questions_v2_chatty.jsonl --documents-dir <the set's documents> --mode hybrid
     (FORUMQA_QUESTION_FRAMES=false for the same without taking the question out of its wrapper)
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 11
FRAMES = Path(__file__).with_name("chatty_frames.json")


def wrap(question: str, template: str) -> str:
    lowered = question[:1].lower() + question[1:]
    return template.replace("{q_lower}", lowered).replace("{q}", question)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("questions", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    frames = json.loads(FRAMES.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        half = "test" if row.get("split") == "test" else "tune"
        row["q"] = wrap(row["q"], rng.choice(frames[half])["template"])
    args.out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(rows)} questions written to {args.out}")


if __name__ == "__main__":
    main()
