"""The values the shipped alert rules watch, read from the database (monitoring results and
the decision log). The API exports them at ``/metrics`` (cached, never on the scoring path);
``credit-scoring monitor alerts`` evaluates the same rules on them and notifies a webhook.

Every value is a plain gauge, so each rule is a threshold on one series.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

#: Reviews needed before the override rate is exported (a few reviews make a noisy rate).
MIN_REVIEWS_FOR_RATE = 20
#: Gauge name → help text (the exported series; ``deploy/prometheus/alerts.yml`` uses them).
ALERT_GAUGES: dict[str, str] = {
    "credit_scoring_drift_alert_features": (
        "Features in the alert band (PSI ≥ alert) in the latest drift window."
    ),
    "credit_scoring_drift_warn_features": "Features in the warn band in the latest drift window.",
    "credit_scoring_realised_cost_ratio": (
        "Realised cost per decision over the cost the model expected, latest labelled window."
    ),
    "credit_scoring_approval_rate_shift": (
        "Approval rate of the last hour minus that of the 7 days before (absolute)."
    ),
    "credit_scoring_latency_p99_seconds": "p99 decision latency of the latest service window.",
    "credit_scoring_review_oldest_age_seconds": (
        "Wait of the oldest REVIEW decision without a review (0: none), latest review snapshot."
    ),
    "credit_scoring_review_override_rate": (
        "Share of reviewed decisions whose final decision overrode the model's, latest review "
        f"snapshot (exported from {MIN_REVIEWS_FOR_RATE} reviews on)."
    ),
}

_LATEST = (
    "SELECT {what} FROM monitoring_results WHERE job = :job AND metric = :metric "
    "AND window_start = (SELECT max(window_start) FROM monitoring_results "
    "WHERE job = :job AND metric = :metric)"
)


def _number(value: Any) -> float:
    """A stored value as a float (0 for NULL)."""
    return 0.0 if value is None else float(value)


def _approval_share(engine: Engine, since: datetime, until: datetime) -> float | None:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT count(*), sum(CASE WHEN decision = 'APPROVE' THEN 1 ELSE 0 END) "
                "FROM decisions WHERE created_at >= :since AND created_at < :until"
            ),
            {"since": since, "until": until},
        ).one()
    total, approved = int(row[0] or 0), int(row[1] or 0)
    return approved / total if total else None


def alert_values(engine: Engine, *, now: datetime | None = None) -> dict[str, float]:
    """The current value of each of :data:`ALERT_GAUGES` (absent when there is no data)."""
    now = now or datetime.now(UTC)
    values: dict[str, float] = {}
    with engine.connect() as connection:

        def latest(what: str, job: str, metric: str) -> list[tuple[object, ...]]:
            statement = text(_LATEST.format(what=what))
            rows = connection.execute(statement, {"job": job, "metric": metric}).all()
            return [tuple(r) for r in rows]

        bands = latest("band", "drift", "psi")
        if bands:
            values["credit_scoring_drift_alert_features"] = sum(b == ("alert",) for b in bands)
            values["credit_scoring_drift_warn_features"] = sum(b == ("warn",) for b in bands)
        realised = latest("value", "performance", "cost_realised")
        expected = latest("value", "performance", "cost_expected_labelled")
        if realised and expected and realised[0][0] is not None and expected[0][0]:
            values["credit_scoring_realised_cost_ratio"] = float(realised[0][0]) / float(  # type: ignore[arg-type]
                expected[0][0]  # type: ignore[arg-type]
            )
        p99 = latest("value", "service", "latency_p99_ms")
        if p99 and p99[0][0] is not None:
            values["credit_scoring_latency_p99_seconds"] = float(p99[0][0]) / 1000.0  # type: ignore[arg-type]
        waited = latest("value", "review", "oldest_age_hours")
        if waited:  # a NULL age: nothing waited at the snapshot
            values["credit_scoring_review_oldest_age_seconds"] = 3600.0 * _number(waited[0][0])
        rate = latest("value, n_rows", "review", "override_rate")
        if rate and rate[0][0] is not None and _number(rate[0][1]) >= MIN_REVIEWS_FOR_RATE:
            values["credit_scoring_review_override_rate"] = _number(rate[0][0])
    recent = _approval_share(engine, now - timedelta(hours=1), now)
    before = _approval_share(engine, now - timedelta(days=7, hours=1), now - timedelta(hours=1))
    if recent is not None and before is not None:
        values["credit_scoring_approval_rate_shift"] = abs(recent - before)
    return values
