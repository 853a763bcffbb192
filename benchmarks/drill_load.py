"""Load and fault drills: 4 keep-alive clients against ``credit-scoring serve`` (2 workers,
PostgreSQL decision log), then every answered request id is looked up in the database.

- ``load``: steady load; zero errors, rows in the database = 200 answers (count and id set).
- ``pg-outage``: a private PostgreSQL cluster is stopped (``pg_ctl stop -m fast``) in the middle
  of the load and started again; zero errors to clients, nothing lost after the drain.
- ``sigkill``: one worker gets SIGKILL mid-load; the clients reconnect and go on; after the
  supervisor restarts it and the spools drain, every answered decision is in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psutil

import bench_api
from bench_api import Artefacts, Connection, Server
from drill_support import (
    DrillResult,
    PrivateCluster,
    Stack,
    api_stack,
    check_logs,
    count_among,
    decision_ids,
    key_secrets,
    log,
)

CONCURRENCY = 4
WORKERS = 2
REQUEST_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 180.0
REPLACEMENT_TIMEOUT_SECONDS = 75.0
HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@dataclass
class Traffic:
    """What the clients saw: one sample per request that got an HTTP answer."""

    started: float = 0.0  # perf_counter at the start of the measured load
    seconds: float = 0.0
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # (t, latency, status)
    answered: list[str] = field(default_factory=list)  # request ids of the 200s
    answered_at: list[float] = field(default_factory=list)  # seconds since start, per 200
    statuses: Counter[int] = field(default_factory=Counter)
    broken: int = 0  # sent, but the connection failed before an answer
    refused: int = 0  # could not connect
    split: list[int] = field(default_factory=list)

    def now(self) -> float:
        return time.perf_counter() - self.started

    @property
    def http_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def quantile_ms(self, q: float, lo: float = 0.0, hi: float = float("inf")) -> float:
        window = sorted(lat for t, lat, _ in self.samples if lo <= t < hi)
        if not window:
            return float("nan")
        return window[min(len(window) - 1, int(q * len(window)))] * 1000.0

    def count(self, lo: float = 0.0, hi: float = float("inf")) -> int:
        return sum(1 for t, _, _ in self.samples if lo <= t < hi)


Fault = Callable[[Traffic], Awaitable[None]]


async def drive(
    server: Server, requests: list[bytes], *, seconds: float, fault: Fault | None = None
) -> Traffic:
    """``CONCURRENCY`` keep-alive clients for ``seconds`` (connections balanced over the
    workers with a health probe, so no decision is made outside the measured load); a client
    whose connection breaks counts it and reconnects."""
    traffic = Traffic()
    connections, traffic.split, _ = await bench_api.open_balanced(
        server, HEALTH_REQUEST, CONCURRENCY, WORKERS
    )
    traffic.started = time.perf_counter()
    stop_at = traffic.started + seconds

    async def client(k: int, connection: Connection | None) -> None:
        i = k * 7919
        while time.perf_counter() < stop_at:
            if connection is None:
                try:
                    connection = await Connection.open(server.port)
                except OSError:
                    traffic.refused += 1
                    await asyncio.sleep(0.05)
                    continue
            raw = requests[i % len(requests)]
            i += 1
            t = traffic.now()
            try:
                status, body = await asyncio.wait_for(connection.send(raw), REQUEST_TIMEOUT_SECONDS)
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                traffic.broken += 1
                connection.close()
                connection = None
                continue
            traffic.samples.append((t, traffic.now() - t, status))
            traffic.statuses[status] += 1
            if status == 200:
                traffic.answered.append(orjson.loads(body)["request_id"])
                traffic.answered_at.append(traffic.now())
        if connection is not None:
            connection.close()

    faulting = asyncio.ensure_future(fault(traffic)) if fault is not None else None
    await asyncio.gather(*(client(k, c) for k, c in enumerate(connections)))
    traffic.seconds = time.perf_counter() - traffic.started
    if faulting is not None:  # it may still be watching the recovery
        await faulting
    return traffic


def wait_for_drain(database_url: str, answered: list[str]) -> tuple[set[str], float]:
    """The decision log's request ids once every answered one is there (or the timeout)."""
    started = time.monotonic()
    wanted = set(answered)
    while True:
        ids = decision_ids(database_url)
        if wanted <= ids or time.monotonic() - started > DRAIN_TIMEOUT_SECONDS:
            return ids, time.monotonic() - started
        time.sleep(0.25)


def settled_ids(database_url: str, quiet_seconds: float = 1.0) -> set[str]:
    """The decision log's ids once nothing more arrives for ``quiet_seconds`` (what earlier
    drills on the same API left), the baseline of a drill's own decisions."""
    ids = decision_ids(database_url)
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        again = decision_ids(database_url)
        if again == ids:
            break
        ids = again
    return ids


def _readyz(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as reply:
            return reply.status, orjson.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def _common_figures(result: DrillResult, traffic: Traffic) -> None:
    total = len(traffic.samples)
    result.figure("requests answered (any status)", total)
    result.figure("throughput (answers/s)", total / traffic.seconds if traffic.seconds else 0.0)
    result.figure(
        "latency p50 / p99 (ms)",
        f"{traffic.quantile_ms(0.5):.2f} / {traffic.quantile_ms(0.99):.2f}",
    )
    result.figure("connections per worker at start", "/".join(map(str, traffic.split)))
    result.figure("statuses", dict(sorted(traffic.statuses.items())))


def _check_log_and_ids(
    result: DrillResult, stack: Stack, traffic: Traffic, *, exact: bool, baseline: set[str]
) -> None:
    """The drill's own rows (all rows but ``baseline``) against its 200 answers."""
    ids, drained = wait_for_drain(stack.database_url, traffic.answered)
    ids -= baseline
    answered = set(traffic.answered)
    result.figure("decisions answered (200)", len(traffic.answered))
    result.figure("decisions in the database after the drain", len(ids))
    result.figure("drain caught up after the load (s)", drained)
    result.check("request ids answered are unique", len(answered) == len(traffic.answered))
    missing = answered - ids
    result.check(
        "every answered decision is in the database",
        not missing,
        f"{len(missing)} missing" if missing else "",
    )
    extra = ids - answered
    if exact:
        result.check(
            "database rows = 200 answers (count)",
            len(ids) == len(traffic.answered),
            f"{len(ids)} vs {len(traffic.answered)}",
        )
        result.check(
            "database ids = answered ids (set)",
            ids == answered,
            f"{len(extra)} unanswered rows" if extra else "",
        )
    else:
        result.figure("rows committed but never answered (in flight at the kill)", len(extra))
        result.check(
            "unanswered rows ≤ requests broken by the kill",
            len(extra) <= traffic.broken,
            f"{len(extra)} ≤ {traffic.broken}",
        )
    check_logs(
        result,
        stack.log_path.read_text(errors="replace"),
        key_secrets([*stack.keys.values(), stack.revoked_key]),
        "API key secret",
    )


def _requests(artefacts: Artefacts, key: str) -> list[bytes]:
    rows = bench_api.applications(artefacts.data_dir)
    return [bench_api.encode_request("/v1/scores", orjson.dumps(r), key) for r in rows]


# -- the drills ---------------------------------------------------------------------------------


def drill_load(stack: Stack, artefacts: Artefacts, *, seconds: float) -> DrillResult:
    result = DrillResult("load")
    baseline = settled_ids(stack.database_url)
    requests = _requests(artefacts, stack.keys["score"])
    log(f"load: {CONCURRENCY} clients for {seconds:g} s")
    traffic = asyncio.run(drive(stack.server, requests, seconds=seconds))
    _common_figures(result, traffic)
    result.check(
        "errors to clients",
        traffic.http_errors + traffic.broken + traffic.refused == 0,
        f"{traffic.http_errors} HTTP, {traffic.broken} broken, {traffic.refused} refused",
    )
    _check_log_and_ids(result, stack, traffic, exact=True, baseline=baseline)
    return result


def drill_pg_outage(
    stack: Stack,
    cluster: PrivateCluster,
    artefacts: Artefacts,
    *,
    seconds: float,
    outage_seconds: float,
) -> DrillResult:
    """``stack``'s database must live on ``cluster``, which is stopped and started again."""
    result = DrillResult("pg-outage")
    baseline = settled_ids(stack.database_url)
    requests = _requests(artefacts, stack.keys["score"])
    marks: dict[str, float] = {}
    seen: dict[str, object] = {}

    async def outage(traffic: Traffic) -> None:
        await asyncio.sleep(max(0.0, (seconds - outage_seconds) / 2))
        marks["stop"] = traffic.now()
        await asyncio.to_thread(cluster.stop)
        marks["stopped"] = traffic.now()
        log(f"pg-outage: PostgreSQL stopped at {marks['stopped']:.1f} s")
        await asyncio.sleep(outage_seconds / 2)
        seen["db_during"] = await asyncio.to_thread(
            count_among, stack.database_url, traffic.answered[:1]
        )
        seen["ready_during"] = await asyncio.to_thread(_readyz, stack.port)
        await asyncio.sleep(max(0.0, marks["stopped"] + outage_seconds - traffic.now()))
        await asyncio.to_thread(cluster.start)
        marks["started"] = traffic.now()
        log(f"pg-outage: PostgreSQL started at {marks['started']:.1f} s")
        backlog = [
            rid
            for rid, at in zip(traffic.answered, traffic.answered_at, strict=False)
            if at < marks["started"]
        ]
        seen["backlog"] = len(backlog)
        while await asyncio.to_thread(count_among, stack.database_url, backlog) < len(backlog):
            if traffic.now() - marks["started"] > 120:
                return
            await asyncio.sleep(0.2)
        marks["backlog_drained"] = traffic.now()

    log(
        f"pg-outage: {CONCURRENCY} clients for {seconds:g} s, "
        f"PostgreSQL down for {outage_seconds:g} s in the middle"
    )
    traffic = asyncio.run(drive(stack.server, requests, seconds=seconds, fault=outage))
    if "backlog_drained" not in marks:  # the load ended first: wait after it
        backlog_ids = [
            rid
            for rid, at in zip(traffic.answered, traffic.answered_at, strict=True)
            if at < marks.get("started", 0.0)
        ]
        deadline = time.monotonic() + 120
        while count_among(stack.database_url, backlog_ids) < len(backlog_ids):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        else:
            marks["backlog_drained"] = traffic.now()
    _common_figures(result, traffic)
    down, up = marks.get("stopped", 0.0), marks.get("started", 0.0)
    result.figure("outage (s, PostgreSQL stopped → started)", up - down)
    result.figure("answers during the outage", traffic.count(down, up))
    result.figure(
        "p50 / p99 during the outage (ms)",
        f"{traffic.quantile_ms(0.5, down, up):.2f} / {traffic.quantile_ms(0.99, down, up):.2f}",
    )
    result.figure(
        "p50 / p99 outside it (ms)",
        f"{traffic.quantile_ms(0.5, 0, down):.2f} / "
        f"{traffic.quantile_ms(0.99, 0, down):.2f} before, "
        f"{traffic.quantile_ms(0.5, up):.2f} / "
        f"{traffic.quantile_ms(0.99, up):.2f} after",
    )
    result.figure("decisions answered before the restart", seen.get("backlog", "?"))
    drained = marks.get("backlog_drained")
    result.figure(
        "all of them in the database after the restart (s)",
        f"{drained - up:.2f}" if drained else "not drained",
    )
    ready_status, ready_body = seen.get("ready_during", (0, {}))  # type: ignore[misc]
    result.check("PostgreSQL was really down (connections refused)", seen.get("db_during") == -1)
    result.check(
        "the API reported not ready during the outage",
        ready_status == 503,
        f"/readyz {ready_status} {ready_body}",
    )
    result.check(
        "errors to clients",
        traffic.http_errors + traffic.broken + traffic.refused == 0,
        f"{traffic.http_errors} HTTP "
        f"{dict(traffic.statuses)}, {traffic.broken} broken, "
        f"{traffic.refused} refused",
    )
    result.check("backlog drained after the restart", drained is not None)
    _check_log_and_ids(result, stack, traffic, exact=True, baseline=baseline)
    return result


def drill_pg_outage_alone(
    artefacts: Artefacts, *, seconds: float, outage_seconds: float, logs_dir: Path | None
) -> DrillResult:
    """pg-outage on its own throwaway cluster and API."""
    cluster = PrivateCluster()
    try:
        cluster.init()
        log(f"pg-outage: private PostgreSQL on 127.0.0.1:{cluster.port} ({cluster.data_dir})")
        with api_stack(artefacts, cluster.admin_url, name="pg-outage", keep_logs=logs_dir) as stack:
            return drill_pg_outage(
                stack, cluster, artefacts, seconds=seconds, outage_seconds=outage_seconds
            )
    finally:
        cluster.destroy()


def worker_pids(server: Server) -> set[int]:
    """The uvicorn worker processes: spawned children of the serve process (not their own
    children, the workers' drain processes)."""
    pids = set()
    with contextlib.suppress(psutil.Error):
        for process in psutil.Process(server.process.pid).children(recursive=False):
            with contextlib.suppress(psutil.Error):
                if "spawn_main" in " ".join(process.cmdline()):
                    pids.add(process.pid)
    return pids


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _busiest_worker(server: Server) -> int | None:
    counts: Counter[int] = Counter()
    for pid in worker_pids(server):
        with contextlib.suppress(psutil.Error):
            counts[pid] = sum(
                1
                for c in psutil.Process(pid).net_connections(kind="tcp")
                if c.laddr and c.laddr.port == server.port and c.raddr
            )
    return counts.most_common(1)[0][0] if counts else None


def _startups(stack: Stack) -> int:
    """Workers that completed their start-up so far (from the server log)."""
    return stack.log_path.read_text(errors="replace").count("Application startup complete")


def drill_sigkill(stack: Stack, artefacts: Artefacts, *, seconds: float) -> DrillResult:
    result = DrillResult("sigkill")
    baseline = settled_ids(stack.database_url)
    requests = _requests(artefacts, stack.keys["score"])
    marks: dict[str, float] = {}
    pids: dict[str, object] = {}
    victim_children: list[int] = []

    async def kill(traffic: Traffic) -> None:
        await asyncio.sleep(seconds * 0.4)
        before = worker_pids(stack.server)
        victim = _busiest_worker(stack.server)
        pids["before"], pids["victim"] = sorted(before), victim
        if victim is None:
            return
        startups = _startups(stack)
        with contextlib.suppress(psutil.Error):
            victim_children.extend(c.pid for c in psutil.Process(victim).children())
        psutil.Process(victim).send_signal(signal.SIGKILL)
        marks["killed"] = traffic.now()
        log(f"sigkill: worker {victim} killed at {marks['killed']:.1f} s")
        # The supervisor notices a dead worker between two health checks, or only once a
        # check in flight times out (timeout_worker_healthcheck, 60 s in `serve`): watch for the
        # replacement that long, for its readiness only while the load lasts.
        while traffic.now() < max(seconds, marks["killed"] + REPLACEMENT_TIMEOUT_SECONDS):
            now = worker_pids(stack.server)
            if "replaced" not in marks and len(now) == len(before) and victim not in now:
                marks["replaced"] = traffic.now()
                pids["after"] = sorted(now)
            if _startups(stack) > startups:
                marks["ready"] = traffic.now()
            if "ready" in marks or ("replaced" in marks and traffic.now() > seconds):
                return
            await asyncio.sleep(0.1)

    log(f"sigkill: {CONCURRENCY} clients for {seconds:g} s, one worker killed at 40 %")
    traffic = asyncio.run(drive(stack.server, requests, seconds=seconds, fault=kill))
    _common_figures(result, traffic)
    killed, replaced = marks.get("killed"), marks.get("replaced")
    result.figure(
        "workers before / killed / after",
        f"{pids.get('before')} / {pids.get('victim')} / {pids.get('after')}",
    )
    result.figure("requests broken by the kill (connection reset, reported)", traffic.broken)
    result.figure("connection attempts refused", traffic.refused)
    ready = marks.get("ready")
    result.figure(
        "worker replaced by the supervisor after (s)",
        f"{replaced - killed:.2f}" if killed and replaced else "no",
    )
    result.figure(
        "replacement worker ready after (s)",
        f"{ready - killed:.2f}" if killed and ready else "not before the load ended",
    )
    if killed is not None:
        result.figure("p99 after the kill (ms)", f"{traffic.quantile_ms(0.99, killed):.2f}")
        result.figure("answers after the kill", traffic.count(killed))
    orphans = [pid for pid in victim_children if _alive(pid)]
    result.figure("drain process of the killed worker / still alive", (victim_children, orphans))
    result.check("a worker was killed with SIGKILL", killed is not None)
    result.check("the killed worker's drain process left with it", orphans == [], orphans)
    result.check("the supervisor started a new worker", replaced is not None)
    result.check("HTTP errors (non-200 answers)", traffic.http_errors == 0, dict(traffic.statuses))
    result.check(
        "clients kept being answered after the kill",
        killed is not None and traffic.count(killed) > 0,
    )
    _check_log_and_ids(result, stack, traffic, exact=False, baseline=baseline)
    return result
