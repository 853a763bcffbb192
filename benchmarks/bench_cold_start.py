"""Cold start of the scoring API: process start → ``/healthz`` answers, and → ``/readyz``
(model and history loaded), median of several starts; plus the import time of the app.

The pipeline output of ``bench_api.py`` is reused (``--work-dir``, made with
``bench_api.py --quick`` when absent); its history is published to a dedicated PostgreSQL
database created here and dropped at the end. ``--python`` runs the servers with another
interpreter — e.g. the virtual environment of another checkout, to compare two commits on the
same database and machine state; ``--baseline-python`` does both in the same run, alternating.

    .venv/bin/python benchmarks/bench_cold_start.py [--work-dir DIR] [--runs 5]
        [--python PATH] [--baseline-python PATH] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get(
    "CREDIT_SCORING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# One database per run: two runs on the same server never share (or drop) each other's.
BENCH_DATABASE = f"credit_scoring_bench_cold_start_{os.getpid()}_{time.time_ns() % 10**6}"
_SERVE = (
    "import typer; from credit_scoring.cli.serve import serve_command; "
    "app = typer.Typer(); app.command()(serve_command); app()"
)


def log(message: str) -> None:
    print(f"[bench_cold_start] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def one_start(
    python: str, env: dict[str, str], log_path: Path, timeout: float
) -> tuple[float, float]:
    """Seconds from process start to ``/healthz`` 200 and to ``/readyz`` 200."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "-c", _SERVE, "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    health = ready = None
    try:
        deadline = started + timeout
        while ready is None:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"not ready in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log_path.read_text()[-3000:]}")
            if health is None and answers(f"http://127.0.0.1:{port}/healthz"):
                health = time.perf_counter() - started
            if health is not None and answers(f"http://127.0.0.1:{port}/readyz"):
                ready = time.perf_counter() - started
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
    assert health is not None
    return health, ready


def import_seconds(python: str) -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", "import credit_scoring.serving.app"], check=True, timeout=120)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", type=Path, help="bench_api.py pipeline output to reuse")
    parser.add_argument("--runs", type=int, default=5, help="starts per interpreter")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the servers")
    parser.add_argument("--baseline-python", help="a second interpreter, measured alternately")
    parser.add_argument("--database-url", default=POSTGRES_ADMIN_URL, help="PostgreSQL server")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per start")
    args = parser.parse_args()
    work_dir = args.work_dir or REPO / "benchmarks" / "results" / "api_pipeline_5000"
    if not (work_dir / "bundle" / "checksums.json").is_file():
        log(f"no pipeline in {work_dir}: running bench_api.py --quick to make one")
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_api.py"), "--quick",
                        "--work-dir", str(work_dir)], check=True)  # fmt: skip

    with psycopg.connect(args.database_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    database_url = args.database_url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    run_dir = Path(tempfile.mkdtemp(prefix="bench-cold-start-"))
    interpreters = {"this": args.python}
    if args.baseline_python:
        interpreters["baseline"] = args.baseline_python
    health: dict[str, list[float]] = {name: [] for name in interpreters}
    ready: dict[str, list[float]] = {name: [] for name in interpreters}
    imports: dict[str, list[float]] = {name: [] for name in interpreters}
    try:
        from credit_scoring.features.publish import publish_history
        from credit_scoring.store.migrate import upgrade_database

        upgrade_database(database_url)
        publish_history(work_dir / "features", database_url)
        env = {
            **os.environ,
            "CREDIT_SCORING_HOME": str(run_dir / "home"),
            "DATABASE_URL": database_url,
            "CREDIT_SCORING_MODEL_URI": str(work_dir / "bundle"),
            "CREDIT_SCORING_RELOAD_POLL_SECONDS": "0",
        }
        for name, python in interpreters.items():  # warm the file cache once
            one_start(python, env, run_dir / f"{name}-warm.log", args.timeout)
        for run in range(args.runs):
            for name, python in interpreters.items():
                h, r = one_start(python, env, run_dir / f"{name}-{run}.log", args.timeout)
                health[name].append(h)
                ready[name].append(r)
                imports[name].append(import_seconds(python))
                log(f"{name} run {run + 1}: /healthz {h:.2f} s, /readyz {r:.2f} s, "
                    f"import {imports[name][-1]:.2f} s")  # fmt: skip
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        shutil.rmtree(run_dir, ignore_errors=True)

    print()
    header = f"{'interpreter':<12}{'/healthz s':>12}{'/readyz s':>12}{'import app s':>14}"
    print(f"{header}  (median of {args.runs})")
    for name, python in interpreters.items():
        print(f"{name:<12}{statistics.median(health[name]):>12.2f}{statistics.median(ready[name]):>12.2f}"
              f"{statistics.median(imports[name]):>14.2f}  {python}")  # fmt: skip
    if "baseline" in interpreters:
        ratio = statistics.median(health["this"]) / statistics.median(health["baseline"])
        print(f"\n/healthz: this / baseline = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
