"""Drift scenarios: how simulated applications and their true risk change during a run.

Each request ``i`` of ``n`` gets an intensity in [0, 1] from the scenario's shape — ``stable``
0 throughout, ``gradual`` a ramp from 0 to 1, ``sudden`` and ``feature-shift`` a step from 0
to 1 at ``change_at`` (default half-way) — and the scenario's shift is applied at that
intensity:

* **population shift** (``gradual``, ``sudden``): riskier applicants — income × 0.6, every
  ``EXT_SOURCE_*`` − 0.15, and 40% of cash-loan applications become revolving loans. Their
  true probability of default follows: the generator's application logit is recomputed on the
  shifted fields and its change added to the client's true logit (the history part of the
  truth is left as generated, so the income effect inside it is not re-applied).
* **measurement shift** (``feature-shift``): the same clients, reported differently upstream —
  income in another unit (× 2) and ``EXT_SOURCE_2`` rescaled (+ 0.15). The true risk does not
  change, so the model now under-estimates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.demo.generator.truth import application_logit
from credit_scoring.schema import Kind, table

APPLICATION_TABLE = "application_test"
EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")


class ScenarioName(StrEnum):
    STABLE = "stable"
    GRADUAL = "gradual"
    SUDDEN = "sudden"
    FEATURE_SHIFT = "feature-shift"


@dataclass(frozen=True)
class Shift:
    """A shift at full intensity (it scales linearly with the intensity)."""

    income_factor: float = 1.0
    ext_source_delta: float = 0.0
    ext_sources: tuple[str, ...] = EXT_SOURCES
    revolving_share: float = 0.0  # share of cash loans turned into revolving loans
    changes_risk: bool = True  # True: the true PD follows the shifted fields


POPULATION_SHIFT = Shift(income_factor=0.6, ext_source_delta=-0.15, revolving_share=0.4)
MEASUREMENT_SHIFT = Shift(
    income_factor=2.0, ext_source_delta=0.15, ext_sources=("EXT_SOURCE_2",), changes_risk=False
)


@dataclass(frozen=True)
class Scenario:
    name: ScenarioName
    shape: Literal["none", "ramp", "step"]
    shift: Shift
    change_at: float = 0.5  # for a step: the share of requests sent before the change

    def intensity(self, n: int) -> NDArray[np.float64]:
        """Intensity of each of ``n`` requests, in sending order."""
        if self.shape == "none" or n == 0:
            return np.zeros(n)
        if self.shape == "ramp":
            return np.linspace(0.0, 1.0, n) if n > 1 else np.ones(1)
        first_changed = math.ceil(self.change_at * n)
        return (np.arange(n) >= first_changed).astype(np.float64)


def scenario(name: str | ScenarioName, *, change_at: float = 0.5) -> Scenario:
    """The scenario called ``name`` (``stable``, ``gradual``, ``sudden``, ``feature-shift``)."""
    kind = ScenarioName(name)
    if not 0.0 <= change_at <= 1.0:
        raise ValueError(f"change_at must be in [0, 1], got {change_at}")
    shapes: dict[ScenarioName, tuple[Literal["none", "ramp", "step"], Shift]] = {
        ScenarioName.STABLE: ("none", Shift()),
        ScenarioName.GRADUAL: ("ramp", POPULATION_SHIFT),
        ScenarioName.SUDDEN: ("step", POPULATION_SHIFT),
        ScenarioName.FEATURE_SHIFT: ("step", MEASUREMENT_SHIFT),
    }
    shape, shift = shapes[kind]
    return Scenario(kind, shape, shift, change_at)


def apply_shift(
    applications: pd.DataFrame,
    intensity: NDArray[np.float64],
    shift: Shift,
    *,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A shifted copy of ``applications`` (row ``i`` at ``intensity[i]``), kept inside the
    data contract's ranges (external scores in [0, 1])."""
    out = applications.copy()
    s = np.asarray(intensity, dtype=np.float64)
    income = out["AMT_INCOME_TOTAL"].to_numpy(dtype=np.float64)
    out["AMT_INCOME_TOTAL"] = np.round(income * (1.0 + (shift.income_factor - 1.0) * s), 1)
    for name in shift.ext_sources:
        values = out[name].to_numpy(dtype=np.float64)
        out[name] = np.clip(values + shift.ext_source_delta * s, 0.0, 1.0)
    if shift.revolving_share > 0.0:
        switch = (out["NAME_CONTRACT_TYPE"] == "Cash loans").to_numpy() & (
            rng.random(len(out)) < shift.revolving_share * s
        )
        out.loc[switch, "NAME_CONTRACT_TYPE"] = "Revolving loans"
    return out


def generator_columns(applications: pd.DataFrame) -> dict[str, np.ndarray]:
    """The generator's representation of application rows: numbers as float64, categories as
    codes into the schema vocabulary (-1 for missing or unknown)."""
    columns: dict[str, np.ndarray] = {}
    for column in table(APPLICATION_TABLE).columns:
        if column.name not in applications.columns:
            continue
        values = applications[column.name]
        if column.kind is Kind.CATEGORY:
            codes = pd.Categorical(values, categories=list(column.categories)).codes
            columns[column.name] = codes.astype(np.int16)
        else:
            columns[column.name] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return columns


def shifted_true_pd(
    true_pd: NDArray[np.float64],
    original: pd.DataFrame,
    shifted: pd.DataFrame,
    shift: Shift,
) -> NDArray[np.float64]:
    """True probabilities of default after the shift (unchanged for a measurement shift)."""
    p = np.clip(np.asarray(true_pd, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    if not shift.changes_risk:
        return p
    delta = application_logit(generator_columns(shifted)) - application_logit(
        generator_columns(original)
    )
    logit = np.log(p / (1.0 - p)) + delta
    return 1.0 / (1.0 + np.exp(-logit))
