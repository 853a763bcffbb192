"""Training quality and speed: the whole chain generate → load → features → train → register.

Quality is measured against the generator's oracle on the same rows: out-of-fold raw and
calibrated probabilities of the train clients vs their true PD (``truth.parquet``). Targets:
AUC within 0.01 of the oracle, business cost within 5 % of the oracle's, Brier within 0.003;
calibrated OOF AUC equal to the raw OOF AUC within 0.001; LightGBM beats the dummy and the
logistic baseline on AUC and cost; history features add clearly over application-only (AUC
gain ≥ 0.01); the monotone constraints cost ≤ 0.002 AUC. Also reported: the scorecard
challenger beside LightGBM and the logistic baseline (same folds), the default configuration
against the logistic baseline on subsamples of 1,000 … 60,000 rows, and the real sample's
figures as the mean of 5 seeds. Speed: the chain with the default configuration in ≤ 5 min
at 50k clients (``--quick``, the ``make demo`` size) and training in ≤ 15 min at full size
(307,511 clients). Also measured: single-row scoring latency (score only, and score + reasons;
aim ≤ 150 µs) against the public ``Booster.predict`` path.

    .venv/bin/python benchmarks/bench_train.py [--quick] [--clients N] [--work-dir DIR]
        [--skip-real] [--skip-sizes] [--real-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

FULL_CLIENTS = 307_511
QUICK_CLIENTS = 50_000
TARGET_AUC_GAP = 0.01
TARGET_COST_RATIO = 1.05
TARGET_BRIER_GAP = 0.003
TARGET_HISTORY_AUC_GAIN = 0.01
TARGET_CALIBRATION_AUC_GAP = 0.001
TARGET_MONOTONE_AUC_COST = 0.002
REAL_SEEDS = (1, 2, 3, 4, 5)
SIZE_ROWS = (1_000, 5_000, 20_000, 60_000)
TARGET_DEMO_SECONDS = 5 * 60
TARGET_FULL_TRAIN_SECONDS = 15 * 60
AIM_ROW_MICROSECONDS = 150.0
REPO = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (all threads)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sample_dir() -> Path:
    configured = os.environ.get("CREDIT_SCORING_SAMPLE_DIR")
    return Path(configured) if configured else REPO.parent / "shared/data/homecredit_sample"


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.stages: dict[str, float] = {}

    def log(self, message: str) -> None:
        print(f"{time.perf_counter() - self.start:8.1f}s  {message}", flush=True)

    def stage(self, name: str, seconds: float) -> None:
        self.stages[name] = seconds
        self.log(f"{name}: {seconds:.1f} s")


def oracle_on_rows(truth_path: Path, ids: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The oracle's AUC, Brier and cost on exactly the training rows (same order as ``ids``)."""
    import pandas as pd

    from credit_scoring.metrics import brier_score, optimal_threshold, roc_auc

    truth = pd.read_parquet(truth_path).set_index("SK_ID_CURR")
    rows = truth.loc[ids]
    if not np.array_equal(rows["TARGET"].to_numpy(), y):
        raise SystemExit("truth.parquet TARGET differs from the training labels")
    true_pd = rows["TRUE_PD"].to_numpy(dtype=np.float64)
    return {
        "auc": roc_auc(y, true_pd),
        "brier": brier_score(y, true_pd),
        "cost": optimal_threshold(y, true_pd).cost,
    }


def latency(bundle: Any, X: np.ndarray, *, repeats: int = 3) -> dict[str, float]:
    """Median and p99 µs per row of score_row with/without reasons and of Booster.predict."""
    rows = [np.ascontiguousarray(X[i]) for i in range(min(len(X), 2000))]
    for x in rows[:50]:
        bundle.score_row(x)

    def timed(fn: Any) -> tuple[float, float]:
        medians, p99s = [], []
        for _ in range(repeats):
            samples = []
            for x in rows:
                t = time.perf_counter()
                fn(x)
                samples.append(time.perf_counter() - t)
            medians.append(float(np.median(samples)) * 1e6)
            p99s.append(float(np.percentile(samples, 99)) * 1e6)
        return statistics.median(medians), statistics.median(p99s)

    booster = bundle.booster
    out: dict[str, float] = {}
    for name, fn in {
        "score": lambda x: bundle.score_row(x, with_reasons=False),
        "score+reasons": lambda x: bundle.score_row(x),
        "predict": lambda x: booster.predict(x.reshape(1, -1), raw_score=True, num_threads=1),
        "contrib": lambda x: booster.predict(x.reshape(1, -1), pred_contrib=True, num_threads=1),
    }.items():
        out[f"{name} p50"], out[f"{name} p99"] = timed(fn)
    t = time.perf_counter()
    bundle.score_frame(X)
    out["score_frame rows/s"] = len(X) / (time.perf_counter() - t)
    return out


def monotone_effect(data: Any, outcome: Any) -> dict[str, float]:
    """OOF AUC and cost of the trained LightGBM configuration without the monotone
    constraints, on the same folds (what the constraints cost or gain)."""
    from credit_scoring.metrics import optimal_threshold, roc_auc
    from credit_scoring.training.cv import (
        BoostingConfig,
        binned_dataset,
        cross_validate,
        stratified_folds,
    )

    config = BoostingConfig()
    params = {
        k: v
        for k, v in outcome.cv.params.items()
        if k not in ("monotone_constraints", "monotone_constraints_method")
    }
    weight = float(params.pop("scale_pos_weight", 1.0))
    folds = stratified_folds(data.y, n_folds=config.n_folds, seed=config.seed)
    binned = binned_dataset(data.X, data.y, data.categorical_indices)
    off = cross_validate(
        data.X,
        data.y,
        folds=folds,
        categorical=data.categorical_indices,
        params=params,
        config=config,
        scale_pos_weight=weight,
        binned=binned,
    )
    return {
        "auc_on": roc_auc(data.y, outcome.cv.oof_raw),
        "auc_off": roc_auc(data.y, off.oof_raw),
        "cost_on": optimal_threshold(data.y, outcome.cv.oof_prob).cost,
        "cost_off": optimal_threshold(data.y, off.oof_prob).cost,
    }


def size_robustness(data: Any, watch: Stopwatch) -> list[dict[str, float]]:
    """The default configuration vs the logistic baseline on stratified subsamples."""
    from dataclasses import replace

    from credit_scoring.training.train import TrainOptions, fit_model

    rng = np.random.default_rng(0)
    rows = []
    for n in SIZE_ROWS:
        if n >= len(data.y):
            continue
        t = time.perf_counter()
        keep = np.sort(rng.choice(len(data.y), size=n, replace=False))
        sub = replace(
            data, X=np.ascontiguousarray(data.X[keep]), y=data.y[keep], ids=data.ids[keep],
            groups=data.groups.iloc[keep].reset_index(drop=True),
        )  # fmt: skip
        outcome = fit_model(sub, options=TrainOptions(scorecard=False, n_boot=20))
        c = outcome.summary["candidates"]
        rows.append(
            {
                "rows": float(n),
                "lightgbm": c["lightgbm"]["auc"],
                "logistic": c["logistic"]["auc"],
                "rounds_min": float(min(outcome.cv.best_rounds)),
                "rounds_max": float(max(outcome.cv.best_rounds)),
            }
        )
        watch.stage(f"size robustness at {n:,} rows", time.perf_counter() - t)
    return rows


def real_sample_metrics(work: Path, watch: Stopwatch) -> dict[str, dict[str, float]]:
    """The real sample's chain (load → features → train), mean figures over 5 seeds
    (folds, LightGBM, tuning), plus LightGBM without the monotone constraints."""
    from dataclasses import replace

    from credit_scoring.data.loader import load_dataset
    from credit_scoring.features.build import build_features
    from credit_scoring.training.cv import BoostingConfig
    from credit_scoring.training.dataset import load_training_data
    from credit_scoring.training.train import TrainOptions, fit_model

    t = time.perf_counter()
    load_dataset(sample_dir(), work / "real-data")
    build_features(work / "real-data", work / "real-features", log=lambda m: None)
    data = load_training_data(work / "real-features", data_dir=work / "real-data")
    runs: dict[str, list[dict[str, float]]] = {}
    flagged: list[int] = []
    for seed in REAL_SEEDS:
        options = TrainOptions(boosting=BoostingConfig(seed=seed))
        outcome = fit_model(data, options=options)
        for name, m in outcome.summary["candidates"].items():
            runs.setdefault(name, []).append(m)
        flagged.append(len(outcome.fairness.flagged))
        off = fit_model(
            data, options=replace(options, monotone=False, scorecard=False, baselines=False)
        )
        runs.setdefault("lightgbm, no monotone", []).append(off.summary["candidates"]["lightgbm"])
    watch.stage(f"real sample: load + features + train × {len(REAL_SEEDS)} seeds",
                time.perf_counter() - t)  # fmt: skip
    keys = ("auc", "auc_raw", "ks", "brier", "brier_raw", "cost")
    means = {
        name: {k: float(np.mean([m[k] for m in ms])) for k in keys if k in ms[0]}
        for name, ms in runs.items()
    }
    means["fairness"] = {"flagged_groups_mean": float(np.mean(flagged)), "rows": float(len(data.y))}
    return means


def print_real(real: dict[str, dict[str, float]]) -> None:
    fairness = real.pop("fairness", {})
    print(
        f"\n== real sample ({int(fairness.get('rows', 0)):,} rows; mean of "
        f"{len(REAL_SEEDS)} seeds; noisy)"
    )
    print(f"{'':24}{'AUC':>8}{'AUC raw':>9}{'Brier':>9}{'Brier raw':>10}{'cost':>8}")
    for name, m in real.items():
        print(
            f"{name:24}{m['auc']:8.4f}{m.get('auc_raw', m['auc']):9.4f}{m['brier']:9.5f}"
            f"{m.get('brier_raw', m['brier']):10.5f}{m['cost']:8.4f}"
        )
    print(f"fairness groups flagged (mean over seeds): {fairness.get('flagged_groups_mean')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CLIENTS:,} clients")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--work-dir", type=Path, default=None, help="kept after the run")
    parser.add_argument("--skip-real", action="store_true", help="skip the real sample")
    parser.add_argument("--skip-sizes", action="store_true", help="skip the subsample sizes")
    parser.add_argument("--real-only", action="store_true", help="only the real sample")
    parser.add_argument(
        "--skip-app-only", action="store_true", help="skip the application-only model"
    )
    args = parser.parse_args()
    clients = args.clients or (QUICK_CLIENTS if args.quick else FULL_CLIENTS)
    # Idle OpenMP threads must sleep, not spin, on a shared machine (set before LightGBM loads).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from credit_scoring.data.loader import load_dataset
    from credit_scoring.demo.generator import ORACLE_FILE, TRUTH_FILE, generate_dataset
    from credit_scoring.features.build import build_features
    from credit_scoring.io import read_json
    from credit_scoring.runtime.bundle import load_bundle
    from credit_scoring.settings import get_settings
    from credit_scoring.training.dataset import load_training_data
    from credit_scoring.training.run import run_training
    from credit_scoring.training.train import TrainOptions, candidate_metrics, fit_model

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-train-"))
    work.mkdir(parents=True, exist_ok=True)
    watch = Stopwatch()
    if args.real_only:
        try:
            print_real(real_sample_metrics(work, watch))
        finally:
            if args.work_dir is None:
                shutil.rmtree(work, ignore_errors=True)
        return 0
    watch.log(f"{clients:,} clients, {os.cpu_count()} cores, work dir {work}")
    try:
        t = time.perf_counter()
        raw = work / "raw"
        if not (raw / ORACLE_FILE).is_file():
            generate_dataset(raw, clients=clients, seed=42)
        watch.stage("generate", time.perf_counter() - t)
        t = time.perf_counter()
        if not (work / "data" / "manifest.json").is_file():
            load_dataset(raw, work / "data")
        watch.stage("load", time.perf_counter() - t)
        t = time.perf_counter()
        if not (work / "features" / "feature_set.json").is_file():
            build_features(work / "data", work / "features", log=lambda m: None)
        watch.stage("features", time.perf_counter() - t)

        settings = get_settings(home=work / "home")
        t = time.perf_counter()
        cpu = cpu_seconds()
        run = run_training(
            work / "features", settings=settings, options=TrainOptions(), log=watch.log
        )
        watch.stage("train + register (default configuration)", time.perf_counter() - t)
        train_cpu = cpu_seconds() - cpu
        outcome = run.outcome
        summary = outcome.summary

        oracle = oracle_on_rows(raw / TRUTH_FILE, outcome.ids, outcome.y)
        model = summary["metrics"]
        oracle_file = read_json(raw / ORACLE_FILE)

        t = time.perf_counter()
        data = load_training_data(work / "features")
        app_metrics: dict[str, float] = {}
        if not args.skip_app_only:
            app_only = data.subset(
                tuple(f for f in data.features if f in set(data.feature_set.application_features))
            )
            app_outcome = fit_model(
                app_only,
                options=TrainOptions(
                    baselines=False, scorecard=False, imbalance_options=(summary["imbalance"],)
                ),
            )
            app_metrics = candidate_metrics(
                app_outcome.y, app_outcome.oof_probs["lightgbm"], cost_fn=10.0, cost_fp=1.0
            )
            watch.stage("application-only model", time.perf_counter() - t)
        t = time.perf_counter()
        mono = monotone_effect(data, outcome)
        watch.stage("LightGBM CV without monotone constraints", time.perf_counter() - t)
        sizes = [] if args.skip_sizes else size_robustness(data, watch)

        bundle = load_bundle(run.bundle_dir)
        lat = latency(bundle, data.X)
        real = {} if args.skip_real else real_sample_metrics(work, watch)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"== quality on {len(outcome.y):,} train clients (OOF) vs oracle (TRUE_PD)")
    print(f"{'':14}{'model':>9}{'oracle':>9}{'gap':>9}  target")
    checks: list[tuple[str, bool]] = []
    lgbm = summary["candidates"]["lightgbm"]
    raw_cost = candidate_metrics(outcome.y, outcome.cv.oof_prob, cost_fn=10.0, cost_fp=1.0)
    print(f"{'AUC raw':14}{lgbm['auc_raw']:9.4f}{oracle['auc']:9.4f}"
          f"{oracle['auc'] - lgbm['auc_raw']:9.4f}")  # fmt: skip
    print(f"{'cost/app raw':14}{raw_cost['cost']:9.4f}{oracle['cost']:9.4f}"
          f"{raw_cost['cost'] / oracle['cost']:9.3f}×")  # fmt: skip
    print(f"{'Brier raw':14}{lgbm['brier_raw']:9.5f}{oracle['brier']:9.5f}"
          f"{lgbm['brier_raw'] - oracle['brier']:9.5f}")  # fmt: skip
    print("calibrated (served):")
    auc_gap = oracle["auc"] - model["auc"]
    cost_ratio = model["cost"] / oracle["cost"]
    brier_gap = model["brier"] - oracle["brier"]
    print(f"{'AUC':14}{model['auc']:9.4f}{oracle['auc']:9.4f}{auc_gap:9.4f}  ≤ {TARGET_AUC_GAP}")
    print(
        f"{'cost/app':14}{model['cost']:9.4f}{oracle['cost']:9.4f}{cost_ratio:9.3f}×"
        f" ≤ {TARGET_COST_RATIO}×"
    )
    print(
        f"{'Brier':14}{model['brier']:9.5f}{oracle['brier']:9.5f}{brier_gap:9.5f}"
        f"  ≤ {TARGET_BRIER_GAP}"
    )
    file_auc = oracle_file.get("train", {}).get("oracle_auc", "n/a")
    print(f"(oracle.json, all train rows: AUC {file_auc})")
    checks += [
        ("AUC within 0.01 of oracle", auc_gap <= TARGET_AUC_GAP),
        ("cost within 5% of oracle", cost_ratio <= TARGET_COST_RATIO),
        ("Brier within 0.003 of oracle", brier_gap <= TARGET_BRIER_GAP),
        (
            "calibrated OOF AUC = raw OOF AUC ± 0.001",
            abs(lgbm["auc"] - lgbm["auc_raw"]) <= TARGET_CALIBRATION_AUC_GAP,
        ),
    ]
    cost_mono = mono["auc_on"] - mono["auc_off"]
    print(
        f"\n== monotone constraints ({len(summary['monotone_constraints'])} features): OOF AUC "
        f"{mono['auc_on']:.4f} with vs {mono['auc_off']:.4f} without ({cost_mono:+.4f}); "
        f"cost {mono['cost_on']:.4f} vs {mono['cost_off']:.4f}"
    )
    checks.append(
        (f"monotone constraints cost ≤ {TARGET_MONOTONE_AUC_COST} AUC",
         -cost_mono <= TARGET_MONOTONE_AUC_COST)
    )  # fmt: skip
    for choice in summary["choices"]:
        print(f"choice {choice['name']}: {choice['chosen']} — {choice['reason']}")
    print("\n== candidates (CV, out of fold)")
    print(f"{'':18}{'AUC':>8}{'KS':>8}{'Brier':>9}{'cost':>8}{'threshold':>10}")
    for name, m in summary["candidates"].items():
        print(
            f"{name:18}{m['auc']:8.4f}{m['ks']:8.4f}{m['brier']:9.5f}{m['cost']:8.4f}"
            f"{m['threshold']:10.4f}"
        )
    checks.append(("LightGBM beats both baselines", bool(summary["beats_baselines"])))
    if app_metrics:
        print(
            f"{'app-only LightGBM':18}{app_metrics['auc']:8.4f}{app_metrics['ks']:8.4f}"
            f"{app_metrics['brier']:9.5f}{app_metrics['cost']:8.4f}"
            f"{app_metrics['threshold']:10.4f}"
        )
        gain = model["auc"] - app_metrics["auc"]
        saved = app_metrics["cost"] - model["cost"]
        print(f"history adds {gain:+.4f} AUC, {saved:+.4f} cost saved")
        checks.append(
            (f"history adds ≥ {TARGET_HISTORY_AUC_GAIN} AUC", gain >= TARGET_HISTORY_AUC_GAIN)
        )
    thr = summary["threshold"]
    print(
        f"threshold {thr['optimal']['threshold']:.4f}: cost {thr['optimal']['cost']:.4f} vs "
        f"{thr['at_0_5']['cost']:.4f} at 0.5; imbalance {summary['imbalance']}, "
        f"{summary['rounds']} rounds, calibration {summary['calibration_method']}"
    )

    print("\n== time (seconds)")
    for name, seconds in watch.stages.items():
        print(f"{name:45}{seconds:9.1f}")
    train_s = watch.stages["train + register (default configuration)"]
    chain_s = sum(watch.stages[k] for k in ("generate", "load", "features")) + train_s
    print(f"{'chain generate → … → register':45}{chain_s:9.1f}")
    if clients <= QUICK_CLIENTS:
        checks.append((f"demo chain ≤ {TARGET_DEMO_SECONDS} s", chain_s <= TARGET_DEMO_SECONDS))
    else:
        checks.append(
            (f"training ≤ {TARGET_FULL_TRAIN_SECONDS} s", train_s <= TARGET_FULL_TRAIN_SECONDS)
        )
    print(
        f"training CPU time {train_cpu:,.0f} s (user + system, all threads): "
        f"{train_cpu / (os.cpu_count() or 1):,.0f} s of wall time on an idle "
        f"{os.cpu_count()}-core machine"
    )
    print(f"peak RSS {peak_rss_mb():,.0f} MB")
    print(f"load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in os.getloadavg())}")

    if sizes:
        print("\n== default configuration vs logistic baseline on subsamples (OOF AUC)")
        for row in sizes:
            ok = row["lightgbm"] >= row["logistic"]
            print(
                f"{int(row['rows']):>8,} rows: LightGBM {row['lightgbm']:.4f} vs logistic "
                f"{row['logistic']:.4f} ({'≥' if ok else '<'}), fold rounds "
                f"{int(row['rounds_min'])}–{int(row['rounds_max'])}"
            )

    print(
        f"\n== single-row scoring, {len(bundle.features)} features, "
        f"{bundle.booster.num_trees()} trees (µs, median of 3 × 2000 rows)"
    )
    for name in ("score", "score+reasons", "predict", "contrib"):
        print(f"{name:40} p50 {lat[name + ' p50']:8.1f}   p99 {lat[name + ' p99']:8.1f}")
    speedup_score = lat["predict p50"] / lat["score p50"]
    speedup_reasons = lat["contrib p50"] / lat["score+reasons p50"]
    print(
        f"score vs public Booster.predict: {speedup_score:.1f}× faster; score+reasons vs "
        f"public pred_contrib: {speedup_reasons:.1f}× faster"
    )
    print(f"score_frame: {lat['score_frame rows/s']:,.0f} rows/s")
    aim = lat["score+reasons p50"] <= AIM_ROW_MICROSECONDS
    print(f"aim score+reasons ≤ {AIM_ROW_MICROSECONDS:.0f} µs: {'met' if aim else 'NOT met'}")

    if real:
        print_real(real)

    print("\n== targets")
    for name, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    print("(figures on a shared 2-core machine; times may be inflated by other load)")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
