"""Benchmark of ``credit-scoring data generate``: wall time, CPU time and peak memory.

Each run generates a population in a fresh Python process (cold start, pilot included, as the
CLI does) into a temporary folder that is removed afterwards; the peak RSS is that process's
(``os.wait4``, children included). Prints the rows per table, the rows per client against the
Kaggle data, and the oracle metrics of the full-size population.

Targets (full size, Kaggle's 307,511 + 48,744 clients, ~58M rows, Parquet): ≤ 180 s wall and
≤ 8 GB peak RSS on a 2-core machine. Exits 1 if a target is missed.

    .venv/bin/python benchmarks/bench_generate.py            # small runs ×3, CSV, full size
    .venv/bin/python benchmarks/bench_generate.py --quick    # small runs only (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FULL_TRAIN, FULL_TEST = 307_511, 48_744
TARGET_SECONDS = 180.0
TARGET_RSS_GB = 8.0
SEED = 42
#: Rows per client of the full Kaggle data (bureau_balance: per bureau credit).
KAGGLE_RATIOS = {
    "bureau": 1_716_428 / 356_255,
    "previous_application": 1_670_214 / 356_255,
    "POS_CASH_balance": 10_001_358 / 356_255,
    "installments_payments": 13_605_401 / 356_255,
    "credit_card_balance": 3_840_312 / 356_255,
    "bureau_balance_per_bureau_credit": 27_299_925 / 1_716_428,
}

_CHILD = """
import json, sys
from credit_scoring.demo.generator import generate_dataset
args = json.loads(sys.argv[1])
result = generate_dataset(args.pop("out"), **args)
print(json.dumps(result.oracle))
"""


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_gb: float
    oracle: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.oracle["rows"].values())


def run_once(work_dir: Path, *, clients: int, test_clients: int, fmt: str) -> Run:
    """Generate one population in a fresh process; measure it; delete the output."""
    out = Path(tempfile.mkdtemp(prefix="bench-generate-", dir=work_dir)) / "population"
    args = {"out": str(out), "clients": clients, "test_clients": test_clients, "seed": SEED}
    args["fmt"] = fmt
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(args)], stdout=subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(out.parent, ignore_errors=True)
    if child.returncode != 0:
        raise SystemExit(f"generation failed (exit {child.returncode})")
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_gb=usage.ru_maxrss / 1024**2,  # KiB on Linux
        oracle=json.loads(output),
    )


def print_runs(label: str, runs: list[Run]) -> None:
    walls = [r.wall_s for r in runs]
    median = statistics.median(walls)
    rows = runs[0].rows
    print(f"\n== {label}: {runs[0].oracle['clients']} clients, {rows:,} rows, {len(runs)} run(s)")
    print(f"  wall      median {median:7.1f} s   (runs: {', '.join(f'{w:.1f}' for w in walls)})")
    print(f"  CPU       median {statistics.median(r.cpu_s for r in runs):7.1f} s")
    print(f"  peak RSS  max    {max(r.peak_rss_gb for r in runs):7.2f} GB")
    print(f"  throughput       {rows / median / 1e6:7.2f} M rows/s (wall, pilot included)")


def print_population(run: Run) -> None:
    oracle = run.oracle
    print("  rows per table:")
    for name, count in oracle["rows"].items():
        print(f"    {name:<24} {count:>12,}")
    print("  rows per client      generated   Kaggle   ratio")
    for name, kaggle in KAGGLE_RATIOS.items():
        value = oracle["rows_per_client"][name]
        print(f"    {name:<34} {value:6.2f}  {kaggle:6.2f}  {value / kaggle:5.2f}")
    train = oracle["train"]
    print(
        f"  oracle on train (seed {oracle['seed']}, target rate {oracle['default_rate_target']}):"
    )
    keys = ("default_rate", "oracle_auc", "application_only_auc", "oracle_brier",
            "constant_brier", "oracle_cost", "oracle_threshold", "approve_all_cost")  # fmt: skip
    for key in keys:
        print(f"    {key:<22} {train[key]:.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--runs", type=int, default=3, help="runs of the small sizes")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print(f"bench_generate: {os.cpu_count()} cores; the machine may be shared (figures inflate)")

    small = 5_000 if args.quick else 30_000
    small_test = round(small * FULL_TEST / FULL_TRAIN)
    runs = [run_once(args.work_dir, clients=small, test_clients=small_test, fmt="parquet")
            for _ in range(1 if args.quick else args.runs)]  # fmt: skip
    print_runs(f"small, Parquet ({small:,} train clients)", runs)
    failures = []
    if max(r.peak_rss_gb for r in runs) > TARGET_RSS_GB:
        failures.append("small run above the memory target")
    if args.quick:
        print_population(runs[0])
    else:
        csv_runs = [run_once(args.work_dir, clients=small, test_clients=small_test, fmt="csv")]
        print_runs(f"small, CSV ({small:,} train clients)", csv_runs)
        full = run_once(args.work_dir, clients=FULL_TRAIN, test_clients=FULL_TEST, fmt="parquet")
        print_runs("FULL SIZE, Parquet (one run)", [full])
        print_population(full)
        print(
            f"  targets: wall {full.wall_s:.1f} s / {TARGET_SECONDS:.0f} s "
            f"({full.wall_s / TARGET_SECONDS:.2f}×), peak RSS {full.peak_rss_gb:.2f} GB / "
            f"{TARGET_RSS_GB:.0f} GB ({full.peak_rss_gb / TARGET_RSS_GB:.2f}×)"
        )
        if full.wall_s > TARGET_SECONDS:
            failures.append(f"full size took {full.wall_s:.1f} s > {TARGET_SECONDS:.0f} s")
        if full.peak_rss_gb > TARGET_RSS_GB:
            failures.append(f"full size peak RSS {full.peak_rss_gb:.2f} GB > {TARGET_RSS_GB} GB")
    for failure in failures:
        print(f"TARGET MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
