"""Named dashboard users (hashed passwords, roles) and login attempts.

Roles: ``viewer`` (monitoring pages), ``underwriter`` (also scores applications and works the
review queue) and ``admin`` (also manages users). Passwords are stored only as scrypt hash
lines (``credit_scoring.dashboard.auth``). There is no default user: ``credit-scoring users
add`` creates them. Every login attempt is stored, so throttling holds across browser
sessions, dashboard processes and restarts (per user and per client address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from credit_scoring.errors import CreditScoringError
from credit_scoring.store.tables import dashboard_users, login_attempts

ROLES: tuple[str, ...] = ("viewer", "underwriter", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}


class UserError(CreditScoringError):
    """A user operation failed (unknown or duplicate user, unknown role)."""


@dataclass(frozen=True)
class DashboardUser:
    username: str
    password_hash: str
    role: str
    disabled: bool
    created_at: datetime

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a higher one."""
        return not self.disabled and _RANK[self.role] >= _RANK[role]


def _check_role(role: str) -> str:
    if role not in _RANK:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def _check_name(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise UserError("a user name is 1–100 characters without spaces")
    return name


def add_user(engine: Engine, *, username: str, password_hash: str, role: str) -> DashboardUser:
    """Create a user (its password given as a hash line)."""
    name, role = _check_name(username), _check_role(role)
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(dashboard_users).values(
                    username=name, password_hash=password_hash, role=role, disabled=False,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None
    return DashboardUser(name, password_hash, role, False, now)


def get_user(engine: Engine, username: str) -> DashboardUser | None:
    u = dashboard_users.c
    with engine.connect() as connection:
        row = connection.execute(
            select(u.username, u.password_hash, u.role, u.disabled, u.created_at).where(
                u.username == username
            )
        ).one_or_none()
    return None if row is None else DashboardUser(*row)


def list_users(engine: Engine) -> list[DashboardUser]:
    u = dashboard_users.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(u.username, u.password_hash, u.role, u.disabled, u.created_at).order_by(
                u.username
            )
        ).all()
    return [DashboardUser(*row) for row in rows]


def _update(engine: Engine, username: str, **values: object) -> None:
    with engine.begin() as connection:
        result = connection.execute(
            update(dashboard_users)
            .where(dashboard_users.c.username == username)
            .values(updated_at=datetime.now(UTC), **values)
        )
    if result.rowcount == 0:
        raise UserError(f"no user {username!r}")


def set_role(engine: Engine, username: str, role: str) -> None:
    _update(engine, username, role=_check_role(role))


def set_disabled(engine: Engine, username: str, *, disabled: bool = True) -> None:
    _update(engine, username, disabled=disabled)


def set_password_hash(engine: Engine, username: str, password_hash: str) -> None:
    _update(engine, username, password_hash=password_hash)


# -- login attempts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most ``max_user_failures`` wrong passwords per user and ``max_address_failures``
    per client address within ``window``; beyond that, logins from there wait out the window."""

    max_user_failures: int = 5
    max_address_failures: int = 20
    window: timedelta = timedelta(minutes=15)


def record_attempt(
    engine: Engine, *, username: str, address: str, success: bool, now: datetime | None = None
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(login_attempts).values(
                attempted_at=now or datetime.now(UTC), username=username[:100],
                address=address[:64], success=success,
            )
        )  # fmt: skip


def recent_failures(
    engine: Engine, *, username: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failed attempts since ``since`` for ``username`` (after its last success) and from
    ``address``."""
    a = login_attempts.c
    with engine.connect() as connection:
        last_success = connection.execute(
            select(func.max(a.attempted_at)).where(
                a.username == username, a.success.is_(True), a.attempted_at >= since
            )
        ).scalar()
        user_since = since if last_success is None else max(since, _aware(last_success))
        by_user = connection.execute(
            select(func.count()).where(
                and_(a.username == username, a.success.is_(False), a.attempted_at > user_since)
            )
        ).scalar_one()
        by_address = connection.execute(
            select(func.count()).where(
                and_(a.address == address, a.success.is_(False), a.attempted_at >= since)
            )
        ).scalar_one()
    return int(by_user), int(by_address)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def throttled(
    engine: Engine,
    *,
    username: str,
    address: str,
    policy: ThrottlePolicy = ThrottlePolicy(),
    now: datetime | None = None,
) -> str | None:
    """Why a login from ``address`` as ``username`` must wait now, or ``None``."""
    since = (now or datetime.now(UTC)) - policy.window
    by_user, by_address = recent_failures(engine, username=username, address=address, since=since)
    minutes = int(policy.window.total_seconds() // 60)
    if by_user >= policy.max_user_failures:
        return f"too many failed logins for this user: try again in up to {minutes} minutes"
    if by_address >= policy.max_address_failures:
        return f"too many failed logins from this address: try again in up to {minutes} minutes"
    return None
