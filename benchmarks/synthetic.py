"""Deterministic forum-like corpora of any size: the same seed gives the same files, so runs compare."""

from __future__ import annotations

import random
from pathlib import Path

FIRST = ["Li", "Wang", "Anna", "Marco", "Chen", "Priya", "Tom", "Grace", "Zhou", "Emily", "Raj", "Sun", "Kevin", "Liu", "Maria", "Omar"]
LAST = [
    "Wei",
    "Xun",
    "Schmidt",
    "Rossi",
    "Bing",
    "Patel",
    "Becker",
    "Lin",
    "Min",
    "Zhao",
    "Hao",
    "Tianran",
    "Ho",
    "Garcia",
    "Haddad",
    "Yang",
]
COMPANY = ["BioNova", "Helix", "Kestrel Pharma", "Lumen Bio", "Orchid Therapeutics", "Quanta Labs", "Sable Biotech", "Tern Medical"]
PLACE = ["Guangzhou", "Suzhou", "Shanghai", "Hangzhou", "Shenzhen", "Boston", "Basel", "Singapore"]
TOPIC = [
    "licensing deals",
    "biomanufacturing capacity",
    "clinical trial design",
    "AI drug discovery",
    "NewCo financing",
    "rare disease access",
]
ROLE = ["CEO", "Chief Medical Officer", "Vice President of Business Development", "Partner", "Head of Quality", "Principal Investigator"]
TEMPLATES = [
    "{person}, {role} of {company}, gave a keynote on {topic}.",
    "The panel on {topic} was moderated by {person} of {company}.",
    "{person} said that {company} had signed {n} agreements worth about ${m} million in {year}.",
    "According to {person}, the cost of {topic} fell by {n} percent in {place} since {year}.",
    "He argued that companies should build partnerships in {place} before expanding abroad.",
    "She noted that {company} plans to open a new site in {place} in {year}.",
    "Participants agreed that {topic} will shape the industry over the next {n} years.",
    "The forum in {place} brought together {n}00 investors, founders and scientists.",
    "{company} reported that its {topic} program reached Phase {phase} in {year}.",
    "This approach, {person} explained, shortens development timelines by {n} months.",
]


def sentence(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        person=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        role=rng.choice(ROLE),
        company=rng.choice(COMPANY),
        topic=rng.choice(TOPIC),
        place=rng.choice(PLACE),
        n=rng.randint(2, 40),
        m=rng.randint(5, 900),
        year=rng.randint(2019, 2025),
        phase=rng.randint(1, 3),
    )


def document(rng: random.Random, number: int) -> str:
    title = f"{rng.choice(TOPIC).capitalize()} forum report {number}"
    date = f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(2, 6))) for _ in range(rng.randint(2, 5))]
    return "\n".join([title, date, *paragraphs]) + "\n"


def write_corpus(folder: Path, documents: int, seed: int = 7) -> list[Path]:
    """`documents` .txt reports of 4 to 30 sentences each (about 2.2 chunks a document)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(documents):
        path = folder / f"report-{number:05d}.txt"
        path.write_text(document(rng, number), encoding="utf-8")
        paths.append(path)
    return paths


def edit(path: Path, rng: random.Random) -> None:
    """Replace one sentence of a document: what a typical correction looks like."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = f"{lines[2]} {sentence(rng)}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
