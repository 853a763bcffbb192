"""Dashboard pages with 300,000 decisions in the log, timed in Debian's Chromium.

Builds the demo environment (generated population, fast model, serving database), backfills
30 days of decisions (300,000; 10% with their model row for feature drift), outcomes, request
counters and the three monitoring jobs' results, starts ``streamlit run`` and tours every page
in Chromium through Playwright: once cold (empty caches, first session) and ``--runs`` times
warm (cached queries, new sessions). Time = from the sidebar click to the page finished and its
charts drawn (the first page from the login click: it loads the model and the history store).
Target: every page ≤ 3 s cold.

    .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--runs 3] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from credit_scoring.dashboard.auth import hash_password
from credit_scoring.demo.browser_tour import serve_dashboard, tour
from credit_scoring.demo.simulate.demo import backfill_demo_log, build_demo
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.users import add_user

TARGET_SECONDS = 3.0
USER, ADMIN, PASSWORD = "bench", "bench-admin", "a benchmark password"


def peak_rss_mb_of_children() -> float:
    """Peak RSS (VmHWM) of this process's child processes still running (the server)."""
    import psutil

    peak = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, float(line.split()[1]) / 1024.0)
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30,000 decisions instead")
    parser.add_argument("--runs", type=int, default=3, help="warm tours after the cold one")
    parser.add_argument("--screenshots", type=Path, default=None, help="keep screenshots here")
    parser.add_argument("--demo", type=Path, default=None, help="reuse/build the demo here")
    args = parser.parse_args()
    n = 30_000 if args.quick else 300_000
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        env = build_demo(args.demo or root / "demo")
        database = root / "serving.sqlite"
        database.write_bytes((env.root / "serving.sqlite").read_bytes())
        url = f"sqlite:///{database.as_posix()}"
        backfill_demo_log(
            env, database_url=url, decisions=n, days=30, shifted_days=5, feature_share=0.1
        )
        print(f"setup: {n:,} decisions over 30 days, monitoring jobs run, in "
              f"{time.perf_counter() - started:.0f} s (not measured)")  # fmt: skip
        settings = {
            "CREDIT_SCORING_HOME": str(root / "home"),
            "DATABASE_URL": url,
            "CREDIT_SCORING_MODEL_URI": str(env.bundle_dir),
            "CREDIT_SCORING_DASHBOARD_CACHE_SECONDS": "600",
        }
        engine = create_db_engine(url)
        add_user(engine, username=USER, password_hash=hash_password(PASSWORD), role="underwriter")
        add_user(engine, username=ADMIN, password_hash=hash_password(PASSWORD), role="admin")
        engine.dispose()
        shots = args.screenshots or root / "screenshots"
        with serve_dashboard(settings) as address:
            cold = tour(address, user=USER, password=PASSWORD, out_dir=shots, timeout=120,
                        admin=(ADMIN, PASSWORD))  # fmt: skip
            warm = [
                tour(
                    address,
                    user=USER,
                    password=PASSWORD,
                    out_dir=root / f"warm-{i}",
                    timeout=120,
                    work_queue=False,
                )
                for i in range(args.runs)
            ]
            rss = peak_rss_mb_of_children()
    print(f"{'page':34}{'cold s':>8}{'warm s (median)':>18}{'charts':>8}")
    worst = 0.0
    failures = []
    for visit in cold:
        same = [v.seconds for run in warm for v in run if v.title == visit.title]
        warm_s = statistics.median(same) if same else float("nan")
        worst = max(worst, visit.seconds)
        print(f"{visit.title:34}{visit.seconds:8.2f}{warm_s:18.2f}{visit.charts:8d}")
        if visit.exceptions:
            failures.append(f"{visit.title}: {visit.exceptions[0][:200]}")
    print(f"peak RSS of the dashboard server: {rss:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine "
          "inflates the figures)")  # fmt: skip
    if args.screenshots:
        print(f"screenshots in {shots}")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    ok = worst <= TARGET_SECONDS and not failures
    print(f"target: every page ≤ {TARGET_SECONDS:.0f} s cold → {'met' if ok else 'MISSED'} "
          f"(worst {worst:.2f} s)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
