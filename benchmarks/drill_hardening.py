"""Hardening drills (each prints its figures and PASS/FAIL):

- ``schema-break``: a column of ``decisions`` renamed while serving: answers keep coming (the
  spool keeps them), /readyz turns 503 naming a schema error, the drain logs JSON with
  ``error_class: schema`` and counts it; after the repair every answered decision is logged.
- ``spool-deleted``: every ``spool-*.sqlite*`` file deleted mid-load: the workers notice, refuse
  decisions (503) until the file is re-created, and no answered decision is lost.
- ``copy-cut``: the API's database connections go through a proxy that cuts every connection
  mid-load (mid-COPY for the drain): the drain recovers within its bounds; no decision lost.
- ``supervisor-kill``: the ``serve`` supervisor SIGKILLed: its workers exit, a new ``serve``
  binds the same port.
- ``slow-clients``: idle sockets, slow request heads and bodies: closed by the header/body
  timeouts and the idle cap while valid requests are answered.
- ``disconnects``: clients hanging up mid-body: counted as disconnects, no 5xx, no ERROR log.
- ``timestamps``: extreme timestamps, upper-case ids, a bad cursor: 4xx JSON echoing nothing.
- ``keys``: outcomes need the ``outcomes`` scope; a revoked key fails at once on the revoking
  worker and within a second on the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import orjson
import psutil
import psycopg

import bench_api
from bench_api import Artefacts
from drill_load import (
    HEALTH_REQUEST,
    WORKERS,
    Traffic,
    _requests,
    drive,
    settled_ids,
    wait_for_drain,
    worker_pids,
)
from drill_support import DrillResult, Stack, api_stack, log, start_server
from tcp_proxy import TcpProxy

#: Connection limits of the drills' API (tighter than the defaults, so the drills are short).
DRILL_ENV = {
    "CREDIT_SCORING_API_HEADER_TIMEOUT_SECONDS": "3",
    "CREDIT_SCORING_API_BODY_TIMEOUT_SECONDS": "5",
    "CREDIT_SCORING_API_MAX_IDLE_CONNECTIONS": "100",
}
EXTREME = "0001-01-01T00:00:00+14:00"


def _get(stack: Stack, path: str, key: str | None = None, **params: str) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return httpx.get(f"{stack.url}{path}", headers=headers, params=params, timeout=30)


def _metric(stack: Stack, name: str) -> float:
    text = _get(stack, "/metrics").text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _wait(predicate: object, timeout: float, step: float = 0.2) -> float | None:
    """Seconds until ``predicate()`` held, ``None`` on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(step)
    return None


def _score(stack: Stack, application: dict[str, object], n: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        for _ in range(n):
            reply = client.post(
                "/v1/scores", json=application, headers={"X-API-Key": stack.keys["score"]}
            )
            if reply.status_code == 200:
                ids.append(reply.json()["request_id"])
    return ids


def _application(artefacts: Artefacts) -> dict[str, object]:
    return bench_api.applications(artefacts.data_dir)[0]


# -- schema break -------------------------------------------------------------------------------


def drill_schema_break(stack: Stack, artefacts: Artefacts) -> DrillResult:
    result = DrillResult("schema-break")
    application = _application(artefacts)
    log_before = stack.log_path.read_text(errors="replace")
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        connection.execute("ALTER TABLE decisions RENAME COLUMN latency_ms TO latency_ms_broken")
    try:
        ids = _score(stack, application, 20)
        # Two workers answer /readyz in turn: keep the body of the very answer that said
        # "not ready, schema" (a second request may reach the other, healthy worker).
        seen: dict[str, dict[str, object]] = {}

        def schema_not_ready() -> bool:
            response = _get(stack, "/readyz")
            seen["body"] = response.json()
            return response.status_code == 503 and "schema" in (seen["body"].get("detail") or "")

        not_ready = _wait(schema_not_ready, 20)
        body = seen["body"]
        schema_errors = _metric(stack, 'credit_scoring_drain_errors_total{error_class="schema"}')
    finally:
        with psycopg.connect(stack.database_url, autocommit=True) as connection:
            connection.execute(
                "ALTER TABLE decisions RENAME COLUMN latency_ms_broken TO latency_ms"
            )
    _, drained_after = wait_for_drain(stack.database_url, ids)
    logged = set(ids) <= settled_ids(stack.database_url)
    ready_again = _wait(lambda: _get(stack, "/readyz").status_code == 200, 30)
    new_log = stack.log_path.read_text(errors="replace")[len(log_before) :]
    json_lines = [
        line for line in new_log.splitlines() if '"error_class":"schema"' in line.replace(" ", "")
    ]
    result.figure("decisions answered while the schema was broken", len(ids))
    result.figure("/readyz 503 naming a schema error after (s)", not_ready)
    result.figure("readiness body", orjson.dumps(body).decode()[:300])
    result.figure("drain errors counted as schema", schema_errors)
    result.figure("all logged after the repair within (s)", f"{drained_after:.2f}")
    result.check("answers kept coming (the spool keeps them)", len(ids) == 20, len(ids))
    result.check("/readyz said not ready, naming a schema error", not_ready is not None)
    result.check("the readiness body names no path", "/" not in orjson.dumps(body).decode())
    result.check("drain errors exported with class schema", schema_errors > 0)
    result.check("the drain logged JSON lines with error_class schema", bool(json_lines))
    result.check("every answered decision logged after the repair", logged)
    result.check("ready again after the repair", ready_again is not None)
    return result


# -- spool deleted ------------------------------------------------------------------------------


def drill_spool_deleted(stack: Stack, artefacts: Artefacts, *, seconds: float) -> DrillResult:
    result = DrillResult("spool-deleted")
    baseline = settled_ids(stack.database_url)
    requests = _requests(artefacts, stack.keys["score"])
    spool_dir = stack.home / "serving" / "spool"
    marks: dict[str, float] = {}
    deleted: list[str] = []

    async def delete(traffic: Traffic) -> None:
        await asyncio.sleep(seconds * 0.4)
        for path in sorted(spool_dir.glob("spool-*.sqlite*")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted.append(path.name)
        marks["deleted"] = traffic.now()
        while traffic.now() < seconds + 10:
            present = sorted(p.name for p in spool_dir.glob("spool-*.sqlite"))
            if len(present) >= WORKERS:
                marks["recreated"] = traffic.now()
                return
            await asyncio.sleep(0.05)

    traffic = asyncio.run(drive(stack.server, requests, seconds=seconds, fault=delete))
    ids, drained = wait_for_drain(stack.database_url, traffic.answered)
    lost = set(traffic.answered) - ids
    refused = traffic.statuses.get(503, 0)
    recreated = marks.get("recreated")
    result.figure("decisions answered (200)", len(traffic.answered))
    result.figure("spool files deleted", ", ".join(deleted))
    result.figure(
        "spool files re-created after (s)",
        f"{recreated - marks['deleted']:.2f}" if recreated and "deleted" in marks else "no",
    )
    result.figure("refused while re-creating (503)", refused)
    result.figure("answered decisions missing from the database", len(lost))
    result.figure("drained within (s)", f"{drained:.2f}")
    mode = oct(os.stat(next(iter(spool_dir.glob("spool-*.sqlite")))).st_mode & 0o777)
    result.figure("spool file / folder mode", f"{mode} / {oct(spool_dir.stat().st_mode & 0o777)}")
    result.check("the spool files were deleted mid-load", bool(deleted))
    result.check("the workers re-created their spool files", recreated is not None)
    result.check("no answered decision lost", not lost, f"{len(lost)} missing")
    result.check(
        "only 200 or 503 answers", set(traffic.statuses) <= {200, 503}, dict(traffic.statuses)
    )
    result.check("files 0600 in a 0700 folder", mode == "0o600")
    del baseline
    return result


# -- connection cut mid-COPY ----------------------------------------------------------------------


def drill_copy_cut(
    artefacts: Artefacts, admin_url: str, *, seconds: float, logs_dir: Path | None
) -> DrillResult:
    """A stack of its own, whose database connections go through :class:`TcpProxy`."""
    result = DrillResult("copy-cut")
    host, port = "127.0.0.1", int(admin_url.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = TcpProxy(host, port)
    pass_timeout = 3.0
    hold = 2 * pass_timeout
    env = {
        "CREDIT_SCORING_DB_KEEPALIVE_SECONDS": "2",
        "CREDIT_SCORING_DB_STATEMENT_TIMEOUT_SECONDS": "5",
        "CREDIT_SCORING_DB_LOCK_TIMEOUT_SECONDS": "2",
        "CREDIT_SCORING_DB_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS": "5",
        "CREDIT_SCORING_DRAIN_PASS_TIMEOUT_SECONDS": str(pass_timeout),
        "CREDIT_SCORING_DRAIN_BATCH_SIZE": "50",
    }
    marks: dict[str, float] = {}
    try:
        with api_stack(
            artefacts, admin_url, name="copy-cut", env=env, keep_logs=logs_dir,
            route_database=proxy.url,
        ) as stack:  # fmt: skip
            requests = _requests(artefacts, stack.keys["score"])
            run_for = max(seconds, hold + 6)

            async def cut(traffic: Traffic) -> None:
                await asyncio.sleep(min(2.0, run_for * 0.2))
                marks["cut"] = traffic.now()
                marks["connections"] = proxy.cut(hold)
                log(f"copy-cut: {marks['connections']:.0f} connection(s) cut")

            traffic = asyncio.run(drive(stack.server, requests, seconds=run_for, fault=cut))
            cut_at = marks["cut"]
            after = [
                rid for rid, t in zip(traffic.answered, traffic.answered_at, strict=True)
                if t > cut_at + 0.5
            ]  # fmt: skip
            ids, drained = wait_for_drain(stack.database_url, traffic.answered)
            lost = set(traffic.answered) - ids
            with psycopg.connect(stack.database_url, autocommit=True) as connection:
                stuck = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%%' "
                    "AND now() - state_change > interval '10 seconds'"
                ).fetchone()
            log_text = stack.log_path.read_text(errors="replace")
            result.figure("connections cut", int(marks["connections"]))
            result.figure("client side silent for (s)", hold)
            result.figure(
                "decisions answered (200) / after the cut",
                f"{len(traffic.answered)} / {len(after)}",
            )
            result.figure("statuses", dict(traffic.statuses))
            result.figure(
                "p99 during the silence (ms)",
                f"{traffic.quantile_ms(0.99, cut_at, cut_at + hold):.1f}",
            )
            result.figure(
                "every answered decision logged within (s) after the load", f"{drained:.2f}"
            )
            result.figure("drain passes abandoned as stuck", log_text.count("drain pass stuck"))
            result.figure("sessions idle in transaction for > 10 s", stuck[0] if stuck else "?")
            result.check("connections were cut mid-load", marks["connections"] > 0)
            result.check("no answered decision lost", not lost, f"{len(lost)} missing")
            result.check("decisions answered after the cut", len(after) > 0)
            result.check("no session left idle in transaction", stuck is not None and stuck[0] == 0)
    finally:
        proxy.close()
    return result


# -- supervisor SIGKILL ---------------------------------------------------------------------------


def drill_supervisor_kill(stack: Stack, *, restart: bool) -> DrillResult:
    """Last on the shared API (it ends it). ``restart``: also start a whole new ``serve`` on
    the port (a minute on a busy machine); else only bind it, which is what failed before."""
    result = DrillResult("supervisor-kill")
    workers = sorted(worker_pids(stack.server))
    os.kill(stack.server.process.pid, signal.SIGKILL)

    def gone() -> bool:
        return not any(_not_zombie(p) for p in workers)

    exited = _wait(gone, 40, 0.05)
    stack.server.process.wait(5)
    with contextlib.suppress(OSError):  # whatever outlived it, so the stack can be removed
        os.killpg(stack.server.process.pid, signal.SIGKILL)
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", stack.port))
            probe.listen(1)
        bound: object = "yes"
    except OSError as exc:
        bound = f"{type(exc).__name__}: {exc}"
    ready: float | None = None
    answered: object = "skipped (short mode)"
    if restart and bound == "yes":
        started = time.monotonic()
        replacement = None
        try:
            replacement = start_server(
                stack.env, workers=WORKERS, log_path=stack.log_path.with_name("replacement.log"),
                port=stack.port,
            )  # fmt: skip
            ready = time.monotonic() - started
            answered = _get(stack, "/healthz").status_code
        except Exception as exc:  # the new serve failing
            answered = type(exc).__name__
        finally:
            if replacement is not None:
                replacement.stop()
    result.figure("workers of the killed supervisor", workers)
    result.figure("all workers exited after (s)", f"{exited:.2f}" if exited else "no")
    result.figure("the port can be bound again", bound)
    result.figure("a new serve on the port ready after (s)", f"{ready:.2f}" if ready else answered)
    result.check("every worker exited with its supervisor", exited is not None)
    result.check("the port is free for a new serve", bound == "yes", bound)
    if restart:
        result.check("a new serve on the same port answers", answered == 200, answered)
    return result


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- slow and idle clients ----------------------------------------------------------------------


def _open_idle(port: int, n: int) -> list[socket.socket]:
    out = []
    for _ in range(n):
        with contextlib.suppress(OSError):
            out.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    return out


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 408")


def drill_slow_clients(stack: Stack, artefacts: Artefacts) -> DrillResult:
    result = DrillResult("slow-clients")
    header_timeout = float(DRILL_ENV["CREDIT_SCORING_API_HEADER_TIMEOUT_SECONDS"])
    body_timeout = float(DRILL_ENV["CREDIT_SCORING_API_BODY_TIMEOUT_SECONDS"])
    cap = int(DRILL_ENV["CREDIT_SCORING_API_MAX_IDLE_CONNECTIONS"])
    application = orjson.dumps(_application(artefacts))
    idle = _open_idle(stack.port, 600)
    slow_head = _open_idle(stack.port, 30)
    for sock in slow_head:
        sock.sendall(b"POST /v1/scores HTTP/1.1\r\nHost: x\r\n")
    slow_body = _open_idle(stack.port, 30)
    head = (
        f"POST /v1/scores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {stack.keys['score']}\r\nContent-Length: {len(application)}\r\n\r\n"
    ).encode()
    for sock in slow_body:
        sock.sendall(head + application[:10])
    time.sleep(0.5)
    closed_by_cap = sum(_closed_by_server(s) for s in idle)
    latencies = []
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        for _ in range(20):
            started = time.perf_counter()
            reply = client.post(
                "/v1/scores", content=application,
                headers={"X-API-Key": stack.keys["score"], "Content-Type": "application/json"},
            )  # fmt: skip
            latencies.append((time.perf_counter() - started, reply.status_code))
    for k in range(int(body_timeout) + 2):  # the slow bodies keep trickling
        for sock in slow_body:
            with contextlib.suppress(OSError):
                sock.sendall(application[10 + k : 11 + k])
        time.sleep(1.0)
    all_idle = _wait(lambda: all(_closed_by_server(s) for s in idle + slow_head), 10)
    bodies_closed = sum(_closed_by_server(s) for s in slow_body)
    for sock in idle + slow_head + slow_body:
        sock.close()
    statuses = {s for _, s in latencies}
    p50 = sorted(t for t, _ in latencies)[len(latencies) // 2] * 1000
    result.figure(
        "idle sockets / slow heads / slow bodies",
        f"{len(idle)} / {len(slow_head)} / {len(slow_body)}",
    )
    result.figure(f"idle closed at once by the cap ({cap} per worker)", closed_by_cap)
    result.figure("valid requests meanwhile: statuses, p50 (ms)", f"{sorted(statuses)}, {p50:.1f}")
    result.figure(f"slow bodies closed after {body_timeout + 2:.0f} s", bodies_closed)
    result.check(
        "the idle cap closed the excess at once", closed_by_cap >= len(idle) - WORKERS * cap
    )
    result.check("valid requests answered meanwhile", statuses == {200}, sorted(statuses))
    result.check(
        f"every idle socket and slow head closed (header timeout {header_timeout:g} s)",
        all_idle is not None,
    )
    result.check("every slow body closed by the body timeout", bodies_closed == len(slow_body))
    return result


# -- disconnects ----------------------------------------------------------------------------------


def drill_disconnects(stack: Stack, artefacts: Artefacts) -> DrillResult:
    result = DrillResult("disconnects")
    before = _metric(stack, "credit_scoring_client_disconnects_total")
    errors_before = _metric(stack, 'credit_scoring_errors_total{kind="http_5xx"}')
    log_before = len(stack.log_path.read_text(errors="replace"))
    application = orjson.dumps(_application(artefacts))
    head = (
        f"POST /v1/scores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {stack.keys['score']}\r\nContent-Length: {len(application)}\r\n\r\n"
    ).encode()
    n = 25
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", stack.port), timeout=5) as sock:
            sock.sendall(head + application[: len(application) // 2])
            time.sleep(0.02)
    counted = _wait(
        lambda: _metric(stack, "credit_scoring_client_disconnects_total") - before >= n, 15
    )
    after = _metric(stack, "credit_scoring_client_disconnects_total") - before
    errors = _metric(stack, 'credit_scoring_errors_total{kind="http_5xx"}') - errors_before
    new_log = stack.log_path.read_text(errors="replace")[log_before:]
    bad = [
        line for line in new_log.splitlines()
        if '"level":"ERROR"' in line or "Traceback" in line or '"status":500' in line
    ]  # fmt: skip
    result.figure("clients hanging up mid-body", n)
    result.figure("disconnects counted", after)
    result.figure("5xx counted", errors)
    result.figure("ERROR / traceback / 500 log lines", len(bad))
    result.check("every hang-up counted as a disconnect", counted is not None, after)
    result.check("no 5xx counted", errors == 0, errors)
    result.check("no ERROR, traceback or 500 in the log", not bad, bad[:2])
    return result


# -- timestamps and ids ---------------------------------------------------------------------------


def drill_timestamps(stack: Stack, artefacts: Artefacts) -> DrillResult:
    result = DrillResult("timestamps")
    application = _application(artefacts)
    (request_id,) = _score(stack, application, 1)
    read, outcomes = stack.keys["read"], stack.keys["outcomes"]
    cases: list[tuple[str, httpx.Response, set[int], str]] = []
    for value in (EXTREME, "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00Z"):
        for name in ("since", "until"):
            reply = _get(stack, "/v1/scores", read, **{name: value})
            cases.append((f"{name}={value}", reply, {422}, value))
        reply = httpx.post(
            f"{stack.url}/v1/outcomes", timeout=30, headers={"X-API-Key": outcomes},
            json={"request_id": request_id, "defaulted": True, "observed_at": value},
        )  # fmt: skip
        cases.append((f"observed_at={value}", reply, {422}, value))
    cursor = "Zq7Cursor' OR 1=1 --"
    cases.append(("bad cursor", _get(stack, "/v1/scores", read, cursor=cursor), {400}, cursor))
    upper = request_id.upper()
    cases.append(("upper-case id read", _get(stack, f"/v1/scores/{upper}", read), {200}, "\0"))
    wrong = []
    for name, reply, expected, value in cases:
        json_body = reply.headers.get("content-type", "").startswith("application/json")
        if reply.status_code not in expected or not json_body or value in reply.text:
            wrong.append(f"{name}: {reply.status_code} {reply.text[:120]}")
    result.figure("requests", len(cases))
    result.figure("statuses", sorted({r.status_code for _, r, _, _ in cases}))
    result.check("each got its 4xx (or 200) as JSON, echoing nothing", not wrong, "; ".join(wrong))
    return result


# -- keys: outcomes scope, revocation timing ------------------------------------------------------


def drill_keys(stack: Stack, artefacts: Artefacts) -> DrillResult:
    from credit_scoring.serving.keys import create_key
    from credit_scoring.store.engine import create_db_engine

    result = DrillResult("keys")
    (request_id,) = _score(stack, _application(artefacts), 1)
    body = {"request_id": request_id, "defaulted": False}
    by_score = httpx.post(
        f"{stack.url}/v1/outcomes", json=body, headers={"X-API-Key": stack.keys["score"]}
    ).status_code
    by_outcomes = httpx.post(
        f"{stack.url}/v1/outcomes", json=body, headers={"X-API-Key": stack.keys["outcomes"]}
    ).status_code
    engine = create_db_engine(stack.database_url)
    try:
        record, victim = create_key(engine, name="drill-victim", scopes=["read"])
    finally:
        engine.dispose()
    probe = bench_api.encode_request("/v1/model", b"", victim).replace(b"POST", b"GET", 1)
    revoke = (
        f"DELETE /v1/admin/keys/{record.key_id} HTTP/1.1\r\nHost: x\r\n"
        f"X-API-Key: {stack.keys['admin']}\r\nContent-Length: 0\r\n\r\n"
    ).encode()

    async def timing() -> tuple[list[int], int, float | None, list[int]]:
        connections, split, _ = await bench_api.open_balanced(
            stack.server, HEALTH_REQUEST, WORKERS, WORKERS
        )
        first = [(await c.send(probe))[0] for c in connections]  # cached as good everywhere
        revoker, other = connections[0], connections[-1]
        status = (await revoker.send(revoke))[0]
        at_once = (await revoker.send(probe))[0]
        started = time.monotonic()
        elsewhere = None
        while time.monotonic() - started < 5:
            if (await other.send(probe))[0] == 401:
                elsewhere = time.monotonic() - started
                break
            await asyncio.sleep(0.02)
        for c in connections:
            c.close()
        return first, status * 1000 + at_once, elsewhere, split

    first, codes, elsewhere, split = asyncio.run(timing())
    revoked_status, at_once = divmod(codes, 1000)
    result.figure(
        "outcome posted with a score key / an outcomes key", f"{by_score} / {by_outcomes}"
    )
    result.figure("connections per worker", split)
    result.figure("victim key before revocation (per worker)", first)
    result.figure(
        "revocation answer / the revoking worker right after", f"{revoked_status} / {at_once}"
    )
    result.figure(
        "refused by the other worker after (s)",
        f"{elsewhere:.3f}" if elsewhere is not None else "no",
    )
    result.check("outcomes refused without the outcomes scope (403)", by_score == 403)
    result.check("outcomes accepted with it", by_outcomes in (200, 201))
    result.check("the key worked on every worker before", first == [200] * len(first), first)
    result.check("revoked at once on the revoking worker", (revoked_status, at_once) == (200, 401))
    result.check("refused elsewhere within 1 s", elsewhere is not None and elsewhere <= 1.0)
    result.check("the drill reached both workers", len(split) == WORKERS, split)
    return result
