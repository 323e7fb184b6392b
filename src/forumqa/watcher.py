"""Rebuilds a server runs on its own (at start-up, on `--watch`, on /api/reindex) and what /api/health says about them.

A failed rebuild never takes the server down: the previous index keeps answering, the failure is
logged in one line, and /api/health reports it until a later rebuild succeeds.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from forumqa.engine import Engine
from forumqa.errors import ForumQAError, ReindexInProgressError
from forumqa.index import BuildReport

log = logging.getLogger("forumqa")

Trigger = Literal["start", "watch", "api", "upload", "delete"]
#: Seconds before watching starts again after the watcher itself failed (folder removed, inotify limits).
RETRY_SECONDS = 5.0
#: How often the watcher looks whether a rebuild started elsewhere (/api/reindex) has finished.
BUSY_POLL_SECONDS = 0.5
MAX_ERROR_CHARS = 300


def one_line(error: BaseException) -> str:
    """A failure as one readable line: our own errors are written for people; others get their type named."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    line = text if isinstance(error, ForumQAError) else f"{type(error).__name__}: {text}".rstrip(": ")
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class RebuildStatus:
    at: str
    ok: bool
    trigger: Trigger
    error: str | None = None
    #: What a successful rebuild did (added, skipped with reasons), so the page can show an upload's outcome.
    report: BuildReport | None = None


class RebuildLog:
    """Runs rebuilds and remembers the last one's outcome; shared by the watcher thread and request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: RebuildStatus | None = None
        self._wanted: tuple[Engine, Trigger] | None = None
        self._worker: threading.Thread | None = None

    @property
    def last(self) -> RebuildStatus | None:
        with self._lock:
            return self._last

    @property
    def pending(self) -> bool:
        """A rebuild asked for with `run_soon` has not finished: /api/health says "reindexing" from the moment it is asked for."""
        with self._lock:
            return self._worker is not None

    def run_soon(self, engine: Engine, trigger: Trigger) -> None:
        """A rebuild in a background thread that starts after the one running now, if any.

        Files changed before this call are in that rebuild; requests that arrive while it waits share it,
        and one that arrives while it runs gets one more after it.
        """
        with self._lock:
            self._wanted = (engine, trigger)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="forumqa-rebuild", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._wanted is None:
                    self._worker = None
                    return
                engine, trigger = self._wanted
                self._wanted = None
            while True:
                try:
                    self.run(engine, trigger)
                    break
                except ReindexInProgressError:
                    time.sleep(BUSY_POLL_SECONDS)
                except Exception:  # already logged and recorded by run()
                    break

    def run(self, engine: Engine, trigger: Trigger) -> BuildReport:
        """engine.reindex(), recorded and logged; its exception is re-raised for the caller to report.

        A refusal because another rebuild runs is not a rebuild and is not recorded.
        """
        try:
            report = engine.reindex()
        except ReindexInProgressError:
            raise
        except Exception as error:
            self._record(RebuildStatus(_now(), False, trigger, one_line(error)))
            if isinstance(error, ForumQAError):
                log.error("re-index (%s) failed: %s", trigger, one_line(error))
            else:
                log.exception("re-index (%s) failed: %s", trigger, one_line(error))
            raise
        self._record(RebuildStatus(_now(), True, trigger, report=report))
        log_report(report, trigger)
        return report

    def _record(self, status: RebuildStatus) -> None:
        with self._lock:
            self._last = status


def log_report(report: BuildReport, trigger: Trigger) -> None:
    log.info(
        "re-indexed (%s): %d documents, %d added, %d changed, %d removed, %d embedded in %.1fs",
        trigger,
        report.documents,
        len(report.added),
        len(report.changed),
        len(report.removed),
        report.embedded,
        report.seconds,
    )
    for skipped in report.skipped:
        log.warning("skipped %s: %s", skipped.source, skipped.reason)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Watcher:
    """A daemon thread that re-indexes after changes in the documents folder settle.

    It survives everything: a failed rebuild is recorded and watching goes on; a failure of the
    watching itself is logged and watching starts again after RETRY_SECONDS.
    """

    def __init__(self, engine: Engine, rebuilds: RebuildLog) -> None:
        self.engine = engine
        self.rebuilds = rebuilds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forumqa-watch", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        from watchfiles import watch

        settings = self.engine.settings
        while not self._stop.is_set():
            try:
                for changes in watch(
                    settings.documents_dir, debounce=settings.watch_debounce_ms, stop_event=self._stop, raise_interrupt=False
                ):
                    log.info("documents changed (%d files): re-indexing", len(changes))
                    self.rebuild()
            except Exception as error:
                log.error("watching %s failed (%s); trying again in %.0f s", settings.documents_dir, one_line(error), RETRY_SECONDS)
                self._stop.wait(RETRY_SECONDS)

    def rebuild(self) -> None:
        """One rebuild after the one running now (if any), which may have started before these changes.

        Every failure is already logged and recorded by RebuildLog, so it ends here: the thread lives on.
        """
        while not self._stop.is_set():
            try:
                self.rebuilds.run(self.engine, "watch")
                return
            except ReindexInProgressError:
                self._stop.wait(BUSY_POLL_SECONDS)
            except Exception:
                return
