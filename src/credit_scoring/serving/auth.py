"""Authentication and scopes of the API: ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.

401 for a missing, malformed, unknown or revoked key; 403 for a valid key without the scope
the route needs. In open local mode (a setting, for development on loopback) every request
is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.keys import SCOPES, KeyVerifier, key_id_of
from credit_scoring.serving.observability import KEY_ID_KEY
from credit_scoring.serving.state import Services

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="credit-scoring"'}
_BEARER = "bearer "


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id (``None`` in open local mode) and its scopes."""

    key_id: str | None
    scopes: frozenset[str]


_OPEN = Principal(key_id=None, scopes=frozenset(SCOPES))


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers=_CHALLENGE)


async def authenticate(verifier: KeyVerifier, key: str | None) -> Principal:
    """The principal of ``key``; raises 401 for anything but an active key."""
    if not key:
        raise _unauthorized("missing API key (send X-API-Key or Authorization: Bearer)")
    key_id = key_id_of(key)
    if key_id is None:
        raise _unauthorized("invalid API key")
    hit, stored = verifier.cached(key_id)
    if not hit:
        try:
            stored = await run_in_threadpool(verifier.fetch, key_id)
        except Exception as exc:
            known, stored = verifier.last_known(key_id)
            if not known:
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE, detail="key store unavailable"
                ) from exc
    if stored is None or not verifier.matches(key, stored):
        raise _unauthorized("invalid or revoked API key")
    return Principal(key_id=key_id, scopes=stored.scopes)


class ApiKeyScope(APIKeyHeader):
    """One dependency per scope: reads the key (``X-API-Key``, else a bearer token), checks
    it and the scope, and documents the scheme in OpenAPI (a single dependency keeps the
    request path short)."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        super().__init__(
            name="X-API-Key",
            scheme_name="ApiKey",
            description="An API key from `credit-scoring keys create` "
            "(`Authorization: Bearer <key>` works too).",
            auto_error=False,
        )
        self.scope = scope

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        services: Services = request.app.state.services
        if services.settings.open_local_mode:
            return _OPEN
        key = request.headers.get("x-api-key")
        if not key:
            authorization = request.headers.get("authorization", "")
            if authorization[: len(_BEARER)].lower() == _BEARER:
                key = authorization[len(_BEARER) :].strip()
        principal = await authenticate(services.keys, key)
        request.scope[KEY_ID_KEY] = principal.key_id  # for the access log
        if self.scope not in principal.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this API key lacks the {self.scope!r} scope"
            )
        return principal


def require_scope(scope: str) -> ApiKeyScope:
    """The dependency admitting keys that hold ``scope``."""
    return ApiKeyScope(scope)
