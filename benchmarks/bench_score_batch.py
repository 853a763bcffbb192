"""``score-batch`` throughput: a whole application file scored end to end (read → write).

The full-size pipeline of ``bench_api.py`` gives the data, the features and the model (reused
from ``--work-dir`` when it is there, else run into it). Inputs: the test population
(application_test, 48,744 applications at full size) as Parquet and as CSV, and a larger file
replicating it to ``--large-rows`` rows (1,000,000 by default; the replicas get new client ids,
so only the first copy has history). Each case is the median of ``--runs`` runs of
:func:`credit_scoring.batch.score_batch` — input check, history join, features, scores, reason
codes when asked for, atomic output — with and without reasons, on the local engine (every
core) and on Spark ``local[2]`` for comparison. Load averages and the process's CPU time
(user + sys, with the applications scored per CPU-second) are printed with every figure:
other work on the machine inflates the timings, much less the CPU time.

Target: ≥ 50,000 applications/s end to end on the local engine (2 cores, no reasons).

    .venv/bin/python benchmarks/bench_score_batch.py [--quick] [--work-dir DIR] [--model DIR]
        [--large-rows N] [--runs 3] [--no-spark] [--spark-large]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import FULL_CLIENTS, QUICK_CLIENTS, REPO, prepare_artefacts

TARGET_PER_SECOND = 50_000.0
LARGE_ROWS = 1_000_000
ID_STRIDE = 100_000_000  # replica k gets SK_ID_CURR + k · ID_STRIDE (no clash, no history)


def log(message: str) -> None:
    print(f"[bench_score_batch] {message}", flush=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


@dataclass
class Case:
    name: str
    engine: str
    rows: int
    reasons: bool
    runs: list[float]
    cpu: list[float]  # process CPU seconds (user + sys) of each run: robust to other load
    phases: dict[str, float]
    load_before: str
    load_after: str
    adverse: int

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def per_second(self) -> float:
        return self.rows / self.median

    @property
    def per_cpu_second(self) -> float:
        return self.rows / statistics.median(self.cpu)


def _figures(case: Case) -> dict[str, float]:
    return {
        "median": case.median,
        "per_second": case.per_second,
        "per_cpu_second": case.per_cpu_second,
    }


def make_inputs(data_dir: Path, out_dir: Path, large_rows: int) -> dict[str, Path]:
    """test.parquet, test.csv and large.parquet (the test file replicated to ``large_rows``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    test = pq.read_table(data_dir / "application_test.parquet")
    paths = {
        "test.parquet": out_dir / "test.parquet",
        "test.csv": out_dir / "test.csv",
        "large.parquet": out_dir / f"large_{large_rows}.parquet",
    }
    if not paths["test.parquet"].is_file():
        pq.write_table(test, paths["test.parquet"])
    if not paths["test.csv"].is_file():
        pacsv.write_csv(test, paths["test.csv"])
    if not paths["large.parquet"].is_file():
        copies, index = [], 0
        while sum(t.num_rows for t in copies) < large_rows:
            ids = pc.add(test.column("SK_ID_CURR"), pa.scalar(index * ID_STRIDE, pa.int64()))
            copies.append(test.set_column(0, "SK_ID_CURR", ids))
            index += 1
        large = pa.concat_tables(copies).slice(0, large_rows)
        pq.write_table(large, paths["large.parquet"], row_group_size=100_000)
    return paths


def run_case(
    name: str,
    source: Path,
    out: Path,
    *,
    runs: int,
    engine: str,
    reasons: bool,
    model: Any,
    features_dir: Path,
    spark: Any = None,
) -> Case:
    from credit_scoring.batch import score_batch

    times: list[float] = []
    cpu: list[float] = []
    phases: list[dict[str, float]] = []
    before = load()
    result = None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), os.times()
        result = score_batch(
            source, out, model=model, features_dir=features_dir,
            engine="spark" if engine == "spark" else "local", with_reasons=reasons,
            spark_session=spark,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        ended_cpu = os.times()
        cpu.append(ended_cpu.user - started_cpu.user + ended_cpu.system - started_cpu.system)
        phases.append(result.seconds)
    assert result is not None
    middle = sorted(range(runs), key=lambda i: times[i])[runs // 2]
    case = Case(
        name=name, engine=engine, rows=result.rows, reasons=reasons, runs=times, cpu=cpu,
        phases={k: round(v, 3) for k, v in phases[middle].items()}, load_before=before,
        load_after=load(), adverse=sum(v for k, v in result.decisions.items() if k != "APPROVE"),
    )  # fmt: skip
    log(
        f"{name:34s} {case.rows:>9,} rows  median {case.median:7.2f} s  "
        f"{case.per_second:>9,.0f} applications/s  runs {[round(t, 2) for t in times]}  "
        f"CPU {[round(c, 1) for c in cpu]} s ({case.per_cpu_second:,.0f} per CPU-second)  "
        f"phases {case.phases}  load {before} → {case.load_after}"
    )
    return case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000-client pipeline")
    parser.add_argument("--work-dir", type=Path, help="pipeline output to reuse or create")
    parser.add_argument("--model", type=Path, help="bundle folder (default: the work dir's)")
    parser.add_argument("--large-rows", type=int, default=LARGE_ROWS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark cases")
    parser.add_argument("--spark-large", action="store_true", help="also the large file on Spark")
    args = parser.parse_args()
    clients = QUICK_CLIENTS if args.quick else FULL_CLIENTS
    work_dir = args.work_dir or REPO / "benchmarks" / "results" / f"api_pipeline_{clients}"
    artefacts = prepare_artefacts(work_dir, clients, quick=args.quick)

    from credit_scoring.batch import load_batch_model
    from credit_scoring.data.loader import default_threads
    from credit_scoring.settings import get_settings

    scratch = Path(tempfile.mkdtemp(prefix="bench-score-batch-"))
    try:
        settings = get_settings(home=scratch / "home")
        started = time.perf_counter()
        model = load_batch_model(str(args.model or artefacts.bundle_dir), settings)
        bundle = model.bundle
        log(f"model: {bundle.booster.num_trees()} trees, {len(bundle.features)} features, "
            f"loaded in {time.perf_counter() - started:.2f} s; {default_threads()} cores; "
            f"load {load()}")  # fmt: skip
        inputs = make_inputs(artefacts.data_dir, work_dir / "score_batch_inputs", args.large_rows)
        common = {"runs": args.runs, "model": model, "features_dir": artefacts.features_dir}
        cases: list[Case] = []
        for reasons in (False, True):
            suffix = "reasons" if reasons else "no reasons"
            cases.append(run_case(f"local test.parquet, {suffix}", inputs["test.parquet"],
                                  scratch / "out.parquet", engine="local", reasons=reasons,
                                  **common))  # fmt: skip
            cases.append(run_case(f"local test.csv → csv, {suffix}", inputs["test.csv"],
                                  scratch / "out.csv", engine="local", reasons=reasons,
                                  **common))  # fmt: skip
            cases.append(run_case(f"local large.parquet, {suffix}", inputs["large.parquet"],
                                  scratch / "out.parquet", engine="local", reasons=reasons,
                                  **common))  # fmt: skip
        if not args.no_spark:
            from credit_scoring.spark_session import local_spark_session

            spark = local_spark_session(cores=2)
            spark.sparkContext.setLogLevel("ERROR")
            try:
                warm = run_case("spark warm-up (first run)", inputs["test.parquet"],
                                scratch / "out.parquet", engine="spark", reasons=False,
                                spark=spark, **{**common, "runs": 1})  # fmt: skip
                cases.append(warm)
                for reasons in (False, True):
                    suffix = "reasons" if reasons else "no reasons"
                    cases.append(run_case(f"spark local[2] test.parquet, {suffix}",
                                          inputs["test.parquet"], scratch / "out.parquet",
                                          engine="spark", reasons=reasons, spark=spark,
                                          **common))  # fmt: skip
                if args.spark_large:
                    cases.append(run_case("spark local[2] large.parquet, no reasons",
                                          inputs["large.parquet"], scratch / "out.parquet",
                                          engine="spark", reasons=False, spark=spark,
                                          **{**common, "runs": 1}))  # fmt: skip
            finally:
                spark.stop()
        best_local = max(c.per_second for c in cases if c.engine == "local" and not c.reasons)
        verdict = "met" if best_local >= TARGET_PER_SECOND else "MISSED"
        log(f"target ≥ {TARGET_PER_SECOND:,.0f} applications/s locally without reasons: "
            f"{verdict} (best {best_local:,.0f}/s)")  # fmt: skip
        summary = work_dir / "score_batch_results.json"
        payload = {
            "trees": bundle.booster.num_trees(),
            "features": len(bundle.features),
            "cases": [asdict(c) | _figures(c) for c in cases],
        }
        summary.write_text(json.dumps(payload, indent=2))
        log(f"results written to {summary}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
