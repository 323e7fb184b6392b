"""The one object the API and the CLI both call: it owns the model, the live index and rebuilds."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from forumqa.answer import CALIBRATION, NOT_FOUND, WEIGHTS, Answer, Citation, Short, rank, select
from forumqa.answer_cache import AnswerCache, AnswerKey
from forumqa.answer_types import short_answer
from forumqa.config import RetrievalMode, Settings
from forumqa.documents import Document
from forumqa.embedding import Embedder, SentenceTransformerEmbedder
from forumqa.errors import DocumentNotFoundError, GenerationGoneError, IndexNotFoundError, ReindexInProgressError
from forumqa.index import BuildHook, BuildReport, IndexSnapshot, build_index, load_index
from forumqa.inference import InferenceWorker
from forumqa.lru import LRUCache
from forumqa.questions import ResolvedQuestion, resolve, validate
from forumqa.retrieval import ChunkHit, Query, SentenceEvidence, retrieve_chunks, sentence_evidence
from forumqa.term_vectors import surface_words

#: Question words the corpus lacks whose vectors an Engine keeps: 384 floats each, so 4,096 words hold 6 MB.
QUESTION_WORDS_KEPT = 4096


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str
    date: str | None
    chunks: int


@dataclass(frozen=True)
class IndexStatus:
    """What is being served: the page's empty state and /api/health show it."""

    documents: int
    chunks: int
    model: str
    built_at: str
    generation: str
    reindexing: bool


def _short(citation: Citation, question: str) -> Short | None:
    """The phrase of the quoted answer that answers the question, moved to document offsets."""
    span = short_answer(citation.text, question)
    return Short(citation.start + span[0], citation.start + span[1], citation.text[span[0] : span[1]]) if span else None


@dataclass(frozen=True)
class Evidence:
    """The material an answer is chosen from, and the snapshot its offsets index into."""

    question: str
    snapshot: IndexSnapshot
    hits: list[ChunkHit]
    sentences: list[SentenceEvidence]


class Engine:
    """Answers from an immutable IndexSnapshot; a rebuild swaps in a new one with one assignment.

    Every request reads `self._snapshot` once and uses that object throughout, so a swap in the
    middle of a request can never mix two indexes. The snapshot before the last swap is kept, so
    a page can still open the document version that an answer given just before the swap cites.
    """

    def __init__(self, settings: Settings, embedder: Embedder, snapshot: IndexSnapshot | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._snapshot = snapshot
        self._previous: IndexSnapshot | None = None
        self._rebuild = threading.Lock()
        self._answers = AnswerCache(settings.answer_cache_size)
        # Vectors of question words the corpus lacks, kept across questions: each such word is encoded with
        # its question for near-synonym credit, and each extra text in that forward pass costs about as much
        # as the question itself (the question alone 22 ms, with two words 40 ms; one torch thread). People
        # reuse their words. The vectors depend on the model only, which an Engine keeps for life.
        self._word_vectors: LRUCache[str, np.ndarray] = LRUCache(QUESTION_WORDS_KEPT)
        if snapshot is not None:
            self._answers.keep_only(snapshot.path.name)
        # OpenMP's thread count is per thread: this covers FAISS on the thread that built the Engine (the
        # CLI's); the inference worker sets its own (see forumqa.inference), and a single-query search on
        # a request thread forks no team whatever its setting.
        faiss.omp_set_num_threads(settings.faiss_threads)
        # numpy's OpenBLAS starts threads of its own for a product of a few hundred rows (a question's
        # near-synonym credit), and beside torch's spinning OpenMP team they fight for the cores: 16 ms for
        # a product that takes 0.24 ms on one thread; a whole answer 61-77 ms against 32-37 ms (shipped
        # corpus, 2 loaded cores). A question's products are too small to gain from threads. Process-wide,
        # so a program embedding forumqa can keep its own with FORUMQA_BLAS_THREADS=0.
        if settings.blas_threads:
            threadpool_limits(settings.blas_threads, user_api="blas")
        # Question encodes for ask, search and evidence go through this one owner of the model; index
        # builds call the embedder directly (large batches of their own).
        self._encoder = InferenceWorker(
            embedder,
            batch_size=settings.inference_batch_size if settings.inference_batching else 1,
            wait_ms=settings.inference_wait_ms if settings.inference_batching else 0.0,
            threads=settings.inference_threads,
        )

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, build_if_missing: bool = False) -> Engine:
        embedder = embedder or SentenceTransformerEmbedder(settings.model, settings.device, settings.batch_size)
        engine = cls(settings, embedder)
        try:
            engine._snapshot = load_index(settings, embedder.dimension)
        except IndexNotFoundError:  # IndexCorruptError too: the build below then replaces it in full
            if not build_if_missing:
                raise
            engine.reindex()
        return engine

    def close(self) -> None:
        """Stop the inference worker thread (it is a daemon, so a program that never calls this still exits).

        Questions asked afterwards start a fresh worker, so closing an Engine still in use is safe.
        """
        self._encoder.close()

    @property
    def inference(self) -> InferenceWorker:
        """The worker that encodes questions (its `batches` count shows how many forward passes they took)."""
        return self._encoder

    @property
    def snapshot(self) -> IndexSnapshot:
        if self._snapshot is None:
            raise IndexNotFoundError(f"no index in {self.settings.index_dir}: run `forumqa index` to build it")
        return self._snapshot

    # ------------------------------------------------------------ questions

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        top_k: int | None = None,
        mode: RetrievalMode | None = None,
    ) -> Answer:
        """Answer `question` with a sentence quoted from the documents, or abstain with the closest passages.

        Args:
            question: in the user's own words; up to `max_question_chars`.
            history: earlier questions of the conversation, oldest first; a follow-up ("Who moderated it?")
                is searched together with the question before it.
            top_k: how many related passages to return (default `settings.top_k`).
            mode: "hybrid", "dense" or "bm25" (default `settings.retrieval`).

        The same question, history, top_k and mode asked again while the same index generation is live
        is answered from a cache (`settings.answer_cache_size` answers); its `timings_ms` is then
        `{"cache", "total"}` instead of `{"retrieve", "total"}`.

        Raises:
            InvalidQuestionError: empty, too long or unreadable question.
            IndexNotFoundError: no index loaded.
        """
        started = time.perf_counter()
        mode = mode or self.settings.retrieval
        live = self._snapshot
        if not self._answers.enabled or live is None:  # with no index, `evidence` raises the errors in their usual order
            return self._answer(question, history, top_k, mode, started)
        # Normalised and checked as `evidence` does, in the same order, so a hit raises what a miss would.
        limit = self.settings.max_question_chars
        text = validate(question, limit)
        turns = tuple(validate(h, limit) for h in history if h and h.strip())
        key = AnswerKey(text, turns, live.path.name, top_k or self.settings.top_k, mode)
        cached = self._answers.get(key)
        if cached is not None:
            elapsed = (time.perf_counter() - started) * 1000
            cached.timings_ms = {"cache": elapsed, "total": elapsed}
            return cached
        result = self._answer(question, history, top_k, mode, started)
        # Filed under the generation that answered: a swap during the request may have made it newer than `live`.
        self._answers.put(replace(key, generation=result.generation), result)
        return result

    def _answer(self, question: str, history: Sequence[str], top_k: int | None, mode: RetrievalMode, started: float) -> Answer:
        """`ask` without the cache: retrieval, ranking and the choice to answer or abstain."""
        found = self.evidence(question, history, top_k, mode)
        snapshot, hits = found.snapshot, found.hits
        retrieved = time.perf_counter()
        weights = WEIGHTS[mode]
        ranked = rank(found.sentences, weights)
        calibration = CALIBRATION.get(mode)
        if calibration is not None:  # a probability that the top quote is right decides; citations follow the scores
            best = calibration.confidence(ranked)
            threshold = calibration.answer_above if self.settings.abstain_below is None else self.settings.abstain_below
            chosen = select(ranked, float("-inf")) if best >= threshold else []
        else:
            best = ranked[0][0] if ranked else 0.0
            threshold = weights.abstain_below if self.settings.abstain_below is None else self.settings.abstain_below
            chosen = select(ranked, threshold)
        question = found.question
        related = [self._passage(snapshot, hit) for hit in hits]
        citations = [self._citation(snapshot, e.doc_id, e.start, e.end, value) for value, e in chosen]
        timings = {"retrieve": (retrieved - started) * 1000, "total": (time.perf_counter() - started) * 1000}
        return Answer(
            question=question,
            answer=citations[0].text if citations else None,
            short=_short(citations[0], question) if citations else None,
            abstained=not citations,
            confidence=round(best, 4),
            citations=citations,
            related=related,
            timings_ms=timings,
            message=None if citations else NOT_FOUND,
            generation=snapshot.path.name,
        )

    def evidence(self, question: str, history: Sequence[str] = (), top_k: int | None = None, mode: RetrievalMode | None = None) -> Evidence:
        """What `ask` chooses from: the retrieved chunks and every candidate sentence with its features.

        Public so that tuning and debugging see exactly what answering sees (benchmarks/tune_answering.py).
        """
        question = validate(question, self.settings.max_question_chars)
        snapshot = self.snapshot
        mode = mode or self.settings.retrieval
        resolved = resolve(question, [validate(h, self.settings.max_question_chars) for h in history if h and h.strip()])
        query = self._query(resolved, snapshot)
        hits = retrieve_chunks(snapshot, query, mode, top_k or self.settings.top_k, self.settings.fusion)
        sentences = sentence_evidence(snapshot, query, hits, mode, self.settings.candidate_pool, self.settings.title_credit)
        return Evidence(question, snapshot, hits, sentences)

    def search(self, query_text: str, k: int = 5) -> list[Citation]:
        """The passages (chunks) nearest `query_text`, best first: retrieval without choosing an answer.

        Args:
            query_text: words or a question.
            k: how many passages.

        Returns:
            One Citation per passage, in document offsets, with its score.

        Raises:
            InvalidQuestionError: empty, too long or unreadable text.
            IndexNotFoundError: no index loaded.
        """
        query_text = validate(query_text, self.settings.max_question_chars)
        query = self._query(resolve(query_text, []))
        snapshot = self.snapshot
        return [self._passage(snapshot, hit) for hit in retrieve_chunks(snapshot, query, self.settings.retrieval, k, self.settings.fusion)]

    def _query(self, resolved: ResolvedQuestion, snapshot: IndexSnapshot | None = None) -> Query:
        """Question vectors and, where the index has term vectors, a vector per question term, in one encode.

        A term the corpus lacks is encoded from its surface word, unless an earlier question already did.
        """
        known = snapshot.term_vectors if snapshot is not None else None
        words = surface_words([resolved.question]) if known is not None else {}
        term_vectors: dict[str, np.ndarray] = {}
        unknown = []
        for term in resolved.terms:
            if term not in words or term in term_vectors:
                continue
            vector = known.vector(term) if known is not None else None
            if vector is None:
                vector = self._word_vectors.get(words[term])
            if vector is None:
                unknown.append(term)
            else:
                term_vectors[term] = vector
        texts = [resolved.text] + ([resolved.question] if resolved.follow_up else []) + [words[t] for t in unknown]
        encoded = self._encoder.encode(texts)
        conversation = encoded[0]
        question = encoded[1] if resolved.follow_up else None
        for term, vector in zip(unknown, encoded[len(texts) - len(unknown) :], strict=True):
            term_vectors[term] = vector
            self._word_vectors.put(words[term], vector)
        return Query(resolved.terms, conversation, resolved.history_terms, question, resolved.question, term_vectors)

    def _passage(self, snapshot: IndexSnapshot, hit: ChunkHit) -> Citation:
        chunk = snapshot.chunks[hit.chunk_id]
        return self._citation(snapshot, chunk.doc_id, chunk.start, chunk.end, hit.score)

    @staticmethod
    def _citation(snapshot: IndexSnapshot, doc_id: str, start: int, end: int, value: float) -> Citation:
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
        )

    # ------------------------------------------------------------ documents

    def documents(self) -> list[DocumentInfo]:
        """Every document the live index holds, with its chunk count.

        Raises:
            IndexNotFoundError: no index loaded.
        """
        snapshot = self.snapshot
        counts = snapshot.chunk_counts
        return [
            DocumentInfo(doc_id=d.doc_id, title=d.title, source=d.source, date=d.date, chunks=counts[d.doc_id])
            for d in snapshot.documents.values()
        ]

    def document(self, doc_id: str, generation: str | None = None) -> Document:
        """The document as the live index holds it, or as `generation` (named by an answer) held it.

        Args:
            doc_id: a `Citation.doc_id` or `DocumentInfo.doc_id`.
            generation: an `Answer.generation`, so the answer's offsets index into the very text they came from.

        Returns:
            The Document: its text, and its sections (the posts of a thread, with author, date and link).

        Raises:
            DocumentNotFoundError: no such document in that generation.
            GenerationGoneError: the generation is neither the live one nor the one before it.
        """
        snapshot = self._generation(generation)
        try:
            return snapshot.documents[doc_id]
        except KeyError:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in index generation {snapshot.path.name}") from None

    def _generation(self, name: str | None) -> IndexSnapshot:
        current, previous = self.snapshot, self._previous
        if name is None or name == current.path.name:
            return current
        if previous is not None and name == previous.path.name:
            return previous
        raise GenerationGoneError(
            f"index generation {name!r} is no longer held (the live one is {current.path.name}): ask the question again"
        )

    # ------------------------------------------------------------ rebuilds

    def reindex(self, full: bool = False, hook: BuildHook | None = None) -> BuildReport:
        """Build a new generation from the documents folder and swap it in, reusing unchanged documents.

        A build by another process (a cron `forumqa index`) is waited for, up to `build_lock_timeout_s`;
        the in-process lock answers at once.

        Args:
            full: rebuild every document instead of only those added or changed.
            hook: called with progress events (the watcher and the tests use it).

        Returns:
            The BuildReport: documents added, changed, removed and skipped (with the reason).

        Raises:
            ReindexInProgressError: a rebuild is already running (BuildLockedError: in another process).
            NoDocumentsError: nothing readable in the documents folder.
            IndexWriteError: the index could not be written; the previous one is still served.
        """
        if not self._rebuild.acquire(blocking=False):
            raise ReindexInProgressError("a rebuild is already running; try again when it has finished")
        try:
            report = build_index(self.settings, self.embedder, full=full, hook=hook)
            self._install(load_index(self.settings, self.embedder.dimension))
            return report
        finally:
            self._rebuild.release()

    def _install(self, snapshot: IndexSnapshot) -> None:
        self._previous, self._snapshot = self._snapshot, snapshot
        self._answers.keep_only(snapshot.path.name)

    @property
    def reindexing(self) -> bool:
        return self._rebuild.locked()

    def status(self) -> IndexStatus:
        """What is being served, for the page's empty state and /api/health."""
        snapshot = self.snapshot
        manifest = snapshot.manifest
        return IndexStatus(
            documents=manifest.documents,
            chunks=manifest.chunks,
            model=manifest.model_id,
            built_at=manifest.built_at,
            generation=snapshot.path.name,
            reindexing=self.reindexing,
        )
