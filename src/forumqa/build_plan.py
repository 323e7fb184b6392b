"""What a build will write: the documents, what changed since the live generation, and each document's pieces.

An unchanged document (same content hash, same model and chunking settings, same splitting rules:
chunking.SPLIT_VERSION) keeps the previous generation's sentences and chunks, so its vectors come from
the embedding cache; anything the previous generation cannot vouch for is split again, and the plan
says why in full_rebuild_reason when nothing of it is reused.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from forumqa import generation_db
from forumqa.chunking import SPLIT_VERSION, make_chunks, split_sentences
from forumqa.config import Settings
from forumqa.documents import Document, Skipped
from forumqa.embedding import Embedder
from forumqa.errors import IndexCorruptError, NoDocumentsError
from forumqa.generation import META, current_generation, expected_key, read_manifest, verify
from forumqa.generation_db import DocumentPieces, Pieces
from forumqa.index_io import reading
from forumqa.loading import load_documents

log = logging.getLogger(__name__)

#: Documents above which splitting shows a progress bar.
PROGRESS_ABOVE = 200
#: The fewest tokens of text a chunk may hold, whatever its title leaves of the model's window.
#: Chosen by judgement in the first version (no measurement on record). Without a floor a title that
#: fills the window would leave a budget near or below zero and make every sentence a chunk of its own;
#: with it, such a document's title and chunk together pass the model's limit and the model cuts the
#: chunk's tail from its vector. The floor also wins over a `chunk_tokens` setting below it.
MIN_CHUNK_TOKENS = 32


@dataclass
class BuildPlan:
    """The documents a build writes, how they differ from the live generation, and what of it they may reuse."""

    #: In the order they are written; `split` hands each one out once and lets it go.
    documents: deque[Document]
    skipped: list[Skipped]
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Why nothing of the previous generation is reused; None when unchanged documents keep their pieces.
    full_rebuild_reason: str | None = None
    #: The previous generation's sentences and chunks per content hash.
    reusable: dict[str, Pieces] = field(default_factory=dict)

    def split(self, embedder: Embedder, settings: Settings) -> Iterator[DocumentPieces]:
        """Each document with its sentences and chunks, in order, made as they are asked for; an unchanged document
        (same content hash) reuses the previous ones. A document leaves the plan as it is handed out: a build that
        writes each one as it comes never holds every document's sentence and chunk records at once."""
        # A large export takes minutes to split (100k posts: ~10 min); say so rather than sit silent.
        with tqdm(total=len(self.documents), desc="splitting", unit="document", disable=len(self.documents) < PROGRESS_ABOVE) as bar:
            while self.documents:
                document = self.documents.popleft()
                if document.content_hash in self.reusable:
                    yield (document, *self.reusable[document.content_hash])
                else:
                    sentences = split_sentences(document, settings.max_sentence_chars)
                    budget = _chunk_budget(document, embedder, settings)
                    chunks = make_chunks(document, sentences, embedder.count_tokens, budget, settings.chunk_overlap_sentences)
                    yield document, sentences, chunks
                bar.update()


def plan_build(settings: Settings, embedder: Embedder, full: bool) -> BuildPlan:
    """Reads the documents folder and the live generation; NoDocumentsError when no document is readable."""
    loaded = load_documents(settings.documents_dir, max_file_bytes=int(settings.max_file_mb * 2**20))
    if not loaded.documents:
        names = "; ".join(f"{s.source}: {s.reason}" for s in loaded.skipped) or "the folder is empty"
        raise NoDocumentsError(f"no readable documents in {settings.documents_dir} ({names})")
    old_hashes, reusable, reason = _reusable(settings.index_dir, settings, embedder.dimension, full)
    new_hashes = {d.doc_id: d.content_hash for d in loaded.documents}
    added = sorted(set(new_hashes) - set(old_hashes))
    changed = sorted(d for d in new_hashes if d in old_hashes and old_hashes[d] != new_hashes[d])
    return BuildPlan(
        documents=deque(loaded.documents),
        skipped=loaded.skipped,
        added=added,
        changed=changed,
        removed=sorted(set(old_hashes) - set(new_hashes)),
        unchanged=len(new_hashes) - len(added) - len(changed),
        full_rebuild_reason=reason,
        reusable=reusable,
    )


def _reusable(index_dir: Path, settings: Settings, dimension: int, full: bool) -> tuple[dict[str, str], dict[str, Pieces], str | None]:
    """What the previous generation lets this build reuse: its content hashes and pieces, or nothing and why
    (the full-rebuild reason). A generation that cannot be read is rebuilt in full rather than trusted in part."""
    try:
        previous = current_generation(index_dir)
        old = read_manifest(previous) if previous is not None else None
        if old is not None and old.settings_key() != expected_key(settings, dimension):
            changed = (
                f"settings changed (model {old.model_id} → {settings.model}, chunk tokens {old.chunk_tokens} → {settings.chunk_tokens}, "
                f"overlap {old.chunk_overlap_sentences} → {settings.chunk_overlap_sentences}): every text is embedded again"
            )
            return {}, {}, changed
        if full:
            return {}, {}, "--full asked for: every text is embedded again"
        if previous is None or old is None:
            return {}, {}, None
        with reading(previous / META):
            hashes, reusable, counts = generation_db.read_reusable(previous / META)
        verify(previous, old, counts)
        if old.split_version != SPLIT_VERSION:  # same texts, split by other rules: split again, vectors from the cache
            log.info("sentence splitting changed (version %d → %d): every document is split again", old.split_version, SPLIT_VERSION)
            reusable = {}
    except IndexCorruptError as error:
        log.info("the previous index is unreadable (%s): rebuilding it in full", error)
        return {}, {}, f"the previous index is unreadable ({error.path}: {error.reason}): rebuilt in full, every text is embedded again"
    return hashes, reusable, None


def _chunk_budget(document: Document, embedder: Embedder, settings: Settings) -> int:
    """Tokens a chunk's text may take: the title and its newline travel with every chunk (chunk_embedding_text),
    and the model adds two special tokens ([CLS], [SEP]) to every text it embeds."""
    title_tokens = embedder.count_tokens([document.title])[0] + 1
    return max(MIN_CHUNK_TOKENS, min(settings.chunk_tokens, embedder.max_tokens) - 2 - title_tokens)
