"""Streamlit glue shared by the pages: settings, the read-only engine, cached queries,
the login page, sidebar filters and empty states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from credit_scoring.dashboard import queries
from credit_scoring.dashboard.auth import Credentials, attempt_login
from credit_scoring.errors import CreditScoringError
from credit_scoring.model.bundle import Bundle, load_bundle
from credit_scoring.settings import Settings, get_settings

T = TypeVar("T")
USER_KEY = "dashboard_user"
FAILURES_KEY = "dashboard_login_failures"
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
    return queries.read_only_engine(url)


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


# -- login ---------------------------------------------------------------------------------


def logged_in() -> bool:
    return bool(st.session_state.get(USER_KEY))


def login_page() -> None:
    """The only page before login."""
    st.title("credit-scoring monitoring")
    try:
        credentials = Credentials.from_settings(settings())
    except CreditScoringError as exc:
        st.error(str(exc))
        return
    if credentials is None:
        st.error(
            "Login is not configured: set CREDIT_SCORING_DASHBOARD_USER and "
            "CREDIT_SCORING_DASHBOARD_PASSWORD_HASH (create the hash with "
            "`credit-scoring dashboard hash-password`). There is no default password."
        )
        return
    with st.form("login"):
        user = st.text_input("User", key="login_user")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        failures = int(st.session_state.get(FAILURES_KEY, 0))
        if attempt_login(credentials, user, password, failures=failures):
            st.session_state[USER_KEY] = user
            st.session_state[FAILURES_KEY] = 0
            st.rerun()
        st.session_state[FAILURES_KEY] = failures + 1
        st.error("Wrong user or password.")


def _log_out() -> None:
    st.session_state.pop(USER_KEY, None)


def sidebar_account() -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{st.session_state.get(USER_KEY)}** · read-only")
        st.button("Log out", key="logout", on_click=_log_out)


# -- filters and states --------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    granularity: queries.Granularity
    since: datetime | None


def time_filters(*, default_granularity: str = "auto") -> Filters:
    """Period and time-bucket selectors in the sidebar; ``auto`` picks the finest bucket that
    keeps the period's decisions within a readable number of buckets."""
    options = ["auto", *queries.GRANULARITIES]
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
        summary = cached(queries.log_summary)
        first = (
            summary["first"]
            if since is None or summary["first"] is None
            else max(summary["first"], since)
        )
        granularity = queries.auto_granularity(first, summary["last"])
    else:
        granularity = cast(queries.Granularity, choice)
    return Filters(granularity=granularity, since=since)


def empty_state(message: str, hint: str | None = None) -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon=":material/info:")


def log_is_empty() -> bool:
    """Show the empty state of a log without decisions (``True`` if so)."""
    summary = cached(queries.log_summary)
    if summary["decisions"] == 0:
        empty_state(
            "No decisions yet: the decision log is empty.",
            "Score applications through the API (`credit-scoring serve`), or send simulated "
            "traffic with `credit-scoring simulate --n 1000 --scenario sudden --with-outcomes`.",
        )
        return True
    return False


def window_choice(job: str, *, key: str) -> str | None:
    """A selector of the window widths with stored results of ``job`` (``None``: none)."""
    sizes = cached(queries.stored_window_sizes, job)
    if not sizes:
        return None
    with st.sidebar:
        choice: str = st.selectbox("Monitoring window", sizes, key=key)
    return choice


def percent(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1%}"
