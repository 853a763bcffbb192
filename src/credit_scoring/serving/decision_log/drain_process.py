"""The drain of one worker run in a child process, so it never competes for the worker's GIL.

Copying a batch of decisions to the database is mostly Python (reading spool rows, encoding
COPY rows): as a thread of the worker it takes the GIL from the requests being scored —
about 20 ms per 1,000 decisions. In a child process it runs on the other core, at a lower
CPU priority (``nice``), with the same :class:`~.drain.DecisionDrain` loop.

The worker keeps the spool file's lock; the child opens the file for reading and deleting
only (SQLite orders its deletes with the worker's appends). Counters the worker's metrics
report (decisions drained, drain errors, failed attempts in a row) live in shared memory; a
monitor thread in the worker publishes them and restarts the child should it die. The child
exits when asked, after a final drain, or as soon as the worker is gone (another worker
then adopts the spool file). :meth:`DrainProcess.drain_once` and the final drain of
:meth:`DrainProcess.stop` run in the worker itself, like the thread version's.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized, SynchronizedArray
from multiprocessing.synchronize import Event
from pathlib import Path

from credit_scoring.serving.decision_log.drain import DecisionDrain
from credit_scoring.serving.decision_log.health import DRAIN_ERROR_CLASSES, DrainHealth
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import SpoolFile, SpoolSync
from credit_scoring.store.engine import DatabaseTimeouts

logger = logging.getLogger(__name__)

#: CPU priority of the drain process relative to the worker (higher: yields more).
DRAIN_NICENESS = 5
_MONITOR_SECONDS = 0.25
_RESTART_PAUSE_SECONDS = 2.0
_CONTEXT = multiprocessing.get_context("spawn")


class DrainProcess:
    """A worker's drain in a child process; the surface of :class:`~.drain.DecisionDrain`
    the API uses (``start``, ``stop``, ``wake``, ``wait_until_empty``, ``drain_once``,
    ``failures``, ``last_error``, ``spool``)."""

    def __init__(
        self,
        *,
        spool: SpoolFile,
        sink: DecisionSink,
        database_url: str,
        batch_size: int,
        interval_seconds: float,
        sync: SpoolSync,
        timeouts: DatabaseTimeouts | None = None,
        log_level: str = "INFO",
        pass_timeout_seconds: float | None = None,
        on_depth: Callable[[int], None] | None = None,
        on_drained: Callable[[int], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.spool = spool
        self.sink = sink
        self.batch_size = batch_size
        self._local = DecisionDrain(
            spool=spool, sink=sink, batch_size=batch_size, interval_seconds=interval_seconds,
            sync=sync, on_drained=on_drained,
        )  # fmt: skip
        self._args = (str(spool.path), database_url, batch_size, interval_seconds, sync)
        self._child_options = {
            "timeouts": timeouts,
            "log_level": log_level,
            "pass_timeout_seconds": pass_timeout_seconds,
        }
        self._on_depth = on_depth or (lambda _n: None)
        self._on_drained = on_drained or (lambda _n: None)
        self._on_error = on_error or (lambda _class: None)
        self._stop_child: Event = _CONTEXT.Event()
        self._wake_child: Event = _CONTEXT.Event()
        self._drained: Synchronized[int] = _CONTEXT.Value("q", 0)
        self._errors: Synchronized[int] = _CONTEXT.Value("q", 0)
        self._failures: Synchronized[int] = _CONTEXT.Value("q", 0)
        #: Errors by class (indexes of DRAIN_ERROR_CLASSES), the last error's class (-1: none)
        #: and the wall-clock time of the last successful pass, written by the child.
        self._class_errors: SynchronizedArray[int] = _CONTEXT.Array("q", len(DRAIN_ERROR_CLASSES))
        self._error_class: Synchronized[int] = _CONTEXT.Value("i", -1)
        self._last_success: Synchronized[float] = _CONTEXT.Value("d", time.time())
        self._seen_class_errors = [0] * len(DRAIN_ERROR_CLASSES)
        self._final_health: DrainHealth | None = None
        self._seen_drained = 0
        self._seen_errors = 0
        self._child: BaseProcess | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._spawned_at = 0.0
        self._released = False
        self._final_failures = 0
        self.restarts = 0

    # -- the DecisionDrain surface ------------------------------------------------------------
    @property
    def failures(self) -> int:
        return self._final_failures if self._released else int(self._failures.value)

    @property
    def last_error(self) -> str | None:
        health = self.health()
        return f"decision log write failed ({health.error_class})" if health.failures else None

    def health(self) -> DrainHealth:
        if self._released:
            return self._final_health or DrainHealth(self._final_failures, None, 0.0)
        index = int(self._error_class.value)
        return DrainHealth(
            int(self._failures.value),
            DRAIN_ERROR_CLASSES[index] if index >= 0 else None,
            DrainHealth.age(float(self._last_success.value)),
        )

    def start(self) -> None:
        self._spawn()
        self._monitor = threading.Thread(target=self._watch, name="drain-monitor", daemon=True)
        self._monitor.start()

    def wake(self) -> None:
        if not self._released:
            self._wake_child.set()

    def drain_once(self, spool: SpoolFile) -> int:
        """Move up to ``batch_size`` rows of ``spool`` to the database from this process."""
        return self._local.drain_once(spool)

    def wait_until_empty(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        empty = self.spool.depth() == 0
        while not empty and not self._released and time.monotonic() < deadline:
            self._wake_child.set()
            time.sleep(0.01)
            empty = self.spool.depth() == 0
        self._publish()
        return empty

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child (it drains what it can first), drain once more from here, and release
        the shared semaphores."""
        if self._released:
            return
        self._stopping.set()
        self._stop_child.set()
        self._wake_child.set()
        if self._monitor is not None:
            self._monitor.join(timeout)
        child = self._child
        if child is not None:
            child.join(timeout)
            if child.is_alive():
                child.kill()
                child.join(1.0)
        self._publish()
        self._local.stop(timeout)  # no thread of its own: only its final drain runs
        self._release_shared()

    def _release_shared(self) -> None:
        """Unlink the events' and counters' semaphores now, by dropping every reference to them.

        multiprocessing unlinks them in its exit finalizers, but a uvicorn worker ends by
        re-raising its stop signal, so those never run there and the resource tracker reported
        13 "leaked semaphore objects" per worker when ``serve`` stopped.
        """
        self._final_failures = int(self._failures.value)
        self._final_health = self.health()
        self._released = True
        # (The process object let go of its arguments when it started.)
        del self._stop_child, self._wake_child, self._drained, self._errors, self._failures
        del self._class_errors, self._error_class, self._last_success

    # -- the child ----------------------------------------------------------------------------
    def _spawn(self) -> None:
        child = _CONTEXT.Process(
            target=_drain_main,
            args=(*self._args, os.getpid(), self._stop_child, self._wake_child),
            kwargs={
                "drained": self._drained,
                "errors": self._errors,
                "failures": self._failures,
                "class_errors": self._class_errors,
                "error_class": self._error_class,
                "last_success": self._last_success,
                **self._child_options,
            },
            name="decision-drain",
            daemon=True,
        )
        child.start()
        self._child = child
        self._spawned_at = time.monotonic()

    def _publish(self) -> None:
        if self._released:
            return
        drained, errors = int(self._drained.value), int(self._errors.value)
        if drained > self._seen_drained:
            self._on_drained(drained - self._seen_drained)
            self._seen_drained = drained
        self._seen_errors = errors
        for index, name in enumerate(DRAIN_ERROR_CLASSES):
            count = int(self._class_errors[index])
            for _ in range(count - self._seen_class_errors[index]):
                self._on_error(name)
            self._seen_class_errors[index] = count
        with contextlib.suppress(Exception):  # the spool file itself failing: reported elsewhere
            self._on_depth(self.spool.depth())

    def _watch(self) -> None:
        while not self._stopping.wait(_MONITOR_SECONDS):
            self._publish()
            child = self._child
            if child is not None and not child.is_alive() and not self._stopping.is_set():
                # A child that dies at once (e.g. a broken install) is retried at most about
                # once per _RESTART_PAUSE_SECONDS, not on every monitor tick.
                if time.monotonic() - self._spawned_at < _RESTART_PAUSE_SECONDS:
                    continue
                self.restarts += 1
                self._on_error("other")
                logger.warning(
                    "the drain process exited; starting it again",
                    extra={"fields": {"exit_code": child.exitcode, "restarts": self.restarts}},
                )
                self._spawn()


def _drain_main(
    spool_path: str,
    database_url: str,
    batch_size: int,
    interval_seconds: float,
    sync: SpoolSync,
    parent_pid: int,
    stop: Event,
    wake: Event,
    *,
    drained: Synchronized[int],
    errors: Synchronized[int],
    failures: Synchronized[int],
    class_errors: SynchronizedArray[int] | None = None,
    error_class: Synchronized[int] | None = None,
    last_success: Synchronized[float] | None = None,
    timeouts: DatabaseTimeouts | None = None,
    log_level: str = "INFO",
    pass_timeout_seconds: float | None = None,
) -> None:  # pragma: no cover - runs in the child process (tested through its effects)
    import logging.config

    from credit_scoring.serving.observability import logging_config
    from credit_scoring.store.engine import create_db_engine

    # A spawned child starts with Python's default logging: the worker's JSON lines, here too.
    logging.config.dictConfig(logging_config(log_level))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when this stops
    with contextlib.suppress(OSError):
        os.nice(DRAIN_NICENESS)

    def add(counter: Synchronized[int], n: int) -> None:
        with counter.get_lock():
            counter.value += n

    def on_error(name: str) -> None:
        add(errors, 1)
        if class_errors is not None:
            with class_errors.get_lock():
                class_errors[DRAIN_ERROR_CLASSES.index(name)] += 1

    spool = SpoolFile.open_for_drain(Path(spool_path), sync=sync)
    engine = create_db_engine(database_url, timeouts=timeouts)
    drain = DecisionDrain(
        spool=spool,
        sink=DecisionSink(engine),
        batch_size=batch_size,
        interval_seconds=interval_seconds,
        sync=sync,
        on_drained=lambda n: add(drained, n),
        on_error=on_error,
    )
    drain.start()
    orphaned = False
    try:
        while not stop.is_set():
            if os.getppid() != parent_pid:  # the worker is gone: its file goes to another
                orphaned = True
                break
            busy = drain.busy_since
            if pass_timeout_seconds and busy and time.monotonic() - busy > pass_timeout_seconds:
                # A pass stuck on a dead connection (a peer that still ACKs, so no TCP timeout
                # fires): exit; the worker starts a new drain process on a new connection, and
                # the rows, never deleted, are copied again (idempotent on request id).
                logging.getLogger(__name__).error(
                    "drain pass stuck; restarting the drain process",
                    extra={
                        "fields": {"error_class": "unreachable", "seconds": pass_timeout_seconds}
                    },
                )
                os._exit(3)
            if wake.wait(0.1):
                wake.clear()
                drain.wake()
            failures.value = drain.failures
            if error_class is not None:
                error_class.value = (
                    DRAIN_ERROR_CLASSES.index(drain.error_class) if drain.error_class else -1
                )
            if last_success is not None:
                last_success.value = drain.last_success
    finally:
        if orphaned:
            os._exit(0)
        drain.stop()
        spool.close()
        engine.dispose()
