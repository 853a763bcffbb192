"""What an underwriter sees of one logged decision: the decision itself and the client's
history in the decision log (earlier decisions, reviews and outcomes)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from credit_scoring.store.tables import decisions, outcomes


def decision_for_review(engine: Engine, request_id: str) -> dict[str, Any] | None:
    """The logged decision (inputs, probability, points, reasons, counter-offer)."""
    d = decisions.c
    statement = select(
        d.request_id, d.created_at, d.client_id, d.probability, d.score, d.decision,
        d.threshold, d.reasons, d.counter_offer, d.history_found, d.raw_input, d.model_version,
    ).where(d.request_id == request_id)  # fmt: skip
    with engine.connect() as connection:
        row = connection.execute(statement).mappings().one_or_none()
    return None if row is None else dict(row)


def client_history(engine: Engine, client_id: int, *, limit: int = 20) -> pd.DataFrame:
    """The client's logged decisions, newest first, with their outcomes."""
    d = decisions.c
    statement = (
        select(d.created_at, d.request_id, d.decision, d.probability, d.score,
               outcomes.c.defaulted)
        .select_from(decisions.outerjoin(outcomes, outcomes.c.request_id == d.request_id))
        .where(d.client_id == client_id)
        .order_by(d.created_at.desc())
        .limit(limit)
    )  # fmt: skip
    with engine.connect() as connection:
        result = connection.execute(statement)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
