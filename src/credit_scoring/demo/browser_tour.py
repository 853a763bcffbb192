"""Drive the running dashboard in Debian's Chromium through Playwright (tests, benchmark).

:func:`serve_dashboard` starts ``streamlit run`` on a free loopback port with the given
environment and waits until it answers; :func:`tour` logs in, opens every page from the
sidebar, waits until the page has finished running, times it and saves a screenshot of each.
Playwright's own browser download is never used: Chromium is ``/usr/bin/chromium``.
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
    ("Score an application", "Score an application"),
    ("Overview", "Overview"),
    ("Service", "Service"),
    ("Drift", "Drift"),
    ("Performance", "Performance"),
    ("Model", "Model"),
)


#: Title of the visit that submits the Score form.
SCORED = "Score an application (submitted)"


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


def tour(
    url: str,
    *,
    user: str,
    password: str,
    out_dir: Path,
    timeout: float = 60.0,
    chromium: str = CHROMIUM,
    score_form: bool = True,
) -> list[PageVisit]:
    """Log in and open every page; a screenshot of each (``<n>-<page>.png``) in ``out_dir``,
    and of a scored default application (``1b-scored.png``, visit :data:`SCORED`) when
    ``score_form``. The first page is timed from the login click."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    timeout_ms = timeout * 1000.0
    visits = []
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
            page.get_by_role("textbox", name="User").fill(user)
            page.get_by_role("textbox", name="Password").fill(password)
            # The first page is timed from the login click (it loads the model on first use).
            login_clicked = time.perf_counter()
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name=PAGES[0][1]).wait_for()
            for number, (link, heading) in enumerate(PAGES, start=1):
                step = f"open {link}"
                started = login_clicked if number == 1 else time.perf_counter()
                if number > 1:
                    page.get_by_role("link", name=link, exact=True).click()
                page.get_by_role("heading", name=heading, exact=True).wait_for()
                _wait_until_idle(page, timeout_ms)
                charts = page.locator(".js-plotly-plot")
                for k in range(charts.count()):
                    charts.nth(k).locator(".main-svg").first.wait_for(state="attached")
                seconds = time.perf_counter() - started
                shot = out_dir / f"{number}-{link.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot), full_page=True)
                exceptions = tuple(page.locator('[data-testid="stException"]').all_inner_texts())
                visits.append(PageVisit(heading, seconds, shot, charts.count(), exceptions))
                if number == 1 and score_form:
                    step = "score the default application"
                    started = time.perf_counter()
                    page.get_by_role("button", name="Score").click()
                    page.get_by_role("heading", name="Decision").wait_for()
                    _wait_until_idle(page, timeout_ms)
                    page.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
                    seconds = time.perf_counter() - started
                    shot = out_dir / "1b-scored.png"
                    page.screenshot(path=str(shot), full_page=True)
                    exceptions = tuple(
                        page.locator('[data-testid="stException"]').all_inner_texts()
                    )
                    visits.append(PageVisit(SCORED, seconds, shot, 1, exceptions))
            step = "log out"
            page.get_by_role("button", name="Log out").click()
            page.get_by_role("heading", name="credit-scoring monitoring").wait_for()
            page.screenshot(path=str(out_dir / "7-logged-out.png"), full_page=True)
        except Exception as exc:
            page.screenshot(path=str(out_dir / "failed.png"), full_page=True)
            raise RuntimeError(f"browser tour failed at step {step!r}: {exc}") from exc
        finally:
            browser.close()
    return visits
