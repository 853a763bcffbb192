"""The generator's truth depends on observable data only, and has the intended strength.

The per-client history aggregates are recomputed here with pandas from the files written (not
with the generator's own code), pushed through the published formula, and must give back
TRUE_PD: nothing hidden (the latent traits the rows were drawn from) enters the truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_scoring.demo.generator import ORACLE_FILE, TRUTH_FILE, generate_dataset
from credit_scoring.demo.generator.truth import application_logit, history_logit
from credit_scoring.schema import Kind, table

DPD_BUCKET = {"1": 1.0, "2": 2.0, "3": 3.0, "4": 4.0, "5": 5.0}


def _read(folder: Path, name: str, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(folder / f"{name}.parquet")
    return pd.read_csv(folder / f"{name}.csv")


def pandas_aggregates(folder: Path, clients: pd.Index, fmt: str) -> dict[str, np.ndarray]:
    """The truth's per-client history aggregates, recomputed with pandas from the files."""
    out: dict[str, pd.Series] = {}
    inst = _read(folder, "installments_payments", fmt)
    delay = inst.DAYS_ENTRY_PAYMENT - inst.DAYS_INSTALMENT
    by_client = inst.SK_ID_CURR
    out["INST_COUNT"] = inst.groupby(by_client).size()
    out["INST_LATE_SHARE"] = (delay > 0).groupby(by_client).mean()
    out["INST_DPD_MEAN"] = delay.clip(lower=0).groupby(by_client).mean()
    out["INST_UNDERPAID_SHARE"] = (inst.AMT_PAYMENT < inst.AMT_INSTALMENT).groupby(by_client).mean()

    bureau = _read(folder, "bureau", fmt)
    out["BUREAU_COUNT"] = bureau.groupby("SK_ID_CURR").size()
    out["BUREAU_OVERDUE_COUNT"] = (bureau.CREDIT_DAY_OVERDUE > 0).groupby(bureau.SK_ID_CURR).sum()
    out["BUREAU_ACTIVE_COUNT"] = (bureau.CREDIT_ACTIVE == "Active").groupby(bureau.SK_ID_CURR).sum()
    bb = _read(folder, "bureau_balance", fmt).merge(
        bureau[["SK_ID_BUREAU", "SK_ID_CURR"]], on="SK_ID_BUREAU"
    )
    bucket = bb.STATUS.astype(str).map(DPD_BUCKET).fillna(0.0)
    out["BUREAU_BB_WORST_STATUS_MAX"] = bucket.groupby(bb.SK_ID_CURR).max()

    previous = _read(folder, "previous_application", fmt)
    out["PREV_COUNT"] = previous.groupby("SK_ID_CURR").size()
    refused = previous.NAME_CONTRACT_STATUS == "Refused"
    out["PREV_REFUSED_SHARE"] = refused.groupby(previous.SK_ID_CURR).mean()

    card = _read(folder, "credit_card_balance", fmt)
    out["CC_MONTHS_COUNT"] = card.groupby("SK_ID_CURR").size()
    limited = card[card.AMT_CREDIT_LIMIT_ACTUAL > 0]
    utilisation = limited.AMT_BALANCE / limited.AMT_CREDIT_LIMIT_ACTUAL
    out["CC_UTILISATION_MEAN"] = utilisation.groupby(limited.SK_ID_CURR).mean()

    counts = {"INST_COUNT", "BUREAU_COUNT", "BUREAU_OVERDUE_COUNT", "BUREAU_ACTIVE_COUNT",
              "PREV_COUNT", "CC_MONTHS_COUNT"}  # fmt: skip
    return {
        name: values.reindex(clients, fill_value=0 if name in counts else np.nan)
        .astype(np.float64)
        .to_numpy()
        for name, values in out.items()
    }


def application_columns(app: pd.DataFrame) -> dict[str, np.ndarray]:
    """Application columns as the truth formula takes them (categories as vocabulary codes)."""
    columns: dict[str, np.ndarray] = {}
    for column in table("application_test").columns:
        values = app[column.name]
        if column.kind is Kind.CATEGORY:
            codes = pd.Categorical(values, categories=list(column.categories)).codes
            columns[column.name] = codes.astype(np.int16)
        else:
            columns[column.name] = values.to_numpy(dtype=np.float64)
    return columns


@pytest.fixture(scope="module", params=["parquet", "csv"])
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("truth") / request.param
    generate_dataset(folder, clients=2_000, test_clients=400, seed=29, fmt=request.param,
                     chunk_clients=900)  # fmt: skip
    return folder


def test_true_pd_is_a_function_of_the_written_data_only(written: Path) -> None:
    fmt = written.name
    app = pd.concat(
        [_read(written, "application_train", fmt), _read(written, "application_test", fmt)]
    )
    app = app.set_index("SK_ID_CURR", drop=False).sort_index()
    truth = pd.read_parquet(written / TRUTH_FILE).set_index("SK_ID_CURR").loc[app.index]
    intercept = json.loads((written / ORACLE_FILE).read_text())["intercept"]

    columns = application_columns(app)
    aggregates = pandas_aggregates(written, app.index, fmt)
    logit_application = application_logit(columns)
    logit_history = history_logit(columns, aggregates)
    np.testing.assert_allclose(logit_application, truth.LOGIT_APPLICATION, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(logit_history, truth.LOGIT_HISTORY, rtol=1e-9, atol=1e-9)
    true_pd = 1 / (1 + np.exp(-(intercept + logit_application + logit_history)))
    np.testing.assert_allclose(true_pd, truth.TRUE_PD, rtol=1e-9)


def test_the_truth_uses_history_and_application_alike(written: Path) -> None:
    truth = pd.read_parquet(written / TRUTH_FILE)
    # Both parts vary across clients and neither is a function of the other.
    assert truth.LOGIT_APPLICATION.std() > 0.4
    assert truth.LOGIT_HISTORY.std() > 0.4
    assert abs(np.corrcoef(truth.LOGIT_APPLICATION, truth.LOGIT_HISTORY)[0, 1]) < 0.6


@pytest.mark.slow
def test_oracle_auc_is_realistic_and_history_adds_signal(tmp_path: Path) -> None:
    result = generate_dataset(tmp_path / "pop", clients=100_000, test_clients=0, seed=42)
    train = result.oracle["train"]
    assert 0.79 <= train["oracle_auc"] <= 0.84
    assert 0.70 <= train["application_only_auc"] <= 0.77
    assert train["oracle_auc"] - train["application_only_auc"] >= 0.04
    assert train["default_rate"] == pytest.approx(0.08, abs=0.004)
    assert train["oracle_brier"] < 0.9 * train["constant_brier"]
