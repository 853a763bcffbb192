"""Dashboard login: one user whose password is stored only as a salted scrypt hash.

``credit-scoring dashboard hash-password`` prints a hash line such as
``scrypt:32768:8:1:<salt hex>:<key hex>``; put it in ``CREDIT_SCORING_DASHBOARD_PASSWORD_HASH``
next to ``CREDIT_SCORING_DASHBOARD_USER``. There is no default password: without both
settings nobody can log in. Comparisons are constant-time; a wrong attempt waits a little
longer each time (per browser session) to slow guessing down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from credit_scoring.errors import ConfigurationError
from credit_scoring.settings import Settings

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
                "CREDIT_SCORING_DASHBOARD_PASSWORD_HASH is not a hash line "
                "scrypt:<n>:<r>:<p>:<salt hex>:<key hex> from "
                f"`credit-scoring dashboard hash-password` ({exc})"
            ) from None
        if parsed.n < 2**14 or len(parsed.salt) < 8 or len(parsed.key) < 16:
            raise ConfigurationError("the dashboard password hash is too weak (n, salt or key)")
        return parsed

    def verify(self, password: str) -> bool:
        candidate = _derive(password, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(candidate, self.key)


@dataclass(frozen=True)
class Credentials:
    """The configured login (``None`` when the dashboard is not configured for login)."""

    user: str
    password_hash: PasswordHash

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials | None:
        if not settings.dashboard_user or settings.dashboard_password_hash is None:
            return None
        encoded = settings.dashboard_password_hash.get_secret_value()
        return cls(settings.dashboard_user, PasswordHash.parse(encoded))

    def check(self, user: str, password: str) -> bool:
        """Both must match; the password is checked even for a wrong user (same timing)."""
        password_ok = self.password_hash.verify(password)
        user_ok = hmac.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
        return user_ok and password_ok


def failure_delay(failures: int) -> float:
    """Seconds to wait after the ``failures``-th wrong attempt in a row (0.5 s doubling, ≤ 8 s)."""
    return 0.0 if failures <= 0 else min(0.5 * 2 ** (failures - 1), 8.0)


def attempt_login(
    credentials: Credentials,
    user: str,
    password: str,
    *,
    failures: int,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Check a login attempt; a wrong one waits :func:`failure_delay` first."""
    if credentials.check(user, password):
        return True
    sleep(failure_delay(failures + 1))
    return False
