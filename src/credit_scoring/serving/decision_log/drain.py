"""Background drain: spool → decision-log database, in batches, idempotent on request id.

A drain per worker moves its own spool's rows into the database (see
:mod:`~credit_scoring.serving.decision_log.sink`) and deletes them from the spool only after
the database committed. While the database is down the rows wait and the drain retries with a
capped backoff; spool files of dead workers are adopted and drained too. The loop runs on a
thread — of the worker, or of the worker's drain process (:mod:`.drain_process`, the default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from credit_scoring.serving.decision_log.health import DrainHealth, classify_drain_error
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import (
    SpoolFile,
    SpoolSync,
    find_spool_files,
)

logger = logging.getLogger(__name__)

_MAX_BACKOFF_SECONDS = 5.0


class DecisionDrain:
    """The drain loop of one worker, on its own thread (see the module docstring)."""

    def __init__(
        self,
        *,
        spool: SpoolFile,
        sink: DecisionSink,
        batch_size: int,
        interval_seconds: float,
        sync: SpoolSync,
        on_depth: Callable[[int], None] | None = None,
        on_drained: Callable[[int], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        adopt_every_seconds: float = 5.0,
    ) -> None:
        self.spool = spool
        self.sink = sink
        self.batch_size = batch_size
        self.interval_seconds = interval_seconds
        self.sync = sync
        self._on_depth = on_depth or (lambda _n: None)
        self._on_drained = on_drained or (lambda _n: None)
        self._on_error = on_error or (lambda _class: None)
        self._adopt_every = adopt_every_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_adopt = 0.0
        self.failures = 0
        self.last_error: str | None = None
        self.error_class: str | None = None
        #: Wall-clock time of the last pass that reached the database (start counts as one).
        self.last_success = time.time()
        #: ``time.monotonic()`` when the pass in progress started (``None`` between passes).
        self.busy_since: float | None = None

    def health(self) -> DrainHealth:
        return DrainHealth(self.failures, self.error_class, DrainHealth.age(self.last_success))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="decision-drain", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, then try once more to drain what is left (kept if it fails)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            while self.drain_once(self.spool) == self.batch_size:
                pass
        except Exception as exc:  # the rows stay in the spool for the next start
            logger.warning(
                "final drain failed; decisions stay in the spool",
                extra={"fields": {"error": exc.__class__.__name__}},
            )

    def drain_once(self, spool: SpoolFile) -> int:
        """Move up to ``batch_size`` rows of ``spool`` to the database; returns how many."""
        rows = spool.peek(self.batch_size)
        if not rows:
            return 0
        self.sink.write(rows)
        spool.delete_through(rows[-1].seq)
        self._on_drained(len(rows))
        return len(rows)

    def wait_until_empty(self, timeout: float = 10.0) -> bool:
        """Block until the own spool is empty (tests, shutdown); ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.spool.depth() == 0:
                return True
            self._wake.set()
            time.sleep(0.01)
        return self.spool.depth() == 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.busy_since = time.monotonic()
            try:
                moved = self.drain_once(self.spool)
                self._on_depth(self.spool.depth())
                if time.monotonic() >= self._next_adopt:
                    self._next_adopt = time.monotonic() + self._adopt_every
                    moved += self._adopt_orphans()
                if self.failures:
                    logger.info(
                        "decision log writable again",
                        extra={"fields": {"failed_attempts": self.failures}},
                    )
                self.failures = 0
                self.last_error = self.error_class = None
                self.last_success = time.time()
                if moved >= self.batch_size:
                    continue
                wait = self.interval_seconds
            except Exception as exc:
                self.failures += 1
                self.last_error = exc.__class__.__name__
                self.error_class = classify_drain_error(exc)
                self._on_error(self.error_class)
                if self.failures == 1 or self.failures % 50 == 0:
                    # Unreachable heals by itself; a schema or constraint error needs a person.
                    level = logging.WARNING if self.error_class == "unreachable" else logging.ERROR
                    logger.log(
                        level,
                        "decision log write failed; decisions wait in the spool",
                        extra={
                            "fields": {
                                "error_class": self.error_class,
                                "error": self.last_error,
                                "attempt": self.failures,
                            }
                        },
                    )
                try:
                    self._on_depth(self.spool.depth())
                except Exception:  # pragma: no cover - the spool file itself failing
                    logger.exception("cannot read the spool depth")
                backoff = self.interval_seconds * 2 ** min(self.failures, 10)
                wait = min(backoff, _MAX_BACKOFF_SECONDS)
            self.busy_since = None
            self._wake.wait(wait)
            self._wake.clear()

    def _adopt_orphans(self) -> int:
        moved = 0
        for path in find_spool_files(self.spool.path.parent):
            if path == self.spool.path:
                continue
            orphan = SpoolFile.adopt(path, sync=self.sync)
            if orphan is None:
                continue
            try:
                while (n := self.drain_once(orphan)) > 0:
                    moved += n
                if orphan.depth() == 0:
                    logger.info(
                        "drained a spool left by a stopped worker",
                        extra={"fields": {"spool": path.name, "decisions": moved}},
                    )
            finally:
                orphan.close()
        return moved
