"""The drain in a child process: drains like the thread, is restarted if it dies, leaves with
its worker, and reports its counters to the worker's metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from credit_scoring.serving.decision_log.drain_process import DrainProcess
from credit_scoring.serving.decision_log.sink import DecisionSink
from credit_scoring.serving.decision_log.spool import SpoolFile, SpoolWriter
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.tables import decisions

from .decision_records import make_record, spool_entry


def fill(spool: SpoolFile, n: int) -> None:
    """Append ``n`` answered decisions to the spool, as a worker does."""
    writer = SpoolWriter(spool)
    entries = [spool_entry(make_record(1, reasons=[])) for _ in range(n)]
    asyncio.run(writer.append(entries))
    writer.close()


def count(url: str) -> int:
    engine = create_db_engine(url)
    with engine.connect() as connection:
        n = int(connection.execute(select(func.count()).select_from(decisions)).scalar_one())
    engine.dispose()
    return n


def _wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(url)
    return url


def _drain(spool: SpoolFile, url: str, drained: list[int], errors: list[int]) -> DrainProcess:
    return DrainProcess(
        spool=spool,
        sink=DecisionSink(create_db_engine(url)),
        database_url=url,
        batch_size=10,
        interval_seconds=0.02,
        sync="normal",
        on_drained=drained.append,
        on_error=lambda _class: errors.append(1),
    )


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_child_drains_the_workers_spool_and_reports_what_it_moved(
    tmp_path: Path, database_url: str
) -> None:
    spool = SpoolFile.claim(tmp_path / "spool", sync="normal")
    drained: list[int] = []
    errors: list[int] = []
    drain = _drain(spool, database_url, drained, errors)
    drain.start()
    try:
        fill(spool, 35)
        assert drain.wait_until_empty(30)
        assert count(database_url) == 35
        assert _wait_for(lambda: sum(drained) == 35, 5)
        assert errors == [] and drain.failures == 0
        child = drain._child
        assert child is not None and child.pid != os.getpid() and child.is_alive()
        assert psutil.Process(child.pid).nice() > psutil.Process().nice()  # yields the CPU
    finally:
        drain.stop()
    assert child is not None and not child.is_alive()
    spool.close()


def test_a_killed_drain_process_is_started_again_and_nothing_is_lost(
    tmp_path: Path, database_url: str
) -> None:
    spool = SpoolFile.claim(tmp_path / "spool", sync="normal")
    errors: list[int] = []
    drain = _drain(spool, database_url, [], errors)
    drain.start()
    try:
        first = drain._child
        assert first is not None and first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        assert _wait_for(lambda: drain.restarts == 1, 10)
        assert errors  # the exit is counted as a drain error
        fill(spool, 12)
        assert drain.wait_until_empty(30)
        assert count(database_url) == 12
    finally:
        drain.stop()
    spool.close()


def test_what_the_child_left_is_drained_when_the_worker_stops(
    tmp_path: Path, database_url: str
) -> None:
    spool = SpoolFile.claim(tmp_path / "spool", sync="normal")
    drain = _drain(spool, database_url, [], [])
    drain.start()
    drain._stop_child.set()  # the child stops (after its own final drain) ...
    child = drain._child
    assert child is not None
    child.join(30)
    fill(spool, 7)  # ... then decisions arrive: the worker's stop drains them itself
    drain.stop()
    assert spool.depth() == 0 and count(database_url) == 7
    spool.close()


def test_the_drain_process_leaves_when_its_worker_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from credit_scoring.store.engine import create_db_engine
        from credit_scoring.serving.decision_log.drain_process import DrainProcess
        from credit_scoring.serving.decision_log.sink import DecisionSink
        from credit_scoring.serving.decision_log.spool import SpoolFile

        if __name__ == "__main__":
            url = {database_url!r}
            spool = SpoolFile.claim(Path({str(tmp_path / "spool")!r}), sync="normal")
            drain = DrainProcess(
                spool=spool, sink=DecisionSink(create_db_engine(url)), database_url=url,
                batch_size=10, interval_seconds=0.02, sync="normal",
            )
            drain.start()
            print(drain._child.pid, flush=True)
            time.sleep(120)
        """
    )
    path = tmp_path / "worker.py"
    path.write_text(script)
    worker = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        child_pid = int(worker.stdout.readline())
        assert not _gone(child_pid)
        worker.kill()
        worker.wait(10)
        assert _wait_for(lambda: _gone(child_pid), 10)
    finally:
        worker.kill()
