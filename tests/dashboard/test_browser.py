"""End to end in Debian's Chromium through Playwright: log in as an underwriter, work the
oldest queue item, open every page, log in as an admin for the Users page, screenshot each.

Fails (never skips) when Chromium is missing: CI installs it with apt. Keep the screenshots
with ``pytest tests/dashboard/test_browser.py --screenshots DIR``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from credit_scoring.demo.browser_tour import CHROMIUM, serve_dashboard, tour
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.tables import access_audit, reviews

EXPECTED_CHARTS = {
    "Review queue": 0,
    "Review queue (application opened)": 0,
    "Review queue (decision recorded)": 0,
    "Score an application": 0,
    "Score an application (submitted)": 1,  # the gauge
    "Overview": 2,
    "Service": 2,
    "Drift": 1,
    "Performance": 4,
    "Model": 3,
    "Users": 0,
}


@pytest.mark.browser
def test_an_underwriter_works_the_queue_and_every_page_in_chromium(  # type: ignore[no-untyped-def]
    demo_env, private_filled_log, dashboard_settings, dashboard, tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    assert Path(CHROMIUM).is_file(), f"Debian's Chromium is required at {CHROMIUM} (apt)"
    configured = request.config.getoption("--screenshots", default=None)
    out_dir = Path(configured) if configured else tmp_path / "screenshots"
    dashboard_settings(private_filled_log)  # the users of every role
    env = {
        "CREDIT_SCORING_HOME": str(tmp_path / "home"),
        "DATABASE_URL": private_filled_log,
        "CREDIT_SCORING_MODEL_URI": str(demo_env.bundle_dir),
    }
    underwriter = dashboard.users["underwriter"]
    with serve_dashboard(env) as url:
        visits = tour(
            url, user=underwriter, password=dashboard.password, out_dir=out_dir, timeout=180,
            admin=(dashboard.user, dashboard.password),
        )  # fmt: skip
    assert [v.title for v in visits] == list(EXPECTED_CHARTS)
    for visit in visits:
        assert not visit.exceptions, (visit.title, visit.exceptions)
        assert visit.charts == EXPECTED_CHARTS[visit.title], visit.title
        assert visit.screenshot.stat().st_size > 10_000
    names = {p.name for p in out_dir.glob("*.png")}
    assert {"0-login.png", "1b-review-opened.png", "1c-review-decided.png", "2b-scored.png",
            "8-logged-out.png", "9-users.png"} <= names and len(names) == 13  # fmt: skip
    engine = create_db_engine(private_filled_log)
    with engine.connect() as connection:
        decided = connection.execute(select(reviews.c.reviewer, reviews.c.channel)).all()
        opened = connection.execute(
            select(access_audit.c.username).where(access_audit.c.action == "open_application")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in decided] == [(underwriter, "dashboard")]
    assert [r[0] for r in opened] == [underwriter]
