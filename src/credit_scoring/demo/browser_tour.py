"""Drive the running dashboard in Debian's Chromium through Playwright (tests, benchmark).

:func:`serve_dashboard` starts ``streamlit run`` on a free loopback port with the given
environment and waits until it answers; :func:`tour` logs in as an underwriter, works the
oldest item of the review queue (open → decide → recorded), opens every page from the sidebar,
waits until the page has finished running, times it and saves a screenshot of each; with an
admin login it also opens the Users page. Playwright's own browser download is never used:
Chromium is ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from credit_scoring.dashboard.launch import APP, streamlit_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: (sidebar link, page heading, plotly charts expected when the log is filled)
PAGES: tuple[tuple[str, str], ...] = (
    ("Review queue", "Review queue"),
    ("Score an application", "Score an application"),
    ("Overview", "Overview"),
    ("Service", "Service"),
    ("Drift", "Drift"),
    ("Performance", "Performance"),
    ("Model", "Model"),
)


#: Titles of the extra visits: a queue item opened and decided, the submitted Score form, and
#: the admin's Users page.
OPENED = "Review queue (application opened)"
DECIDED = "Review queue (decision recorded)"
SCORED = "Score an application (submitted)"
USERS_PAGE = "Users"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_dashboard(env: Mapping[str, str], *, timeout: float = 120.0) -> Iterator[str]:
    """Run the dashboard with ``env`` added to this process's environment; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        streamlit_command(APP, host="127.0.0.1", port=port),
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(
                    f"the dashboard exited with {process.returncode}: {error[-2000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not answer within {timeout:.0f} s")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class PageVisit:
    """One page as seen in the browser: seconds from click to finished, screenshot, charts
    drawn, and the text of any exception box Streamlit showed."""

    title: str
    seconds: float
    screenshot: Path
    charts: int
    exceptions: tuple[str, ...]


#: The app root carries the script's run state; "notRunning" once a run has finished.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _wait_until_idle(page: object, timeout_ms: float) -> None:
    page.wait_for_selector(IDLE, timeout=timeout_ms)  # type: ignore[attr-defined]


def _visit(page: object, title: str, shot: Path, started: float, timeout_ms: float) -> PageVisit:
    """Wait until the page has run and its charts are drawn; screenshot; what it showed."""
    _wait_until_idle(page, timeout_ms)
    charts = page.locator(".js-plotly-plot")  # type: ignore[attr-defined]
    for k in range(charts.count()):
        charts.nth(k).locator(".main-svg").first.wait_for(state="attached")
    seconds = time.perf_counter() - started
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    exceptions = tuple(page.locator('[data-testid="stException"]').all_inner_texts())  # type: ignore[attr-defined]
    return PageVisit(title, seconds, shot, charts.count(), exceptions)


def _log_in(page: object, user: str, password: str) -> None:
    page.get_by_role("textbox", name="User").fill(user)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]


def tour(
    url: str,
    *,
    user: str,
    password: str,
    out_dir: Path,
    timeout: float = 60.0,
    chromium: str = CHROMIUM,
    score_form: bool = True,
    work_queue: bool = True,
    admin: tuple[str, str] | None = None,
) -> list[PageVisit]:
    """Log in as ``user`` (an underwriter or admin) and open every page; a screenshot of each
    (``<n>-<page>.png``) in ``out_dir``. With ``work_queue``, the oldest queue item is opened
    (``1b-review-opened.png``) and approved with the first reason (``1c-review-decided.png``);
    with ``score_form`` the default application is scored (``2b-scored.png``); with ``admin``
    (user, password) a second login opens the Users page (``9-users.png``). The first page is
    timed from the login click. An empty queue is only shown (nothing to work)."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    timeout_ms = timeout * 1000.0
    visits: list[PageVisit] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        # Streamlit scrolls inside its own container: a tall viewport shows whole pages.
        page = browser.new_page(viewport={"width": 1440, "height": 2200})
        page.set_default_timeout(timeout_ms)
        step = "open the login page"
        try:
            page.goto(url)
            page.get_by_role("heading", name="credit-scoring monitoring").wait_for()
            page.screenshot(path=str(out_dir / "0-login.png"), full_page=True)
            step = "log in"
            login_clicked = time.perf_counter()  # the first page is timed from here
            _log_in(page, user, password)
            page.get_by_role("heading", name=PAGES[0][1]).wait_for()
            for number, (link, heading) in enumerate(PAGES, start=1):
                step = f"open {link}"
                started = login_clicked if number == 1 else time.perf_counter()
                if number > 1:
                    page.get_by_role("link", name=link, exact=True).click()
                page.get_by_role("heading", name=heading, exact=True).wait_for()
                shot = out_dir / f"{number}-{link.lower().replace(' ', '-')}.png"
                visits.append(_visit(page, heading, shot, started, timeout_ms))
                empty_queue = page.get_by_text("The review queue is empty").count() > 0
                if link == "Review queue" and work_queue and not empty_queue:
                    step = "open the oldest application of the queue"
                    started = time.perf_counter()
                    page.get_by_role("button", name="Open the application", exact=True).click()
                    page.get_by_role("heading", name="Application").first.wait_for()
                    visits.append(
                        _visit(page, OPENED, out_dir / "1b-review-opened.png", started, timeout_ms)
                    )
                    step = "record the final decision"
                    started = time.perf_counter()
                    page.get_by_role("button", name="Record the decision").click()
                    page.get_by_text("Recorded:").wait_for()
                    visits.append(
                        _visit(
                            page, DECIDED, out_dir / "1c-review-decided.png", started, timeout_ms
                        )
                    )
                if link == "Score an application" and score_form:
                    step = "score the default application"
                    started = time.perf_counter()
                    page.get_by_role("button", name="Score").click()
                    page.get_by_role("heading", name="Decision").wait_for()
                    page.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
                    visits.append(
                        _visit(page, SCORED, out_dir / "2b-scored.png", started, timeout_ms)
                    )
            step = "log out"
            page.get_by_role("button", name="Log out").click()
            page.get_by_role("heading", name="credit-scoring monitoring").wait_for()
            page.screenshot(path=str(out_dir / "8-logged-out.png"), full_page=True)
            if admin is not None:
                step = "log in as admin and open Users"
                _log_in(page, *admin)
                page.get_by_role("heading", name=PAGES[0][1]).wait_for()
                _wait_until_idle(page, timeout_ms)
                started = time.perf_counter()
                page.get_by_role("link", name="Users", exact=True).click()
                page.get_by_role("heading", name="Users", exact=True).wait_for()
                visits.append(
                    _visit(page, USERS_PAGE, out_dir / "9-users.png", started, timeout_ms)
                )
        except Exception as exc:
            page.screenshot(path=str(out_dir / "failed.png"), full_page=True)
            raise RuntimeError(f"browser tour failed at step {step!r}: {exc}") from exc
        finally:
            browser.close()
    return visits
