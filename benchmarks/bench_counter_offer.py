"""Cost of counter-offers: scoring refused/reviewed applications with and without them.

Builds (or reuses, under ``--work-dir``) the demo environment — synthetic data, features,
a trained bundle, the history store — and takes the test population's applications that the
model does not approve (their requests are also tripled, so there are plenty). Each case
scores the same applications with counter-offers off and on, side by side in the same run,
alternating, ``--runs`` times; the figure is the median of the CPU time of the process
(the wall clock is printed beside it: on a busy machine it is mostly the noise of
other processes). Single (``score_one``, the API's path) and batch (``score_many`` of
``--batch`` applications, the batch API's path).

Target: ≤ 0.3 ms added per refused application.

    .venv/bin/python benchmarks/bench_counter_offer.py [--work-dir DIR] [--runs 7]
        [--clients 4000] [--bundle DIR --database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before LightGBM loads OpenMP

import pandas as pd

from credit_scoring.demo.simulate.demo import build_demo
from credit_scoring.runtime.counter_offer import CounterOfferPolicy
from credit_scoring.serving.schemas.requests import application_validator
from credit_scoring.serving.scorer import ServedModel, load_served_model
from credit_scoring.settings import get_settings

TARGET_MS = 0.3


def log(message: str) -> None:
    print(f"[bench_counter_offer] {message}", flush=True)


def adverse_applications(served: ServedModel, raw_dir: Path, limit: int) -> list[dict[str, Any]]:
    frame = pd.read_parquet(raw_dir / "application_test.parquet")
    validate = application_validator().validate_python
    out: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        clean = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for factor in (1.0, 3.0):
            candidate = dict(clean)
            candidate["AMT_CREDIT"] = clean["AMT_CREDIT"] * factor
            if clean.get("AMT_ANNUITY") is not None:
                candidate["AMT_ANNUITY"] = clean["AMT_ANNUITY"] * factor
            try:
                fields = validate(candidate)
            except ValueError:  # a row outside the request model is skipped
                continue
            if served.score_one(fields).decision != "APPROVE":
                out.append(fields)
        if len(out) >= limit:
            break
    return out[:limit]


def timed(function: Any) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``function()`` (the CPU time of this process, all its
    threads: far less sensitive to other processes on the machine than the wall clock)."""
    started, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--applications", type=int, default=500)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--bundle", type=Path, default=None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-counter-offer-"))
    env = build_demo(work, clients=args.clients, test_clients=args.clients // 4, log=log)
    bundle = args.bundle or env.bundle_dir
    database_url = args.database_url or env.database_url
    settings = get_settings(home=work / "home", database_url=database_url)
    served = load_served_model(str(bundle), settings)
    policy = CounterOfferPolicy()
    served.counter_offer_policy = None
    applications = adverse_applications(served, env.raw_dir, args.applications)
    n = len(applications)
    log(f"{n} refused/reviewed applications; grid of {len(policy.shares)} amounts; "
        f"{served.bundle.booster.num_trees()} trees; load {os.getloadavg()[0]:.2f}")  # fmt: skip

    def single() -> None:
        for application in applications:
            served.score_one(application)

    batch = applications[: args.batch]

    def many() -> None:
        served.score_many(batch)

    results: dict[str, dict[str, list[tuple[float, float]]]] = {"single": {}, "batch": {}}
    for _ in range(args.runs):
        for mode in ("without", "with"):
            served.counter_offer_policy = policy if mode == "with" else None
            for case, function, count in (("single", single, n), ("batch", many, len(batch))):
                wall, cpu = timed(function)
                results[case].setdefault(mode, []).append((wall / count * 1000, cpu / count * 1000))
    served.counter_offer_policy = policy
    offered = sum(served.score_one(a).counter_offer is not None for a in applications)
    log(f"counter-offer found for {offered} of {n} ({offered / n:.0%})")
    for case, modes in results.items():
        (wall_without, cpu_without), (wall_with, cpu_with) = (
            tuple(statistics.median(v[i] for v in modes[mode]) for i in (0, 1))
            for mode in ("without", "with")
        )
        added = cpu_with - cpu_without
        verdict = "OK" if added <= TARGET_MS else "OVER TARGET"
        log(
            f"{case:6s}: CPU without {cpu_without:.3f} ms, with {cpu_with:.3f} ms per refused"
            f" application → +{added:.3f} ms (target ≤ {TARGET_MS} ms: {verdict}); wall clock"
            f" without {wall_without:.3f} ms, with {wall_with:.3f} ms"
            f" (+{wall_with - wall_without:.3f} ms); runs {args.runs}, load"
            f" {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    main()
