"""The one object the API and the CLI both call: it owns the model, the live index and rebuilds."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from forumqa.answer import NOT_FOUND, WEIGHTS, Answer, Citation, decide
from forumqa.answer_cache import AnswerCache, AnswerKey
from forumqa.citations import citation, passage, short
from forumqa.config import RetrievalMode, Settings
from forumqa.documents import Document
from forumqa.embedding import Embedder, SentenceTransformerEmbedder
from forumqa.errors import DocumentNotFoundError, GenerationGoneError, IndexNotFoundError, ReindexInProgressError
from forumqa.index import BuildHook, BuildReport, IndexSnapshot, build_index, load_index
from forumqa.inference import InferenceWorker
from forumqa.question_core import core
from forumqa.question_encoder import question_encoder
from forumqa.question_vectors import QueryPlan, QuestionVectors
from forumqa.questions import ResolvedQuestion, resolve, validate
from forumqa.retrieval import ChunkHit, Query, SentenceEvidence, retrieve_chunks, sentence_evidence, sentence_fit
from forumqa.spelling import Speller


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


@dataclass(frozen=True)
class _Asked:
    """A checked question on its way to an answer: what to encode, and where its answer is filed."""

    plan: QueryPlan
    snapshot: IndexSnapshot
    top_k: int
    mode: RetrievalMode
    key: AnswerKey
    started: float
    #: As asked: the answer repeats it, though a misspelt word was searched for as meant.
    question: str


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
        if snapshot is not None:
            self._answers.keep_only(snapshot.path.name)
        # OpenMP's thread count is per thread: this covers FAISS on the thread that built the Engine (the
        # CLI's); the inference worker sets its own (see forumqa.inference), and a single-query search on
        # a request thread forks no team whatever its setting.
        faiss.omp_set_num_threads(settings.faiss_threads)
        # numpy's OpenBLAS threads for a question's small products fought torch's OpenMP team for the cores
        # (16 ms for a product that takes 0.24 ms on one thread; README). Process-wide, so a program embedding
        # forumqa can keep its own with FORUMQA_BLAS_THREADS=0.
        if settings.blas_threads:
            threadpool_limits(settings.blas_threads, user_api="blas")
        # Question encodes for ask, search and evidence go through this one owner of the model (exported to
        # ONNX Runtime where it can be); index builds call the embedder directly, in large batches of their own.
        onnx = settings.question_encoder == "onnx"
        encoder = question_encoder(embedder, settings.index_dir / "onnx", settings.inference_threads) if onnx else embedder
        worker = InferenceWorker(
            encoder,
            batch_size=settings.inference_batch_size if settings.inference_batching else 1,
            wait_ms=settings.inference_wait_ms if settings.inference_batching else 0.0,
            threads=settings.inference_threads,
        )
        self._vectors = QuestionVectors(worker)
        words = getattr(embedder, "words", None)  # a stand-in embedder for tests has no vocabulary
        self._speller = Speller(words) if settings.spelling and callable(words) else None
        # The threads that score `submit_ask`'s questions once their vectors are back; started on first use.
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

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
        """Stop the inference worker and the answering threads (a program that never calls this still exits).

        Questions asked afterwards start fresh ones, so closing an Engine still in use is safe.
        """
        self._vectors.worker.close()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    @property
    def inference(self) -> InferenceWorker:
        """The worker that encodes questions (its `batches` count shows how many forward passes they took)."""
        return self._vectors.worker

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
        asked = self._prepare(question, history, top_k, mode)
        if isinstance(asked, Answer):
            return asked
        return self._finish(asked, self._vectors.worker.encode(asked.plan.texts))

    def submit_ask(
        self,
        question: str,
        history: Sequence[str] = (),
        top_k: int | None = None,
        mode: RetrievalMode | None = None,
    ) -> Future[Answer]:
        """`ask` for a caller that should not hold a thread while its question waits for the model.

        The question is checked (raising what `ask` raises) and its encode queued on this thread; once
        the vectors are back, one of `settings.worker_threads` answering threads scores the sentences.
        So every question waiting is in the model's next batch, however few threads answer: with the
        encode inside a pool thread, a batch could hold no more questions than the pool had threads,
        and the model sat idle while they scored (README, "Serving under load").
        """
        answered: Future[Answer] = Future()
        asked = self._prepare(question, history, top_k, mode)
        if isinstance(asked, Answer):
            answered.set_result(asked)
            return answered

        def finish(vectors: np.ndarray) -> None:
            try:
                answered.set_result(self._finish(asked, vectors))
            except BaseException as error:
                answered.set_exception(error)

        def encoded(done: Future[np.ndarray]) -> None:  # on the inference thread: hand over, never score here
            try:
                self._answering().submit(finish, done.result())
            except BaseException as error:  # the encode failed, or close() shut the pool meanwhile
                answered.set_exception(error)

        self._vectors.worker.submit(asked.plan.texts).add_done_callback(encoded)
        return answered

    def _answering(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.worker_threads, thread_name_prefix="forumqa-answer")
            return self._pool

    def _prepare(self, question: str, history: Sequence[str], top_k: int | None, mode: RetrievalMode | None) -> _Asked | Answer:
        """The checked question and what to encode for it, or its cached answer."""
        started = time.perf_counter()
        limit = self.settings.max_question_chars
        text = validate(question, limit)
        turns = [validate(h, limit) for h in history if h and h.strip()]
        snapshot = self.snapshot
        mode = mode or self.settings.retrieval
        top_k = top_k or self.settings.top_k
        key = AnswerKey(text, tuple(turns), snapshot.path.name, top_k, mode)
        cached = self._answers.get(key)  # size 0: always None
        if cached is not None:
            elapsed = (time.perf_counter() - started) * 1000
            cached.timings_ms = {"cache": elapsed, "total": elapsed}
            return cached
        plan = self._vectors.plan(self._resolved(text, turns, snapshot), snapshot)
        return _Asked(plan, snapshot, top_k, mode, key, started, text)

    def _resolved(self, question: str, history: Sequence[str], snapshot: IndexSnapshot) -> ResolvedQuestion:
        """What retrieval searches with: the question out of its greetings and thanks, slips put right, joined to
        the turn before (or to the message's own sentences around it) when it follows up on it."""
        if self.settings.question_frames:
            question, context = core(question)
            history = [core(turn)[0] for turn in history] + ([context] if context else [])
        return resolve(self._spelled(question, snapshot), history)

    def _spelled(self, question: str, snapshot: IndexSnapshot) -> str:
        """The question with its misspelt words put right, towards the terms of the sentences it is answered from."""
        if self._speller is None:
            return question
        lexical = snapshot.sentence_lexical
        return self._speller.correct(question, lexical.terms, lexical.knows, lexical.rows_with)

    def _finish(self, asked: _Asked, vectors: np.ndarray) -> Answer:
        """Retrieval, ranking and the choice to answer or abstain, from the question's vectors."""
        snapshot, mode = asked.snapshot, asked.mode
        # Answer-type fit is a feature only where a weight uses it (tuning asks `evidence` for it); the
        # calibration checks it for the best sentence alone.
        query = self._vectors.query(asked.plan, vectors)
        hits, sentences = self._gather(snapshot, query, asked.top_k, mode, WEIGHTS[mode].fit != 0)
        retrieved = time.perf_counter()
        best, chosen = decide(sentences, mode, self.settings.abstain_below, lambda e: sentence_fit(snapshot, query, e.sentence_id))
        question = asked.plan.resolved.question  # as searched: the short answer lines its words up with the quote's
        related = [passage(snapshot, hit) for hit in hits]
        quotes = [citation(snapshot, e.doc_id, e.start, e.end, value) for value, e in chosen]
        timings = {"retrieve": (retrieved - asked.started) * 1000, "total": (time.perf_counter() - asked.started) * 1000}
        result = Answer(
            question=asked.question,
            answer=quotes[0].text if quotes else None,
            short=short(quotes[0], question) if quotes else None,
            abstained=not quotes,
            confidence=round(best, 4),
            citations=quotes,
            related=related,
            timings_ms=timings,
            message=None if quotes else NOT_FOUND,
            generation=snapshot.path.name,
        )
        self._answers.put(asked.key, result)  # size 0: keeps nothing
        return result

    def evidence(self, question: str, history: Sequence[str] = (), top_k: int | None = None, mode: RetrievalMode | None = None) -> Evidence:
        """What `ask` chooses from: the retrieved chunks and every candidate sentence with all its features.

        Public so that tuning and debugging see exactly what answering sees (benchmarks/tune_answering.py).
        """
        limit = self.settings.max_question_chars
        question = validate(question, limit)
        snapshot = self.snapshot
        resolved = self._resolved(question, [validate(h, limit) for h in history if h and h.strip()], snapshot)
        query = self._vectors.encode(resolved, snapshot)
        hits, sentences = self._gather(snapshot, query, top_k or self.settings.top_k, mode or self.settings.retrieval, True)
        return Evidence(question, snapshot, hits, sentences)

    def _gather(
        self, snapshot: IndexSnapshot, query: Query, top_k: int, mode: RetrievalMode, answer_type_fit: bool
    ) -> tuple[list[ChunkHit], list[SentenceEvidence]]:
        hits = retrieve_chunks(snapshot, query, mode, top_k, self.settings.fusion)
        candidates = self.settings.candidate_pool
        sentences = sentence_evidence(snapshot, query, hits, mode, candidates, self.settings.title_credit, answer_type_fit)
        return hits, sentences

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
        snapshot = self.snapshot
        query = self._vectors.encode(self._resolved(query_text, [], snapshot), None)
        return [passage(snapshot, hit) for hit in retrieve_chunks(snapshot, query, self.settings.retrieval, k, self.settings.fusion)]

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
