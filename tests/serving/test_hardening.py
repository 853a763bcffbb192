"""Hardening of the API: client mistakes are 4xx that echo nothing, hang-ups are not server
errors, readiness tells the truth about the drain and the spool, keys are accountable."""

from __future__ import annotations

import logging
import socket
import stat
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from credit_scoring.serving.app import create_app
from credit_scoring.serving.decision_log.health import classify_drain_error
from credit_scoring.serving.decision_log.spool import find_spool_files
from credit_scoring.settings import Settings

Auth = Callable[..., dict[str, str]]
EXTREME = "0001-01-01T00:00:00+14:00"


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize(
    "value", [EXTREME, "9999-12-31T23:59:59-14:00", "1969-12-31T23:59:59+00:00"]
)
def test_timestamps_out_of_range_are_client_errors_that_echo_nothing(
    client: TestClient, auth: Auth, applications: list[dict[str, Any]], value: str
) -> None:
    listed = client.get("/v1/scores", params={"since": value}, headers=auth("read"))
    assert listed.status_code == 422, listed.text
    assert listed.json()["detail"][0]["field"] == "query.since"
    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    outcome = client.post(
        "/v1/outcomes",
        json={"request_id": answer["request_id"], "defaulted": True, "observed_at": value},
        headers=auth("outcomes"),
    )
    assert outcome.status_code == 422, outcome.text
    for response in (listed, outcome):
        assert value not in response.text and value[:10] not in response.text


def test_request_ids_are_accepted_in_upper_case(
    client: TestClient, app: FastAPI, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    upper = answer["request_id"].upper()
    read = client.get(f"/v1/scores/{upper}", headers=auth("read"))
    assert read.status_code == 200 and read.json()["request_id"] == answer["request_id"]
    outcome = client.post(
        "/v1/outcomes", json={"request_id": upper, "defaulted": False}, headers=auth("outcomes")
    )
    assert outcome.status_code == 201 and outcome.json()["request_id"] == answer["request_id"]


def test_a_bad_cursor_is_refused_without_being_echoed(client: TestClient, auth: Auth) -> None:
    cursor = "Zq7NotACursor<script>"
    response = client.get("/v1/scores", params={"cursor": cursor}, headers=auth("read"))
    assert response.status_code == 400 and response.json() == {"detail": "invalid cursor"}


def test_outcomes_need_their_own_scope(
    client: TestClient, auth: Auth, applications: list[dict[str, Any]]
) -> None:
    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    body = {"request_id": answer["request_id"], "defaulted": True}
    assert client.post("/v1/outcomes", json=body, headers=auth("score")).status_code == 403
    assert client.post("/v1/outcomes", json=body, headers=auth("outcomes")).status_code == 201


def test_a_client_hanging_up_mid_body_is_a_disconnect_not_a_server_error(
    live_server: Any, keys: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v1/scores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"X-API-Key: {keys.score}\r\nContent-Length: 5000\r\n\r\n".encode()
                + b'{"SK_ID_CURR": 1'
            )
            time.sleep(0.3)
        _wait_for(
            lambda: "credit_scoring_client_disconnects_total 1.0" in _metrics(live_server),
            10,
            "the disconnect to be counted",
        )
    text = _metrics(live_server)
    assert 'credit_scoring_errors_total{kind="http_5xx"}' not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def _metrics(server: Any) -> str:
    return httpx.get(f"{server.url}/metrics", timeout=10).text


def test_access_log_names_the_key_id_never_the_secret(
    migrated: Settings, stand_in: Any, keys: Any, applications: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    settings = migrated.model_copy(update={"access_log": True})
    app = create_app(settings, model_loader=lambda _u: stand_in, model_identity_of=lambda _u: "x")
    with caplog.at_level(logging.INFO, "credit_scoring.serving.access"), TestClient(app) as client:
        client.post("/v1/scores", json=applications[0], headers={"X-API-Key": keys.score})
    lines = [r for r in caplog.records if r.name == "credit_scoring.serving.access"]
    _prefix, key_id, secret = keys.score.split("_", 2)  # the secret may hold "_" itself
    assert lines and all(getattr(r, "fields", {}).get("key_id") == key_id for r in lines)
    assert secret not in caplog.text


def test_revocation_through_the_api_is_effective_at_once_and_elsewhere_within_a_second(
    migrated: Settings, stand_in: Any, keys: Any, applications: list[dict[str, Any]]
) -> None:
    settings = migrated.model_copy(update={"key_cache_seconds": 600.0})

    def make() -> FastAPI:
        return create_app(
            settings, model_loader=lambda _u: stand_in, model_identity_of=lambda _u: "x"
        )

    victim = {"X-API-Key": keys.everything}
    with TestClient(make()) as one, TestClient(make()) as other:
        for client in (one, other):  # both workers have the key cached as good for 10 min
            assert (
                client.post("/v1/scores", json=applications[0], headers=victim).status_code == 200
            )
        key_id = keys.everything.split("_")[1]
        revoked = one.delete(f"/v1/admin/keys/{key_id}", headers={"X-API-Key": keys.admin})
        assert revoked.status_code == 200 and revoked.json() == {"key_id": key_id, "revoked": True}
        assert one.post("/v1/scores", json=applications[0], headers=victim).status_code == 401
        started = time.monotonic()
        while other.post("/v1/scores", json=applications[0], headers=victim).status_code == 200:
            assert time.monotonic() - started < 1.5, "the other worker still accepts the key"
            time.sleep(0.05)
        unknown = one.delete("/v1/admin/keys/0123456789ab", headers={"X-API-Key": keys.admin})
        assert unknown.status_code == 404


def test_readiness_names_no_path_and_reports_the_drain_and_the_spool(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["spool_present"] is True
    assert body["drain"]["consecutive_failures"] == 0 and body["drain"]["error_class"] is None
    assert "/" not in str(body)


def test_a_deleted_spool_is_re_created_with_every_waiting_decision(
    migrated: Settings, stand_in: Any, keys: Any, applications: list[dict[str, Any]]
) -> None:
    # The drain is slow here, so decisions are still waiting in the file when it is deleted.
    settings = migrated.model_copy(update={"drain_interval_seconds": 3600.0})
    app = create_app(settings, model_loader=lambda _u: stand_in, model_identity_of=lambda _u: "x")
    headers = {"X-API-Key": keys.everything}
    with TestClient(app) as client:
        services = app.state.services
        services.drain.stop()  # nothing leaves the spool until it is re-created
        ids = [
            client.post("/v1/scores", json=a, headers=headers).json()["request_id"]
            for a in applications[:7]
        ]
        spool_dir = settings.resolved_spool_dir
        for path in spool_dir.glob("spool-*.sqlite*"):
            path.unlink()
        assert client.get("/readyz").json()["spool_present"] is False
        _wait_for(lambda: services.spool.present(), 10, "the spool to be re-created")
        # Each waiting decision was carried over, or logged by the old drain's last pass
        # (or both: the new drain then writes it once more, a no-op on its request id).
        assert services.spool.depth() + _logged(services, ids) >= len(ids)
        answer = client.post("/v1/scores", json=applications[8], headers=headers)
        assert answer.status_code == 200
        mode = stat.S_IMODE(find_spool_files(spool_dir)[0].stat().st_mode)
        assert mode == 0o600 and stat.S_IMODE(spool_dir.stat().st_mode) == 0o700
    for request_id in [*ids, answer.json()["request_id"]]:  # every answered decision logged
        assert _logged_by_url(settings.resolved_database_url, request_id), request_id


def _logged(services: Any, ids: list[str]) -> int:
    from credit_scoring.store.decision_log import decision_exists

    return sum(decision_exists(services.engine, i) for i in ids)


def _logged_by_url(url: str, request_id: str) -> bool:
    from credit_scoring.store.decision_log import decision_exists
    from credit_scoring.store.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        return decision_exists(engine, request_id)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_schema_break_is_classified_and_makes_the_api_not_ready(
    postgres_url: str, tmp_path: Any, stand_in: Any, applications: list[dict[str, Any]],
    make_keys_fixture: Any,
) -> None:  # fmt: skip
    from credit_scoring.settings import get_settings
    from credit_scoring.store.migrate import upgrade_database

    upgrade_database(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("TRUNCATE decisions, outcomes, api_keys, decision_reads")
    keys = make_keys_fixture(postgres_url)
    settings = get_settings(
        environment="test", home=tmp_path / "home", database_url=postgres_url,
        access_log=False, reload_poll_seconds=0.0, drain_interval_seconds=0.05,
        drain_process=False, model_uri="stand-in",
    )  # fmt: skip
    app = create_app(settings, model_loader=lambda _u: stand_in, model_identity_of=lambda _u: "x")
    try:
        with TestClient(app) as client:
            with psycopg.connect(postgres_url, autocommit=True) as connection:
                connection.execute("ALTER TABLE decisions RENAME COLUMN latency_ms TO latency_gone")
            headers = {"X-API-Key": keys.score}
            assert (
                client.post("/v1/scores", json=applications[0], headers=headers).status_code == 200
            )
            _wait_for(
                lambda: app.state.services.drain.health().error_class == "schema", 10,
                "the drain to report a schema error",
            )  # fmt: skip
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "schema" in ready.json()["detail"]
            metrics = client.get("/metrics").text
            assert 'credit_scoring_drain_errors_total{error_class="schema"}' in metrics
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute("ALTER TABLE decisions RENAME COLUMN latency_gone TO latency_ms")


def test_drain_errors_are_classified() -> None:
    import sqlite3

    class PgError(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    assert classify_drain_error(PgError("42703")) == "schema"
    assert classify_drain_error(PgError("23505")) == "constraint"
    assert classify_drain_error(PgError("08006")) == "unreachable"
    assert classify_drain_error(PgError("57014")) == "unreachable"
    assert classify_drain_error(PgError("55P03")) == "unreachable"
    assert classify_drain_error(sqlite3.OperationalError("no such column: x")) == "schema"
    assert classify_drain_error(ConnectionRefusedError()) == "unreachable"
    assert classify_drain_error(ValueError("?")) == "other"


def test_a_key_is_trusted_from_the_cache_during_an_outage_only_for_a_while(
    migrated: Settings, keys: Any
) -> None:
    from credit_scoring.serving.keys import KeyVerifier
    from credit_scoring.store.engine import create_db_engine

    engine = create_db_engine(migrated.resolved_database_url)
    key_id = keys.score.split("_")[1]
    try:
        generous = KeyVerifier(engine, ttl_seconds=0.0, stale_seconds=3600.0)
        capped = KeyVerifier(engine, ttl_seconds=0.0, stale_seconds=0.0)
        for verifier in (generous, capped):
            verifier.fetch(key_id)
        time.sleep(0.01)
        assert generous.last_known(key_id)[0] is True
        assert capped.last_known(key_id) == (False, None)  # → 503 "key store unavailable"
        capped.refresh_revocations()
        revoked_id = keys.revoked.split("_")[1]
        assert capped.cached(revoked_id) == (True, None)  # refused without a lookup
    finally:
        engine.dispose()


def test_every_read_of_a_decision_is_recorded_with_the_key_id(
    client: TestClient, app: FastAPI, auth: Auth, keys: Any, applications: list[dict[str, Any]]
) -> None:
    from sqlalchemy import select

    from credit_scoring.store.tables import decision_reads

    answer = client.post("/v1/scores", json=applications[0], headers=auth("score")).json()
    assert client.get(f"/v1/scores/{answer['request_id']}", headers=auth("read")).status_code == 200
    missing = "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"
    assert client.get(f"/v1/scores/{missing}", headers=auth("read")).status_code == 404
    with app.state.services.engine.connect() as connection:
        rows = connection.execute(
            select(decision_reads.c.key_id, decision_reads.c.request_id, decision_reads.c.found)
        ).all()
    key_id = keys.read.split("_")[1]
    assert sorted(map(tuple, rows)) == sorted(
        [(key_id, answer["request_id"], True), (key_id, missing, False)]
    )


def test_unknown_key_ids_are_refused_without_a_database_lookup(
    migrated: Settings, keys: Any
) -> None:
    from credit_scoring.serving.keys import UNKNOWN_READS_PER_SECOND, KeyVerifier
    from credit_scoring.store.engine import create_db_engine

    engine = create_db_engine(migrated.resolved_database_url)
    try:
        verifier = KeyVerifier(engine, ttl_seconds=600.0)
        verifier.refresh_revocations()
    finally:
        engine.dispose()  # any lookup from here on would fail
    answers = [verifier.cached(f"{n:012x}") for n in range(200)]  # random ids, each new
    # A few may read the ids again (a key created a moment ago would be found); the rest are
    # refused from memory, without touching the database.
    assert answers.count((True, None)) >= 200 - 2 * UNKNOWN_READS_PER_SECOND
    assert set(answers) <= {(True, None), (False, None)}
    assert verifier.cached(keys.score.split("_")[1]) == (False, None)  # known: looked up


@pytest.mark.postgres
def test_a_fixture_blocked_by_a_stuck_session_fails_with_a_message(
    postgres_url: str, truncate_log_fixture: Any
) -> None:
    from credit_scoring.store.migrate import upgrade_database

    truncate_log = truncate_log_fixture
    upgrade_database(postgres_url)
    with psycopg.connect(postgres_url) as stuck:  # a transaction holding a lock, left open
        stuck.execute("LOCK TABLE outcomes IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(pytest.fail.Exception, match="another session holds a lock"):
            truncate_log(postgres_url, options="-c lock_timeout=200")
        assert time.monotonic() - started < 10
