"""Champion vs shadow challenger on the logged decisions: agreement, the swap set (approved by
one, refused by the other) with its later default rate, and realised performance of both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, inspect, select

from credit_scoring.metrics import roc_auc
from credit_scoring.store.tables import decisions, outcomes

#: Rows with outcomes read for the realised AUCs (the most recent ones).
MAX_OUTCOME_ROWS = 200_000


@dataclass(frozen=True)
class ShadowComparison:
    challenger_versions: list[str]
    decisions: int
    agreement_rate: float
    crosstab: pd.DataFrame
    swaps: pd.DataFrame
    realised: pd.DataFrame


def _has_shadow_columns(engine: Engine) -> bool:
    columns = {c["name"] for c in inspect(engine).get_columns("decisions")}
    return "challenger_decision" in columns


def shadow_comparison(engine: Engine) -> ShadowComparison | None:
    """None when no decision carries a challenger's answer."""
    if not _has_shadow_columns(engine):
        return None
    d, o = decisions, outcomes
    shadowed = d.c.challenger_decision.is_not(None)
    statement = (
        select(
            d.c.decision,
            d.c.challenger_decision,
            func.count().label("decisions"),
            func.count(o.c.request_id).label("with_outcome"),
            func.sum(case((o.c.defaulted, 1), else_=0)).label("defaults"),
        )
        .select_from(d.outerjoin(o, o.c.request_id == d.c.request_id))
        .where(shadowed)
        .group_by(d.c.decision, d.c.challenger_decision)
    )
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(statement)]
        versions = [
            str(v)
            for (v,) in connection.execute(
                select(d.c.challenger_version).where(shadowed).distinct()
            )
        ]
        scored = connection.execute(
            select(d.c.probability, d.c.challenger_probability, o.c.defaulted)
            .select_from(d.join(o, o.c.request_id == d.c.request_id))
            .where(shadowed)
            .order_by(d.c.created_at.desc())
            .limit(MAX_OUTCOME_ROWS)
        ).all()
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    frame["defaults"] = frame["defaults"].fillna(0).astype(int)
    total = int(frame["decisions"].sum())
    agree = int(frame.loc[frame["decision"] == frame["challenger_decision"], "decisions"].sum())
    crosstab = frame.pivot_table(
        index="decision", columns="challenger_decision", values="decisions", fill_value=0
    )
    swaps = _swaps(frame)
    realised = _realised(scored)
    return ShadowComparison(versions, total, agree / total, crosstab, swaps, realised)


def _swaps(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for champion, challenger, label in (
        ("APPROVE", "REFUSE", "approved by the champion, refused by the challenger"),
        ("REFUSE", "APPROVE", "refused by the champion, approved by the challenger"),
    ):
        part = frame[(frame["decision"] == champion) & (frame["challenger_decision"] == challenger)]
        n, with_outcome = int(part["decisions"].sum()), int(part["with_outcome"].sum())
        defaults = int(part["defaults"].sum())
        out.append(
            {
                "swap": label,
                "applications": n,
                "with outcome": with_outcome,
                "later default rate": defaults / with_outcome if with_outcome else float("nan"),
            }
        )
    return pd.DataFrame(out)


def _realised(scored: Any) -> pd.DataFrame:
    if not scored:
        return pd.DataFrame(columns=["model", "outcomes", "AUC"])
    arr = np.asarray([(float(a), float(b), int(bool(y))) for a, b, y in scored])
    y = arr[:, 2].astype(int)
    rows = []
    for name, column in (("champion", 0), ("challenger", 1)):
        auc = roc_auc(y, arr[:, column]) if 0 < y.sum() < len(y) else float("nan")
        rows.append({"model": name, "outcomes": len(y), "AUC": auc})
    return pd.DataFrame(rows)
