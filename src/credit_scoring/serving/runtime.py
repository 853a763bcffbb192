"""The served model behind one reference, replaced without dropping requests.

A reload loads the new bundle and its history cache beside the old one (in a worker thread,
so requests keep being answered by the old model), then swaps the single reference. A request
takes the reference once at its start, so it is scored entirely by one model.

Reloads happen on ``POST /v1/admin/reload`` (this worker at once, the other workers of the
host through a touched marker file they watch) and when polling sees the model reference
point to something new (e.g. the registry's ``champion`` alias moved).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.schemas import ReloadResult

logger = logging.getLogger(__name__)

#: Seconds between checks of the reload marker (cheap: one ``stat``).
MARKER_CHECK_SECONDS = 1.0


class Servable(Protocol):
    """What the runtime needs from a loaded model."""

    model_version: str
    bundle_checksum: str
    identity: str

    def close(self) -> None: ...


def _history_version(model: object) -> str | None:
    """The history store version a loaded model serves (None for models without one)."""
    version = getattr(model, "history_version", None)
    return str(version) if version is not None else None


M = TypeVar("M", bound=Servable)


class ModelRuntime(Generic[M]):
    """Holds :attr:`current` and replaces it atomically (see the module docstring).

    ``loader(uri)`` loads a model (blocking); ``identify(uri)`` cheaply names what ``uri``
    points to now (e.g. the registry version behind an alias), so polling reloads only on a
    change.
    """

    def __init__(
        self,
        uri: str,
        *,
        loader: Callable[[str], M],
        identify: Callable[[str], str],
        marker_path: Path | None = None,
        on_swap: Callable[[M], None] | None = None,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        self.uri = uri
        self.current: M | None = None
        self.last_error: str | None = None
        #: The class of the last load error only (what probes and answers may show).
        self.last_error_class: str | None = None
        self._loader = loader
        self._identify = identify
        self._marker_path = marker_path
        self._marker_seen = self._marker_mtime()
        self._on_swap = on_swap or (lambda _m: None)
        self._on_error = on_error or (lambda: None)
        self._lock = asyncio.Lock()

    async def reload(self, *, force: bool = False) -> ReloadResult:
        """Load ``uri`` and swap it in (unless unchanged and not ``force``)."""
        async with self._lock:
            previous = self.current
            if not force and previous is not None:
                identity = await run_in_threadpool(self._identify, self.uri)
                if identity == previous.identity:
                    return ReloadResult(
                        previous_version=previous.model_version,
                        model_version=previous.model_version,
                        bundle_checksum=previous.bundle_checksum,
                        changed=False,
                        history_version=_history_version(previous),
                        previous_history_version=_history_version(previous),
                    )
            started = time.perf_counter()
            try:
                loaded = await run_in_threadpool(self._loader, self.uri)
            except Exception as exc:
                self.last_error = f"{exc.__class__.__name__}: {exc}"
                self.last_error_class = exc.__class__.__name__
                logger.error(
                    "model load failed", extra={"fields": {"error": self.last_error[:500]}}
                )
                self._on_error()
                raise
            self.current = loaded
            self.last_error = self.last_error_class = None
            # The model, its history cache and everything imported so far live as long as the
            # process: freezing them keeps full collections (hundreds of ms) off the request path.
            gc.freeze()
            self._on_swap(loaded)
            changed = (
                previous is None
                or previous.bundle_checksum != loaded.bundle_checksum
                or _history_version(previous) != _history_version(loaded)
            )
            logger.info(
                "model loaded",
                extra={
                    "fields": {
                        "model_version": loaded.model_version,
                        "previous_version": previous.model_version if previous else None,
                        "history_version": _history_version(loaded),
                        "seconds": round(time.perf_counter() - started, 3),
                    }
                },
            )
            # Requests that took the old reference finish with it; it is only garbage now.
            if previous is not None and previous is not loaded:
                with contextlib.suppress(Exception):
                    previous.close()
            return ReloadResult(
                previous_version=previous.model_version if previous else None,
                model_version=loaded.model_version,
                bundle_checksum=loaded.bundle_checksum,
                changed=changed,
                history_version=_history_version(loaded),
                previous_history_version=_history_version(previous) if previous else None,
            )

    def unfreeze(self) -> None:
        """Make what :meth:`reload` froze collectable again (the API is stopping): frozen
        objects are never freed, so native extensions saw their objects outlive the
        interpreter (DuckDB's reported "nanobind: leaked 27 instances" at the end of a test
        run that had served a model)."""
        gc.unfreeze()

    def request_reload_everywhere(self) -> None:
        """Touch the marker so the other workers of this host reload too."""
        if self._marker_path is None:
            return
        self._marker_path.parent.mkdir(parents=True, exist_ok=True)
        self._marker_path.touch()
        self._marker_seen = self._marker_mtime()

    def _marker_mtime(self) -> float:
        if self._marker_path is None:
            return 0.0
        try:
            return self._marker_path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    async def watch(self, poll_seconds: float) -> None:
        """Reload when the marker is touched, and (``poll_seconds`` > 0) when ``uri`` changes
        or while no model could be loaded yet. Runs until cancelled."""
        next_poll = time.monotonic() + poll_seconds if poll_seconds > 0 else float("inf")
        retry_seconds = max(min(poll_seconds, 5.0), 1.0) if poll_seconds > 0 else 5.0
        next_retry = time.monotonic() + retry_seconds
        while True:
            await asyncio.sleep(MARKER_CHECK_SECONDS)
            now = time.monotonic()
            marker = self._marker_mtime()
            try:
                if marker > self._marker_seen:
                    self._marker_seen = marker
                    await self.reload(force=True)
                elif self.current is None and now >= next_retry:
                    next_retry = now + retry_seconds
                    await self.reload(force=True)
                elif now >= next_poll:
                    next_poll = now + poll_seconds
                    await self.reload(force=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "model reload failed; still serving the previous model",
                    extra={"fields": {"error": f"{exc.__class__.__name__}: {exc}"[:300]}},
                )
