"""Adverse-action reasons: feature contributions grouped into texts a person understands.

LightGBM's ``pred_contrib`` splits a row's raw score (log-odds) into one contribution per
feature plus the base value (last column); they sum to the raw score. Features are grouped by
the ordered rules of :data:`CATALOGUE` (first match wins; rules follow the feature naming
convention: schema column names, engineered application names and the history prefixes
``BUREAU_``, ``PREV_``, ``POS_``, ``INST_``, ``CC_``). A group's contribution is the sum of its
features'; only groups pushing toward default (positive) are reasons, at most four, largest
first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

CATALOGUE_VERSION = "reasons-1"
MAX_REASONS = 4
OTHER_CODE = "R99"


@dataclass(frozen=True)
class ReasonGroup:
    """One reason: a stable code, its wording, and the feature-name pattern it covers."""

    code: str
    text: str
    pattern: str


@dataclass(frozen=True)
class Reason:
    """One adverse reason of a scored application (``contribution`` in log-odds, > 0)."""

    code: str
    text: str
    contribution: float


def _any(*names: str) -> str:
    return "|".join(f"(?:{n})" for n in names)


_HISTORY_FLAG = r"(?:BUREAU_BB_|BUREAU_|PREV_|POS_|INST_|CC_)HAS_HISTORY"

#: Ordered rules (first match wins). Codes are stable: never renumber, only add.
CATALOGUE: tuple[ReasonGroup, ...] = (
    ReasonGroup("R01", "Low external credit scores", r"EXT_SOURCE_"),
    ReasonGroup("R02", "Little or no recorded credit history", _HISTORY_FLAG),
    ReasonGroup(
        "R03",
        "Credit amount or repayments high relative to income",
        _any(
            r"AMT_(INCOME_TOTAL|CREDIT|ANNUITY|GOODS_PRICE)$",
            r"(CREDIT|ANNUITY)_INCOME_RATIO$",
            r"CREDIT_ANNUITY_RATIO$",
            r"GOODS_CREDIT_RATIO$",
            r"CREDIT_GOODS_DIFF$",
            r"INCOME_PER_FAMILY_MEMBER$",
            r"INCOME_AFTER_ANNUITY_PER_MEMBER$",
            r"CREDIT_PER_AGE_YEAR$",
        ),
    ),
    ReasonGroup(
        "R04", "Recent credit enquiries", _any(r"AMT_REQ_CREDIT_BUREAU_", r"BUREAU_REQUEST_TOTAL$")
    ),
    ReasonGroup("R05", "Age of the applicant", _any(r"DAYS_BIRTH$", r"AGE_YEARS$")),
    ReasonGroup("R06", "Short or no current employment", _any(r"DAYS_EMPLOYED", r"EMPLOYED_")),
    ReasonGroup(
        "R07",
        "Occupation, income type or employer sector",
        _any(r"NAME_INCOME_TYPE$", r"OCCUPATION_TYPE$", r"ORGANIZATION_TYPE$"),
    ),
    ReasonGroup("R08", "Level of education", r"NAME_EDUCATION_TYPE$"),
    ReasonGroup(
        "R09",
        "Recent change of address registration, identity document or phone",
        _any(
            r"DAYS_REGISTRATION$",
            r"DAYS_ID_PUBLISH$",
            r"DAYS_LAST_PHONE_CHANGE$",
            r"(REGISTRATION|ID_PUBLISH|PHONE_CHANGE)_AGE_RATIO$",
        ),
    ),
    ReasonGroup(
        "R10",
        "Household size and dependants",
        _any(r"CNT_CHILDREN$", r"CNT_FAM_MEMBERS$", r"CHILDREN_FAMILY_RATIO$"),
    ),
    ReasonGroup(
        "R11",
        "Housing situation",
        _any(
            r"NAME_HOUSING_TYPE$",
            r"FLAG_OWN_REALTY$",
            r"(?!BUREAU_|PREV_|POS_|INST_|CC_).*_(AVG|MODE|MEDI)$",
            r"FONDKAPREMONT_MODE$",
        ),
    ),
    ReasonGroup(
        "R12", "No car or an old car", _any(r"FLAG_OWN_CAR$", r"OWN_CAR_AGE$", r"CAR_AGE_RATIO$")
    ),
    ReasonGroup(
        "R13",
        "Region of residence or work",
        _any(r"REGION_", r"REG_(REGION|CITY)_", r"LIVE_(REGION|CITY)_"),
    ),
    ReasonGroup(
        "R14",
        "Contact details provided",
        _any(r"FLAG_(MOBIL|EMP_PHONE|WORK_PHONE|CONT_MOBILE|PHONE|EMAIL)$", r"CONTACT_FLAG_SUM$"),
    ),
    ReasonGroup("R15", "Documents provided", _any(r"FLAG_DOCUMENT_", r"DOCUMENT_COUNT$")),
    ReasonGroup("R16", "Defaults among the applicant's social circle", r".*SOCIAL_CIRCLE"),
    ReasonGroup(
        "R17",
        "Type and circumstances of the application",
        _any(
            r"NAME_CONTRACT_TYPE$",
            r"NAME_TYPE_SUITE$",
            r"WEEKDAY_APPR_PROCESS_START$",
            r"HOUR_APPR_PROCESS_START$",
        ),
    ),
    ReasonGroup("R18", "Personal characteristics", _any(r"CODE_GENDER$", r"NAME_FAMILY_STATUS$")),
    ReasonGroup(
        "R20",
        "Overdue payments reported by the credit bureau",
        r"BUREAU_.*(OVERDUE|DPD|BAD_DEBT|PROLONG|WORST_STATUS)",
    ),
    ReasonGroup(
        "R21",
        "Existing debt reported by the credit bureau",
        r"BUREAU_.*(DEBT|ACTIVE|LIMIT|ANNUITY)",
    ),
    ReasonGroup("R22", "Length and amount of credit bureau history", r"BUREAU_"),
    ReasonGroup("R23", "Previous applications refused or cancelled", r"PREV_.*(REFUSED|CANCELED)"),
    ReasonGroup("R24", "Previous loans with us", r"PREV_"),
    ReasonGroup(
        "R25",
        "Late or incomplete instalment payments",
        r"INST_.*(DPD|DBD|LATE|UNDERPAID|MISSING|PAID_DIFF|PAID_RATIO)",
    ),
    ReasonGroup("R26", "Instalment repayment history", r"INST_"),
    ReasonGroup("R27", "Days past due on point-of-sale or cash loans", r"POS_.*DPD"),
    ReasonGroup("R28", "Point-of-sale and cash loan history", r"POS_"),
    ReasonGroup(
        "R29", "Late or minimum-only credit card payments", r"CC_.*(DPD|BELOW_MIN|PAYMENT_MIN)"
    ),
    ReasonGroup("R30", "High credit card balance or usage", r"CC_"),
)
OTHER = ReasonGroup(OTHER_CODE, "Other application details", r".*")
_COMPILED = tuple((group, re.compile(group.pattern)) for group in CATALOGUE)


def reason_group(feature: str) -> ReasonGroup:
    """The catalogue group of a model feature (:data:`OTHER` when no rule matches)."""
    for group, pattern in _COMPILED:
        if pattern.match(feature):
            return group
    return OTHER


@dataclass(frozen=True)
class ReasonIndex:
    """Precomputed mapping of a model's feature columns to reason groups (for fast scoring)."""

    groups: tuple[ReasonGroup, ...]
    feature_group: NDArray[np.intp]  # group position of each feature column
    membership: NDArray[np.float64]  # (features × groups) 0/1 matrix

    @classmethod
    def build(cls, features: Sequence[str]) -> ReasonIndex:
        groups: dict[str, ReasonGroup] = {}
        positions = []
        for name in features:
            group = reason_group(name)
            groups.setdefault(group.code, group)
            positions.append(list(groups).index(group.code))
        feature_group = np.asarray(positions, dtype=np.intp)
        membership = np.zeros((len(features), len(groups)), dtype=np.float64)
        membership[np.arange(len(features)), feature_group] = 1.0
        return cls(tuple(groups.values()), feature_group, membership)

    def group_contributions(self, contrib: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum feature contributions per group, ignoring the base column (last one).

        ``contrib`` is ``pred_contrib`` output: ``(rows, features + 1)`` or one row.
        """
        return contrib[..., : len(self.feature_group)] @ self.membership

    def top_positions(
        self, group_contrib: NDArray[np.float64], *, limit: int = MAX_REASONS
    ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp]]:
        """The top reasons of one row of group contributions, or of each row of a matrix:
        ``(order, top, count)`` — the reasons are groups ``order[..., :count]`` with
        contributions ``top[..., :count]``: up to ``limit`` groups with a positive
        contribution, largest first (ties keep group order)."""
        order = np.argsort(-group_contrib, axis=-1, kind="stable")[..., :limit]
        top = np.take_along_axis(group_contrib, order, axis=-1)
        count = np.count_nonzero(top > 0.0, axis=-1)
        return order, top, count

    def top_reasons(
        self, group_contrib: NDArray[np.float64], *, limit: int = MAX_REASONS
    ) -> tuple[Reason, ...]:
        """:meth:`top_positions` of one row as :class:`Reason` values."""
        order, top, count = self.top_positions(group_contrib, limit=limit)
        return tuple(
            Reason(self.groups[k].code, self.groups[k].text, v)
            for k, v in zip(order[:count].tolist(), top[:count].tolist(), strict=True)
        )
