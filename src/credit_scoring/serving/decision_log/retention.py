"""Data retention: purging old decisions and erasing one client's decisions, both audited.

``purge`` deletes the decisions logged before a cutoff (``now - older_than``); ``erase``
deletes every decision of one client (a GDPR erasure request). Each deletes, with the
decisions, the rows that belong to them (outcomes, reviews, access-audit rows) and the
matching rows still waiting in the spool files (answered but not drained yet); a purge also
deletes the dashboard's login attempts (user names and client addresses) older than their
own, shorter window. Each writes one row to ``retention_audit`` in the same transaction as
the first database delete: who (the operator's name), when, what, the parameters and the
rows deleted per table. The audit names an erased client only by a keyed hash (HMAC-SHA256 with
``Settings.audit_key``): client ids are small integers, so a plain or salted hash stored
next to its salt could be reversed by trying every id, while the keyed hash can only be
recomputed by whoever holds the key (to answer "was client X erased?").

Monitoring results are aggregates over windows of decisions (no client id, no per-decision
row), so they are kept; so are access-audit rows that name no decision (user management).
The history store (features by client) comes from the source data: erasing a client there
means removing them from the source tables and publishing again.

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
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from credit_scoring.errors import ConfigurationError, CreditScoringError
from credit_scoring.serving.decision_log.spool import find_spool_files
from credit_scoring.store.tables import (
    access_audit,
    decisions,
    login_attempts,
    outcomes,
    retention_audit,
    reviews,
)

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
#: Rows that belong to a decision, by its request id: deleted with it.
_DECISION_ROWS: tuple[Table, ...] = (outcomes, reviews, access_audit)


class RetentionError(CreditScoringError):
    """A purge or erasure was refused (no operator, retention too short, no audit key…)."""


@dataclass(frozen=True)
class RetentionCounts:
    """Rows deleted (or, in a dry run, that would be), per kind: decisions in the database,
    their outcomes, decisions still waiting in the spool files, the decisions' reviews and
    access-audit rows, and login attempts. Each field is a count column of
    ``retention_audit``."""

    decisions: int = 0
    outcomes: int = 0
    spooled: int = 0
    reviews: int = 0
    access_audit: int = 0
    login_attempts: int = 0

    def __add__(self, other: RetentionCounts) -> RetentionCounts:
        return RetentionCounts(**{k: v + getattr(other, k) for k, v in asdict(self).items()})

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


_COUNT_FIELDS = fields(RetentionCounts)


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


def _count(connection: Connection, table: Table, *where: ColumnElement[bool]) -> int:
    statement = select(func.count()).select_from(table).where(*where)
    return int(connection.execute(statement).scalar_one())


def _delete(connection: Connection, table: Table, *where: ColumnElement[bool]) -> int:
    return int(connection.execute(delete(table).where(*where)).rowcount)


def _count_database(
    connection: Connection, target: _Target, spooled_ids: Sequence[str]
) -> RetentionCounts:
    """What :func:`_delete_database` and :func:`_delete_rows_of` would delete."""
    ids = select(decisions.c.request_id).where(target.where)
    counts = {"decisions": _count(connection, decisions, target.where)}
    for table in _DECISION_ROWS:
        owned = table.c.request_id
        counts[table.name] = _count(connection, table, owned.in_(ids))
        for chunk in _chunks(spooled_ids):
            spooled_only = (owned.in_(list(chunk)), owned.not_in(ids))
            counts[table.name] += _count(connection, table, *spooled_only)
    if target.login_cutoff is not None:
        counts["login_attempts"] = _count(
            connection, login_attempts, login_attempts.c.attempted_at < target.login_cutoff
        )
    return RetentionCounts(**counts)


def _delete_database(connection: Connection, target: _Target) -> RetentionCounts:
    """Delete the target's decisions with the rows that belong to them (those first, while
    the decisions still say which), and the login attempts past their window."""
    ids = select(decisions.c.request_id).where(target.where)
    counts = {t.name: _delete(connection, t, t.c.request_id.in_(ids)) for t in _DECISION_ROWS}
    counts["decisions"] = _delete(connection, decisions, target.where)
    if target.login_cutoff is not None:
        expired = login_attempts.c.attempted_at < target.login_cutoff
        counts["login_attempts"] = _delete(connection, login_attempts, expired)
    return RetentionCounts(**counts)


def _delete_rows_of(connection: Connection, request_ids: Sequence[str]) -> RetentionCounts:
    """Rows that belong to decisions deleted from a spool before they reached the database
    (an outcome may arrive before the drain)."""
    counts = dict.fromkeys((table.name for table in _DECISION_ROWS), 0)
    for chunk in _chunks(request_ids):
        for table in _DECISION_ROWS:
            counts[table.name] += _delete(connection, table, table.c.request_id.in_(list(chunk)))
    return RetentionCounts(**counts)


@dataclass(frozen=True)
class _Target:
    """What one purge or erasure deletes, and how many passes it makes."""

    action: Action
    where: ColumnElement[bool]
    spooled: Callable[[dict[str, Any]], bool]
    parameters: dict[str, Any]
    #: Login attempts before this are deleted too (purges only).
    login_cutoff: datetime | None = None
    max_passes: int = 1
    settle_seconds: float = 0.0

    def apply(
        self,
        engine: Engine,
        *,
        spool_dir: Path | None,
        operator: str | None,
        reason: str | None,
        dry_run: bool,
    ) -> RetentionResult:
        """Delete (or, in a dry run, count) what this target names, audited."""
        parameters = {**self.parameters, "version": _package_version()}
        if dry_run:
            n_spooled, spooled_ids = _spool_pass(spool_dir, self.spooled, dry_run=True)
            with engine.connect() as connection:
                counts = _count_database(connection, self, spooled_ids)
            return RetentionResult(
                self.action, counts + RetentionCounts(spooled=n_spooled), True, None, parameters
            )
        name = _check_operator(operator, reason)
        total = RetentionCounts()
        audit_id: int | None = None
        for attempt in range(self.max_passes):
            if attempt:
                time.sleep(self.settle_seconds)
            with engine.begin() as connection:
                found = _delete_database(connection, self)
                if audit_id is None:
                    audit_id = int(
                        connection.execute(
                            insert(retention_audit)
                            .values(
                                performed_at=datetime.now(UTC),
                                operator=name,
                                action=self.action,
                                reason=reason,
                                parameters=parameters,
                                **asdict(found),
                            )
                            .returning(retention_audit.c.id)
                        ).scalar_one()
                    )
            n_spooled, spooled_ids = _spool_pass(spool_dir, self.spooled, dry_run=False)
            with engine.begin() as connection:
                found += _delete_rows_of(connection, spooled_ids)
                found += RetentionCounts(spooled=n_spooled)
                total += found
                connection.execute(
                    update(retention_audit)
                    .where(retention_audit.c.id == audit_id)
                    .values(**asdict(total))
                )
            if found.decisions + found.spooled == 0:
                break
        else:
            if self.max_passes > 1:  # a purge makes one pass on purpose
                logger.warning(
                    "decisions were still arriving after the last pass; run the command again",
                    extra={"fields": {"action": self.action, "passes": self.max_passes}},
                )
        logger.info(
            "retention",
            extra={"fields": {"action": self.action, "audit_id": audit_id, **asdict(total)}},
        )
        return RetentionResult(self.action, total, False, audit_id, parameters)


def purge_decisions(
    engine: Engine,
    *,
    older_than: timedelta,
    spool_dir: Path | None,
    operator: str | None,
    reason: str | None = None,
    dry_run: bool = False,
    allow_short_retention: bool = False,
    login_attempts_older_than: timedelta | None = None,
    now: datetime | None = None,
) -> RetentionResult:
    """Delete the decisions logged before ``now - older_than`` (UTC) with their outcomes,
    reviews, access-audit rows and spooled copies, and the login attempts older than
    ``login_attempts_older_than`` (or ``older_than`` when that is shorter or the window is
    not given); audited unless ``dry_run``."""
    if older_than < MINIMUM_RETENTION and not allow_short_retention:
        raise RetentionError(
            f"a retention of {older_than.days} day(s) is below the {MINIMUM_RETENTION.days}-day "
            "minimum kept for decision logs (EU AI Act: at least six months); pass "
            "--allow-short-retention if this is intended"
        )
    at = (now or datetime.now(UTC)).astimezone(UTC)
    cutoff = at - older_than
    login_window = min(older_than, login_attempts_older_than or older_than)
    login_cutoff = at - login_window
    target = _Target(
        action="purge",
        where=decisions.c.created_at < cutoff,
        spooled=lambda record: datetime.fromisoformat(record["created_at"]) < cutoff,
        parameters={
            "older_than_seconds": int(older_than.total_seconds()),
            "cutoff": cutoff.isoformat(),
            "login_attempts_older_than_seconds": int(login_window.total_seconds()),
            "login_attempts_cutoff": login_cutoff.isoformat(),
        },
        login_cutoff=login_cutoff,
    )
    return target.apply(
        engine, spool_dir=spool_dir, operator=operator, reason=reason, dry_run=dry_run
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
    """Delete every decision of ``client_id`` (SK_ID_CURR) with their outcomes, reviews,
    access-audit rows and spooled copies; audited (the client named by a keyed hash) unless
    ``dry_run``."""
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
        max_passes=max_passes,
        settle_seconds=settle_seconds,
    )
    return target.apply(
        engine, spool_dir=spool_dir, operator=operator, reason=reason, dry_run=dry_run
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
            counts=RetentionCounts(**{f.name: int(getattr(r, f.name)) for f in _COUNT_FIELDS}),
        )
        for r in rows
    ]
    if client_id is None:
        return entries
    reference = client_reference(client_id, _check_audit_key(audit_key))
    return [e for e in entries if e.parameters.get("client_ref") == reference]
