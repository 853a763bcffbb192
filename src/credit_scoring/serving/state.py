"""What one API worker holds while it runs (built by the app's lifespan, never at import)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text

from credit_scoring.serving.decision_log.drain import DecisionDrain
from credit_scoring.serving.decision_log.drain_process import DrainProcess
from credit_scoring.serving.decision_log.spool import SpoolFile, SpoolWriter
from credit_scoring.serving.keys import KeyVerifier
from credit_scoring.serving.observability import Metrics
from credit_scoring.settings import Settings

if TYPE_CHECKING:
    from credit_scoring.serving.runtime import ModelRuntime
    from credit_scoring.serving.scorer import ServedModel

logger = logging.getLogger("credit_scoring.serving")

_DB_CHECK_SECONDS = 1.0
_ALERT_REFRESH_SECONDS = 30.0


@dataclass
class Services:
    settings: Settings
    engine: Engine
    metrics: Metrics
    runtime: ModelRuntime[ServedModel]
    spool: SpoolFile
    writer: SpoolWriter
    drain: DecisionDrain | DrainProcess
    keys: KeyVerifier
    #: Makes (not starts) the drain of a spool file: used again when the spool is re-created.
    make_drain: Callable[[SpoolFile], DecisionDrain | DrainProcess] | None = None
    #: Salt of the client-id hashes in logs (per process: no cross-process linkage).
    log_salt: str = field(default_factory=lambda: secrets.token_hex(8))
    _db_checked_at: float = -1e9
    _db_ok: bool = False
    _alerts_read_at: float = -1e9

    def database_reachable(self) -> bool:
        """``SELECT 1`` at most once a second (blocking; call from a thread)."""
        now = time.monotonic()
        if now - self._db_checked_at >= _DB_CHECK_SECONDS:
            try:
                with self.engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                self._db_ok = True
            except Exception:
                self._db_ok = False
            self._db_checked_at = now
        return self._db_ok

    def readiness(self, *, database: bool) -> tuple[bool, dict[str, Any]]:
        """Whether this worker may take decisions safely, and the probe's body (no paths,
        no exception text: the probe is public)."""
        settings = self.settings
        served = self.runtime.current
        present = self.spool.present()
        try:
            depth = self.spool.depth()
        except Exception:  # the spool file itself failing
            depth, present = -1, False
        health = self.drain.health()
        # The drain failing to reach the database is news fresher than the cached SELECT 1.
        database = database and not (health.failures and health.error_class == "unreachable")
        problems = []
        if served is None:
            problems.append(
                f"no model loaded ({self.runtime.last_error_class or 'loading'}; "
                "the server log has the detail)"
            )
        if not database:
            problems.append("database unreachable")
        if not present:
            problems.append("spool file missing or replaced; being re-created")
        if depth > settings.spool_max_depth:
            problems.append(f"spool depth over the limit of {settings.spool_max_depth}")
        if health.failures and health.error_class not in (None, "unreachable"):
            problems.append(f"decision log refuses writes ({health.error_class} error)")
        if depth > 0 and health.last_success_age_seconds > settings.drain_stale_seconds:
            problems.append(
                f"no successful drain for {health.last_success_age_seconds:.0f} s "
                "with decisions waiting"
            )
        ready = not problems
        body = {
            "status": "ready" if ready else "not ready",
            "model_loaded": served is not None,
            "model_version": served.model_version if served else None,
            "database": database,
            "spool_depth": depth,
            "spool_limit": settings.spool_max_depth,
            "spool_present": present,
            "drain": {
                "consecutive_failures": health.failures,
                "error_class": health.error_class,
                "last_success_age_seconds": round(health.last_success_age_seconds, 3),
            },
            "detail": "; ".join(problems) or None,
        }
        return ready, body

    def refresh_alert_values(self) -> None:
        """Set the alert gauges from the database, at most every 30 s (blocking)."""
        from credit_scoring.store.alert_reads import alert_values

        now = time.monotonic()
        if now - self._alerts_read_at < _ALERT_REFRESH_SECONDS:
            return
        self._alerts_read_at = now
        for name, value in alert_values(self.engine).items():
            self.metrics.alert_gauges[name].set(value)

    def publish_health(self, *, ready: bool | None = None) -> None:
        """The drain's and the spool's state (and readiness, when given) as metrics: the
        alert rules read them."""
        health = self.drain.health()
        self.metrics.drain_failures.set(health.failures)
        self.metrics.drain_last_success_age.set(health.last_success_age_seconds)
        self.metrics.spool_present.set(1 if self.spool.present() else 0)
        if ready is not None:
            self.metrics.ready.set(1 if ready else 0)

    def publish_current_health(self) -> None:
        """:meth:`publish_health` with the readiness /readyz would answer now (blocking)."""
        ready, _ = self.readiness(database=self.database_reachable())
        self.publish_health(ready=ready)

    def replace_spool(self) -> None:
        """Re-create a spool file that vanished (blocking; call after ``writer.refuse()``).

        Appends are refused meanwhile (503: nothing is answered without being durable). The
        rows still in the old file (deleted from the folder but open here) are copied into a
        new file at the same path, a new writer takes appends at once and a new drain starts;
        then the old drain stops (a row both drains copy is written once: idempotent on
        request id) and the old file is let go."""
        if self.make_drain is None:  # pragma: no cover - always set by the app
            raise RuntimeError("no drain factory")
        old_spool, old_drain = self.spool, self.drain
        self.writer.close()
        fresh = old_spool.reopen()
        self.spool = fresh
        self.writer = SpoolWriter(fresh)
        drain = self.make_drain(fresh)
        drain.start()
        self.drain = drain
        old_drain.stop()
        old_spool.close()
        logger.warning(
            "spool file re-created; decisions still waiting were carried over",
            extra={"fields": {"spool": fresh.path.name, "waiting": fresh.depth()}},
        )
