"""One owner of question encoding: a worker thread that encodes the questions waiting together.

Why one thread. Request threads that each ran the model paid for it twice: torch's OpenMP team is
per calling thread (a pool of request threads means a pool of teams, each with cold caches and
spinning workers on 2 cores), and OpenMP's thread count is a per-thread setting, so the count the
engine set on the thread that built it never reached the threads that answered. Here the model
runs on one thread whose thread count is set deliberately, once.

Why batches. In one forward pass a short question costs about a third of what it costs alone
(16 texts took 7.6 ms each here against 26 ms for one: the matrix products get wider, not more
numerous), so questions that arrive together are encoded in one `Embedder.encode` call. The
worker takes what is waiting; while questions have been arriving together (the last batch held
more than one caller) it also waits up to `wait_ms` for stragglers when fewer than `batch_size`
texts are there. A question on an idle server is encoded at once.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from forumqa.embedding import Embedder

log = logging.getLogger(__name__)


@dataclass
class _Job:
    """One caller's texts (a question, its follow-up form, unknown terms) and where its vectors go."""

    texts: list[str]
    future: Future[np.ndarray] = field(default_factory=Future)


def pin_threads(threads: int) -> None:
    """Set the calling thread's torch and OpenMP thread counts.

    torch and FAISS share libgomp here, and OpenMP's thread count is per thread: it has to be set
    on the thread that runs the model, not on the one that built the Engine. torch is only touched
    when it is already loaded (a stand-in embedder in the unit tests never imports it).
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        # Also torch's default for threads that have not run torch yet (a rebuild's thread): see README.
        torch.set_num_threads(threads)
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(threads)


class InferenceWorker:
    """Encodes texts for many calling threads on one dedicated thread, in batches.

    `encode` is a drop-in for `Embedder.encode` that any thread may call; it blocks until that
    caller's vectors are ready. An exception fails only the caller whose texts caused it: a batch
    that raises is encoded again one caller at a time. The thread starts on first use and is a
    daemon, so an Engine nobody closes never keeps a process alive; `close()` stops it cleanly and a
    later call starts a fresh one. After `idle_s` without a question the thread ends by itself, so the
    worker of an Engine that was dropped without close() (and the model it holds) is not kept alive
    for the rest of the process; the next question starts a new one.
    """

    def __init__(
        self,
        embedder: Embedder,
        batch_size: int = 32,
        wait_ms: float = 1.0,
        threads: int | None = 1,
        idle_s: float = 60.0,
    ) -> None:
        self.embedder = embedder
        self.batch_size = max(1, batch_size)
        self.wait_s = max(0.0, wait_ms) / 1000
        self.threads = threads
        self.idle_s = idle_s
        self.batches = 0  # forward passes so far, for benchmarks and tests
        self._lock = threading.Lock()
        # None on the queue is close()'s stop marker: the worker serves what was queued before it, then exits.
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ callers

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """Queue `texts`; the Future gets a float32 array (len(texts), dimension) or the exception."""
        job = _Job(list(texts))
        if not job.texts:
            job.future.set_result(np.zeros((0, self.embedder.dimension), dtype=np.float32))
            return job.future
        with self._lock:  # so that close() never strands a job behind its stop marker
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name="forumqa-inference", daemon=True)
                self._thread.start()
            self._queue.put(job)
        return job.future

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.submit(texts).result()

    def close(self, timeout: float = 10.0) -> None:
        """Serve what is queued, then stop the thread (idempotent)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
            self._queue = queue.SimpleQueue()  # the next submit starts a fresh thread on a fresh queue
        thread.join(timeout)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # ------------------------------------------------------------ the thread

    def _run(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        if self.threads is not None:
            try:
                pin_threads(self.threads)
            except Exception as error:  # a thread count is a tuning, never a reason to serve no question
                log.warning("could not set the inference thread count to %d: %s", self.threads, error)
        carried: _Job | None = None
        together = False  # the last batch served more than one caller: company is likely, worth a short wait
        while True:
            first = carried if carried is not None else self._next(jobs)
            if first is None:
                return
            batch, carried, stop = self._gather(first, jobs, self.wait_s if together else 0.0)
            together = len(batch) > 1
            self._encode(batch)
            if stop:
                return

    def _next(self, jobs: queue.SimpleQueue[_Job | None]) -> _Job | None:
        """The next job, or None to end the thread: close()'s marker, or `idle_s` without a question."""
        while True:
            try:
                return jobs.get(timeout=self.idle_s)
            except queue.Empty:
                with self._lock:  # submit() puts under this lock: an empty queue here stays empty until we are gone
                    if jobs.empty() and self._thread is threading.current_thread():
                        self._thread = None
                        return None
                # close() replaced this thread (its marker is on our queue) or a question came: serve on.

    def _gather(self, first: _Job, jobs: queue.SimpleQueue[_Job | None], wait_s: float) -> tuple[list[_Job], _Job | None, bool]:
        """`first` and what else comes within `wait_s`, up to `batch_size` texts; the job that did not fit is carried over."""
        batch, size = [first], len(first.texts)
        deadline = time.perf_counter() + wait_s
        while size < self.batch_size:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    job = jobs.get(timeout=remaining)
                except queue.Empty:
                    break
            if job is None:
                return batch, None, True
            if size + len(job.texts) > self.batch_size:
                return batch, job, False
            batch.append(job)
            size += len(job.texts)
        return batch, None, False

    def _encode(self, batch: list[_Job]) -> None:
        live = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if not live:
            return
        texts = [text for job in live for text in job.texts]
        try:
            vectors = self._forward(texts)
        except Exception as error:
            if len(live) == 1:
                live[0].future.set_exception(error)
                return
            log.debug("a batch of %d questions failed (%s); encoding them one by one", len(live), error)
            for job in live:
                try:
                    job.future.set_result(self._forward(job.texts))
                except Exception as single:
                    job.future.set_exception(single)
            return
        at = 0
        for job in live:
            job.future.set_result(vectors[at : at + len(job.texts)])
            at += len(job.texts)

    def _forward(self, texts: list[str]) -> np.ndarray:
        vectors = self.embedder.encode(texts)
        self.batches += 1
        if vectors.shape[0] != len(texts):
            raise ValueError(f"the embedder returned {vectors.shape[0]} vectors for {len(texts)} texts")
        return vectors
