"""The test population the simulator draws applications from: a generator output folder.

``credit-scoring data generate --out RAW_DIR`` writes ``application_test.(parquet|csv)``
(the unlabelled applications) and ``truth.parquet`` (``SK_ID_CURR``, ``SPLIT``,
``TRUE_PD`` — each client's true probability of default in [0, 1]). Outcomes of simulated
decisions are drawn from those probabilities, so realised performance is known exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError
from credit_scoring.schema import table

APPLICATION_TABLE = "application_test"
TRUTH_FILE = "truth.parquet"
CLIENT_KEY = "SK_ID_CURR"


@dataclass(frozen=True)
class ApplicantPool:
    """Applications (schema columns, strings for categories, NaN for missing) and each
    client's true probability of default, aligned row by row."""

    applications: pd.DataFrame
    true_pd: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.applications)


def _read_table(data_dir: Path, name: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = data_dir / f"{name}{suffix}"
        if path.is_file():
            return reader(path)
    raise DataContractError(
        f"{name}: neither {name}.parquet nor {name}.csv in {data_dir}; expected the output "
        "folder of `credit-scoring data generate`"
    )


def load_population(data_dir: Path) -> ApplicantPool:
    """The applications of ``data_dir`` with their true probabilities of default."""
    data_dir = Path(data_dir)
    applications = _read_table(data_dir, APPLICATION_TABLE)
    columns = [c.name for c in table(APPLICATION_TABLE).columns]
    missing = [c for c in columns if c not in applications.columns]
    if missing:
        raise DataContractError(
            f"{APPLICATION_TABLE} in {data_dir}: missing column(s) {missing[:5]}; expected the "
            f"{len(columns)} columns of the data contract"
        )
    truth_path = data_dir / TRUTH_FILE
    if not truth_path.is_file():
        raise DataContractError(
            f"{truth_path} is missing: the simulator draws outcomes from the generator's true "
            "probabilities (run `credit-scoring data generate`)"
        )
    truth = pd.read_parquet(truth_path, columns=[CLIENT_KEY, "TRUE_PD"])
    merged = applications[columns].merge(truth, on=CLIENT_KEY, how="left", validate="1:1")
    unknown = merged.loc[merged["TRUE_PD"].isna(), CLIENT_KEY]
    if len(unknown):
        raise DataContractError(
            f"{TRUTH_FILE}: no TRUE_PD for {len(unknown)} client(s) of {APPLICATION_TABLE}, "
            f"e.g. SK_ID_CURR {unknown.head(3).tolist()}"
        )
    true_pd = merged.pop("TRUE_PD").to_numpy(dtype=np.float64)
    bad = (true_pd < 0) | (true_pd > 1)
    if bad.any():
        raise DataContractError(
            f"{TRUTH_FILE}: TRUE_PD must be in [0, 1], got {true_pd[bad][:3].tolist()}"
        )
    return ApplicantPool(applications=merged.reset_index(drop=True), true_pd=true_pd)


def request_body(row: Mapping[Any, Any]) -> dict[str, Any]:
    """One application as a JSON request body: missing values left out, numpy → Python."""
    body: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if value is pd.NA or value is pd.NaT:
            continue
        body[str(key)] = value.item() if isinstance(value, np.generic) else value
    return body
