"""Least privilege on the real PostgreSQL: the API's role does its job and nothing more; the
dashboard's role reads without seeing keys or audit trails (roles made by ``db grant``)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import SpoolFile, SpoolWriter
from credit_scoring.serving.keys import create_key, load_stored_key, revoke_key
from credit_scoring.store.decision_log import record_outcome, record_read
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.roles import grant_roles

sys.path.insert(0, str(Path(__file__).parent))
from decision_records import make_record, spool_entry

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Roles:
    owner: str
    api: str
    reader: str
    writer: str


@pytest.fixture
def roles(postgres_url: str) -> Iterator[Roles]:
    """Four login roles and a database owned by the first, migrated and granted."""
    suffix = secrets.token_hex(3)
    names = {k: f"cs_{k}_{suffix}" for k in ("owner", "api", "reader", "writer")}
    admin = make_url(postgres_url).set(database="postgres").render_as_string(False)
    database = f"cs_test_roles_{suffix}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        for name in names.values():
            connection.execute(f'CREATE ROLE "{name}" LOGIN')
        connection.execute(f'ALTER ROLE "{names["reader"]}" SET default_transaction_read_only = on')
        connection.execute(f'CREATE DATABASE "{database}" OWNER "{names["owner"]}"')
    made = {k: make_url(admin).set(database=database, username=v).render_as_string(False)
            for k, v in names.items()}  # fmt: skip
    try:
        upgrade_database(made["owner"])
        owner = create_db_engine(made["owner"])
        with owner.begin() as connection:  # the public schema belongs to the owner
            connection.execute(text(f'ALTER SCHEMA public OWNER TO "{names["owner"]}"'))
        grant_roles(
            owner, api_role=names["api"], reader_role=names["reader"], writer_role=names["writer"]
        )
        owner.dispose()
        yield Roles(made["owner"], made["api"], made["reader"], made["writer"])
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for name in names.values():
                connection.execute(f'DROP ROLE IF EXISTS "{name}"')


def _refused(engine: object, statement: str) -> bool:
    try:
        with engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(text(statement))
    except ProgrammingError as exc:
        return "permission denied" in str(exc) or "must be owner" in str(exc)
    except Exception as exc:  # read-only transaction
        return "read-only" in str(exc)
    return False


def test_the_api_role_does_its_job_and_nothing_more(roles: Roles, tmp_path: Path) -> None:
    owner = create_db_engine(roles.owner)
    record, _key = create_key(owner, name="partner", scopes=["score"])  # an operator's task
    owner.dispose()
    api = create_db_engine(roles.api)
    try:
        spool = SpoolFile.claim(tmp_path / "spool")
        writer = SpoolWriter(spool)
        decision = make_record(7)
        asyncio.run(writer.append([spool_entry(decision)]))
        writer.close()
        rows = spool.peek(10)
        sink = DecisionSink(api)
        assert sink.write(rows) == 1
        assert sink.write(rows) == 0  # the staged path: a temporary table, ON CONFLICT
        spool.close()
        request_id = decision.request_id
        assert record_outcome(api, request_id=request_id, defaulted=True, observed_at=None)[1]
        record_read(api, key_id=record.key_id, request_id=request_id, found=True)
        assert load_stored_key(api, record.key_id) is not None
        revoke_key(api, record.key_id)
        for statement in (
            "DROP TABLE decisions",
            "DELETE FROM decisions",
            "UPDATE decisions SET score = 0",
            "UPDATE api_keys SET key_hash = 'x'",
            "INSERT INTO api_keys (key_id, name, key_hash, scopes, created_at) "
            "VALUES ('x', 'x', 'x', 'admin', now())",
            "DELETE FROM decision_reads",
            "CREATE TABLE mine (x int)",
            "TRUNCATE outcomes",
        ):
            assert _refused(api, statement), statement
    finally:
        api.dispose()


def test_the_dashboard_role_reads_decisions_but_not_keys_or_audit(roles: Roles) -> None:
    reader = create_db_engine(roles.reader)
    try:
        with reader.connect() as connection:
            connection.execute(text("SELECT count(*) FROM decisions")).scalar_one()
            connection.execute(text("SELECT count(*) FROM outcomes")).scalar_one()
        for statement in (
            "SELECT * FROM api_keys",
            "SELECT * FROM decision_reads",
            "SELECT * FROM retention_audit",
            "INSERT INTO outcomes VALUES ('x', true, now(), now())",
            "DROP TABLE decisions",
        ):
            assert _refused(reader, statement), statement
    finally:
        reader.dispose()


def test_the_dashboard_writer_writes_its_tables_only(roles: Roles) -> None:
    """Reviews, login attempts and the access audit: INSERT; users: their role/state only; no
    keys, no reading the audit, no DELETE, no DDL."""
    from datetime import UTC, datetime

    from credit_scoring.store.reviews import record_access
    from credit_scoring.store.users import record_attempt

    owner = create_db_engine(roles.owner)
    with owner.begin() as connection:
        connection.execute(
            text("INSERT INTO dashboard_users VALUES ('ana', 'h', 'viewer', false, :now, :now)"),
            {"now": datetime.now(UTC)},
        )
    owner.dispose()
    writer = create_db_engine(roles.writer)
    try:
        record_access(writer, username="ana", action="open", request_id="r1", detail=None)
        record_attempt(writer, username="ana", address="local", success=False)
        with writer.begin() as connection:
            connection.execute(text("UPDATE dashboard_users SET role = 'admin'"))
            assert connection.execute(text("SELECT count(*) FROM login_attempts")).scalar() == 1
            connection.execute(text("SELECT count(*) FROM decisions"))
            connection.execute(text("SELECT count(*) FROM reviews"))
        for statement in (
            "SELECT * FROM api_keys",
            "SELECT username, detail FROM access_audit",
            "SELECT * FROM decision_reads",
            "DELETE FROM reviews",
            "UPDATE dashboard_users SET username = 'x'",
            "INSERT INTO decisions (request_id) VALUES ('x')",
            "CREATE TABLE mine (x int)",
        ):
            assert _refused(writer, statement), statement
    finally:
        writer.dispose()
