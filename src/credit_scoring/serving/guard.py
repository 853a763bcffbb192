"""Guards of each API worker process: it ends with its supervisor, and its connections are
bounded in time and number.

- A worker of ``credit-scoring serve --workers N`` asks the kernel for SIGTERM when the
  supervisor dies (``prctl(PR_SET_PDEATHSIG)``) and also watches its parent's pid, so a
  SIGKILLed supervisor leaves no worker answering unsupervised (and a new ``serve`` can bind
  the port).
- :class:`GuardedHttpToolsProtocol` (uvicorn's httptools protocol plus timers): the request
  head must arrive within the header timeout and the body within the body timeout (else the
  connection is answered 408 and closed), and beyond the cap of idle keep-alive connections
  per worker the oldest idle one is closed. uvicorn alone waits for ever on a client that
  connects and sends nothing, or sends its body a byte a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import threading
import time
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger("credit_scoring.serving")

#: Environment variable naming the supervisor's pid (set by ``serve`` for its workers).
SUPERVISOR_PID_ENV = "CREDIT_SCORING_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 0.5
#: A worker still alive this long after its SIGTERM (a stuck shutdown) exits at once.
_FORCE_EXIT_SECONDS = 20.0


def exit_with_supervisor(supervisor_pid: int | None) -> None:
    """End this worker (SIGTERM, then a hard exit if the graceful shutdown hangs) as soon as
    ``supervisor_pid`` is no longer its parent. No-op without a supervisor."""
    if supervisor_pid is None or supervisor_pid == os.getpid():
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == supervisor_pid:
            time.sleep(_WATCH_SECONDS)
        logger.warning(
            "the serve supervisor is gone; this worker stops",
            extra={"fields": {"supervisor_pid": supervisor_pid}},
        )
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(_FORCE_EXIT_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


def supervisor_pid_from_environment() -> int | None:
    value = os.environ.get(SUPERVISOR_PID_ENV, "")
    return int(value) if value.isdigit() else None


_TIMEOUT_BODY = b'{"detail":"request not received in time"}'
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n"
    + _TIMEOUT_BODY
)  # fmt: skip


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header/body read timeouts and an idle-connection cap
    (limits from the settings, read once per worker)."""

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0
    max_idle: ClassVar[int] = 256
    _configured: ClassVar[bool] = False
    #: Idle connections of this worker, oldest first (dict: ordered, O(1) removal).
    _idle: ClassVar[dict[GuardedHttpToolsProtocol, None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not GuardedHttpToolsProtocol._configured:
            _configure()
        self._read_timer: asyncio.TimerHandle | None = None

    # -- timers ---------------------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            with contextlib.suppress(Exception):
                self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

    # -- idle bookkeeping -----------------------------------------------------------------------
    def _became_idle(self) -> None:
        idle = GuardedHttpToolsProtocol._idle
        idle[self] = None
        while len(idle) > self.max_idle:
            oldest = next(iter(idle))
            idle.pop(oldest, None)
            if not oldest.transport.is_closing():
                oldest.transport.close()

    def _busy(self) -> None:
        GuardedHttpToolsProtocol._idle.pop(self, None)

    # -- uvicorn's hooks ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)  # the first request head, from the first byte on
        self._became_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._busy()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._busy()
        self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._became_idle()


def _configure() -> None:
    from credit_scoring.settings import get_settings

    settings = get_settings()
    GuardedHttpToolsProtocol.header_timeout = settings.api_header_timeout_seconds
    GuardedHttpToolsProtocol.body_timeout = settings.api_body_timeout_seconds
    GuardedHttpToolsProtocol.max_idle = settings.api_max_idle_connections
    GuardedHttpToolsProtocol._configured = True
