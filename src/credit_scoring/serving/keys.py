"""API keys: creation, listing, revocation (``credit-scoring keys …``) and a short-lived cache.

A key reads ``cs_<key_id>_<secret>``: ``key_id`` (12 hex digits) is public and indexes the
row; the whole key is random with 256 bits of entropy, so a plain SHA-256 of it is stored
(no slow hash needed) and compared in constant time. The key is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from credit_scoring.errors import CreditScoringError
from credit_scoring.store.tables import api_keys

#: How often each worker reads the revoked key ids (a revocation is effective everywhere
#: within about this delay).
REVOCATION_POLL_SECONDS = 0.5
#: Reads of every key id an unknown key id may trigger per second and worker (beyond: 401
#: from memory), so random key ids cannot turn into a database load.
UNKNOWN_READS_PER_SECOND = 10

#: ``score``: POST scores; ``outcomes``: POST outcomes (they feed realised performance, so
#: not every scoring client may post them); ``read``: GET decisions and the model card;
#: ``admin``: reload the model, revoke keys; ``review``: record the final decision of a review.
SCOPES: tuple[str, ...] = ("score", "outcomes", "read", "admin", "review")
_KEY_PATTERN = re.compile(r"^cs_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
_MAX_CACHED = 10_000


class ApiKeyError(CreditScoringError):
    """An API key operation failed (unknown key id, unknown scope…)."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class StoredKey:
    key_hash: str
    scopes: frozenset[str]
    revoked: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The public id of a well-formed key, ``None`` for anything else."""
    match = _KEY_PATTERN.match(key)
    return match.group(1) if match else None


def _check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown or not chosen:
        raise ApiKeyError(
            f"unknown or missing scope(s) {unknown}; expected one or more of {', '.join(SCOPES)}"
        )
    return chosen


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create_key(engine: Engine, *, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Create a key; returns its record and the key itself (shown once, never stored)."""
    chosen = _check_scopes(scopes)
    if not name.strip() or len(name) > 100:
        raise ApiKeyError("a key needs a name of 1 to 100 characters (who or what uses it)")
    key_id = secrets.token_hex(6)
    key = f"cs_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(key_id, name.strip(), chosen, datetime.now(UTC), None)
    with engine.begin() as connection:
        connection.execute(
            insert(api_keys).values(
                key_id=key_id,
                name=record.name,
                key_hash=hash_key(key),
                scopes=" ".join(s for s in SCOPES if s in chosen),
                created_at=record.created_at,
                revoked_at=None,
            )
        )
    return record, key


def list_keys(engine: Engine) -> list[ApiKey]:
    """Every key, oldest first (revoked ones included)."""
    with engine.connect() as connection:
        rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
    return [
        ApiKey(
            r.key_id,
            r.name,
            frozenset(r.scopes.split()),
            _utc(r.created_at) or datetime.now(UTC),
            _utc(r.revoked_at),
        )
        for r in rows
    ]


def revoke_key(engine: Engine, key_id: str) -> None:
    """Revoke a key by its public id (idempotent for an already revoked key)."""
    with engine.begin() as connection:
        found = connection.execute(
            select(api_keys.c.revoked_at).where(api_keys.c.key_id == key_id)
        ).first()
        if found is None:
            raise ApiKeyError(f"no API key with id {key_id!r} (see `credit-scoring keys list`)")
        if found.revoked_at is None:
            connection.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id)
                .values(revoked_at=datetime.now(UTC))
            )


def key_ids(engine: Engine) -> tuple[set[str], set[str]]:
    """The ids of every key and of the revoked ones (a small table: read twice a second by
    each worker)."""
    with engine.connect() as connection:
        rows = connection.execute(select(api_keys.c.key_id, api_keys.c.revoked_at)).all()
    return {str(r.key_id) for r in rows}, {str(r.key_id) for r in rows if r.revoked_at}


def load_stored_key(engine: Engine, key_id: str) -> StoredKey | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(api_keys.c.key_hash, api_keys.c.scopes, api_keys.c.revoked_at).where(
                api_keys.c.key_id == key_id
            )
        ).first()
    if row is None:
        return None
    return StoredKey(row.key_hash, frozenset(row.scopes.split()), row.revoked_at is not None)


class KeyVerifier:
    """Verifies presented keys against the database, caching lookups ``ttl_seconds``.

    Unknown key ids cost no database round trip: :meth:`refresh_revocations` (called every
    ``REVOCATION_POLL_SECONDS`` by the app) reads the ids of every key, and an id not among
    them costs no lookup of its own: it makes the worker read the ids again (so a key created
    a moment ago works at once), at most ``UNKNOWN_READS_PER_SECOND`` times a second however
    many unknown ids arrive; beyond that budget they are refused from memory. It also marks
    revoked keys at once, sooner than the TTL. While the key store is
    unreachable, what it said last is trusted for at most ``stale_seconds``.
    """

    def __init__(self, engine: Engine, *, ttl_seconds: float, stale_seconds: float = 60.0) -> None:
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self.stale_seconds = stale_seconds
        #: key id → (expires at, stored key, fetched at), monotonic seconds.
        self._cache: dict[str, tuple[float, StoredKey | None, float]] = {}
        self._revoked: frozenset[str] = frozenset()
        self._known: frozenset[str] | None = None  # None until first read
        self._tokens = float(UNKNOWN_READS_PER_SECOND)
        self._tokens_at = time.monotonic()
        self._lock = threading.Lock()

    def cached(self, key_id: str) -> tuple[bool, StoredKey | None]:
        """``(hit, stored)`` from the cache only."""
        if key_id in self._revoked:
            return True, None
        if self._known is not None and key_id not in self._known:
            # Read the ids again (a new key?) while the budget lasts, else refuse from memory.
            return (False, None) if self._take_token() else (True, None)
        entry = self._cache.get(key_id)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def _take_token(self) -> bool:
        now = time.monotonic()
        refill = (now - self._tokens_at) * UNKNOWN_READS_PER_SECOND
        self._tokens = min(float(UNKNOWN_READS_PER_SECOND), self._tokens + refill)
        self._tokens_at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def last_known(self, key_id: str) -> tuple[bool, StoredKey | None]:
        """``(known, stored)`` from the cache, expired or not, if fetched within
        ``stale_seconds``: what the key store said last. Used only while the store is
        unreachable, so a short database outage does not turn into errors for clients whose
        keys were already verified, and a long one does not keep a key alive for ever."""
        if key_id in self._revoked:
            return True, None
        entry = self._cache.get(key_id)
        if entry is None or time.monotonic() - entry[2] > self.stale_seconds:
            return False, None
        return True, entry[1]

    def fetch(self, key_id: str) -> StoredKey | None:
        """Look ``key_id`` up in the database and cache the answer (blocking). An id not among
        the known ones reads the ids again instead (see the class docstring)."""
        if self._known is not None and key_id not in self._known:
            self.refresh_revocations()
            if key_id not in self._known:
                return None
        stored = load_stored_key(self.engine, key_id)
        now = time.monotonic()
        with self._lock:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key_id] = (now + self.ttl_seconds, stored, now)
        return stored

    def refresh_revocations(self) -> None:
        """Read the key ids (blocking): a revoked key fails from now on, an unknown id is
        refused without a lookup."""
        known, revoked = key_ids(self.engine)
        self._known, self._revoked = frozenset(known), frozenset(revoked)

    def revoke(self, key_id: str) -> None:
        """Revoke ``key_id`` in the database and in this process's cache at once."""
        revoke_key(self.engine, key_id)
        self._revoked = self._revoked | {key_id}

    @staticmethod
    def matches(key: str, stored: StoredKey | None) -> bool:
        """Constant-time comparison of the presented key with the stored hash."""
        if stored is None or stored.revoked:
            return False
        return hmac.compare_digest(hash_key(key), stored.key_hash)

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
