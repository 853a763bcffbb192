"""API keys and scopes: every protected route × missing/wrong/revoked/insufficient key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from credit_scoring.errors import ConfigurationError
from credit_scoring.serving.app import create_app
from credit_scoring.serving.keys import ApiKeyError, create_key, list_keys, revoke_key
from credit_scoring.settings import Settings
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.tables import api_keys

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

REQUEST_ID = "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"

#: (method, path template, scope needed, a key lacking it)
PROTECTED = [
    ("POST", "/v1/scores", "score", "read"),
    ("POST", "/v1/scores/batch", "score", "read"),
    ("GET", "/v1/scores/{request_id}", "read", "score"),
    ("GET", "/v1/scores", "read", "admin"),
    ("POST", "/v1/outcomes", "outcomes", "score"),
    ("POST", "/v1/reviews", "review", "score"),
    ("GET", "/v1/model", "read", "score"),
    ("POST", "/v1/admin/reload", "admin", "score"),
    ("DELETE", "/v1/admin/keys/{key_id}", "admin", "outcomes"),
]


def _call(
    client: TestClient, method: str, path: str, headers: dict[str, str], application: dict[str, Any]
) -> int:
    url = path.replace("{request_id}", REQUEST_ID).replace("{key_id}", "0123456789ab")
    body: Any = None
    if path == "/v1/scores" and method == "POST":
        body = application
    elif path == "/v1/scores/batch":
        body = {"applications": [application]}
    elif path == "/v1/outcomes":
        body = {"request_id": REQUEST_ID, "defaulted": False}
    elif path == "/v1/reviews":
        body = {"request_id": REQUEST_ID, "final_decision": "REFUSE", "reviewer": "ops",
                "reason": "other (see comment)"}  # fmt: skip
    return client.request(method, url, json=body, headers=headers).status_code


def test_the_table_covers_every_protected_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    secured = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if operation.get("security")
    }
    assert secured == {(m, p) for m, p, _, _ in PROTECTED}


@pytest.mark.parametrize(("method", "path", "scope", "lacking"), PROTECTED)
def test_each_route_refuses_missing_wrong_revoked_and_insufficient_keys(
    client: TestClient,
    keys: Any,
    applications: list[dict[str, Any]],
    method: str,
    path: str,
    scope: str,
    lacking: str,
) -> None:
    app_row = applications[0]
    good = getattr(keys, scope)
    forged = good[:-6] + ("A" * 6 if not good.endswith("A" * 6) else "B" * 6)
    cases = {
        "missing": ({}, 401),
        "malformed": ({"X-API-Key": "not-a-key"}, 401),
        "unknown": ({"X-API-Key": "cs_0123456789ab_" + "x" * 43}, 401),
        "wrong secret": ({"X-API-Key": forged}, 401),
        "revoked": ({"X-API-Key": keys.revoked}, 401),
        "insufficient": ({"X-API-Key": getattr(keys, lacking)}, 403),
    }
    for name, (headers, expected) in cases.items():
        assert _call(client, method, path, headers, app_row) == expected, name
    allowed = _call(client, method, path, {"X-API-Key": good}, app_row)
    assert allowed not in (401, 403)
    bearer = _call(client, method, path, {"Authorization": f"Bearer {good}"}, app_row)
    assert bearer == allowed


def test_a_401_challenges_for_a_bearer_key(client: TestClient) -> None:
    response = client.get("/v1/model")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_probes_and_metrics_need_no_key(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_keys_are_stored_as_sha256_and_shown_once(migrated: Settings) -> None:
    engine = create_db_engine(migrated.resolved_database_url)
    record, key = create_key(engine, name="batch job", scopes=["read", "score"])
    with engine.connect() as connection:
        stored = connection.execute(select(api_keys)).one()
    engine.dispose()
    assert key.startswith(f"cs_{record.key_id}_") and len(key) == 3 + 12 + 1 + 43
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in stored}
    assert stored.scopes == "score read"


def test_keys_are_listed_and_revoked_by_id(migrated: Settings) -> None:
    engine = create_db_engine(migrated.resolved_database_url)
    first, _ = create_key(engine, name="one", scopes=["read"])
    second, _ = create_key(engine, name="two", scopes=["admin"])
    revoke_key(engine, first.key_id)
    revoke_key(engine, first.key_id)  # idempotent
    listed = {k.key_id: k for k in list_keys(engine)}
    assert not listed[first.key_id].active and listed[second.key_id].active
    with pytest.raises(ApiKeyError, match="no API key with id"):
        revoke_key(engine, "ffffffffffff")
    with pytest.raises(ApiKeyError, match="unknown or missing scope"):
        create_key(engine, name="x", scopes=["superuser"])
    with pytest.raises(ApiKeyError, match="unknown or missing scope"):
        create_key(engine, name="x", scopes=[])
    engine.dispose()


def test_a_revoked_key_is_refused_once_the_cache_expires(
    client: TestClient, keys: Any, migrated: Settings
) -> None:
    headers = {"X-API-Key": keys.read}
    assert client.get("/v1/model", headers=headers).status_code == 200
    engine = create_db_engine(migrated.resolved_database_url)
    revoke_key(engine, keys.read.split("_")[1])
    engine.dispose()
    # key_cache_seconds is 0 in these settings: the next request sees the revocation.
    assert client.get("/v1/model", headers=headers).status_code == 401


def test_open_local_mode_needs_no_key_and_is_refused_in_production(
    migrated: Settings,
    stand_in: Any,
    applications: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from fastapi.testclient import TestClient

    open_settings = migrated.model_copy(update={"open_local_mode": True})
    app = create_app(open_settings, model_loader=lambda _u: stand_in, model_identity_of=str)
    with caplog.at_level("WARNING"), TestClient(app) as client:
        assert client.post("/v1/scores", json=applications[0]).status_code == 200
        assert client.post("/v1/admin/reload").status_code == 200
    assert any("OPEN LOCAL MODE" in r.getMessage() for r in caplog.records)
    production = open_settings.model_copy(update={"environment": "production"})
    app = create_app(production, model_loader=lambda _u: stand_in, model_identity_of=str)
    with pytest.raises(ConfigurationError, match="production"), TestClient(app):
        pass


def test_key_lookups_are_cached(
    migrated: Settings, stand_in: Any, keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from credit_scoring.serving import keys as keys_module

    cached = migrated.model_copy(update={"key_cache_seconds": 60.0})
    app = create_app(cached, model_loader=lambda _u: stand_in, model_identity_of=str)
    lookups: list[str] = []
    real: Callable[..., Any] = keys_module.load_stored_key
    monkeypatch.setattr(
        keys_module, "load_stored_key", lambda e, k: lookups.append(k) or real(e, k)
    )
    with TestClient(app) as client:
        for _ in range(20):
            assert client.get("/v1/model", headers={"X-API-Key": keys.read}).status_code == 200
            assert (
                client.get(
                    "/v1/model", headers={"X-API-Key": "cs_0123456789ab_" + "y" * 43}
                ).status_code
                == 401
            )
    # the unknown id costs no lookup of its own (the worker reads the key ids instead)
    assert lookups == [keys.read.split("_")[1]]


def test_keys_seen_before_are_accepted_while_the_key_store_is_down(
    migrated: Settings, keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from fastapi import HTTPException

    from credit_scoring.serving import keys as keys_module
    from credit_scoring.serving.auth import authenticate
    from credit_scoring.serving.keys import KeyVerifier

    engine = create_db_engine(migrated.resolved_database_url)
    verifier = KeyVerifier(engine, ttl_seconds=0.0)  # every lookup goes to the store
    assert asyncio.run(authenticate(verifier, keys.read)).scopes == {"read"}
    with pytest.raises(HTTPException) as revoked:
        asyncio.run(authenticate(verifier, keys.revoked))
    assert revoked.value.status_code == 401

    def store_down(_engine: Any, _key_id: str) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(keys_module, "load_stored_key", store_down)
    assert asyncio.run(authenticate(verifier, keys.read)).scopes == {"read"}  # last known
    forged = keys.read[:-6] + ("A" * 6 if not keys.read.endswith("A" * 6) else "B" * 6)
    outcomes = {}
    for name, key in {"forged": forged, "revoked": keys.revoked, "never seen": keys.score}.items():
        with pytest.raises(HTTPException) as refused:
            asyncio.run(authenticate(verifier, key))
        outcomes[name] = refused.value.status_code
    engine.dispose()
    assert outcomes == {"forged": 401, "revoked": 401, "never seen": 503}
