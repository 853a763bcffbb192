"""The synthetic generator: determinism, the data contract, keys, relations and realism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_scoring.data.loader import load_dataset
from credit_scoring.demo.generator import (
    ORACLE_FILE,
    TRUTH_FILE,
    GenerationError,
    generate_dataset,
    truth_intercept,
)
from credit_scoring.schema import DAYS_SENTINEL, TABLES, Kind, table

# A population spread over several chunks, so chunk boundaries are exercised everywhere.
TRAIN_CLIENTS = 6_000
TEST_CLIENTS = 1_000
CHUNK = 2_500
SEED = 11
DAYS_PER_MONTH = 30.4375
#: Rows per client (bureau_balance: per bureau credit) of the full Kaggle data.
KAGGLE_RATIOS = {
    "bureau": 4.82,
    "previous_application": 4.69,
    "POS_CASH_balance": 28.1,
    "installments_payments": 38.2,
    "credit_card_balance": 10.8,
}
PREVIOUS_DAYS = (
    "DAYS_FIRST_DRAWING",
    "DAYS_FIRST_DUE",
    "DAYS_LAST_DUE_1ST_VERSION",
    "DAYS_LAST_DUE",
    "DAYS_TERMINATION",
)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "population"
    generate_dataset(
        out, clients=TRAIN_CLIENTS, test_clients=TEST_CLIENTS, seed=SEED, chunk_clients=CHUNK
    )
    return out


@pytest.fixture(scope="module")
def frames(population: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(population / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def oracle(population: Path) -> dict[str, object]:
    return json.loads((population / ORACLE_FILE).read_text())


def _file_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _clients(frames: dict[str, pd.DataFrame]) -> pd.Series:
    return pd.concat(
        [frames["application_train"].SK_ID_CURR, frames["application_test"].SK_ID_CURR]
    )


# --- determinism ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_and_size_give_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    for name in ("a", "b"):
        generate_dataset(
            tmp_path / name, clients=700, test_clients=120, seed=5, fmt=fmt, chunk_clients=300
        )  # type: ignore[arg-type]
    first, second = _file_bytes(tmp_path / "a"), _file_bytes(tmp_path / "b")
    expected = {f"{n}.{fmt}" for n in TABLES} | {TRUTH_FILE, ORACLE_FILE}
    assert set(first) == expected
    assert first == second


def test_a_different_seed_gives_a_different_population(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 6)):
        generate_dataset(tmp_path / name, clients=500, test_clients=0, seed=seed)
    first, second = _file_bytes(tmp_path / "a"), _file_bytes(tmp_path / "b")
    changed = [name for name in first if first[name] != second[name]]
    assert set(changed) >= {f"{n}.parquet" for n in TABLES if n != "application_test"}


def test_the_intercept_depends_on_the_default_rate_only(tmp_path: Path) -> None:
    intercepts = set()
    for seed, chunk in ((1, 150), (2, 400)):
        result = generate_dataset(
            tmp_path / str(seed), clients=300, test_clients=50, seed=seed, chunk_clients=chunk
        )
        intercepts.add(result.oracle["intercept"])
    assert intercepts == {truth_intercept(0.08)}
    assert truth_intercept(0.2) > truth_intercept(0.08)


# --- the data contract ------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(TABLES))
def test_parquet_files_have_exactly_the_contract_schema(population: Path, name: str) -> None:
    schema = pq.read_schema(population / f"{name}.parquet")
    assert schema.equals(table(name).arrow_schema())


@pytest.mark.parametrize("name", list(TABLES))
def test_values_respect_nullability_vocabularies_and_bounds(
    frames: dict[str, pd.DataFrame], name: str
) -> None:
    df = frames[name]
    assert len(df) > 0
    problems = []
    for column in table(name).columns:
        values = df[column.name]
        if not column.nullable and values.isna().any():
            problems.append(f"{column.name}: missing values")
        if column.kind is Kind.CATEGORY:
            unknown = set(values.dropna()) - set(column.categories)
            if unknown:
                problems.append(f"{column.name}: unknown {sorted(unknown)[:3]}")
            continue
        present = values.dropna()
        present = present[~present.isin(column.sentinels)]
        if column.min_value is not None and (present < column.min_value).any():
            problems.append(f"{column.name}: below {column.min_value}: {present.min()}")
        if column.max_value is not None and (present > column.max_value).any():
            problems.append(f"{column.name}: above {column.max_value}: {present.max()}")
    assert problems == []


def test_every_column_varies_unless_it_is_almost_constant_in_the_real_data(
    frames: dict[str, pd.DataFrame],
) -> None:
    rare = {"FLAG_MOBIL", "FLAG_DOCUMENT_2", "FLAG_DOCUMENT_4", "FLAG_DOCUMENT_7",
            "FLAG_DOCUMENT_10", "FLAG_DOCUMENT_12", "FLAG_DOCUMENT_17", "FLAG_DOCUMENT_19",
            "FLAG_DOCUMENT_20", "FLAG_DOCUMENT_21", "AMT_REQ_CREDIT_BUREAU_HOUR"}  # fmt: skip
    pooled = {
        "application": pd.concat([frames["application_train"], frames["application_test"]]),
        **{name: frames[name] for name in TABLES if not name.startswith("application_")},
    }
    constant = [
        f"{name}.{c}"
        for name, df in pooled.items()
        for c in df.columns
        if df[c].nunique(dropna=False) < 2 and c not in rare
    ]
    assert constant == []


def test_the_loader_accepts_the_generated_folder_without_warnings(
    population: Path, tmp_path: Path
) -> None:
    manifest = load_dataset(population, tmp_path / "loaded")
    assert {n: e.rows for n, e in manifest.tables.items()} == {
        n: len(pd.read_parquet(population / f"{n}.parquet", columns=[table(n).column_names[0]]))
        for n in TABLES
    }
    assert {n: e.warnings for n, e in manifest.tables.items() if e.warnings} == {}
    assert [r for r in manifest.relations if r.orphan_rows] == []
    assert not any(manifest.client_mismatches.values())
    assert manifest.application_overlap == 0


# --- keys and relations -----------------------------------------------------------------------
def test_identifiers_start_like_kaggle_and_are_unique(frames: dict[str, pd.DataFrame]) -> None:
    clients = _clients(frames)
    assert clients.is_unique
    assert sorted(clients) == list(range(100_002, 100_002 + TRAIN_CLIENTS + TEST_CLIENTS))
    bureau, previous = frames["bureau"].SK_ID_BUREAU, frames["previous_application"].SK_ID_PREV
    assert bureau.is_unique and bureau.min() == 5_000_000
    assert previous.is_unique and previous.min() == 1_000_000
    assert not frames["bureau_balance"].duplicated(["SK_ID_BUREAU", "MONTHS_BALANCE"]).any()


def test_train_and_test_clients_are_interleaved(frames: dict[str, pd.DataFrame]) -> None:
    train, test = frames["application_train"].SK_ID_CURR, frames["application_test"].SK_ID_CURR
    assert len(train) == TRAIN_CLIENTS and len(test) == TEST_CLIENTS
    assert test.min() < train.median() < test.max()


def test_no_history_row_is_an_orphan(frames: dict[str, pd.DataFrame]) -> None:
    clients = set(_clients(frames))
    previous = frames["previous_application"].set_index("SK_ID_PREV").SK_ID_CURR
    assert set(frames["bureau"].SK_ID_CURR) <= clients
    assert set(frames["previous_application"].SK_ID_CURR) <= clients
    assert set(frames["bureau_balance"].SK_ID_BUREAU) <= set(frames["bureau"].SK_ID_BUREAU)
    for name in ("POS_CASH_balance", "installments_payments", "credit_card_balance"):
        df = frames[name]
        assert df.SK_ID_PREV.isin(previous.index).all(), name
        # Monthly and payment rows belong to a previous application of the same client.
        assert (previous.loc[df.SK_ID_PREV].to_numpy() == df.SK_ID_CURR.to_numpy()).all(), name


# --- realism ------------------------------------------------------------------------------------
def test_rows_per_client_are_close_to_the_real_data(oracle: dict[str, object]) -> None:
    ratios = oracle["rows_per_client"]
    assert isinstance(ratios, dict)
    for name, expected in KAGGLE_RATIOS.items():
        assert ratios[name] == pytest.approx(expected, rel=0.12), name
    assert ratios["bureau_balance_per_bureau_credit"] == pytest.approx(15.9, rel=0.12)


def test_many_clients_have_no_history_in_some_tables(frames: dict[str, pd.DataFrame]) -> None:
    clients = _clients(frames)
    share_without = {
        name: 1 - clients.isin(frames[name].SK_ID_CURR).mean()
        for name in ("bureau", "previous_application", "credit_card_balance")
    }
    assert 0.10 <= share_without["bureau"] <= 0.19
    assert 0.03 <= share_without["previous_application"] <= 0.08
    assert 0.60 <= share_without["credit_card_balance"] <= 0.80


def test_days_employed_sentinel_marks_pensioners_without_a_job(
    frames: dict[str, pd.DataFrame],
) -> None:
    app = pd.concat([frames["application_train"], frames["application_test"]])
    sentinel = app.DAYS_EMPLOYED == DAYS_SENTINEL
    assert 0.15 <= sentinel.mean() <= 0.21
    assert app.NAME_INCOME_TYPE[sentinel].isin(["Pensioner", "Unemployed"]).all()
    assert (app.NAME_INCOME_TYPE[sentinel] == "Pensioner").mean() > 0.99
    assert (app.ORGANIZATION_TYPE[sentinel] == "XNA").all()
    assert (app.ORGANIZATION_TYPE[~sentinel] != "XNA").all()
    assert (app.FLAG_EMP_PHONE[sentinel] == 0).all()


def test_missingness_and_frequencies_follow_the_real_data(frames: dict[str, pd.DataFrame]) -> None:
    app = pd.concat([frames["application_train"], frames["application_test"]])
    assert app.EXT_SOURCE_1.isna().mean() == pytest.approx(0.54, abs=0.03)
    assert app.EXT_SOURCE_3.isna().mean() == pytest.approx(0.20, abs=0.03)
    assert app.EXT_SOURCE_2.isna().mean() < 0.01
    assert app.OCCUPATION_TYPE.isna().mean() == pytest.approx(0.31, abs=0.03)
    assert app.APARTMENTS_AVG.isna().mean() == pytest.approx(0.51, abs=0.04)
    assert (app.CODE_GENDER == "F").mean() == pytest.approx(0.66, abs=0.03)
    assert (app.NAME_CONTRACT_TYPE == "Cash loans").mean() == pytest.approx(0.905, abs=0.02)
    previous = frames["previous_application"]
    status = previous.NAME_CONTRACT_STATUS.value_counts(normalize=True)
    assert status["Approved"] == pytest.approx(0.62, abs=0.05)
    assert status["Refused"] == pytest.approx(0.17, abs=0.04)
    assert (previous.NAME_CASH_LOAN_PURPOSE == "XNA").mean() == pytest.approx(0.40, abs=0.06)


def test_previous_applications_use_the_sentinel_in_every_days_column(
    frames: dict[str, pd.DataFrame],
) -> None:
    previous = frames["previous_application"]
    assert all((previous[c] == DAYS_SENTINEL).any() for c in PREVIOUS_DAYS)


# --- internal consistency of the histories ----------------------------------------------------
def test_bureau_credits_are_consistent(frames: dict[str, pd.DataFrame]) -> None:
    bureau = frames["bureau"]
    closed = bureau.CREDIT_ACTIVE == "Closed"
    assert bureau.DAYS_ENDDATE_FACT[closed].notna().all()  # closed credits have an end date
    assert bureau.DAYS_ENDDATE_FACT[~closed].isna().all()
    assert (bureau.DAYS_ENDDATE_FACT[closed] >= bureau.DAYS_CREDIT[closed]).all()
    assert (bureau.DAYS_ENDDATE_FACT[closed] <= -1).all()
    assert bureau.DAYS_CREDIT.between(-2922, -1).all()
    assert (bureau.DAYS_CREDIT_UPDATE >= bureau.DAYS_CREDIT).all()
    overdue = bureau.CREDIT_DAY_OVERDUE > 0
    assert (bureau.CREDIT_ACTIVE[overdue] == "Active").all()
    assert ((bureau.AMT_CREDIT_SUM_OVERDUE > 0) == overdue).all()


def test_bureau_balance_months_lie_within_the_credit_life(frames: dict[str, pd.DataFrame]) -> None:
    bb = frames["bureau_balance"].merge(
        frames["bureau"][["SK_ID_BUREAU", "DAYS_CREDIT", "DAYS_ENDDATE_FACT", "CREDIT_ACTIVE"]],
        on="SK_ID_BUREAU",
    )
    opened = np.floor(bb.DAYS_CREDIT / DAYS_PER_MONTH)
    assert (bb.MONTHS_BALANCE <= 0).all()
    assert bb.MONTHS_BALANCE.ge(opened).all()
    closed_month = np.floor(bb.DAYS_ENDDATE_FACT / DAYS_PER_MONTH)
    closed_rows = bb.STATUS == "C"
    assert (bb.CREDIT_ACTIVE[closed_rows] == "Closed").all()
    assert (bb.MONTHS_BALANCE[closed_rows] > closed_month[closed_rows]).all()
    # Each credit's months are contiguous.
    span = bb.groupby("SK_ID_BUREAU").MONTHS_BALANCE.agg(["min", "max", "size"])
    assert (span["max"] - span["min"] + 1 == span["size"]).all()


def test_previous_application_dates_are_ordered(frames: dict[str, pd.DataFrame]) -> None:
    p = frames["previous_application"]
    approved = p.NAME_CONTRACT_STATUS == "Approved"
    assert p.loc[approved, list(PREVIOUS_DAYS)].notna().all().all()
    assert p.loc[~approved, list(PREVIOUS_DAYS)].isna().all().all()
    d = p.loc[approved, ["DAYS_DECISION", *PREVIOUS_DAYS]].replace(DAYS_SENTINEL, np.nan)

    def ordered(earlier: str, later: str) -> bool:
        both = d[earlier].notna() & d[later].notna()
        return bool((d.loc[both, earlier] <= d.loc[both, later]).all())

    assert ordered("DAYS_DECISION", "DAYS_FIRST_DRAWING")
    assert ordered("DAYS_DECISION", "DAYS_FIRST_DUE")
    assert ordered("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE")
    assert ordered("DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION")
    assert ordered("DAYS_FIRST_DUE", "DAYS_LAST_DUE")
    assert ordered("DAYS_LAST_DUE", "DAYS_TERMINATION")
    assert ordered("DAYS_LAST_DUE", "DAYS_LAST_DUE_1ST_VERSION")


def test_payments_and_monthly_rows_follow_their_loan(frames: dict[str, pd.DataFrame]) -> None:
    previous = frames["previous_application"].set_index("SK_ID_PREV")
    inst = frames["installments_payments"].join(previous, on="SK_ID_PREV", rsuffix="_PREV")
    assert (inst.NAME_CONTRACT_STATUS == "Approved").all()
    assert (inst.DAYS_INSTALMENT >= inst.DAYS_DECISION).all()
    assert (inst[["DAYS_INSTALMENT", "DAYS_ENTRY_PAYMENT"]] <= -1).all().all()
    loans = inst.NUM_INSTALMENT_VERSION > 0
    assert (inst.NUM_INSTALMENT_NUMBER[loans] <= inst.CNT_PAYMENT[loans]).all()

    pos = frames["POS_CASH_balance"].join(previous, on="SK_ID_PREV", rsuffix="_PREV")
    assert pos.NAME_CONTRACT_TYPE.isin(["Cash loans", "Consumer loans"]).all()
    assert (pos.MONTHS_BALANCE <= -1).all()
    assert pos.MONTHS_BALANCE.ge(np.floor(pos.DAYS_DECISION / DAYS_PER_MONTH)).all()
    assert (pos.CNT_INSTALMENT_FUTURE <= pos.CNT_INSTALMENT).all()
    assert (pos.CNT_INSTALMENT == pos.CNT_PAYMENT).all()

    card = frames["credit_card_balance"].join(previous, on="SK_ID_PREV", rsuffix="_PREV")
    assert (card.NAME_CONTRACT_TYPE == "Revolving loans").all()
    assert (card.NAME_CONTRACT_STATUS_PREV == "Approved").all()
    assert card.MONTHS_BALANCE.between(np.floor(card.DAYS_DECISION / DAYS_PER_MONTH), -1).all()
    assert (card.AMT_CREDIT_LIMIT_ACTUAL <= card.AMT_CREDIT).all()


# --- the truth --------------------------------------------------------------------------------
def test_default_rate_is_near_the_requested_rate(frames: dict[str, pd.DataFrame]) -> None:
    rate = frames["application_train"].TARGET.mean()
    sd = np.sqrt(0.08 * 0.92 / TRAIN_CLIENTS)
    assert abs(rate - 0.08) < 4 * sd


def test_the_requested_default_rate_is_honoured(tmp_path: Path) -> None:
    result = generate_dataset(tmp_path / "pop", clients=3_000, test_clients=0, seed=3,
                              default_rate=0.2)  # fmt: skip
    train = result.oracle["train"]
    assert train["mean_true_pd"] == pytest.approx(0.2, abs=0.015)
    assert train["default_rate"] == pytest.approx(0.2, abs=0.03)


def test_the_truth_file_is_separate_and_complete(
    population: Path, frames: dict[str, pd.DataFrame], oracle: dict[str, object]
) -> None:
    truth = pd.read_parquet(population / TRUTH_FILE)
    assert list(truth.columns) == [
        "SK_ID_CURR", "SPLIT", "TARGET", "TRUE_PD", "LOGIT_APPLICATION", "LOGIT_HISTORY",
    ]  # fmt: skip
    assert sorted(truth.SK_ID_CURR) == sorted(_clients(frames))
    train = frames["application_train"].set_index("SK_ID_CURR")
    truth = truth.set_index("SK_ID_CURR")
    assert set(truth.index[truth.SPLIT == "train"]) == set(train.index)
    assert set(truth.index[truth.SPLIT == "test"]) == set(frames["application_test"].SK_ID_CURR)
    assert (truth.TARGET.loc[train.index] == train.TARGET).all()
    assert truth.TRUE_PD.between(0, 1).all()
    written = {c for df in frames.values() for c in df.columns}
    assert not written & {"TRUE_PD", "LOGIT_APPLICATION", "LOGIT_HISTORY", "SPLIT"}
    assert "TARGET" not in frames["application_test"].columns
    logit = oracle["intercept"] + truth.LOGIT_APPLICATION + truth.LOGIT_HISTORY  # type: ignore[operator]
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), truth.TRUE_PD, rtol=1e-12)


def test_oracle_metrics_are_those_of_the_truth_file(
    population: Path, oracle: dict[str, object]
) -> None:
    from credit_scoring.metrics import brier_score, optimal_threshold, roc_auc

    truth = pd.read_parquet(population / TRUTH_FILE)
    train = truth[truth.SPLIT == "train"]
    metrics = oracle["train"]
    assert isinstance(metrics, dict)
    assert metrics["oracle_auc"] == pytest.approx(roc_auc(train.TARGET, train.TRUE_PD))
    assert metrics["oracle_brier"] == pytest.approx(brier_score(train.TARGET, train.TRUE_PD))
    assert metrics["oracle_cost"] == pytest.approx(
        optimal_threshold(train.TARGET, train.TRUE_PD).cost
    )
    assert metrics["application_only_auc"] == pytest.approx(
        roc_auc(train.TARGET, train.LOGIT_APPLICATION)
    )
    assert metrics["oracle_brier"] < metrics["constant_brier"]
    assert metrics["oracle_cost"] < min(metrics["approve_all_cost"], 1 - metrics["default_rate"])


def test_history_adds_signal_to_the_application(oracle: dict[str, object]) -> None:
    train = oracle["train"]
    assert isinstance(train, dict)
    assert 0.76 <= train["oracle_auc"] <= 0.86
    assert train["oracle_auc"] - train["application_only_auc"] > 0.03


# --- bad arguments and atomicity --------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"clients": 0}, "clients must be a positive"),
        ({"clients": -5}, "clients must be a positive"),
        ({"test_clients": -1}, "test clients must be 0 or more"),
        ({"fmt": "xlsx"}, "unknown format 'xlsx'; expected one of parquet, csv"),
        ({"default_rate": 0.0}, "default rate must be in"),
        ({"seed": -1}, "seed must be a non-negative"),
    ],
)
def test_bad_arguments_give_a_clear_error(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"clients": 10, "seed": 1} | kwargs
    with pytest.raises(GenerationError, match=message):
        generate_dataset(tmp_path / "out", **arguments)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_a_foreign_folder_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(GenerationError, match="refusing to replace"):
        generate_dataset(out, clients=10, seed=1)
    assert (out / "notes.txt").read_text() == "keep me"


def test_an_interrupted_run_leaves_no_partial_output(tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_dataset(tmp_path / "out", clients=600, seed=1, chunk_clients=200,
                         progress=interrupt)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_an_earlier_output_is_replaced_atomically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_dataset(out, clients=200, test_clients=0, seed=1)
    first = _file_bytes(out)
    generate_dataset(out, clients=300, test_clients=0, seed=1)
    assert _file_bytes(out) != first
    assert len(pd.read_parquet(out / "application_train.parquet")) == 300
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_tiny_populations_are_complete_even_without_any_history(tmp_path: Path) -> None:
    # Among these, some clients have no bureau, previous, card or payment rows at all.
    empty_tables = set()
    for seed in range(12):
        out = tmp_path / str(seed)
        result = generate_dataset(out, clients=1, test_clients=seed % 2, seed=seed)
        empty_tables |= {name for name, rows in result.oracle["rows"].items() if rows == 0}
        for name in TABLES:
            assert pq.read_schema(out / f"{name}.parquet").equals(table(name).arrow_schema())
        assert result.oracle["train"]["oracle_auc"] is None  # one client: one class
    assert "credit_card_balance" in empty_tables
