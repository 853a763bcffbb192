"""Data retention: purging old decisions and erasing one client's decisions, both audited.

``purge`` deletes the decisions logged before a cutoff (``now - older_than``); ``erase``
deletes every decision of one client (a GDPR erasure request). Each deletes, with the
decisions, their outcomes and the matching rows still waiting in the spool files (answered
but not drained yet), and writes one row to ``retention_audit`` in the same transaction as
the first database delete: who (the operator's name), when, what, the parameters and the
rows deleted. The audit names an erased client only by a keyed hash (HMAC-SHA256 with
``Settings.audit_key``): client ids are small integers, so a plain or salted hash stored
next to its salt could be reversed by trying every id, while the keyed hash can only be
recomputed by whoever holds the key (to answer "was client X erased?").

Monitoring results are aggregates over windows of decisions (no client id, no per-decision
row), so they are kept. The history store (features by client) comes from the source data:
erasing a client there means removing them from the source tables and publishing again.

An erasure runs while the API is up: a decision being drained from a spool at that moment
reaches the database after the first pass, so passes repeat (database, then spools) until
one finds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from credit_scoring.errors import ConfigurationError, CreditScoringError
from credit_scoring.serving.decision_log.spool import find_spool_files
from credit_scoring.store.tables import decisions, outcomes, retention_audit

logger = logging.getLogger(__name__)

Action = Literal["purge", "erase"]

#: Logs of a high-risk AI system are kept at least six months (EU AI Act, art. 19 and 26):
#: a shorter purge needs ``allow_short_retention``.
MINIMUM_RETENTION = timedelta(days=183)
MIN_AUDIT_KEY_LENGTH = 32
_DURATION = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_DAYS_PER_YEAR = 365
_IN_CHUNK = 500


class RetentionError(CreditScoringError):
    """A purge or erasure was refused (no operator, retention too short, no audit key…)."""


@dataclass(frozen=True)
class RetentionCounts:
    """Rows deleted (or, in a dry run, that would be): decisions and outcomes in the
    database, decisions still waiting in the spool files."""

    decisions: int = 0
    outcomes: int = 0
    spooled: int = 0

    def __add__(self, other: RetentionCounts) -> RetentionCounts:
        return RetentionCounts(
            self.decisions + other.decisions,
            self.outcomes + other.outcomes,
            self.spooled + other.spooled,
        )

    @property
    def total(self) -> int:
        return self.decisions + self.outcomes + self.spooled


@dataclass(frozen=True)
class RetentionResult:
    """What a purge or erasure did; ``audit_id`` is ``None`` for a dry run."""

    action: Action
    counts: RetentionCounts
    dry_run: bool
    audit_id: int | None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    """One row of ``retention_audit``."""

    id: int
    performed_at: datetime
    operator: str
    action: str
    reason: str | None
    parameters: dict[str, Any]
    counts: RetentionCounts


def parse_duration(text: str) -> timedelta:
    """``<n>h``, ``<n>d``, ``<n>w`` or ``<n>y`` (365 days) with n ≥ 1, e.g. ``365d``."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) < 1:
        raise RetentionError(
            f"duration {text!r}: expected <n>h, <n>d, <n>w or <n>y with n ≥ 1 (e.g. 365d, 2y)"
        )
    n, unit = int(match.group(1)), match.group(2)
    if unit == "y":
        return timedelta(days=n * _DAYS_PER_YEAR)
    return n * _UNITS[unit]


def client_reference(client_id: int, audit_key: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) that names a client in the audit."""
    return hmac.new(audit_key.encode(), str(int(client_id)).encode(), hashlib.sha256).hexdigest()


def key_fingerprint(audit_key: str) -> str:
    """A short public fingerprint of the audit key (which key made a reference)."""
    return hashlib.sha256(b"audit-key:" + audit_key.encode()).hexdigest()[:12]


def _package_version() -> str:
    try:
        return version("credit-scoring")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _check_operator(operator: str | None, reason: str | None) -> str:
    name = (operator or "").strip()
    if not name or len(name) > 100:
        raise RetentionError(
            "name the operator (1 to 100 characters) with --operator or CREDIT_SCORING_OPERATOR: "
            "the audit records who deleted what"
        )
    if reason is not None and len(reason) > 200:
        raise RetentionError("the reason is limited to 200 characters (a ticket reference)")
    return name


def _check_audit_key(audit_key: str | None) -> str:
    if audit_key is None or len(audit_key) < MIN_AUDIT_KEY_LENGTH:
        raise ConfigurationError(
            "erasure needs CREDIT_SCORING_AUDIT_KEY, a secret of at least "
            f"{MIN_AUDIT_KEY_LENGTH} characters kept outside the database (e.g. "
            '`python -c "import secrets; print(secrets.token_hex(32))"`): the audit names the '
            "client only by a keyed hash"
        )
    return audit_key


# -- the spool files -------------------------------------------------------------------------


def _open_spool(path: Path) -> sqlite3.Connection | None:
    """A connection to an existing spool file (never creates one), or ``None``."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30.0)
    except sqlite3.OperationalError:
        return None
    connection.isolation_level = None
    return connection


def _spooled_matches(
    connection: sqlite3.Connection, matches: Callable[[dict[str, Any]], bool]
) -> list[tuple[int, str]]:
    """``(seq, request_id)`` of the spooled decisions whose record ``matches``."""
    try:
        cursor = connection.execute("SELECT seq, request_id, record FROM spool")
    except sqlite3.OperationalError:  # a file being created by a starting worker
        return []
    found: list[tuple[int, str]] = []
    while chunk := cursor.fetchmany(5000):
        for seq, request_id, record in chunk:
            if matches(orjson.loads(record)):
                found.append((int(seq), str(request_id)))
    return found


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _spool_pass(
    spool_dir: Path | None, matches: Callable[[dict[str, Any]], bool], *, dry_run: bool
) -> tuple[int, list[str]]:
    """Delete (or count) the matching spooled decisions of every spool file in ``spool_dir``;
    returns how many and their request ids."""
    if spool_dir is None:
        return 0, []
    total = 0
    request_ids: list[str] = []
    for path in find_spool_files(spool_dir):
        connection = _open_spool(path)
        if connection is None:
            continue
        try:
            found = _spooled_matches(connection, matches)
            if not found:
                continue
            if dry_run:
                total += len(found)
                request_ids += [r for _, r in found]
                continue
            connection.execute("BEGIN IMMEDIATE")
            deleted = 0
            for chunk in _chunks([s for s, _ in found]):
                marks = ",".join("?" * len(chunk))
                deleted += connection.execute(
                    f"DELETE FROM spool WHERE seq IN ({marks})", tuple(chunk)
                ).rowcount
            connection.execute("COMMIT")
            total += deleted
            request_ids += [r for _, r in found]
        finally:
            connection.close()
    return total, request_ids


# -- the database ----------------------------------------------------------------------------


def _count_database(
    connection: Connection, where: ColumnElement[bool], spooled_ids: Sequence[str]
) -> RetentionCounts:
    ids = select(decisions.c.request_id).where(where)
    n_decisions = connection.execute(
        select(func.count()).select_from(decisions).where(where)
    ).scalar_one()
    n_outcomes = connection.execute(
        select(func.count()).select_from(outcomes).where(outcomes.c.request_id.in_(ids))
    ).scalar_one()
    for chunk in _chunks(spooled_ids):
        n_outcomes += connection.execute(
            select(func.count())
            .select_from(outcomes)
            .where(outcomes.c.request_id.in_(list(chunk)), outcomes.c.request_id.not_in(ids))
        ).scalar_one()
    return RetentionCounts(int(n_decisions), int(n_outcomes), 0)


def _delete_database(connection: Connection, where: ColumnElement[bool]) -> RetentionCounts:
    ids = select(decisions.c.request_id).where(where)
    n_outcomes = connection.execute(delete(outcomes).where(outcomes.c.request_id.in_(ids)))
    n_decisions = connection.execute(delete(decisions).where(where))
    return RetentionCounts(int(n_decisions.rowcount), int(n_outcomes.rowcount), 0)


def _delete_outcomes_of(connection: Connection, request_ids: Sequence[str]) -> int:
    """Outcomes of decisions that were deleted from a spool before reaching the database."""
    deleted = 0
    for chunk in _chunks(request_ids):
        result = connection.execute(delete(outcomes).where(outcomes.c.request_id.in_(list(chunk))))
        deleted += int(result.rowcount)
    return deleted


@dataclass(frozen=True)
class _Target:
    action: Action
    where: ColumnElement[bool]
    spooled: Callable[[dict[str, Any]], bool]
    parameters: dict[str, Any]


def _apply(
    engine: Engine,
    target: _Target,
    *,
    spool_dir: Path | None,
    operator: str | None,
    reason: str | None,
    dry_run: bool,
    max_passes: int,
    settle_seconds: float,
) -> RetentionResult:
    parameters = {**target.parameters, "version": _package_version()}
    if dry_run:
        n_spooled, spooled_ids = _spool_pass(spool_dir, target.spooled, dry_run=True)
        with engine.connect() as connection:
            counts = _count_database(connection, target.where, spooled_ids)
        return RetentionResult(
            target.action, counts + RetentionCounts(spooled=n_spooled), True, None, parameters
        )
    name = _check_operator(operator, reason)
    total = RetentionCounts()
    audit_id: int | None = None
    for attempt in range(max_passes):
        if attempt:
            time.sleep(settle_seconds)
        with engine.begin() as connection:
            found = _delete_database(connection, target.where)
            if audit_id is None:
                audit_id = int(
                    connection.execute(
                        insert(retention_audit)
                        .values(
                            performed_at=datetime.now(UTC),
                            operator=name,
                            action=target.action,
                            reason=reason,
                            parameters=parameters,
                            decisions=found.decisions,
                            outcomes=found.outcomes,
                            spooled=0,
                        )
                        .returning(retention_audit.c.id)
                    ).scalar_one()
                )
        n_spooled, spooled_ids = _spool_pass(spool_dir, target.spooled, dry_run=False)
        with engine.begin() as connection:
            found += RetentionCounts(
                outcomes=_delete_outcomes_of(connection, spooled_ids), spooled=n_spooled
            )
            total += found
            connection.execute(
                update(retention_audit)
                .where(retention_audit.c.id == audit_id)
                .values(decisions=total.decisions, outcomes=total.outcomes, spooled=total.spooled)
            )
        if found.decisions + found.spooled == 0:
            break
    else:
        if max_passes > 1:  # a purge makes one pass on purpose
            logger.warning(
                "decisions were still arriving after the last pass; run the command again",
                extra={"fields": {"action": target.action, "passes": max_passes}},
            )
    logger.info(
        "retention",
        extra={
            "fields": {
                "action": target.action,
                "audit_id": audit_id,
                "decisions": total.decisions,
                "outcomes": total.outcomes,
                "spooled": total.spooled,
            }
        },
    )
    return RetentionResult(target.action, total, False, audit_id, parameters)


def purge_decisions(
    engine: Engine,
    *,
    older_than: timedelta,
    spool_dir: Path | None,
    operator: str | None,
    reason: str | None = None,
    dry_run: bool = False,
    allow_short_retention: bool = False,
    now: datetime | None = None,
) -> RetentionResult:
    """Delete the decisions logged before ``now - older_than`` (UTC), their outcomes and
    their spooled copies; audited unless ``dry_run``."""
    if older_than < MINIMUM_RETENTION and not allow_short_retention:
        raise RetentionError(
            f"a retention of {older_than.days} day(s) is below the {MINIMUM_RETENTION.days}-day "
            "minimum kept for decision logs (EU AI Act: at least six months); pass "
            "--allow-short-retention if this is intended"
        )
    cutoff = (now or datetime.now(UTC)).astimezone(UTC) - older_than
    target = _Target(
        action="purge",
        where=decisions.c.created_at < cutoff,
        spooled=lambda record: datetime.fromisoformat(record["created_at"]) < cutoff,
        parameters={
            "older_than_seconds": int(older_than.total_seconds()),
            "cutoff": cutoff.isoformat(),
        },
    )
    return _apply(
        engine,
        target,
        spool_dir=spool_dir,
        operator=operator,
        reason=reason,
        dry_run=dry_run,
        max_passes=1,
        settle_seconds=0.0,
    )


def erase_client(
    engine: Engine,
    *,
    client_id: int,
    spool_dir: Path | None,
    operator: str | None,
    audit_key: str | None,
    reason: str | None = None,
    dry_run: bool = False,
    max_passes: int = 5,
    settle_seconds: float = 1.0,
) -> RetentionResult:
    """Delete every decision of ``client_id`` (SK_ID_CURR), their outcomes and spooled
    copies; audited (the client named by a keyed hash) unless ``dry_run``."""
    parameters: dict[str, Any] = {}
    if not dry_run:
        key = _check_audit_key(audit_key)
        parameters = {
            "client_ref": client_reference(client_id, key),
            "key_fingerprint": key_fingerprint(key),
        }
    target = _Target(
        action="erase",
        where=decisions.c.client_id == int(client_id),
        spooled=lambda record: int(record.get("client_id", -1)) == int(client_id),
        parameters=parameters,
    )
    return _apply(
        engine,
        target,
        spool_dir=spool_dir,
        operator=operator,
        reason=reason,
        dry_run=dry_run,
        max_passes=max_passes,
        settle_seconds=settle_seconds,
    )


def read_audit(
    engine: Engine, *, client_id: int | None = None, audit_key: str | None = None
) -> list[AuditEntry]:
    """The audit, oldest first; with ``client_id``, only the erasures of that client (the
    reference is recomputed with ``audit_key``)."""
    statement = select(retention_audit).order_by(retention_audit.c.id)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    entries = [
        AuditEntry(
            id=int(r.id),
            performed_at=r.performed_at
            if r.performed_at.tzinfo
            else r.performed_at.replace(tzinfo=UTC),
            operator=r.operator,
            action=r.action,
            reason=r.reason,
            parameters=dict(r.parameters),
            counts=RetentionCounts(int(r.decisions), int(r.outcomes), int(r.spooled)),
        )
        for r in rows
    ]
    if client_id is None:
        return entries
    reference = client_reference(client_id, _check_audit_key(audit_key))
    return [e for e in entries if e.parameters.get("client_ref") == reference]
