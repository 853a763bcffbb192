"""Streamlit glue shared by the pages: settings, the read-only engine, cached queries,
the login page, sidebar filters and empty states."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from credit_scoring.dashboard.auth import authenticate, resolve_client_address
from credit_scoring.errors import CreditScoringError
from credit_scoring.runtime.bundle import Bundle, load_bundle
from credit_scoring.settings import Settings, get_settings
from credit_scoring.store import reads
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.reviews import record_access
from credit_scoring.store.users import DashboardUser, get_user

T = TypeVar("T")
USER_KEY = "dashboard_user"
ACTIVE_KEY = "dashboard_last_active"
NOTICE_KEY = "dashboard_notice"
PERIODS: dict[str, timedelta | None] = {
    "last 24 hours": timedelta(days=1),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
    "everything": None,
}


def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    """One read-only engine per database URL for the dashboard process."""
    return create_db_engine(url, read_only=True)


@st.cache_resource(show_spinner=False)
def _writer(url: str) -> Engine:
    return create_db_engine(url)


def write_engine() -> Engine:
    """The serving database, writable: users, login attempts, reviews and the access audit
    (the monitoring queries keep their read-only engine)."""
    return _writer(settings().resolved_database_url)


def database_url() -> str:
    return settings().resolved_dashboard_database_url


_CACHED: dict[tuple[Callable[..., Any], float], Callable[..., Any]] = {}


def cached(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(engine, *args, **kwargs)`` through ``st.cache_data`` with the settings' TTL
    (the engine is identified by the database URL)."""
    ttl = settings().dashboard_cache_seconds
    key = (function, ttl)
    if key not in _CACHED:

        def run(url: str, *a: Any, **kw: Any) -> Any:
            return function(engine(url), *a, **kw)

        run.__name__ = run.__qualname__ = f"cached_{function.__name__}"
        _CACHED[key] = st.cache_data(ttl=ttl, show_spinner=False)(run)
    result: T = _CACHED[key](database_url(), *args, **kwargs)
    return result


@st.cache_resource(show_spinner="Loading the model bundle …")
def bundle(model_uri: str) -> Bundle:
    return load_bundle(model_uri, settings=settings())


def current_bundle() -> Bundle | None:
    """The served model's bundle, or ``None`` (with a message) when it cannot be loaded."""
    uri = settings().resolved_model_uri
    try:
        return bundle(uri)
    except CreditScoringError as exc:
        empty_state(
            f"The model bundle {uri} cannot be loaded: {exc}",
            "Train a model (`credit-scoring train`) or set CREDIT_SCORING_MODEL_URI.",
        )
        return None


# -- login, roles, sessions -----------------------------------------------------------------


def client_address() -> str:
    """The browser's address as the login throttle counts it: the connection's peer as
    Streamlit sees it, or the client X-Forwarded-For names when the peer is a trusted proxy
    (:func:`~credit_scoring.dashboard.auth.resolve_client_address`); ``local`` when unknown
    (tests)."""
    try:
        address = st.context.ip_address
        forwarded = [str(line) for line in st.context.headers.get_all("X-Forwarded-For")]
    except Exception:
        address, forwarded = None, []
    peer = None if address is None else str(address)
    return resolve_client_address(peer, forwarded, settings().dashboard_proxy_networks)


def logged_in() -> bool:
    """Whether this session has a user, expiring it after the idle timeout."""
    if not st.session_state.get(USER_KEY):
        return False
    now = time.monotonic()
    last = float(st.session_state.get(ACTIVE_KEY, now))
    if now - last > 60.0 * settings().dashboard_idle_minutes:
        _log_out()
        st.session_state[NOTICE_KEY] = "Your session expired after inactivity: log in again."
        return False
    st.session_state[ACTIVE_KEY] = now
    return True


def current_user() -> DashboardUser | None:
    """The logged-in user as stored now (a disabled user or changed role applies at once;
    an idle session has expired)."""
    if not logged_in():
        return None
    name = st.session_state.get(USER_KEY)
    user = get_user(write_engine(), str(name))
    if user is None or user.disabled:
        _log_out()
        return None
    return user


def require_role(role: str) -> DashboardUser:
    """Stop the page unless the user has ``role`` (or a higher one)."""
    user = current_user()
    if user is None and st.session_state.get(NOTICE_KEY):
        st.warning(st.session_state.pop(NOTICE_KEY))
    if user is None or not user.may(role):
        st.error(f"This page needs the {role} role.", icon=":material/block:")
        st.stop()
    assert user is not None
    return user


def audit(action: str, *, request_id: str | None = None, **detail: Any) -> None:
    """Record an action of the logged-in user (e.g. opening an applicant's data)."""
    record_access(
        write_engine(), username=str(st.session_state.get(USER_KEY, "-")), action=action,
        request_id=request_id, detail=detail or None,
    )  # fmt: skip


def login_page() -> None:
    """The only page before login."""
    st.title("credit-scoring monitoring")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(notice)
    with st.form("login"):
        user = st.text_input("User", key="login_user")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    st.caption(
        "Users are created with `credit-scoring users add NAME --role viewer|underwriter|admin`; "
        "there is no default user."
    )
    if submitted:
        try:
            result = authenticate(
                write_engine(), username=user, password=password, address=client_address()
            )
        except CreditScoringError as exc:
            st.error(str(exc))
            return
        if result.user is not None:
            st.session_state[USER_KEY] = result.user.username
            st.session_state[ACTIVE_KEY] = time.monotonic()
            st.rerun()
        st.error(result.message)


def _log_out() -> None:
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(ACTIVE_KEY, None)


def sidebar_account(user: DashboardUser) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{user.username}** · {user.role}")
        st.button("Log out", key="logout", on_click=_log_out)


# -- filters and states --------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    granularity: reads.Granularity
    since: datetime | None


def time_filters(*, default_granularity: str = "auto") -> Filters:
    """Period and time-bucket selectors in the sidebar; ``auto`` picks the finest bucket that
    keeps the period's decisions within a readable number of buckets."""
    options = ["auto", *reads.GRANULARITIES]
    with st.sidebar:
        period = st.selectbox("Period", list(PERIODS), index=3, key="period")
        choice = st.selectbox(
            "Time bucket", options, index=options.index(default_granularity), key="granularity"
        )
    span = PERIODS[period]
    since = None
    if span is not None:
        # Rounded down to the hour, so the cache key stays the same within an hour.
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        since = now - span
    if choice == "auto":
        summary = cached(reads.log_summary)
        first = (
            summary["first"]
            if since is None or summary["first"] is None
            else max(summary["first"], since)
        )
        granularity = reads.auto_granularity(first, summary["last"])
    else:
        granularity = cast(reads.Granularity, choice)
    return Filters(granularity=granularity, since=since)


def empty_state(message: str, hint: str | None = None) -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon=":material/info:")


def log_is_empty() -> bool:
    """Show the empty state of a log without decisions (``True`` if so)."""
    summary = cached(reads.log_summary)
    if summary["decisions"] == 0:
        empty_state(
            "No decisions yet: the decision log is empty.",
            "Score applications through the API (`credit-scoring serve`), or send simulated "
            "traffic with `credit-scoring simulate --n 1000 --scenario sudden --with-outcomes`.",
        )
        return True
    return False


def decisions_over_time(read: Callable[..., pd.DataFrame]) -> tuple[Filters, pd.DataFrame]:
    """The sidebar's filters and the rows ``read`` gives for them (a read of the decision log
    per time bucket); when there are none, the page stops at the empty state."""
    filters = time_filters()
    if log_is_empty():
        st.stop()
    rows = cached(read, granularity=filters.granularity, since=filters.since)
    if rows.empty:
        empty_state("No decisions in the selected period.", "Choose a longer period.")
        st.stop()
    return filters, rows


def window_choice(job: str, *, key: str) -> str | None:
    """A selector of the window widths with stored results of ``job`` (``None``: none)."""
    sizes = cached(reads.stored_window_sizes, job)
    if not sizes:
        return None
    with st.sidebar:
        choice: str = st.selectbox("Monitoring window", sizes, key=key)
    return choice


def percent(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1%}"
