"""What one API worker holds while it runs (built by the app's lifespan, never at import)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

_DB_CHECK_SECONDS = 1.0


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
    #: Salt of the client-id hashes in logs (per process: no cross-process linkage).
    log_salt: str = field(default_factory=lambda: secrets.token_hex(8))
    _db_checked_at: float = -1e9
    _db_ok: bool = False

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
