"""Monotone constraints: features whose direction risk teams know, enforced in LightGBM.

Each rule is a feature-name pattern (full match), a direction (+1: a larger value never lowers
the probability of default; −1: a larger value never raises it) and why. A feature matching no
rule is unconstrained (0); categorical features are never constrained. LightGBM's ``basic``
method keeps every leaf left of a constrained split at or below every leaf right of it, so both
the model and each feature's TreeSHAP contribution move in the stated direction: a reason
citing a constrained feature never cites it the wrong way round (e.g. "low external credit
scores" is never due to a high external score).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MonotoneRule:
    pattern: str
    direction: int
    why: str


#: The documented table (docs/model.md repeats it). Order does not matter: first match wins,
#: and the patterns do not overlap.
MONOTONE_RULES: tuple[MonotoneRule, ...] = (
    MonotoneRule(
        r"EXT_SOURCE_(1|2|3|MEAN|MIN|MAX|PROD)",
        -1,
        "external credit scores: higher is safer",
    ),
    MonotoneRule(
        r"(INST_DPD_(MEAN|MAX|SUM)(_LAST_1Y|_LAST_10)?|INST_LATE_(COUNT|SHARE|30_COUNT)"
        r"(_LAST_1Y|_LAST_10)?|POS_SK_DPD(_DEF)?_(MAX|MEAN)(_LAST_12M)?|POS_DPD_MONTHS_SHARE"
        r"|POS_DPD_DEF_MONTHS_COUNT|POS_DPD_MONTHS_LAST_12M|POS_LATEST_SK_DPD_MAX"
        r"|CC_SK_DPD(_DEF)?_(MAX|MEAN)(_LAST_12M)?|CC_DPD_MONTHS_SHARE"
        r"|BUREAU_BB_DPD_(MONTHS_SUM|SHARE|MONTHS_LAST_12M_SUM)|BUREAU_BB_CREDITS_WITH_DPD_COUNT"
        r"|BUREAU_(ACTIVE_)?CREDIT_DAY_OVERDUE_(MAX|MEAN))",
        1,
        "days past due and late payments: more is riskier",
    ),
    MonotoneRule(
        r"BUREAU_(OVERDUE_COUNT|AMT_CREDIT_SUM_OVERDUE_(SUM|MAX)|ACTIVE_OVERDUE_SUM"
        r"|OVERDUE_DEBT_RATIO|BAD_DEBT_OR_SOLD_COUNT)",
        1,
        "overdue amounts and bad debt at the bureau: more is riskier",
    ),
    MonotoneRule(
        r"INST_PAID_RATIO_(MEAN|MIN)(_LAST_1Y|_LAST_10)?",
        -1,
        "share of each instalment paid: a higher paid-to-due ratio is safer",
    ),
    MonotoneRule(
        r"INST_UNDERPAID_(COUNT|SHARE)|CC_PAID_BELOW_MIN_COUNT",
        1,
        "instalments paid below what was due: more is riskier",
    ),
)
_COMPILED = tuple((rule, re.compile(rule.pattern)) for rule in MONOTONE_RULES)


def direction(feature: str) -> int:
    """The constraint of one feature: +1, −1 or 0 (unconstrained)."""
    for rule, pattern in _COMPILED:
        if pattern.fullmatch(feature):
            return rule.direction
    return 0


def monotone_constraints(features: Sequence[str], *, categorical: Sequence[str] = ()) -> list[int]:
    """LightGBM ``monotone_constraints``: one entry per feature, in model order."""
    skip = set(categorical)
    return [0 if name in skip else direction(name) for name in features]


def monotone_params(
    features: Sequence[str], *, categorical: Sequence[str] = ()
) -> dict[str, object]:
    """LightGBM parameters enforcing the table (empty when no feature is constrained)."""
    constraints = monotone_constraints(features, categorical=categorical)
    if not any(constraints):
        return {}
    return {"monotone_constraints": constraints, "monotone_constraints_method": "basic"}


def constraint_table(
    features: Sequence[str], *, categorical: Sequence[str] = ()
) -> list[dict[str, object]]:
    """The constrained features of a model with their direction and why (model card)."""
    skip = set(categorical)
    rows: list[dict[str, object]] = []
    for name in features:
        if name in skip:
            continue
        for rule, pattern in _COMPILED:
            if pattern.fullmatch(name):
                rows.append({"feature": name, "direction": rule.direction, "why": rule.why})
                break
    return rows
