"""How forumqa reads real export files: per file, read or skipped, documents, posts with an author, quotes.

For checking the readers on exports nobody tuned them on (other people's files, kept out of the repo):
a file read flat (one section, no author) or skipped is where a reader is missing or wrong.

Run: .venv/bin/python benchmarks/read_exports.py FOLDER_OR_FILE [...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from forumqa.documents import Skipped, UnreadableDocument
from forumqa.loading import read_file


def describe(path: Path) -> str:
    warnings: list[Skipped] = []
    try:
        documents = read_file(path, path.name, warnings)
    except UnreadableDocument as error:
        return f"skipped: {error}"
    sections = [s for d in documents for s in d.sections]
    posts = {(d.doc_id, s.post) for d in documents for s in d.sections if s.author and not s.quoted}
    authors = {s.author for s in sections if s.author and not s.quoted}
    quoted = [s for s in sections if s.quoted]
    flat = " (flat: no authors)" if not authors else ""
    return (
        f"{len(documents)} documents, {len(posts)} posts by {len(authors)} authors, {len(quoted)} quoted sections"
        f" ({len({s.author for s in quoted})} quoted authors), {len(warnings)} warnings{flat}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="+", type=Path)
    files = sorted(f for p in parser.parse_args().paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    for file in files:
        print(f"{file}: {describe(file)}")


if __name__ == "__main__":
    main()
