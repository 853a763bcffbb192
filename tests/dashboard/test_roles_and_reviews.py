"""Roles on every page, the review queue worked in the dashboard (queue → decision → audit
trail), idle sessions and throttling across browser sessions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.reviews import review_queue
from credit_scoring.store.tables import access_audit, reviews

APP = Path(__file__).resolve().parents[2] / "src" / "credit_scoring" / "dashboard" / "app.py"
USERS = {"viewer": "vera", "underwriter": "ulla", "admin": "analyst"}  # as conftest makes them
PAGE_ROLES = {
    "review": "underwriter",
    "score": "underwriter",
    "overview": "viewer",
    "service": "viewer",
    "drift": "viewer",
    "performance": "viewer",
    "model": "viewer",
    "users": "admin",
}
RANK = {"viewer": 0, "underwriter": 1, "admin": 2}
TITLES = {"review": "Review queue", "score": "Score an application", "users": "Users"}
PAGES_DIR = APP.parent / "pages"


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_sees_and_opens_only_its_pages(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log, role: str
) -> None:
    dashboard_settings(empty_log)
    at = dashboard.app(logged_in=True, role=role)
    no_exception(at)
    for page, needed in PAGE_ROLES.items():
        if RANK[role] >= RANK[needed]:
            opened = dashboard.open(at, page)
            no_exception(opened)
            assert not any("needs the" in str(e.value) for e in opened.error), page
        else:
            try:
                refused = at.switch_page(f"pages/{page}.py").run()
            except ValueError as exc:  # not a navigation page of this session
                assert "navigation page" in str(exc)
                continue
            no_exception(refused)  # Streamlit shows the role's default page instead
            assert TITLES[page] not in [t.value for t in refused.title], (role, page)


@pytest.mark.parametrize("page", list(PAGE_ROLES))
def test_every_page_checks_the_role_itself(  # type: ignore[no-untyped-def]
    dashboard_settings, empty_log, page: str
) -> None:
    """Run each page script directly (outside the navigation) as a user below its role, and
    without any user: it refuses."""
    dashboard_settings(empty_log)
    below = {"viewer": None, "underwriter": "viewer", "admin": "underwriter"}[PAGE_ROLES[page]]
    for user in ([USERS[below]] if below else []) + [None]:
        at = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=120)
        if user:
            at.session_state["dashboard_user"] = user
        at.run()
        no_exception(at)
        assert any("needs the" in str(e.value) for e in at.error), (page, user)
        assert not at.title, (page, user)


def test_an_underwriter_works_a_queue_item_end_to_end(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, private_filled_log
) -> None:
    url = private_filled_log
    assert dashboard.users == USERS
    dashboard_settings(url)
    engine = create_db_engine(url)
    queue = review_queue(engine)
    assert len(queue) > 0, "the demo log has REVIEW decisions (±1 pp band)"
    oldest = queue["request_id"].iloc[0]
    at = dashboard.app(logged_in=True, role="underwriter")
    no_exception(at)
    assert [t.value for t in at.title] == ["Review queue"]
    assert at.selectbox(key="review_pick").value == oldest  # oldest first
    next(b for b in at.button if b.label == "Open the application").click()
    at.run()
    no_exception(at)
    assert any(oldest in str(s.value) for s in at.subheader)
    row = queue.iloc[0]  # the form starts on the model's side of the threshold
    leans = "REFUSE" if row["probability"] >= row["threshold"] else "APPROVE"
    assert at.radio(key="review_decision").value == leans
    at.radio(key="review_decision").set_value("REFUSE")
    at.selectbox(key="review_reason").set_value("affordability concern")
    at.text_area(key="review_comment").input("income does not cover the annuity")
    next(b for b in at.button if b.label == "Record the decision").click()
    at.run()
    no_exception(at)
    assert any("Recorded: refuse" in str(s.value) for s in at.success)
    assert oldest not in set(review_queue(engine)["request_id"])
    with engine.connect() as connection:
        stored = connection.execute(
            select(reviews.c.reviewer, reviews.c.channel, reviews.c.final_decision,
                   reviews.c.reason, reviews.c.comment).where(reviews.c.request_id == oldest)
        ).all()  # fmt: skip
        trail = connection.execute(
            select(access_audit.c.username, access_audit.c.action)
            .where(access_audit.c.request_id == oldest)
            .order_by(access_audit.c.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("ulla", "dashboard", "REFUSE", "affordability concern",
         "income does not cover the annuity"),
    ]  # fmt: skip
    assert [tuple(t) for t in trail] == [("ulla", "open_application"), ("ulla", "review")]
    engine.dispose()


def test_an_idle_session_expires(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard_settings(empty_log)
    monkeypatch.setenv("CREDIT_SCORING_DASHBOARD_IDLE_MINUTES", "0.05")  # 3 s
    at = dashboard.app(logged_in=True, role="viewer")
    assert at.session_state["dashboard_user"] == USERS["viewer"]
    time.sleep(3.5)  # idle for longer than the limit (a lower bound: never flaky)
    at.run()  # AppTest reruns the current page: its role check logs the session out
    no_exception(at)
    assert "Overview" not in [t.value for t in at.title]
    assert "dashboard_user" not in at.session_state
    assert any("expired" in str(w.value) for w in at.warning)


def test_failed_logins_in_one_session_throttle_another(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log
) -> None:
    dashboard_settings(empty_log)

    def attempt(password: str) -> Any:
        at = dashboard.app(logged_in=False)  # a new browser session each time
        at.text_input(key="login_user").input(USERS["viewer"])
        at.text_input(key="login_password").input(password)
        at.button[0].click()
        return at.run()

    for k in range(5):
        refused = attempt(f"guess number {k}")
        assert any("Wrong user or password" in str(e.value) for e in refused.error)
    locked = attempt(dashboard.password)
    assert "dashboard_user" not in locked.session_state
    assert any("too many failed logins" in str(e.value) for e in locked.error)
