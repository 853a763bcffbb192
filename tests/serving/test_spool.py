"""The durable spool: group commit, one file per live worker, adoption of dead workers' files."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import numpy as np
import orjson
import pytest

from credit_scoring.serving.decision_log.request_ids import new_request_id
from credit_scoring.serving.decision_log.spool import (
    SpooledRow,
    SpoolEntry,
    SpoolError,
    SpoolFile,
    SpoolWriter,
    find_in_spools,
)
from credit_scoring.store.records import (
    DecisionRecord,
    decode_record,
    features_blob,
    features_from_blob,
)

from .decision_records import make_record, spool_entry


def decode(row: SpooledRow) -> DecisionRecord:
    return decode_record(row.record, raw_input=row.raw_input, features=row.features)


def _entry(i: int) -> SpoolEntry:
    record = {"request_id": new_request_id(), "created_at": "2026-01-01T00:00:00+00:00", "i": i}
    return SpoolEntry(
        record["request_id"], orjson.dumps(record), features_blob(np.array([i, np.nan]))
    )


@pytest.mark.parametrize("sync", ["normal", "full"])
def test_concurrent_appends_are_committed_together_and_survive_reopening(
    tmp_path: Path, sync: str
) -> None:
    spool = SpoolFile.claim(tmp_path, sync=sync)  # type: ignore[arg-type]
    writer = SpoolWriter(spool)
    commits: list[int] = []
    real_commit = writer._commit

    def counting_commit(batch):  # type: ignore[no-untyped-def]
        commits.append(len(batch))
        return real_commit(batch)

    writer._commit = counting_commit  # type: ignore[method-assign]

    async def run() -> None:
        await asyncio.gather(*(writer.append([_entry(i)]) for i in range(50)))

    asyncio.run(run())
    assert sum(commits) == 50 and len(commits) < 50  # grouped
    writer.close()
    spool.close()
    reopened = SpoolFile.claim(tmp_path, sync=sync)  # type: ignore[arg-type]
    assert reopened.path == spool.path
    rows = reopened.peek(100)
    assert sorted(orjson.loads(r.record)["i"] for r in rows) == list(range(50))
    assert reopened.depth() == 50
    features = features_from_blob(rows[0].features)
    assert features is not None and features.shape == (2,) and np.isnan(features[1])
    reopened.close()


def test_each_live_process_gets_its_own_file_and_dead_ones_are_adopted(tmp_path: Path) -> None:
    first = SpoolFile.claim(tmp_path)
    second = SpoolFile.claim(tmp_path)
    assert first.path != second.path
    assert SpoolFile.adopt(first.path) is None  # held by a live owner
    first.close()
    adopted = SpoolFile.adopt(first.path)
    assert adopted is not None
    adopted.close()
    second.close()


def test_rows_are_deleted_only_through_the_committed_sequence(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    writer = SpoolWriter(spool)
    entries = [_entry(i) for i in range(10)]
    asyncio.run(writer.append(entries))
    first = spool.peek(4)
    spool.delete_through(first[-1].seq)
    assert spool.depth() == 6
    assert [orjson.loads(r.record)["i"] for r in spool.peek(10)] == list(range(4, 10))
    assert find_in_spools(tmp_path, entries[7].request_id) is not None
    assert find_in_spools(tmp_path, entries[0].request_id) is None
    writer.close()
    spool.close()


def test_a_failed_commit_fails_the_append(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    writer = SpoolWriter(spool)
    entry = _entry(1)
    asyncio.run(writer.append([entry]))
    with pytest.raises(SpoolError):  # the same request id twice breaks the unique key
        asyncio.run(writer.append([entry]))
    writer.close()
    with pytest.raises(SpoolError, match="closed"):
        asyncio.run(writer.append([_entry(2)]))
    spool.close()


def test_raw_inputs_spooled_apart_are_read_back_as_part_of_the_record(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    writer = SpoolWriter(spool)
    raw_input = {"SK_ID_CURR": 7, "AMT_CREDIT": 1.5, "OCCUPATION_TYPE": None}
    record = make_record(7, raw_input=raw_input)
    entry = spool_entry(record)
    asyncio.run(writer.append([entry]))
    writer.close()

    (row,) = spool.peek(5)
    found = find_in_spools(tmp_path, record.request_id)

    assert row.raw_input == orjson.dumps(raw_input) and found == row
    assert decode(row) == record
    spool.close()


def test_a_spool_file_written_before_raw_inputs_were_spooled_apart_still_drains(
    tmp_path: Path,
) -> None:
    old = tmp_path / "spool-0.sqlite"
    connection = sqlite3.connect(old)
    connection.execute(
        "CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "request_id TEXT NOT NULL UNIQUE, record BLOB NOT NULL, features BLOB)"
    )
    record = make_record(3, raw_input={"SK_ID_CURR": 3}, features=None)
    old_entry = spool_entry(record, raw_input_apart=False)
    connection.execute(
        "INSERT INTO spool (request_id, record, features) VALUES (?, ?, NULL)",
        (record.request_id, old_entry.record),
    )
    connection.commit()
    connection.close()
    assert find_in_spools(tmp_path, record.request_id) is not None  # before the upgrade

    adopted = SpoolFile.adopt(old)
    assert adopted is not None
    (row,) = adopted.peek(5)
    assert row.raw_input is None and decode(row) == record
    writer = SpoolWriter(adopted)
    asyncio.run(writer.append([_entry(1)]))  # new rows go to the upgraded file
    writer.close()
    assert adopted.depth() == 2
    adopted.close()


def test_the_spool_is_sqlite_in_wal_mode(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    connection = sqlite3.connect(spool.path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
    spool.close()


def test_a_decision_fits_one_page_of_a_new_spool_file(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    writer = SpoolWriter(spool)
    decision = SpoolEntry(new_request_id(), b"r" * 700, b"f" * 2_600, b"i" * 3_500)
    asyncio.run(writer.append([decision]))
    writer.close()
    connection = sqlite3.connect(spool.path)
    assert connection.execute("PRAGMA page_size").fetchone()[0] == 16_384
    # A 6.8 kB decision stored without overflow pages: the table is one leaf page.
    pages = connection.execute("SELECT count(*) FROM dbstat WHERE name = 'spool'").fetchone()[0]
    assert pages == 1
    connection.close()
    spool.close()


def test_the_drain_deletes_without_rewriting_every_freed_page(tmp_path: Path) -> None:
    spool = SpoolFile.claim(tmp_path)
    assert spool._reader.execute("PRAGMA secure_delete").fetchone()[0] == 2  # FAST
    spool.close()


def test_request_ids_are_uuid7_and_sort_by_time() -> None:
    ids = [new_request_id() for _ in range(200)]
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)
    assert len(set(ids)) == 200
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)
