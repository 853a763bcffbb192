"""Authentication and scopes of the API: ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.

401 for a missing, malformed, unknown or revoked key; 403 for a valid key without the scope
the route needs. In open local mode (a setting, for development on loopback) every request
is allowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from credit_scoring.serving.keys import SCOPES, KeyVerifier, key_id_of
from credit_scoring.serving.state import Services

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from `credit-scoring keys create`."
)
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="credit-scoring"'}


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
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail="key store unavailable"
            ) from exc
    if stored is None or not verifier.matches(key, stored):
        raise _unauthorized("invalid or revoked API key")
    return Principal(key_id=key_id, scopes=stored.scopes)


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits keys holding ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def dependency(
        request: Request,
        api_key: Annotated[str | None, Security(_api_key_header)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Principal:
        services: Services = request.app.state.services
        if services.settings.open_local_mode:
            return _OPEN
        principal = await authenticate(
            services.keys, api_key or (bearer.credentials if bearer else None)
        )
        if scope not in principal.scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"this API key lacks the {scope!r} scope"
            )
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency
