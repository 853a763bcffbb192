"""Scoring API over real HTTP on loopback, with every decision logged to PostgreSQL.

A real pipeline (generate → load → features build → train; full size by default, reused from
``--work-dir`` when it is there) gives the model; its history is published to a dedicated
PostgreSQL database (created here, dropped at the end) that also receives the decision log.
``credit-scoring serve`` runs in its own process; the load client is raw asyncio HTTP/1.1 over
keep-alive connections with pre-encoded requests (its own CPU per request is printed, to show
it leaves the server its cores).

Targets: one score, sequential, keep-alive: p50 ≤ 1.5 ms, p99 ≤ 5 ms; 4 concurrent clients:
≥ 1,500 scores/s, zero errors and zero lost decisions (rows in the database after the drain
= 200 answers); a batch of 1,000: ≤ 100 ms. The peers of DESIGN.md are printed alongside.

    .venv/bin/python benchmarks/bench_api.py [--quick] [--work-dir DIR] [--clients N]
        [--workers 2] [--spool-sync full|normal] [--database-url URL] [--shadow]

``--shadow`` measures instead what a shadow challenger costs on the request path: two servers
(one worker each) on the same model and database, one also scoring a challenger (a copy of the
bundle: same size), measured in alternating rounds of sequential requests in the same run;
target: p50 increase ≤ 0.15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import psutil
import psycopg

REPO = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).with_name("credit-scoring"))]
POSTGRES_ADMIN_URL = os.environ.get(
    "CREDIT_SCORING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# One database per run: two runs on the same server never share (or drop) each other's.
BENCH_DATABASE = f"credit_scoring_bench_api_{os.getpid()}_{time.time_ns() % 10**6}"

TARGET_P50_MS = 1.5
TARGET_P99_MS = 5.0
TARGET_RPS = 1500.0
TARGET_BATCH_MS = 100.0
TARGET_SHADOW_P50_MS = 0.15
CONCURRENCY = 4
BATCH_SIZE = 1000
FULL_CLIENTS = 307_511  # the size of the Kaggle application_train table
QUICK_CLIENTS = 5_000

#: Peers measured on this kind of machine (DESIGN.md): (name, p50 ms, requests/s).
PEERS = (
    ("10-feature ONNX API", 1.4, 884.0),
    ("419-feature ONNX API (pre-scaled features in)", 2.3, 471.0),
    ("911-feature pandas-preprocessing API", 28.0, 37.0),
)

_SERVE = (
    "import typer; from credit_scoring.cli.serve import serve_command; "
    "app = typer.Typer(); app.command()(serve_command); app()"
)


def log(message: str) -> None:
    print(f"[bench_api] {message}", flush=True)


# -- artefacts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Artefacts:
    data_dir: Path
    features_dir: Path
    bundle_dir: Path


def _cli(args: list[str], home: Path) -> None:
    env = {**os.environ, "CREDIT_SCORING_HOME": str(home)}
    started = time.perf_counter()
    subprocess.run([*CLI, *args], check=True, env=env, stdout=subprocess.DEVNULL)
    log(f"credit-scoring {args[0]} {args[1] if len(args) > 1 else ''}: "
        f"{time.perf_counter() - started:.0f} s")  # fmt: skip


def prepare_artefacts(work_dir: Path, clients: int, *, quick: bool) -> Artefacts:
    """Reuse ``work_dir``'s pipeline output, or run the pipeline into it."""
    found = Artefacts(work_dir / "data", work_dir / "features", work_dir / "bundle")
    if (found.bundle_dir / "checksums.json").is_file() and (
        found.features_dir / "history.parquet"
    ).is_file():
        log(f"reusing the pipeline output in {work_dir}")
        return found
    home = work_dir / "home"
    log(f"running the pipeline for {clients:,} clients into {work_dir}")
    _cli(["data", "generate", "--clients", str(clients), "--seed", "42", "--out",
          str(work_dir / "raw"), "--quiet"], home)  # fmt: skip
    _cli(["data", "load", str(work_dir / "raw"), "--out", str(found.data_dir)], home)
    _cli(["features", "build", str(found.data_dir), "--out", str(found.features_dir)], home)
    train = ["train", str(found.features_dir), "--no-track", "--out", str(found.bundle_dir)]
    if quick:
        train += ["--folds", "2", "--max-rounds", "100"]
    _cli(train, home)
    return found


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``admin_url``; returns its URL."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def logged_decisions(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM decisions").fetchone()
    return int(row[0]) if row else 0


# -- server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``credit-scoring serve`` in its own process group; samples its tree's CPU and RSS."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log_path = log_path
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            rss = 0
            for p in self.processes():
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss += p.memory_info().rss
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)

    def wait_ready(self, timeout: float = 300.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/readyz", timeout=2
                ) as reply:
                    if reply.status == 200:
                        self._sampler.start()
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"server not ready:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self._stop.set()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def server_histogram(port: int) -> dict[float, float]:
    """Cumulative counts of the server-side latency histogram of ``POST /v1/scores``."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    buckets: dict[float, float] = {}
    prefix = "credit_scoring_http_request_duration_seconds_bucket{"
    for line in text.splitlines():
        if line.startswith(prefix) and 'route="/v1/scores"' in line and 'method="POST"' in line:
            labels, value = line[len(prefix) :].rsplit("} ", 1)
            bound = labels.split('le="', 1)[1].split('"', 1)[0]
            buckets[math.inf if bound == "+Inf" else float(bound)] = float(value)
    return buckets


def histogram_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """Upper bound (ms) of the bucket holding quantile ``q`` of the requests in between."""
    deltas = sorted((b, after[b] - before.get(b, 0.0)) for b in after)
    total = deltas[-1][1] if deltas else 0.0
    for bound, count in deltas:
        if total and count >= q * total:
            return bound * 1000.0
    return math.nan


# -- load client ------------------------------------------------------------------------------


def encode_request(path: str, body: bytes, key: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        return await self.read()

    async def read(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lowered = head.lower()
        start = lowered.index(b"content-length:") + 15
        length = int(lowered[start : lowered.index(b"\r\n", start)])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    split: list[int] = field(default_factory=list)  # connections per worker
    setup_requests: int = 0  # answered while opening and warming the connections

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0

    @property
    def rate(self) -> float:
        return (self.ok + self.errors) / self.seconds if self.seconds else 0.0


async def run_sequential(
    server: Server, requests: list[bytes], n: int, warmup: int, name: str
) -> tuple[Phase, int]:
    """``n`` requests one after another on one connection (after ``warmup`` unmeasured)."""
    phase = Phase(name)
    connection = await Connection.open(server.port)
    for i in range(warmup):
        await connection.send(requests[i % len(requests)])
    cpu0, server0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
    for i in range(n):
        started = time.perf_counter()
        status, _ = await connection.send(requests[(warmup + i) % len(requests)])
        phase.latencies.append(time.perf_counter() - started)
        phase.ok += status == 200
        phase.errors += status != 200
    phase.seconds = time.perf_counter() - t0
    phase.client_cpu = time.process_time() - cpu0
    phase.server_cpu = server.cpu_seconds() - server0
    connection.close()
    return phase, warmup


def connection_owner(server: Server, client_port: int) -> int | None:
    """The pid of the worker that accepted the connection from ``client_port``."""
    for process in server.processes():
        with contextlib.suppress(psutil.Error):
            for c in process.net_connections(kind="tcp"):
                if (
                    c.laddr
                    and c.laddr.port == server.port
                    and c.raddr
                    and (c.raddr.port == client_port)
                ):
                    return int(process.pid)
    return None


async def open_balanced(
    server: Server, request: bytes, count: int, workers: int
) -> tuple[list[Connection], list[int], int]:
    """``count`` connections spread evenly over the workers, as a least-connections balancer
        in front of them would spread them; returns them, the connections per worker and how many
    decisions were requested on the way.

        The workers share one listening socket and race to accept, so 4 connections opened back
        to back land 2/2 only about half the time (4/0 makes the benchmark a one-worker one). A
        connection landing on a worker that has its share already is closed and opened again.
    """
    share = -(-count // workers)
    kept: list[Connection] = []
    owners: dict[int, int] = {}
    sent = 0
    for _ in range(count * 20):
        if len(kept) == count:
            break
        connection = await Connection.open(server.port)
        await connection.send(request)  # accepted and served: the owner is known
        sent += 1
        owner = connection_owner(server, connection.writer.get_extra_info("sockname")[1])
        if owner is not None and owners.get(owner, 0) >= share:
            connection.close()
            continue
        owners[owner or -1] = owners.get(owner or -1, 0) + 1
        kept.append(connection)
    return kept, sorted(owners.values(), reverse=True), sent


async def run_concurrent(
    server: Server, requests: list[bytes], seconds: float, concurrency: int, workers: int
) -> Phase:
    phase = Phase(f"{concurrency} concurrent clients")
    connections, phase.split, phase.setup_requests = await open_balanced(
        server, requests[0], concurrency, workers
    )
    for c in connections:  # warm every connection (and worker)
        for i in range(50):
            await c.send(requests[i % len(requests)])
            phase.setup_requests += 1
    stop_at = time.perf_counter() + seconds

    async def client(k: int, connection: Connection) -> None:
        i = k * 7919
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status, _ = await connection.send(requests[i % len(requests)])
            except (OSError, asyncio.IncompleteReadError, ValueError):
                phase.errors += 1
                return
            phase.latencies.append(time.perf_counter() - started)
            phase.ok += status == 200
            phase.errors += status != 200
            i += 1

    cpu0, server0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(client(k, c) for k, c in enumerate(connections)))
    phase.seconds = time.perf_counter() - t0
    phase.client_cpu = time.process_time() - cpu0
    phase.server_cpu = server.cpu_seconds() - server0
    for c in connections:
        c.close()
    return phase


# -- report -----------------------------------------------------------------------------------


def applications(data_dir: Path) -> list[dict[str, Any]]:
    frame = pd.read_parquet(data_dir / "application_test.parquet")
    rows = []
    for record in frame.to_dict("records"):
        rows.append(
            {
                k: None
                if (isinstance(v, float) and math.isnan(v)) or v is None
                else (v.item() if hasattr(v, "item") else v)
                for k, v in record.items()
            }
        )
    return rows


def shadow_comparison(
    env: dict[str, str], bundle_dir: Path, run_dir: Path, singles: list[bytes], *, quick: bool
) -> int:
    """p50 of sequential single scores without and with a shadow challenger (see the module
    docstring); rounds alternate between the two servers so both see the same machine load."""
    challenger = run_dir / "challenger"
    shutil.copytree(bundle_dir, challenger)
    servers = {
        "without": Server(
            {**env, "CREDIT_SCORING_HOME": str(run_dir / "home-a")},
            free_port(), 1, run_dir / "without.log",
        ),
        "with": Server(
            {**env, "CREDIT_SCORING_HOME": str(run_dir / "home-b"),
             "CREDIT_SCORING_CHALLENGER_URI": str(challenger)},
            free_port(), 1, run_dir / "with.log",
        ),
    }  # fmt: skip
    rounds, n = (5, 400) if quick else (7, 2000)
    p50: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.wait_ready()
        for r in range(rounds):
            order = list(servers) if r % 2 == 0 else list(reversed(servers))
            for name in order:
                phase, _ = asyncio.run(run_sequential(servers[name], singles, n, 200, name))
                assert phase.errors == 0, f"{phase.errors} errors ({name})"
                p50[name].append(phase.quantile(0.5))
    finally:
        for server in servers.values():
            server.stop()
    in_process = in_process_shadow_cost(env, challenger, rows=rows_for_shadow(singles))
    without, with_ = statistics.median(p50["without"]), statistics.median(p50["with"])
    delta = with_ - without
    print()
    print(f"shadow challenger: {rounds} alternating rounds × {n} sequential scores, 1 worker each")
    print(f"  p50 per round without (ms)  {' '.join(f'{v:.3f}' for v in p50['without'])}")
    print(f"  p50 per round with    (ms)  {' '.join(f'{v:.3f}' for v in p50['with'])}")
    ok = delta <= TARGET_SHADOW_P50_MS
    print(f"  median p50 without / with   {without:.3f} / {with_:.3f} ms")
    print(f"  p50 increase                {delta:+.3f} ms (target ≤ {TARGET_SHADOW_P50_MS} ms) "
          f"{'ok' if ok else 'MISS'}")  # fmt: skip
    print(f"  in-process score_one without / with challenger (median µs over "
          f"{in_process[2]:,} applications × 5 alternating passes): {in_process[0]:.1f} / "
          f"{in_process[1]:.1f} (+{in_process[1] - in_process[0]:.1f} µs)")  # fmt: skip
    print(f"  machine load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ok else 1


def rows_for_shadow(singles: list[bytes]) -> list[dict[str, Any]]:
    """The applications of the pre-encoded single requests (their JSON bodies)."""
    return [orjson.loads(raw.split(b"\r\n\r\n", 1)[1]) for raw in singles]


def in_process_shadow_cost(
    env: dict[str, str], challenger: Path, *, rows: list[dict[str, Any]]
) -> tuple[float, float, int]:
    """Median µs of ``ServedModel.score_one`` without and with the challenger, alternating
    passes over the same applications in this process (no HTTP noise)."""
    from credit_scoring.serving.scorer import load_served_model
    from credit_scoring.settings import get_settings

    settings = get_settings(
        home=Path(env["CREDIT_SCORING_HOME"]),
        database_url=env["DATABASE_URL"],
        model_uri=env["CREDIT_SCORING_MODEL_URI"],
        challenger_uri=str(challenger),
    )
    served = load_served_model(settings.resolved_model_uri, settings)
    shadow = served.challenger
    assert shadow is not None
    timings: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(5):
        for with_challenger in (False, True):
            served.challenger = shadow if with_challenger else None
            for application in rows:
                t = time.perf_counter_ns()
                served.score_one(application)
                timings[with_challenger].append((time.perf_counter_ns() - t) / 1000)
    return statistics.median(timings[False]), statistics.median(timings[True]), len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small pipeline, short phases")
    parser.add_argument("--work-dir", type=Path, help="pipeline output to reuse or create")
    parser.add_argument("--clients", type=int, help="clients of the generated population")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--spool-sync", choices=("full", "normal"),
                        help="spool durability (default: the settings' default)")  # fmt: skip
    parser.add_argument("--database-url", default=POSTGRES_ADMIN_URL,
                        help="PostgreSQL server (a database is created on it)")  # fmt: skip
    parser.add_argument("--shadow", action="store_true",
                        help="measure the cost of a shadow challenger instead")  # fmt: skip
    args = parser.parse_args()
    quick = args.quick
    clients = args.clients or (QUICK_CLIENTS if quick else FULL_CLIENTS)
    work_dir = args.work_dir or REPO / "benchmarks" / "results" / f"api_pipeline_{clients}"
    work_dir.mkdir(parents=True, exist_ok=True)
    artefacts = prepare_artefacts(work_dir, clients, quick=quick)

    database_url = fresh_database(args.database_url, BENCH_DATABASE)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    server: Server | None = None
    try:
        from credit_scoring.features.publish import publish_history
        from credit_scoring.runtime.bundle import load_bundle
        from credit_scoring.serving.keys import create_key
        from credit_scoring.settings import get_settings
        from credit_scoring.store.engine import create_db_engine
        from credit_scoring.store.migrate import upgrade_database

        upgrade_database(database_url)
        publish_history(artefacts.features_dir, database_url)
        engine = create_db_engine(database_url)
        _, key = create_key(engine, name="bench", scopes=["score", "read"])
        engine.dispose()
        bundle = load_bundle(artefacts.bundle_dir)
        rows_trained = bundle.metadata.get("training", {}).get("n_rows", "?")
        log(f"model: {bundle.booster.num_trees()} trees, {len(bundle.features)} features, "
            f"trained on {rows_trained} rows")  # fmt: skip

        rows = applications(artefacts.data_dir)
        singles = [encode_request("/v1/scores", orjson.dumps(r), key) for r in rows]
        batch_rows = (rows * (BATCH_SIZE // len(rows) + 1))[:BATCH_SIZE]
        batch = encode_request("/v1/scores/batch", orjson.dumps({"applications": batch_rows}), key)
        env = {
            **os.environ,
            "CREDIT_SCORING_HOME": str(run_dir / "home"),
            "DATABASE_URL": database_url,
            "CREDIT_SCORING_MODEL_URI": str(artefacts.bundle_dir),
            "CREDIT_SCORING_RELOAD_POLL_SECONDS": "0",
        }
        if args.spool_sync:
            env["CREDIT_SCORING_SPOOL_SYNC"] = args.spool_sync
        if args.shadow:
            return shadow_comparison(env, artefacts.bundle_dir, run_dir, singles, quick=quick)
        spool_sync = args.spool_sync or get_settings().spool_sync
        server = Server(env, free_port(), args.workers, run_dir / "server.log")
        server.wait_ready()
        log(f"server up: {args.workers} worker(s), spool sync {spool_sync}")

        seq_n, conc_seconds, batch_n = (500, 5.0, 5) if quick else (3000, 20.0, 15)
        histogram_before = server_histogram(server.port)
        sequential, warm = asyncio.run(run_sequential(server, singles, seq_n, 300, "sequential"))
        histogram_after = server_histogram(server.port)
        concurrent = asyncio.run(
            run_concurrent(server, singles, conc_seconds, CONCURRENCY, args.workers)
        )
        batches, _ = asyncio.run(run_sequential(server, [batch], batch_n, 2, "batch of 1000"))
        answered = warm + sequential.ok + concurrent.setup_requests + concurrent.ok
        answered += (2 + batches.ok) * BATCH_SIZE

        deadline = time.monotonic() + 120
        logged = logged_decisions(database_url)
        while logged < answered and time.monotonic() < deadline:
            time.sleep(0.5)
            logged = logged_decisions(database_url)
        drained_after = time.monotonic() - (deadline - 120)
    finally:
        if server is not None:
            server.stop()
        drop_database(args.database_url, BENCH_DATABASE)
        shutil.rmtree(run_dir, ignore_errors=True)

    client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    conc_client_us = concurrent.client_cpu / max(concurrent.ok, 1) * 1e6
    conc_server_us = concurrent.server_cpu / max(concurrent.ok, 1) * 1e6
    batch_ms = statistics.median(batches.latencies) * 1000
    checks = [
        ("sequential p50 (ms)", sequential.quantile(0.5), f"≤ {TARGET_P50_MS}",
         sequential.quantile(0.5) <= TARGET_P50_MS),
        ("sequential p99 (ms)", sequential.quantile(0.99), f"≤ {TARGET_P99_MS}",
         sequential.quantile(0.99) <= TARGET_P99_MS),
        (f"{CONCURRENCY} clients: scores/s", concurrent.rate, f"≥ {TARGET_RPS:,.0f}",
         concurrent.rate >= TARGET_RPS),
        (f"{CONCURRENCY} clients: errors", concurrent.errors + sequential.errors + batches.errors,
         "0", concurrent.errors + sequential.errors + batches.errors == 0),
        ("lost decisions (200s − logged)", answered - logged, "0", answered == logged),
        ("batch of 1000: median (ms)", batch_ms, f"≤ {TARGET_BATCH_MS:.0f}",
         batch_ms <= TARGET_BATCH_MS),
    ]  # fmt: skip
    print()
    print(f"{'metric':<34}{'measured':>12}  {'target':<10}{'':>4}")
    for name, value, target, ok in checks:
        print(f"{name:<34}{value:>12,.2f}  {target:<10}{'ok' if ok else 'MISS':>4}")
    print()
    print("other figures")
    print(f"  sequential p90 / mean (ms)        {sequential.quantile(0.9):.2f} / "
          f"{statistics.mean(sequential.latencies) * 1000:.2f}")  # fmt: skip
    server_p50 = histogram_quantile(histogram_before, histogram_after, 0.5)
    server_p99 = histogram_quantile(histogram_before, histogram_after, 0.99)
    print(f"  server-side sequential p50 / p99  ≤ {server_p50:g} / ≤ {server_p99:g} ms "
          "(histogram buckets, warm-up included)")  # fmt: skip
    print(f"  connections per worker            {'/'.join(map(str, concurrent.split))}")
    print(f"  {CONCURRENCY} clients p50 / p99 (ms)          {concurrent.quantile(0.5):.2f} / "
          f"{concurrent.quantile(0.99):.2f}")  # fmt: skip
    print(f"  batch of 1000 p90 (ms)            {batches.quantile(0.9):.1f}")
    print(f"  server CPU per batch of 1000 (ms) "
          f"{batches.server_cpu / max(len(batches.latencies), 1) * 1000:.0f}  "
          "(all workers + drain; robust to other load, unlike the latency)")  # fmt: skip
    print(f"  server CPU per score (µs)         {conc_server_us:.0f}  (all workers + drain)")
    print(f"  load client CPU per request (µs)  {conc_client_us:.0f}  "
          f"({concurrent.client_cpu / concurrent.seconds * 100:.0f}% of one core)")  # fmt: skip
    print(f"  decisions answered / logged       {answered:,} / {logged:,} "
          f"(drain caught up {drained_after:.1f} s after the load)")  # fmt: skip
    print(f"  peak RSS: server {server.peak_rss_mb if server else 0:.0f} MB (all processes), "
          f"client {client_rss:.0f} MB")  # fmt: skip
    print(f"  machine load average (1 min)      {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print()
    print(f"{'vs peers (no DB logging, 1 worker)':<48}{'p50 ms':>8}{'req/s':>9}"
          f"{'p50 ratio':>11}{'req/s ratio':>13}")  # fmt: skip
    ours_p50, ours_rps = sequential.quantile(0.5), concurrent.rate
    print(f"{'credit-scoring (all features, reasons, logged)':<48}{ours_p50:>8.2f}{ours_rps:>9.0f}"
          f"{'1.00×':>11}{'1.00×':>13}")  # fmt: skip
    for name, p50, rps in PEERS:
        print(f"{name:<48}{p50:>8.2f}{rps:>9.0f}{p50 / ours_p50:>10.1f}×{ours_rps / rps:>12.1f}×")
    print("(ratios: how many times faster we are; > 1 is better)")
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
