"""Generate a whole synthetic population chunk by chunk and write it atomically.

Clients are generated in fixed-size chunks; chunk ``i`` draws from
``SeedSequence(seed, spawn_key=(1, i))`` (what ``SeedSequence(seed).spawn`` would give), so the
output depends on the seed and the sizes only, and memory does not grow with the row count.
The intercept of the truth is solved once on a fixed pilot population from a seed of its own:
the true PD is the same function of the observable data for every seed and size.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.demo.generator.arrays import Bools, Columns, Floats, Ints
from credit_scoring.demo.generator.chunk import Chunk, generate_chunk
from credit_scoring.demo.generator.oracle import oracle_report
from credit_scoring.demo.generator.payments import PaymentHistory
from credit_scoring.demo.generator.sampling import sigmoid
from credit_scoring.demo.generator.truth import solve_intercept
from credit_scoring.demo.generator.writer import (
    FORMATS,
    Format,
    TableSink,
    open_sinks,
    to_arrow,
)
from credit_scoring.errors import CreditScoringError
from credit_scoring.io import atomic_output_dir, file_sha256, write_json
from credit_scoring.metrics import COST_FN, COST_FP
from credit_scoring.schema import SCHEMA_VERSION, TABLES, table

GENERATOR_VERSION = "1.1"
#: Clients per chunk (fixed: the output must not depend on it being tuned per machine).
CHUNK_CLIENTS = 20_000
#: Size and seed of the pilot population that fixes the intercept of the truth.
PILOT_CLIENTS = 40_000
PILOT_SEED = 20_261_121
#: First identifiers, as in the Kaggle files.
FIRST_SK_ID_CURR = 100_002
FIRST_SK_ID_BUREAU = 5_000_000
FIRST_SK_ID_PREV = 1_000_000
#: Kaggle's test/train ratio (48,744 / 307,511), the default number of test clients.
TEST_RATIO = 48_744 / 307_511
_SPLIT_STREAM = 0
_CHUNK_STREAM = 1
TRUTH_FILE = "truth.parquet"
ORACLE_FILE = "oracle.json"
TRUTH_SCHEMA = pa.schema(
    [
        pa.field("SK_ID_CURR", pa.int64(), nullable=False),
        pa.field("SPLIT", pa.string(), nullable=False),
        pa.field("TARGET", pa.int64(), nullable=False),
        pa.field("TRUE_PD", pa.float64(), nullable=False),
        pa.field("LOGIT_APPLICATION", pa.float64(), nullable=False),
        pa.field("LOGIT_HISTORY", pa.float64(), nullable=False),
    ]
)

Progress = Callable[[int, int], None]


class GenerationError(CreditScoringError, ValueError):
    """The generator was asked for something it cannot produce (bad size, rate, format…)."""


@dataclass(frozen=True)
class GenerationResult:
    """Where the population went and what ``oracle.json`` says about it."""

    out_dir: Path
    oracle: dict[str, Any]


def default_test_clients(clients: int) -> int:
    """Number of test clients matching Kaggle's test/train ratio."""
    return round(clients * TEST_RATIO)


@cache
def _pilot_logits() -> Floats:
    n_chunks = -(-PILOT_CLIENTS // CHUNK_CLIENTS)
    parts = []
    for i in range(n_chunks):
        size = min(CHUNK_CLIENTS, PILOT_CLIENTS - i * CHUNK_CLIENTS)
        parts.append(generate_chunk(np.random.SeedSequence(PILOT_SEED, spawn_key=(i,)), size).logit)
    return np.concatenate(parts)


def truth_intercept(default_rate: float) -> float:
    """Intercept of the true logit giving ``default_rate`` on the pilot population."""
    return solve_intercept(_pilot_logits(), default_rate)


def _validate(clients: int, test_clients: int, fmt: str, default_rate: float, seed: int) -> None:
    if not isinstance(clients, int | np.integer) or clients <= 0:
        raise GenerationError(
            f"clients must be a positive number of train clients, got {clients!r}"
        )
    if test_clients < 0:
        raise GenerationError(f"test clients must be 0 or more, got {test_clients!r}")
    if fmt not in FORMATS:
        raise GenerationError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not 0.001 <= default_rate <= 0.5:
        raise GenerationError(f"default rate must be in [0.001, 0.5], got {default_rate!r}")
    if seed < 0:
        raise GenerationError(f"seed must be a non-negative integer, got {seed!r}")


def _check_out_dir(out_dir: Path) -> None:
    """Refuse to replace a folder that is not an earlier output of the generator."""
    if out_dir.exists() and not out_dir.is_dir():
        raise GenerationError(f"output path {out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / ORACLE_FILE).is_file():
        raise GenerationError(
            f"output folder {out_dir} is not empty and holds no {ORACLE_FILE}: refusing to "
            "replace it (choose an empty or new folder)"
        )


@dataclass
class _IdCursor:
    client: int = FIRST_SK_ID_CURR
    bureau: int = FIRST_SK_ID_BUREAU
    previous: int = FIRST_SK_ID_PREV


def _with_ids(chunk: Chunk, cursor: _IdCursor) -> tuple[Ints, dict[str, Columns]]:
    """Chunk rows with Kaggle-like IDs (advances ``cursor``); SK_ID_CURR of its clients."""
    bureau, previous = chunk.history.bureau, chunk.history.previous
    sk_curr = cursor.client + np.arange(chunk.n_clients, dtype=np.int64)
    sk_bureau = cursor.bureau + np.arange(bureau.client.size, dtype=np.int64)
    sk_prev = cursor.previous + np.arange(previous.client.size, dtype=np.int64)
    cursor.client += chunk.n_clients
    cursor.bureau += sk_bureau.size
    cursor.previous += sk_prev.size

    def by_previous(rows: PaymentHistory) -> Columns:
        return {
            **rows.columns,
            "SK_ID_PREV": sk_prev[rows.previous],
            "SK_ID_CURR": sk_curr[previous.client[rows.previous]],
        }

    tables = {
        "bureau": {
            **bureau.bureau,
            "SK_ID_CURR": sk_curr[bureau.client],
            "SK_ID_BUREAU": sk_bureau,
        },
        "bureau_balance": {**bureau.bureau_balance, "SK_ID_BUREAU": sk_bureau[bureau.credit]},
        "previous_application": {
            **previous.columns,
            "SK_ID_PREV": sk_prev,
            "SK_ID_CURR": sk_curr[previous.client],
        },
        "POS_CASH_balance": by_previous(chunk.pos),
        "installments_payments": by_previous(chunk.history.installments),
        "credit_card_balance": by_previous(chunk.history.card),
    }
    return sk_curr, tables


def generate_dataset(
    out_dir: Path,
    *,
    clients: int,
    test_clients: int | None = None,
    seed: int,
    fmt: Format = "parquet",
    default_rate: float = 0.08,
    cost_fn: float = COST_FN,
    cost_fp: float = COST_FP,
    chunk_clients: int = CHUNK_CLIENTS,
    progress: Progress | None = None,
) -> GenerationResult:
    """Write a synthetic Home Credit population with known true default probabilities.

    ``clients`` labelled clients go to application_train and ``test_clients`` (default:
    Kaggle's ratio) to application_test, interleaved in SK_ID_CURR order; their histories go
    to the six history tables. ``out_dir`` receives the eight tables (``fmt``), plus
    ``truth.parquet`` (SK_ID_CURR, SPLIT, TARGET, TRUE_PD in [0, 1], the two logit parts) and
    ``oracle.json`` (oracle AUC, Brier score and business cost ``(cost_fn·FN + cost_fp·FP)/n``
    on the realised TARGET). Same arguments → byte-identical files. ``chunk_clients`` exists
    for tests; changing it changes the population.
    """
    out_dir = Path(out_dir)
    n_test = default_test_clients(clients) if test_clients is None else test_clients
    _validate(clients, n_test, fmt, default_rate, seed)
    if chunk_clients <= 0:
        raise GenerationError(f"chunk size must be positive, got {chunk_clients!r}")
    _check_out_dir(out_dir)
    intercept = truth_intercept(default_rate)
    total = clients + n_test
    split_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SPLIT_STREAM,)))
    is_test = np.zeros(total, dtype=bool)
    is_test[split_rng.choice(total, size=n_test, replace=False)] = True

    truth_parts: list[dict[str, np.ndarray]] = []
    rows = dict.fromkeys(TABLES, 0)
    cursor = _IdCursor()
    with atomic_output_dir(out_dir) as tmp:
        sinks = open_sinks(tmp, fmt)
        # One writer thread: chunk i is converted and written while chunk i + 1 is generated
        # (Arrow releases the GIL); writes stay in chunk order, so the bytes do not change.
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="generator-writer") as pool:
                pending: Future[None] | None = None
                for index, start in enumerate(range(0, total, chunk_clients)):
                    size = min(chunk_clients, total - start)
                    seed_seq = np.random.SeedSequence(seed, spawn_key=(_CHUNK_STREAM, index))
                    chunk = generate_chunk(seed_seq, size)
                    tables, truth_part = _chunk_rows(
                        chunk, cursor, is_test=is_test[start : start + size], intercept=intercept
                    )
                    for name, columns in tables.items():
                        rows[name] += len(next(iter(columns.values())))
                    truth_parts.append(truth_part)
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(_write_tables, sinks, tables)
                    if progress is not None:
                        progress(start + size, total)
                if pending is not None:
                    pending.result()
        finally:
            for sink in sinks.values():
                sink.close()
        truth = {k: np.concatenate([p[k] for p in truth_parts]) for k in truth_parts[0]}
        _write_truth(tmp / TRUTH_FILE, truth)
        oracle = oracle_report(truth, rows=rows, cost_fn=cost_fn, cost_fp=cost_fp) | {
            "generator_version": GENERATOR_VERSION,
            "schema_version": SCHEMA_VERSION,
            "format": fmt,
            "seed": seed,
            "default_rate_target": default_rate,
            "intercept": intercept,
            "pilot_clients": PILOT_CLIENTS,
            "chunk_clients": chunk_clients,
            "files": {
                path.name: file_sha256(path)
                for path in sorted(tmp.iterdir())
                if path.name.endswith((".parquet", ".csv"))
            },
        }
        write_json(tmp / ORACLE_FILE, oracle)
    return GenerationResult(out_dir=out_dir, oracle=oracle)


def _chunk_rows(
    chunk: Chunk, cursor: _IdCursor, *, is_test: Bools, intercept: float
) -> tuple[dict[str, Columns], dict[str, np.ndarray]]:
    """The chunk's rows of all eight tables, and its clients' truth (TARGET drawn here)."""
    sk_curr, tables = _with_ids(chunk, cursor)
    true_pd = sigmoid(chunk.logit + intercept)
    target = (chunk.target_uniform < true_pd).astype(np.int64)
    app = {**chunk.application, "SK_ID_CURR": sk_curr}
    train = ~is_test
    tables["application_train"] = {**{k: v[train] for k, v in app.items()}, "TARGET": target[train]}
    tables["application_test"] = {k: v[is_test] for k, v in app.items()}
    truth = {
        "SK_ID_CURR": sk_curr,
        "test": is_test,
        "TARGET": target,
        "TRUE_PD": true_pd,
        "LOGIT_APPLICATION": chunk.logit_application,
        "LOGIT_HISTORY": chunk.logit_history,
    }
    return tables, truth


def _write_tables(sinks: dict[str, TableSink], tables: dict[str, Columns]) -> None:
    for name, columns in tables.items():
        sinks[name].write(to_arrow(table(name), columns))


def _write_truth(path: Path, truth: dict[str, np.ndarray]) -> None:
    split = np.where(truth["test"], "test", "train")
    arrays = [
        pa.array(truth["SK_ID_CURR"], pa.int64()),
        pa.array(split, pa.string()),
        pa.array(truth["TARGET"], pa.int64()),
        pa.array(truth["TRUE_PD"], pa.float64()),
        pa.array(truth["LOGIT_APPLICATION"], pa.float64()),
        pa.array(truth["LOGIT_HISTORY"], pa.float64()),
    ]
    pq.write_table(pa.Table.from_arrays(arrays, schema=TRUTH_SCHEMA), path, compression="zstd")
