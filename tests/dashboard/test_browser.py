"""End to end in Debian's Chromium through Playwright: log in, open every page, screenshot.

Fails (never skips) when Chromium is missing: CI installs it with apt. Keep the screenshots
with ``pytest tests/dashboard/test_browser.py --screenshots DIR``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from credit_scoring.demo.browser_tour import CHROMIUM, serve_dashboard, tour

EXPECTED_CHARTS = {
    "Score an application": 0,
    "Score an application (submitted)": 1,  # the gauge
    "Overview": 2,
    "Service": 2,
    "Drift": 1,
    "Performance": 4,
    "Model": 3,
}


@pytest.mark.browser
def test_login_every_page_and_logout_in_chromium(  # type: ignore[no-untyped-def]
    demo_env, filled_log, password_hash, dashboard, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    assert Path(CHROMIUM).is_file(), f"Debian's Chromium is required at {CHROMIUM} (apt)"
    configured = request.config.getoption("--screenshots", default=None)
    out_dir = Path(configured) if configured else tmp_path / "screenshots"
    env = {
        "CREDIT_SCORING_HOME": str(tmp_path / "home"),
        "DATABASE_URL": filled_log.database_url,
        "CREDIT_SCORING_MODEL_URI": str(demo_env.bundle_dir),
        "CREDIT_SCORING_DASHBOARD_USER": dashboard.user,
        "CREDIT_SCORING_DASHBOARD_PASSWORD_HASH": password_hash,
    }
    with serve_dashboard(env) as url:
        visits = tour(
            url, user=dashboard.user, password=dashboard.password, out_dir=out_dir, timeout=180
        )
    assert [v.title for v in visits] == list(EXPECTED_CHARTS)
    for visit in visits:
        assert not visit.exceptions, (visit.title, visit.exceptions)
        assert visit.charts == EXPECTED_CHARTS[visit.title], visit.title
        assert visit.screenshot.stat().st_size > 10_000
    names = {p.name for p in out_dir.glob("*.png")}
    assert {"0-login.png", "1b-scored.png", "7-logged-out.png"} <= names and len(names) == 9
