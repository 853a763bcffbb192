"""The dashboard's champion vs challenger comparison on a constructed decision log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from credit_scoring.dashboard.shadow import shadow_comparison
from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.tables import decisions, outcomes


def _row(i: int, decision: str, challenger: str | None, p: float, q: float) -> dict[str, object]:
    return {
        "request_id": f"r{i:05d}", "batch_id": None, "created_at": datetime.now(UTC),
        "client_id": i, "model_version": "m/1", "bundle_checksum": "x", "feature_set_version": "f",
        "probability": p, "log_odds": 0.0, "score": 600, "decision": decision, "threshold": 0.5,
        "reasons": [], "history_found": True, "latency_ms": 1.0, "raw_input": {}, "features": None,
        "challenger_version": None if challenger is None else "m/2",
        "challenger_probability": None if challenger is None else q,
        "challenger_decision": challenger, "challenger_score": None if challenger is None else 590,
    }  # fmt: skip


def test_agreement_swap_set_and_later_default_rates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    upgrade_database(url)
    rows, outcome_rows = [], []
    # 60 agree (40 APPROVE/APPROVE, 20 REFUSE/REFUSE), 10 approved by the champion and refused
    # by the challenger (4 of 8 observed defaulted), 5 the other way (0 of 5 defaulted), and
    # 7 decisions logged without a challenger (not counted).
    plan = [("APPROVE", "APPROVE")] * 40 + [("REFUSE", "REFUSE")] * 20
    plan += [("APPROVE", "REFUSE")] * 10 + [("REFUSE", "APPROVE")] * 5
    for i, (champion, challenger) in enumerate(plan):
        bad = champion == "REFUSE" or (champion == "APPROVE" and challenger == "REFUSE" and i % 2)
        rows.append(_row(i, champion, challenger, 0.8 if bad else 0.1, 0.7 if bad else 0.2))
        swap_am = champion == "APPROVE" and challenger == "REFUSE"
        observed = not (swap_am and i >= 68)  # 8 of the 10 swaps observed
        if observed:
            defaulted = bool(swap_am and i % 2) or (champion == "REFUSE" and challenger == "REFUSE")
            outcome_rows.append({"request_id": f"r{i:05d}", "defaulted": defaulted,
                                 "observed_at": datetime.now(UTC),
                                 "recorded_at": datetime.now(UTC)})  # fmt: skip
    rows += [_row(1000 + i, "APPROVE", None, 0.1, 0.0) for i in range(7)]
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(decisions.insert(), rows)
        connection.execute(outcomes.insert(), outcome_rows)
    engine.dispose()

    result = shadow_comparison(create_db_engine(url, read_only=True))
    assert result is not None
    assert result.decisions == 75 and result.challenger_versions == ["m/2"]
    assert result.agreement_rate == pytest.approx(60 / 75)
    swaps = result.swaps.set_index("swap")
    am = swaps.loc["approved by the champion, refused by the challenger"]
    assert am["applications"] == 10 and am["with outcome"] == 8
    assert am["later default rate"] == pytest.approx(4 / 8)
    ma = swaps.loc["refused by the champion, approved by the challenger"]
    assert ma["applications"] == 5 and ma["later default rate"] == 0.0
    realised = result.realised.set_index("model")
    assert realised.loc["champion", "outcomes"] == len(outcome_rows)
    assert 0.5 < realised.loc["champion", "AUC"] <= 1.0
