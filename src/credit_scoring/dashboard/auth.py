"""Dashboard login: named users (``credit-scoring users add``) whose passwords are stored
only as salted scrypt hash lines (``scrypt:32768:8:1:<salt hex>:<key hex>``) in the database.

There is no default user. Comparisons are constant-time; failed attempts are stored and
throttle further attempts per user and per client address (:mod:`credit_scoring.store.users`);
password checks are bounded per process.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from credit_scoring.errors import ConfigurationError
from credit_scoring.store.users import (
    DashboardUser,
    ThrottlePolicy,
    get_user,
    record_attempt,
    throttled,
)

SCHEME = "scrypt"
#: scrypt cost parameters: 2^15 × 8 × 128 bytes = 32 MiB of memory per check (OWASP level).
N, R, P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 12


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=length
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The hash line of ``password`` (a fresh random salt unless one is given)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigurationError(
            f"the dashboard password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, N, R, P, _KEY_BYTES)
    return f"{SCHEME}:{N}:{R}:{P}:{salt.hex()}:{key.hex()}"


@dataclass(frozen=True)
class PasswordHash:
    """A parsed hash line."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, encoded: str) -> PasswordHash:
        parts = encoded.strip().split(":")
        try:
            scheme, n, r, p, salt, key = parts
            if scheme != SCHEME:
                raise ValueError(f"scheme {scheme!r}")
            parsed = cls(int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(key))
        except ValueError as exc:
            raise ConfigurationError(
                "the stored password hash is not a hash line "
                f"scrypt:<n>:<r>:<p>:<salt hex>:<key hex> ({exc})"
            ) from None
        if parsed.n < 2**14 or len(parsed.salt) < 8 or len(parsed.key) < 16:
            raise ConfigurationError("the dashboard password hash is too weak (n, salt or key)")
        return parsed

    def verify(self, password: str) -> bool:
        candidate = _derive(password, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(candidate, self.key)


#: Password checks running at once in a dashboard process (each takes 32 MiB of scrypt);
#: a login waits at most :data:`CHECK_WAIT_SECONDS` for a free slot.
MAX_CONCURRENT_CHECKS = 2
CHECK_WAIT_SECONDS = 5.0
_CHECKS = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)


@functools.cache
def _decoy() -> PasswordHash:
    """A hash nobody knows the password of: unknown and disabled users cost a full check too,
    so timing does not tell which user names exist."""
    return PasswordHash.parse(hash_password(secrets.token_urlsafe(24)))


@dataclass(frozen=True)
class LoginResult:
    """A logged-in user, or why not (a message safe to show)."""

    user: DashboardUser | None
    message: str = ""


def authenticate(
    engine: Engine,
    *,
    username: str,
    password: str,
    address: str,
    policy: ThrottlePolicy = ThrottlePolicy(),
) -> LoginResult:
    """Check a login against the stored users. Throttled per user and per client address
    from the stored attempts (so across browser sessions and processes); at most
    :data:`MAX_CONCURRENT_CHECKS` password checks at once; every checked attempt is stored."""
    username = username.strip()[:100]
    why = throttled(engine, username=username, address=address, policy=policy)
    if why is not None:
        return LoginResult(None, why)
    if not _CHECKS.acquire(timeout=CHECK_WAIT_SECONDS):
        return LoginResult(None, "the server is busy checking other logins: try again shortly")
    try:
        user = get_user(engine, username) if username else None
        usable = user is not None and not user.disabled
        stored = PasswordHash.parse(user.password_hash) if usable and user else _decoy()
        ok = stored.verify(password) and usable
    finally:
        _CHECKS.release()
    record_attempt(engine, username=username or "-", address=address, success=ok)
    if not ok:
        return LoginResult(None, "Wrong user or password.")
    return LoginResult(user)
