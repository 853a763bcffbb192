"""Retention of the decision log: purge and erasure, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine, delete, func, select
from typer.testing import CliRunner

from credit_scoring.cli import app as cli
from credit_scoring.errors import ConfigurationError
from credit_scoring.serving.decision_log import retention
from credit_scoring.serving.decision_log.retention import (
    RetentionError,
    erase_client,
    parse_duration,
    purge_decisions,
    read_audit,
    retention_audit,
)
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import (
    SpooledRow,
    SpoolEntry,
    SpoolFile,
    SpoolWriter,
    find_spool_files,
)
from credit_scoring.settings import Settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.records import features_blob
from credit_scoring.store.reviews import record_access, record_review
from credit_scoring.store.tables import access_audit, decisions, login_attempts, outcomes, reviews
from credit_scoring.store.users import record_attempt

from .decision_records import make_record, spool_entry

AUDIT_KEY = "k" * 16 + "0123456789abcdef0123"
NOW = datetime.now(UTC)


def _entry(client_id: int, created_at: datetime) -> SpoolEntry:
    record = make_record(
        client_id,
        created_at=created_at,
        raw_input={"SK_ID_CURR": client_id, "AMT_INCOME_TOTAL": 120000.0},
        features=features_blob(np.array([0.12, 1.0])),
    )
    return spool_entry(record)


def _log(engine: Engine, entries: list[SpoolEntry]) -> list[str]:
    """Write decisions to the database the way the drain does."""
    rows = [
        SpooledRow(i + 1, e.request_id, e.record, e.features, e.raw_input)
        for i, e in enumerate(entries)
    ]
    DecisionSink(engine).write(rows)
    return [e.request_id for e in entries]


def _spool(spool_dir: Path, entries: list[SpoolEntry]) -> None:
    """Append decisions to a spool file, as an API worker does before answering."""
    spool = SpoolFile.claim(spool_dir, sync="normal")
    writer = SpoolWriter(spool)
    try:
        asyncio.run(writer.append(entries))
    finally:
        writer.close()
        spool.close()


def _spooled_request_ids(spool_dir: Path) -> set[str]:
    import sqlite3

    found: set[str] = set()
    for path in find_spool_files(spool_dir):
        connection = sqlite3.connect(path)
        found |= {r for (r,) in connection.execute("SELECT request_id FROM spool")}
        connection.close()
    return found


def _outcome(engine: Engine, request_id: str, *, defaulted: bool = True) -> None:
    with engine.begin() as connection:
        connection.execute(
            outcomes.insert().values(
                request_id=request_id, defaulted=defaulted, observed_at=NOW, recorded_at=NOW
            )
        )


def _ids(engine: Engine, table: Any) -> set[str]:
    with engine.connect() as connection:
        return {r for (r,) in connection.execute(select(table.c.request_id))}


@pytest.fixture
def engine(migrated: Settings) -> Iterator[Engine]:
    engine = create_db_engine(migrated.resolved_database_url)
    with engine.begin() as connection:  # the PostgreSQL database is shared by the session
        for table in (retention_audit, reviews, access_audit, login_attempts):
            connection.execute(delete(table))
    yield engine
    engine.dispose()


def test_durations_read_hours_days_weeks_and_years() -> None:
    assert parse_duration("365d") == timedelta(days=365)
    assert parse_duration("2y") == timedelta(days=730)
    assert parse_duration(" 26w ") == timedelta(weeks=26)
    assert parse_duration("36h") == timedelta(hours=36)
    for bad in ("0d", "365", "1m", "d", "-3d", "1.5d"):
        with pytest.raises(RetentionError, match="duration"):
            parse_duration(bad)


def test_purge_deletes_old_decisions_with_their_outcomes_and_spooled_copies(
    engine: Engine, migrated: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    old = _log(engine, [_entry(100001, NOW - timedelta(days=400 + i)) for i in range(3)])
    recent = _log(engine, [_entry(100001, NOW - timedelta(days=30)), _entry(100002, NOW)])
    _outcome(engine, old[0])
    _outcome(engine, recent[0], defaulted=False)
    spool_dir = migrated.resolved_spool_dir
    old_spooled = _entry(100003, NOW - timedelta(days=500))
    new_spooled = _entry(100003, NOW)
    _spool(spool_dir, [old_spooled, new_spooled])

    started = datetime.now(UTC)
    result = purge_decisions(
        engine, older_than=parse_duration("365d"), spool_dir=spool_dir, operator="dpo", reason="T-1"
    )
    finished = datetime.now(UTC)

    assert (result.counts.decisions, result.counts.outcomes, result.counts.spooled) == (3, 1, 1)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert _ids(engine, decisions) == set(recent)
    assert _ids(engine, outcomes) == {recent[0]}
    assert _spooled_request_ids(spool_dir) == {new_spooled.request_id}
    [entry] = read_audit(engine)
    assert entry.id == result.audit_id
    assert (entry.operator, entry.action, entry.reason) == ("dpo", "purge", "T-1")
    assert (entry.counts.decisions, entry.counts.outcomes, entry.counts.spooled) == (3, 1, 1)
    assert entry.parameters["older_than_seconds"] == 365 * 86400
    cutoff = datetime.fromisoformat(entry.parameters["cutoff"])
    assert started - timedelta(days=365) <= cutoff <= finished - timedelta(days=365)


def test_a_dry_run_counts_but_deletes_and_records_nothing(
    engine: Engine, migrated: Settings
) -> None:
    old = _log(engine, [_entry(100001, NOW - timedelta(days=400)), _entry(100002, NOW)])
    _outcome(engine, old[0])
    spooled = _entry(100002, NOW - timedelta(days=700))
    _spool(migrated.resolved_spool_dir, [spooled])

    result = purge_decisions(
        engine,
        older_than=timedelta(days=365),
        spool_dir=migrated.resolved_spool_dir,
        operator=None,
        dry_run=True,
    )

    assert result.dry_run and result.audit_id is None
    assert (result.counts.decisions, result.counts.outcomes, result.counts.spooled) == (1, 1, 1)
    assert _ids(engine, decisions) == set(old)
    assert _ids(engine, outcomes) == {old[0]}
    assert _spooled_request_ids(migrated.resolved_spool_dir) == {spooled.request_id}
    assert read_audit(engine) == []


def test_a_purge_below_six_months_is_refused_unless_allowed(engine: Engine) -> None:
    logged = _log(engine, [_entry(100001, NOW - timedelta(days=40))])
    with pytest.raises(RetentionError, match="six months"):
        purge_decisions(engine, older_than=timedelta(days=30), spool_dir=None, operator="ops")
    assert _ids(engine, decisions) == set(logged)

    result = purge_decisions(
        engine,
        older_than=timedelta(days=30),
        spool_dir=None,
        operator="ops",
        allow_short_retention=True,
    )
    assert result.counts.decisions == 1
    assert _ids(engine, decisions) == set()


def test_a_purge_without_an_operator_is_refused(engine: Engine) -> None:
    _log(engine, [_entry(100001, NOW - timedelta(days=400))])
    with pytest.raises(RetentionError, match="operator"):
        purge_decisions(engine, older_than=timedelta(days=365), spool_dir=None, operator="  ")
    assert len(_ids(engine, decisions)) == 1
    assert read_audit(engine) == []


def test_erase_removes_every_trace_of_one_client_and_audits_a_keyed_hash(
    engine: Engine, migrated: Settings
) -> None:
    client, other = 100042, 100043
    mine = _log(engine, [_entry(client, NOW - timedelta(days=d)) for d in (1, 90, 800)])
    theirs = _log(engine, [_entry(other, NOW)])
    _outcome(engine, mine[1])
    _outcome(engine, theirs[0])
    waiting = _entry(client, NOW)
    waiting_other = _entry(other, NOW)
    spool_dir = migrated.resolved_spool_dir
    _spool(spool_dir, [waiting, waiting_other])
    _outcome(engine, waiting.request_id)  # an outcome may arrive before the drain

    result = erase_client(
        engine,
        client_id=client,
        spool_dir=spool_dir,
        operator="privacy-officer",
        audit_key=AUDIT_KEY,
        reason="GDPR-77",
        settle_seconds=0.0,
    )

    assert (result.counts.decisions, result.counts.outcomes, result.counts.spooled) == (3, 2, 1)
    assert _ids(engine, decisions) == set(theirs)
    assert _ids(engine, outcomes) == set(theirs)
    assert _spooled_request_ids(spool_dir) == {waiting_other.request_id}
    [entry] = read_audit(engine)
    expected = hmac.new(AUDIT_KEY.encode(), str(client).encode(), hashlib.sha256).hexdigest()
    assert entry.parameters["client_ref"] == expected
    assert (entry.action, entry.operator, entry.reason) == ("erase", "privacy-officer", "GDPR-77")
    assert (entry.counts.decisions, entry.counts.outcomes, entry.counts.spooled) == (3, 2, 1)
    stored = orjson.dumps(entry.parameters).decode()
    assert str(client) not in stored
    assert read_audit(engine, client_id=client, audit_key=AUDIT_KEY) == [entry]
    assert read_audit(engine, client_id=other, audit_key=AUDIT_KEY) == []


def test_erase_without_an_audit_key_is_refused_and_deletes_nothing(engine: Engine) -> None:
    logged = _log(engine, [_entry(100042, NOW)])
    for key in (None, "too-short"):
        with pytest.raises(ConfigurationError, match="CREDIT_SCORING_AUDIT_KEY"):
            erase_client(engine, client_id=100042, spool_dir=None, operator="ops", audit_key=key)
    assert _ids(engine, decisions) == set(logged)
    assert read_audit(engine) == []


def test_erase_catches_a_decision_drained_while_it_runs(
    engine: Engine, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision the drain had read from a spool just before the erasure deleted the spool
    rows reaches the database after the first pass: a later pass deletes it."""
    client = 100077
    _log(engine, [_entry(client, NOW - timedelta(days=3))])
    in_flight = _entry(client, NOW)
    real_pass = retention._spool_pass
    calls = {"n": 0}

    def drain_lands_during_the_first_pass(*args: Any, **kwargs: Any) -> tuple[int, list[str]]:
        calls["n"] += 1
        if calls["n"] == 1:
            _log(engine, [in_flight])
        return real_pass(*args, **kwargs)

    monkeypatch.setattr(retention, "_spool_pass", drain_lands_during_the_first_pass)
    result = erase_client(
        engine,
        client_id=client,
        spool_dir=migrated.resolved_spool_dir,
        operator="ops",
        audit_key=AUDIT_KEY,
        settle_seconds=0.0,
    )

    assert calls["n"] == 3  # pass 1 deletes one, pass 2 the late one, pass 3 finds nothing
    assert result.counts.decisions == 2
    assert _ids(engine, decisions) == set()
    [entry] = read_audit(engine)
    assert entry.counts.decisions == 2


def test_the_cli_purges_erases_and_lists_the_audit(
    engine: Engine, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(migrated.home))
    monkeypatch.delenv("CREDIT_SCORING_AUDIT_KEY", raising=False)
    url = ["--database-url", migrated.resolved_database_url]
    _log(engine, [_entry(100001, NOW - timedelta(days=400)), _entry(100002, NOW)])

    dry = runner.invoke(cli, ["log", "purge", "--older-than", "1y", "--dry-run", *url])
    assert dry.exit_code == 0, dry.output
    assert "would delete 1 decision(s), 0 outcome(s) and 0 spooled" in dry.output

    refused = runner.invoke(cli, ["log", "purge", "--older-than", "1y", *url])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, RetentionError)

    purged = runner.invoke(
        cli,
        ["log", "purge", "--older-than", "1y", *url],
        env={"CREDIT_SCORING_OPERATOR": "night-job"},
    )
    assert purged.exit_code == 0, purged.output
    assert "deleted 1 decision(s)" in purged.output

    no_key = runner.invoke(cli, ["log", "erase", "--client", "100002", "--operator", "x", *url])
    assert isinstance(no_key.exception, ConfigurationError)
    erased = runner.invoke(
        cli,
        ["log", "erase", "--client", "100002", "--operator", "dpo", "--reason", "R-9", *url],
        env={"CREDIT_SCORING_AUDIT_KEY": AUDIT_KEY},
    )
    assert erased.exit_code == 0, erased.output
    assert "deleted 1 decision(s), 0 outcome(s) and 0 spooled decision(s) of client 100002" in (
        erased.output
    )
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(decisions)).scalar_one() == 0

    listed = runner.invoke(
        cli,
        ["log", "audit", "--client", "100002", *url],
        env={"CREDIT_SCORING_AUDIT_KEY": AUDIT_KEY},
    )
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2 and "dpo" in lines[1] and "erase" in lines[1] and "R-9" in lines[1]
    everything = runner.invoke(cli, ["log", "audit", *url])
    assert "night-job" in everything.output and "purge" in everything.output
    assert "100002" not in everything.output


# -- the people in the loop: reviews, access audit, login attempts -----------------------------


def _review(engine: Engine, request_id: str, *, at: datetime) -> None:
    """An underwriter's final decision (it writes an access-audit row too)."""
    record_review(
        engine,
        request_id=request_id,
        reviewer="ana",
        channel="dashboard",
        final_decision="REFUSE",
        reason="income verified",
        now=at,
    )


def _opened(engine: Engine, request_id: str | None, *, at: datetime) -> None:
    record_access(engine, username="ana", action="open_application", request_id=request_id, now=at)


def _attempt(engine: Engine, *, at: datetime) -> None:
    record_attempt(engine, username="ana", address="203.0.113.7", success=False, now=at)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _login_times(engine: Engine) -> list[datetime]:
    with engine.connect() as connection:
        stamps = connection.execute(select(login_attempts.c.attempted_at)).scalars().all()
    return sorted(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps)


def _counts(counts: retention.RetentionCounts) -> tuple[int, ...]:
    return (
        counts.decisions,
        counts.reviews,
        counts.access_audit,
        counts.login_attempts,
    )


def test_purge_deletes_the_reviews_and_access_rows_of_old_decisions_and_old_login_attempts(
    engine: Engine,
) -> None:
    old = _log(engine, [_entry(100001, NOW - timedelta(days=400 + i)) for i in range(2)])
    [recent] = _log(engine, [_entry(100002, NOW - timedelta(days=3))])
    for request_id in (old[0], recent):
        _review(engine, request_id, at=NOW - timedelta(days=2))
        _opened(engine, request_id, at=NOW - timedelta(days=2))
    _opened(engine, None, at=NOW - timedelta(days=500))  # names no decision: kept
    for days in (45, 31, 29, 1):
        _attempt(engine, at=NOW - timedelta(days=days))

    result = purge_decisions(
        engine,
        older_than=timedelta(days=365),
        login_attempts_older_than=timedelta(days=30),
        spool_dir=None,
        operator="dpo",
        now=NOW,
    )

    # old[0]: one review, and two access rows (the review's and the opening)
    assert _counts(result.counts) == (2, 1, 2, 2)
    assert _ids(engine, reviews) == {recent}
    assert _ids(engine, access_audit) == {recent, None}
    assert _count(engine, access_audit) == 3
    assert _login_times(engine) == [NOW - timedelta(days=29), NOW - timedelta(days=1)]
    [entry] = read_audit(engine)
    assert entry.counts == result.counts
    assert entry.parameters["login_attempts_older_than_seconds"] == 30 * 86400
    login_cutoff = datetime.fromisoformat(entry.parameters["login_attempts_cutoff"])
    assert login_cutoff == NOW - timedelta(days=30)


def test_login_attempts_go_at_the_purge_cutoff_when_it_is_the_shorter_window(
    engine: Engine,
) -> None:
    for days in (10, 5):
        _attempt(engine, at=NOW - timedelta(days=days))
    dry = purge_decisions(
        engine,
        older_than=timedelta(days=7),
        login_attempts_older_than=timedelta(days=30),
        spool_dir=None,
        operator=None,
        dry_run=True,
        allow_short_retention=True,
        now=NOW,
    )
    assert dry.counts.login_attempts == 1
    assert _count(engine, login_attempts) == 2  # a dry run deletes nothing

    result = purge_decisions(
        engine,
        older_than=timedelta(days=7),
        spool_dir=None,
        operator="ops",
        allow_short_retention=True,
        now=NOW,
    )
    assert result.counts.login_attempts == 1
    assert _login_times(engine) == [NOW - timedelta(days=5)]


def test_a_dry_run_counts_reviews_and_access_rows_without_deleting_them(engine: Engine) -> None:
    [old] = _log(engine, [_entry(100001, NOW - timedelta(days=400))])
    _review(engine, old, at=NOW - timedelta(days=1))

    result = purge_decisions(
        engine, older_than=timedelta(days=365), spool_dir=None, operator=None, dry_run=True
    )

    assert (result.counts.reviews, result.counts.access_audit) == (1, 1)
    assert (_count(engine, reviews), _count(engine, access_audit)) == (1, 1)
    assert read_audit(engine) == []


def test_erase_removes_the_clients_reviews_and_access_rows_and_no_login_attempt(
    engine: Engine,
) -> None:
    client, other = 100042, 100043
    mine = _log(engine, [_entry(client, NOW - timedelta(days=d)) for d in (1, 800)])
    [theirs] = _log(engine, [_entry(other, NOW)])
    for request_id in (*mine, theirs):
        _review(engine, request_id, at=NOW)
    _opened(engine, mine[1], at=NOW)
    _attempt(engine, at=NOW - timedelta(days=400))  # not the client's: kept

    result = erase_client(
        engine,
        client_id=client,
        spool_dir=None,
        operator="privacy-officer",
        audit_key=AUDIT_KEY,
        settle_seconds=0.0,
    )

    assert _counts(result.counts) == (2, 2, 3, 0)
    assert _ids(engine, reviews) == {theirs}
    assert _ids(engine, access_audit) == {theirs}
    assert _count(engine, login_attempts) == 1
    [entry] = read_audit(engine)
    assert entry.counts == result.counts


def test_the_cli_reports_per_table_and_keeps_login_attempts_for_their_own_window(
    engine: Engine, migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(migrated.home))
    monkeypatch.setenv("CREDIT_SCORING_LOGIN_ATTEMPT_RETENTION_DAYS", "7")
    url = ["--database-url", migrated.resolved_database_url]
    [old] = _log(engine, [_entry(100001, NOW - timedelta(days=400))])
    _review(engine, old, at=NOW - timedelta(days=1))
    for days in (8, 6):
        _attempt(engine, at=NOW - timedelta(days=days))

    purged = runner.invoke(
        cli, ["log", "purge", "--older-than", "1y", "--operator", "night-job", *url]
    )

    assert purged.exit_code == 0, purged.output
    assert "deleted 1 decision(s), 0 outcome(s) and 0 spooled decision(s) logged before" in (
        purged.output
    )
    assert "with their 1 review(s) and 1 access-audit row(s), and 1 login attempt(s)" in (
        purged.output
    )
    assert len(_login_times(engine)) == 1
    listed = runner.invoke(cli, ["log", "audit", *url])
    header, row = listed.output.strip().splitlines()
    assert header.split()[5:11] == [
        "DECISIONS", "OUTCOMES", "SPOOLED", "REVIEWS", "ACCESS", "LOGINS"
    ]  # fmt: skip
    assert row.split()[5:11] == ["1", "0", "0", "1", "1", "1"]
