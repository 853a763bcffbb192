"""Dashboard login: named users (``credit-scoring users add``) whose passwords are stored
only as salted scrypt hash lines (``scrypt:32768:8:1:<salt hex>:<key hex>``) in the database.

There is no default user. Comparisons are constant-time; failed attempts are stored and
throttle further attempts per user and per client address (:mod:`credit_scoring.store.users`);
password checks are bounded per process. Behind a reverse proxy every connection comes from
the proxy: :func:`resolve_client_address` takes the client's address from X-Forwarded-For, but only
when the connection comes from a proxy the settings trust.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
import threading
from collections.abc import Iterable, Sequence
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


ProxyNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: What a connection without a named peer is counted as (Streamlit names no loopback peer).
LOCAL = "local"
_LOOPBACK = "127.0.0.1"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``text`` as an address (``1.2.3.4:80`` and ``[::1]:80`` without their port; an IPv4
    address mapped into IPv6 as IPv4), or ``None`` when it is none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, proxies: Sequence[ProxyNetwork]) -> bool:
    address = _ip(text)
    return address is not None and any(address in network for network in proxies)


def _named(entry: str) -> str:
    """An X-Forwarded-For entry as the address it names (as written when it names none)."""
    address = _ip(entry)
    return entry if address is None else str(address)


def resolve_client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Sequence[ProxyNetwork]
) -> str:
    """The address the login throttle counts for a connection from ``peer`` (``None``: a
    loopback peer, which Streamlit does not name, counted as :data:`LOCAL`).

    Only when ``peer`` is one of ``trusted_proxies`` is X-Forwarded-For read
    (``forwarded_for``: the header's lines, in order): each proxy appends the address it was
    reached from, so the client is the right-most entry that is not itself a trusted proxy;
    what lies further left came from the client and proves nothing. When every entry is a
    trusted proxy the left-most is the client; without the header, the peer. From any other
    peer the header is ignored, so a client cannot choose the address it is counted under.
    """
    counted = peer or LOCAL
    if not _trusted(peer or _LOOPBACK, trusted_proxies):
        return counted
    chain = [e.strip() for line in forwarded_for for e in line.split(",") if e.strip()]
    for entry in reversed(chain):
        if not _trusted(entry, trusted_proxies):
            return _named(entry)
    return _named(chain[0]) if chain else counted


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
