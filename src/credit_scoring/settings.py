"""One typed settings class, read from the environment (and an optional ``.env`` file).

Settings are built by :func:`get_settings` and passed down explicitly, so tests can
override any of them; nothing is read or created at import time.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Environment variables use the ``CREDIT_SCORING_`` prefix,
    except the two conventional URLs ``DATABASE_URL`` and ``MLFLOW_TRACKING_URI``."""

    model_config = SettingsConfigDict(
        env_prefix="CREDIT_SCORING_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Literal["development", "test", "production"] = "development"
    #: Root of every artefact the pipeline writes (data, features, models, stores).
    home: Path = Path("artifacts")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CREDIT_SCORING_DATABASE_URL")
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "CREDIT_SCORING_MLFLOW_TRACKING_URI"),
    )
    registered_model_name: str = "credit-scoring"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Business cost of a missed default (false negative) and of a refused good client.
    cost_fn: float = 10.0
    cost_fp: float = 1.0
    #: CODE_GENDER and NAME_FAMILY_STATUS serve the fairness report, not the model.
    use_protected_attributes: bool = False
    #: Engine of ``features build`` when ``--engine`` is not given (Spark for scale-out).
    feature_engine: Literal["duckdb", "spark"] = "duckdb"

    # Model governance (docs/model.md, "Lifecycle").
    #: Who approves automatically: when set, ``train`` validates, approves and promotes a
    #: candidate that beats the champion on the same data (demos only: ``make demo`` sets
    #: "make demo"). Unset: a candidate waits for ``credit-scoring model approve``.
    auto_approve_by: str | None = None
    #: Ed25519 private key that signs a trained bundle's checksums (PEM file, or the PEM text
    #: in ``CREDIT_SCORING_SIGNING_KEY``); never in the repository.
    signing_key_file: Path | None = None
    signing_key: SecretStr | None = None
    #: Public keys (PEM files, comma-separated) whose signatures serve, score-batch and the
    #: dashboard accept.
    trusted_public_keys: str | None = None
    #: Refuse an unsigned, foreign-signed or altered bundle. Unset: required in production,
    #: off elsewhere; set it to false only for local use.
    require_signed_bundles: bool | None = None
    #: A challenger scored in shadow beside the champion (bundle folder or ``models:/…``).
    challenger_uri: str | None = None

    # Scoring API (``credit-scoring serve``).
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    #: Model served by the API: a bundle folder or ``models:/<name>@<alias>`` (default: the
    #: ``champion`` alias of :attr:`registered_model_name`).
    model_uri: str | None = None
    #: Local durable spool of answered decisions (default: ``home/serving/spool``).
    spool_dir: Path | None = None
    #: ``normal``: an answered decision survives a crash of the API process (SQLite WAL, no
    #: fsync per commit); ``full``: also a power loss, at an fsync per group commit.
    spool_sync: Literal["full", "normal"] = "normal"
    #: Decisions written to the database per drain transaction, and the pause between drains.
    drain_batch_size: int = Field(default=2000, ge=1)
    drain_interval_seconds: float = Field(default=0.2, gt=0)
    #: Run each worker's drain in a child process (at a lower CPU priority) rather than a
    #: thread, so copying decisions to the database never holds the worker's GIL.
    drain_process: bool = True
    #: Largest accepted request body (413 above) and batch (422 above).
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_batch_size: int = Field(default=1000, ge=1)
    #: Half-width of the REVIEW band around the threshold, in probability units (0: no band;
    #: unset: the bundle's own band).
    review_band: float | None = Field(default=None, ge=0.0, le=0.5)
    #: Counter-offers for REFUSE/REVIEW decisions: the largest approvable amount on a grid from
    #: ``counter_offer_floor`` of the request up, in steps of ``counter_offer_step`` of the
    #: request, rounded down to ``counter_offer_rounding`` currency units.
    counter_offers: bool = True
    #: Reasons an underwriter may give for a final decision (JSON list in the environment;
    #: unset: the default list of ``credit_scoring.store.reviews``).
    review_reasons: tuple[str, ...] | None = None
    counter_offer_floor: float = Field(default=0.30, gt=0.0, lt=1.0)
    counter_offer_step: float = Field(default=0.05, gt=0.0, lt=1.0)
    counter_offer_rounding: float = Field(default=1000.0, gt=0.0)
    #: Serve without API keys: development only, refused in production and off loopback.
    open_local_mode: bool = False
    #: Seconds an API key lookup is cached (revocations reach every worker within a second
    #: regardless: each reads the revoked key ids twice a second).
    key_cache_seconds: float = Field(default=10.0, ge=0.0)
    #: While the key store is unreachable, keys verified at most this many seconds ago keep
    #: working; older ones are refused (503) until it answers again.
    key_stale_seconds: float = Field(default=60.0, ge=0.0)
    #: Timeouts of every database connection of the service (PostgreSQL): connecting, one
    #: statement, waiting for a lock, a transaction left idle; and TCP keepalives/user timeout
    #: so a dead peer is noticed in seconds, not after the kernel's two hours.
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    db_lock_timeout_seconds: float = Field(default=10.0, gt=0)
    db_idle_in_transaction_timeout_seconds: float = Field(default=60.0, gt=0)
    db_keepalive_seconds: int = Field(default=10, ge=1)
    #: A drain pass (checkout, COPY, commit) taking longer than this is abandoned: the drain
    #: process exits and is started again (rows stay in the spool until committed).
    drain_pass_timeout_seconds: float = Field(default=90.0, gt=0)
    #: Readiness: not ready when more decisions than this wait in a worker's spool, or when
    #: decisions have waited with no successful drain for longer than ``drain_stale_seconds``.
    spool_max_depth: int = Field(default=100_000, ge=1)
    drain_stale_seconds: float = Field(default=30.0, gt=0)
    #: Connections of each API worker: the whole request head must arrive within
    #: ``api_header_timeout_seconds`` and its body within ``api_body_timeout_seconds``;
    #: an idle keep-alive connection is closed after ``api_keep_alive_seconds``, and beyond
    #: ``api_max_idle_connections`` idle ones the oldest is closed.
    api_header_timeout_seconds: float = Field(default=10.0, gt=0)
    api_body_timeout_seconds: float = Field(default=30.0, gt=0)
    api_keep_alive_seconds: int = Field(default=5, ge=1)
    api_max_idle_connections: int = Field(default=256, ge=1)
    #: Seconds between checks for a new champion (0: only ``POST /v1/admin/reload``).
    reload_poll_seconds: float = Field(default=30.0, ge=0.0)
    #: One JSON log line per request (method, route, status, latency; no personal data).
    access_log: bool = True
    #: Secret key of the keyed hash (HMAC-SHA256) that names a client in the retention audit
    #: (``credit-scoring log erase``); erasure is refused without it. Keep it out of the database.
    audit_key: SecretStr | None = None
    #: Days a dashboard login attempt (user name and client address) is kept: ``log purge``
    #: deletes older ones, or those older than its ``--older-than`` when that is shorter.
    #: Login throttling only looks back 15 minutes.
    login_attempt_retention_days: int = Field(default=30, ge=1)

    # Monitoring (``credit-scoring monitor …``) and dashboard (``credit-scoring dashboard``).
    #: PSI bands: below ``drift_psi_warn`` stable, from it a moderate shift, from
    #: ``drift_psi_alert`` a major shift.
    drift_psi_warn: float = Field(default=0.10, gt=0.0)
    drift_psi_alert: float = Field(default=0.25, gt=0.0)
    #: Significance level of the KS (numeric) / chi² (categorical) second opinion.
    drift_alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    #: Default width of a monitoring window: ``<n>m``, ``<n>h``, ``<n>d`` or ``<n>w`` (``1d``…).
    #: ``credit-scoring monitor alerts`` posts new alerts to this URL (JSON), if set.
    alert_webhook_url: str | None = None
    monitor_window: str = Field(default="1d", pattern=r"^\s*\d+\s*[mhdw]\s*$")
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8501, ge=1, le=65535)
    #: Minutes without activity after which a dashboard session is logged out.
    dashboard_idle_minutes: float = Field(default=30.0, gt=0.0)
    #: Database the dashboard reads (use a read-only role on PostgreSQL); default: the decision
    #: log's database, opened read-only.
    dashboard_database_url: str | None = None
    #: Seconds the dashboard caches a query result.
    dashboard_cache_seconds: float = Field(default=60.0, ge=0.0)
    #: Reverse proxies in front of the dashboard, addresses or networks, comma-separated
    #: (``10.0.0.5, 172.18.0.0/16``): from one of them the login throttle counts the client
    #: address X-Forwarded-For gives (its right-most entry that is not such a proxy). Unset:
    #: the header is ignored and the connection's peer is the client.
    dashboard_trusted_proxies: str | None = None

    @field_validator("dashboard_trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str | None) -> str | None:
        proxy_networks(value or "")
        return value

    @property
    def resolved_model_uri(self) -> str:
        """:attr:`model_uri` or the registry's champion: ``models:/<name>@champion``."""
        return self.model_uri or f"models:/{self.registered_model_name}@champion"

    @property
    def signatures_required(self) -> bool:
        """:attr:`require_signed_bundles`, or True in production when unset."""
        if self.require_signed_bundles is None:
            return self.environment == "production"
        return self.require_signed_bundles

    @property
    def trusted_key_files(self) -> list[Path]:
        """:attr:`trusted_public_keys` as paths."""
        raw = self.trusted_public_keys or ""
        return [Path(p.strip()) for p in raw.split(",") if p.strip()]

    @property
    def resolved_spool_dir(self) -> Path:
        """:attr:`spool_dir` or ``home/serving/spool``."""
        return self.spool_dir or self.home / "serving" / "spool"

    @property
    def resolved_database_url(self) -> str:
        """``DATABASE_URL`` or an embedded SQLite file under :attr:`home`."""
        return self.database_url or f"sqlite:///{(self.home / 'serving.sqlite').as_posix()}"

    @property
    def resolved_dashboard_database_url(self) -> str:
        """:attr:`dashboard_database_url` or the decision log's (:attr:`resolved_database_url`)."""
        return self.dashboard_database_url or self.resolved_database_url

    @property
    def dashboard_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """:attr:`dashboard_trusted_proxies` as networks (an address is a network of one)."""
        return proxy_networks(self.dashboard_trusted_proxies or "")

    @property
    def resolved_mlflow_tracking_uri(self) -> str:
        """``MLFLOW_TRACKING_URI`` or a local SQLite MLflow store under :attr:`home`."""
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').as_posix()}"


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks; a ``ValueError`` names an entry that is neither."""
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment; keyword overrides win (for tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
