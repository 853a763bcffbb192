"""The review trail: human decisions on logged decisions (append-only), the review queue,
and the audit of who opened which applicant's data.

A REVIEW decision waits in the queue until an underwriter (dashboard) or another system
(``POST /v1/reviews``, scope ``review``) records a final decision: APPROVE, REFUSE or
APPROVE_COUNTER_OFFER (the decision's logged counter-offer amount), with a reason from a
configured list and a free comment. Rows are only ever inserted; the latest row of a decision
is its final decision, earlier rows stay as the trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, case, func, insert, select

from credit_scoring.errors import CreditScoringError
from credit_scoring.store.tables import access_audit, decisions, outcomes, reviews

FINAL_DECISIONS = ("APPROVE", "REFUSE", "APPROVE_COUNTER_OFFER")
#: Override reasons offered by default (``CREDIT_SCORING_REVIEW_REASONS`` replaces them).
DEFAULT_REVIEW_REASONS: tuple[str, ...] = (
    "agrees with the model",
    "income verified",
    "employment verified",
    "additional collateral",
    "existing relationship",
    "affordability concern",
    "document inconsistency",
    "fraud suspicion",
    "other (see comment)",
)
CHANNELS = ("dashboard", "api")


class ReviewError(CreditScoringError):
    """A review that cannot be recorded (unknown decision, reason or final decision)."""


class UnknownDecisionError(ReviewError):
    """No logged decision with this request id (yet: it may still be in the spool)."""


@dataclass(frozen=True)
class Review:
    """One row of the trail (``reviews`` without its surrogate id)."""

    request_id: str
    reviewed_at: datetime
    reviewer: str
    channel: str
    final_decision: str
    amount: float | None
    reason: str
    comment: str | None

    def as_dict(self) -> dict[str, Any]:
        """The review as JSON values (the time as ISO 8601 text), in field order."""
        return {**asdict(self), "reviewed_at": self.reviewed_at.isoformat()}


def _utc(value: Any) -> datetime:
    stamp = pd.Timestamp(value)
    return (
        stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    ).to_pydatetime()


def record_review(
    engine: Engine,
    *,
    request_id: str,
    reviewer: str,
    channel: str,
    final_decision: str,
    reason: str,
    comment: str | None = None,
    allowed_reasons: Sequence[str] = DEFAULT_REVIEW_REASONS,
    now: datetime | None = None,
) -> Review:
    """Append a final decision on ``request_id`` (and its audit row) in one transaction.

    The amount is the requested credit for APPROVE, the logged counter-offer for
    APPROVE_COUNTER_OFFER (refused when the decision has none) and null for REFUSE.
    """
    if final_decision not in FINAL_DECISIONS:
        raise ReviewError(
            f"final decision {final_decision!r} is not one of {', '.join(FINAL_DECISIONS)}"
        )
    if reason not in allowed_reasons:
        raise ReviewError(f"reason {reason!r} is not one of the configured review reasons")
    if channel not in CHANNELS:
        raise ReviewError(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    if not reviewer.strip():
        raise ReviewError("a review needs the name of who made it")
    comment = (comment or "").strip()[:1000] or None
    stamp = now or datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(
            select(decisions.c.raw_input, decisions.c.counter_offer).where(
                decisions.c.request_id == request_id
            )
        ).one_or_none()
        if row is None:
            raise UnknownDecisionError(f"no logged decision {request_id}")
        amount: float | None = None
        if final_decision == "APPROVE":
            requested = (row.raw_input or {}).get("AMT_CREDIT")
            amount = None if requested is None else float(requested)
        elif final_decision == "APPROVE_COUNTER_OFFER":
            if not row.counter_offer:
                raise ReviewError(f"decision {request_id} has no counter-offer to approve")
            amount = float(row.counter_offer["amount"])
        review = Review(request_id, stamp, reviewer, channel, final_decision, amount, reason,
                        comment)  # fmt: skip
        connection.execute(
            insert(reviews).values(
                request_id=request_id, reviewed_at=stamp, reviewer=reviewer, channel=channel,
                final_decision=final_decision, amount=amount, reason=reason, comment=comment,
            )
        )  # fmt: skip
        connection.execute(
            insert(access_audit).values(
                at=stamp, username=reviewer, action="review", request_id=request_id,
                detail={"final_decision": final_decision, "channel": channel},
            )
        )  # fmt: skip
    return review


def record_access(
    engine: Engine, *, username: str, action: str, request_id: str | None = None,
    detail: dict[str, Any] | None = None, now: datetime | None = None,
) -> None:  # fmt: skip
    """Audit one action of a user (e.g. ``open_application``)."""
    with engine.begin() as connection:
        connection.execute(
            insert(access_audit).values(
                at=now or datetime.now(UTC), username=username, action=action,
                request_id=request_id, detail=detail,
            )
        )  # fmt: skip


def review_trail(engine: Engine, request_id: str) -> list[Review]:
    """Every review of ``request_id``, oldest first (the last one is final)."""
    r = reviews.c
    statement = (
        select(r.request_id, r.reviewed_at, r.reviewer, r.channel, r.final_decision, r.amount,
               r.reason, r.comment)
        .where(r.request_id == request_id)
        .order_by(r.reviewed_at, r.id)
    )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [Review(row[0], _utc(row[1]), *row[2:]) for row in rows]


def final_decision(decision: str, trail: Sequence[Review]) -> dict[str, Any]:
    """What ``GET /v1/scores/{request_id}`` shows as the final decision and its status:
    ``reviewed`` (the latest review), ``pending_review`` (a REVIEW nobody decided yet) or
    ``automatic`` (the model's decision stands)."""
    if trail:
        last = trail[-1]
        return {"status": "reviewed", "reviews": len(trail), **last.as_dict()}
    if decision == "REVIEW":
        return {"status": "pending_review", "final_decision": None}
    return {"status": "automatic", "final_decision": decision}


def review_queue(engine: Engine, *, limit: int = 200, now: datetime | None = None) -> pd.DataFrame:
    """REVIEW decisions without a review, oldest first, with their age (hours)."""
    d = decisions.c
    reviewed = select(reviews.c.request_id).where(reviews.c.request_id == d.request_id).exists()
    statement = (
        select(d.request_id, d.created_at, d.client_id, d.probability, d.score, d.threshold,
               d.counter_offer)
        .where(d.decision == "REVIEW", ~reviewed)
        .order_by(d.created_at, d.request_id)
        .limit(limit)
    )  # fmt: skip
    with engine.connect() as connection:
        result = connection.execute(statement)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if frame.empty:
        return frame.assign(age_hours=pd.Series(dtype=float))
    stamp = pd.Timestamp(now or datetime.now(UTC))
    created = pd.to_datetime(frame["created_at"], utc=True)
    frame["created_at"] = created
    frame["age_hours"] = (stamp - created).dt.total_seconds() / 3600.0
    return frame


def review_summary(engine: Engine, *, now: datetime | None = None) -> dict[str, Any]:
    """Monitoring of the people in the loop: queue size and oldest age, reviews, override
    rate (the final decision on the other side of the model's: APPROVE* for a probability at
    or above the threshold, REFUSE below it), and the default rate of overridden vs
    confirmed decisions among those with an outcome."""
    d, r = decisions.c, reviews.c
    latest = select(r.request_id, func.max(r.id).label("id")).group_by(r.request_id).subquery()
    final = reviews.join(latest, and_(latest.c.id == r.id))
    approve_final = r.final_decision != "REFUSE"
    model_approves = d.probability < d.threshold
    override = case((approve_final != model_approves, 1), else_=0)
    statement = select(
        func.count().label("reviews"),
        func.sum(override).label("overrides"),
        func.sum(case((outcomes.c.request_id.is_not(None), override), else_=0)).label(
            "overridden_with_outcome"
        ),
        func.sum(case((outcomes.c.defaulted.is_(True), override), else_=0)).label(
            "overridden_defaults"
        ),
        func.sum(case((outcomes.c.request_id.is_not(None), 1 - override), else_=0)).label(
            "confirmed_with_outcome"
        ),
        func.sum(case((outcomes.c.defaulted.is_(True), 1 - override), else_=0)).label(
            "confirmed_defaults"
        ),
    ).select_from(
        final.join(decisions, d.request_id == r.request_id).outerjoin(
            outcomes, outcomes.c.request_id == r.request_id
        )
    )
    queue = review_queue(engine, limit=100_000, now=now)
    with engine.connect() as connection:
        row = connection.execute(statement).one()
    n = int(row.reviews or 0)

    def rate(num: Any, den: Any) -> float:
        return float(num) / float(den) if den else float("nan")

    return {
        "queue_size": len(queue),
        "oldest_age_hours": float(queue["age_hours"].max()) if len(queue) else float("nan"),
        "median_age_hours": float(np.median(queue["age_hours"])) if len(queue) else float("nan"),
        "reviews": n,
        "overrides": int(row.overrides or 0),
        "override_rate": rate(row.overrides or 0, n),
        "overridden_with_outcome": int(row.overridden_with_outcome or 0),
        "default_rate_overridden": rate(
            row.overridden_defaults or 0, row.overridden_with_outcome or 0
        ),
        "confirmed_with_outcome": int(row.confirmed_with_outcome or 0),
        "default_rate_confirmed": rate(
            row.confirmed_defaults or 0, row.confirmed_with_outcome or 0
        ),
    }
