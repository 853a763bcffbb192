"""What the drills share: a result with figures and checks, the API under drill (a real
``credit-scoring serve`` on its own PostgreSQL database), a throwaway PostgreSQL cluster that
can really be stopped, and the log scan for secrets and personal data.

Built on :mod:`bench_api` (pipeline artefacts, server process, database helpers).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

import bench_api
from bench_api import Artefacts, Server, free_port

REPO = bench_api.REPO
DEFAULT_ADMIN_URL = bench_api.POSTGRES_ADMIN_URL


def log(message: str) -> None:
    print(f"[drills] {message}", flush=True)


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# -- results ------------------------------------------------------------------------------------


@dataclass
class DrillResult:
    """Figures (printed as measured) and checks (each must hold for the drill to pass)."""

    name: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, label: str, value: Any) -> None:
        self.figures.append((label, f"{value:,.2f}" if isinstance(value, float) else f"{value}"))

    def check(self, label: str, ok: bool, detail: Any = "") -> bool:
        self.checks.append((label, bool(ok), str(detail)))
        return bool(ok)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    def report(self) -> str:
        lines = [f"== drill {self.name}", f"  load average: {load_average()}"]
        width = max([len(label) for label, _ in self.figures] + [10])
        lines += [f"  {label:<{width}}  {value}" for label, value in self.figures]
        for label, ok, detail in self.checks:
            lines.append(
                f"  [{'ok' if ok else 'FAIL'}] {label}" + (f" — {detail}" if detail else "")
            )
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(f"{'PASS' if self.passed else 'FAIL'} {self.name}")
        return "\n".join(lines)


# -- artefacts ----------------------------------------------------------------------------------


def find_artefacts(work_dir: Path | None) -> Artefacts:
    """``work_dir``'s pipeline output; by default bench_api's full-size output when it is
    complete, else its quick (5,000 clients) output, built when missing."""
    if work_dir is None:
        full = REPO / "benchmarks" / "results" / f"api_pipeline_{bench_api.FULL_CLIENTS}"
        if (full / "bundle" / "checksums.json").is_file():
            work_dir = full
        else:
            work_dir = REPO / "benchmarks" / "results" / f"api_pipeline_{bench_api.QUICK_CLIENTS}"
            work_dir.mkdir(parents=True, exist_ok=True)
            return bench_api.prepare_artefacts(work_dir, bench_api.QUICK_CLIENTS, quick=True)
    if not (work_dir / "bundle" / "checksums.json").is_file():
        raise SystemExit(f"{work_dir} holds no pipeline output (see benchmarks/bench_api.py)")
    return bench_api.prepare_artefacts(work_dir, 0, quick=True)


# -- databases ----------------------------------------------------------------------------------


def database_url_on(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def decision_ids(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT request_id FROM decisions").fetchall()
    return {str(r[0]) for r in rows}


def count_among(database_url: str, request_ids: Sequence[str]) -> int:
    """How many of ``request_ids`` are in the decision log (``-1`` when unreachable)."""
    try:
        with psycopg.connect(database_url, connect_timeout=2) as connection:
            row = connection.execute(
                "SELECT count(*) FROM decisions WHERE request_id = ANY(%s)", [list(request_ids)]
            ).fetchone()
    except psycopg.OperationalError:
        return -1
    return int(row[0]) if row else 0


class PrivateCluster:
    """A throwaway PostgreSQL cluster (initdb in a temporary folder, a free port) that a drill
    may stop and start without touching anybody else's server. As root, the PostgreSQL
    commands run as the ``postgres`` user (initdb refuses root)."""

    def __init__(self) -> None:
        self.bindir = Path(
            subprocess.run(
                ["pg_config", "--bindir"], check=True, capture_output=True, text=True
            ).stdout.strip()
        )
        self.root = Path(tempfile.mkdtemp(prefix="drill-pg-"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        # Only loopback TCP, and the socket in our folder (not the system one).
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=on"
        self._options = options
        self.start()

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            self._options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# -- the API under drill ------------------------------------------------------------------------


@dataclass
class Stack:
    """A running API on its own database, with its keys (secret values) and log."""

    server: Server
    database_url: str
    keys: dict[str, str]
    revoked_key: str
    log_path: Path
    home: Path
    #: The server's environment (to start another ``serve`` like it).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


def _keys(database_url: str) -> tuple[dict[str, str], str]:
    from credit_scoring.serving.keys import create_key, revoke_key
    from credit_scoring.store.engine import create_db_engine

    engine = create_db_engine(database_url)
    try:
        made = {
            name: create_key(engine, name=f"drill-{name}", scopes=scopes)[1]
            for name, scopes in {
                "score": ["score"],
                "outcomes": ["outcomes"],
                "read": ["read"],
                "admin": ["admin"],
                "review": ["review"],
                "everything": ["score", "outcomes", "read", "admin", "review"],
            }.items()
        }
        _, revoked = create_key(
            engine, name="drill-revoked", scopes=["score", "outcomes", "read", "admin"]
        )
        revoke_key(engine, revoked.split("_")[1])
    finally:
        engine.dispose()
    return made, revoked


def start_server(
    stack_env: dict[str, str], *, workers: int, log_path: Path, port: int | None = None
) -> Server:
    server = Server(stack_env, port or free_port(), workers, log_path)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server


def _signed_copy(bundle_dir: Path, run_dir: Path) -> tuple[Path, Path]:
    """A copy of ``bundle_dir`` signed with a new key pair; (the copy, the public key)."""
    from credit_scoring.governance.signing import create_key_pair
    from credit_scoring.settings import get_settings
    from credit_scoring.training.signing import sign_if_configured

    private, public = run_dir / "signing" / "drill.pem", run_dir / "signing" / "drill.pub"
    create_key_pair(private, public)
    signed = run_dir / "bundle"
    shutil.copytree(bundle_dir, signed)
    sign_if_configured(signed, get_settings(signing_key_file=private))
    return signed, public


@contextlib.contextmanager
def api_stack(
    artefacts: Artefacts,
    admin_url: str,
    *,
    name: str,
    workers: int = 2,
    env: dict[str, str] | None = None,
    keep_logs: Path | None = None,
    route_database: Callable[[str], str] | None = None,
) -> Iterator[Stack]:
    """A fresh database on ``admin_url`` (migrated, history published, keys made) and
    ``credit-scoring serve`` on it with production defaults; all removed afterwards (the
    server log is copied to ``keep_logs`` when given)."""
    from credit_scoring.features.publish import publish_history
    from credit_scoring.store.migrate import upgrade_database

    database = f"credit_scoring_drill_{name.replace('-', '_')}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    database_url = database_url_on(admin_url, database)
    run_dir = Path(tempfile.mkdtemp(prefix=f"drill-{name}-"))
    server: Server | None = None
    try:
        upgrade_database(database_url)
        publish_history(artefacts.features_dir, database_url)
        keys, revoked = _keys(database_url)
        # Production requires signed bundles: the drill signs a copy with a key of its own.
        bundle_dir, public_key = _signed_copy(artefacts.bundle_dir, run_dir)
        stack_env = {
            **os.environ,
            "CREDIT_SCORING_HOME": str(run_dir / "home"),
            # (``route_database``: the server reaches it another way, e.g. through a proxy)
            "DATABASE_URL": route_database(database_url) if route_database else database_url,
            "CREDIT_SCORING_MODEL_URI": str(bundle_dir),
            "CREDIT_SCORING_TRUSTED_PUBLIC_KEYS": str(public_key),
            "CREDIT_SCORING_ENVIRONMENT": "production",
            **(env or {}),
        }
        log_path = run_dir / "server.log"
        started = time.perf_counter()
        server = start_server(stack_env, workers=workers, log_path=log_path)
        log(f"{name}: API up with {workers} worker(s) in {time.perf_counter() - started:.1f} s")
        yield Stack(server, database_url, keys, revoked, log_path, run_dir / "home", stack_env)
    finally:
        if server is not None:
            server.stop()
        if keep_logs is not None and (run_dir / "server.log").is_file():
            keep_logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(run_dir / "server.log", keep_logs / f"{name}.log")
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(run_dir, ignore_errors=True)


# -- logs ---------------------------------------------------------------------------------------


def key_secrets(keys: Sequence[str]) -> list[str]:
    """What must never be logged of each key: the key itself and its secret part (a key is
    ``cs_<key id>_<secret>``; the secret may itself hold ``_``)."""
    out = []
    for key in keys:
        out += [key, key.split("_", 2)[-1]]
    return out


def scan_log(text: str, forbidden: Sequence[str]) -> list[str]:
    """The forbidden strings found in ``text``."""
    return sorted({f for f in forbidden if f and f in text})


def check_logs(result: DrillResult, log_text: str, forbidden: Sequence[str], what: str) -> None:
    leaked = scan_log(log_text, forbidden)
    result.check(
        f"server log holds no {what}",
        not leaked,
        f"{len(log_text.splitlines())} lines scanned"
        + (f"; found {len(leaked)}: {[s[:12] + '…' for s in leaked][:5]}" if leaked else ""),
    )
