"""Counter-offers: the offered amount is approved by the same model, the next grid step up
is not, none is offered when even the floor is refused; batch and single agree; the API
answers and logs it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from credit_scoring.runtime.counter_offer import CounterOfferPolicy, approval_bracket
from credit_scoring.serving.schemas.requests import application_validator
from credit_scoring.serving.scorer import ServedModel, load_served_model
from credit_scoring.settings import Settings

POLICY = CounterOfferPolicy(floor_share=0.30, step_share=0.05, rounding=1000.0)


@pytest.fixture
def served(e2e_settings: Settings) -> ServedModel:
    model = load_served_model(str(e2e_settings.model_uri), e2e_settings)
    model.counter_offer_policy = POLICY
    return model


def _at(application: dict[str, Any], amount: float) -> dict[str, Any]:
    """The application asking for ``amount``, annuity and goods price scaled as the grid does."""
    ratio = amount / application["AMT_CREDIT"]
    changed = {**application, "AMT_CREDIT": amount}
    if application.get("AMT_ANNUITY") is not None:
        changed["AMT_ANNUITY"] = application["AMT_ANNUITY"] * ratio
    if application.get("AMT_GOODS_PRICE") is not None:
        changed["AMT_GOODS_PRICE"] = min(application["AMT_GOODS_PRICE"] * ratio, amount)
    return changed


def _adverse(served: ServedModel, applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    validate = application_validator().validate_python
    out = []
    for a in applications:
        for factor in (1.0, 3.0):  # larger requests: more refusals with room to lend less
            annuity = a.get("AMT_ANNUITY")
            candidate = validate(
                {
                    **a,
                    "AMT_CREDIT": a["AMT_CREDIT"] * factor,
                    "AMT_ANNUITY": None if annuity is None else annuity * factor,
                }
            )
            if served.score_one(candidate).decision != "APPROVE":
                out.append(candidate)
    return out


def test_the_offer_is_approved_and_the_next_step_up_is_not(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    adverse = _adverse(served, pipeline_applications[:150])
    offered = refused_outright = 0
    for application in adverse:
        scored = served.score_one(application)
        grid = POLICY.amounts(np.array([application["AMT_CREDIT"]]))[0]
        offer = scored.counter_offer
        if offer is None:
            refused_outright += 1
            for amount in np.unique(grid):  # nothing on the grid is approved, the floor neither
                assert served.score_one(_at(application, float(amount))).decision != "APPROVE"
            continue
        offered += 1
        assert grid[0] <= offer["amount"] < application["AMT_CREDIT"]
        at_offer = served.score_one(_at(application, offer["amount"]))
        assert at_offer.decision == "APPROVE"
        assert at_offer.probability == pytest.approx(offer["probability"], abs=1e-12)
        assert at_offer.score == offer["points"]
        higher = np.unique(grid[grid > offer["amount"]])
        for amount in higher:  # every larger grid amount, the next step up first
            assert served.score_one(_at(application, float(amount))).decision != "APPROVE"
    assert offered > 0 and refused_outright > 0, (offered, refused_outright)


def test_approvals_carry_no_offer_and_the_batch_agrees_with_single_scoring(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    validate = application_validator().validate_python
    applications = [validate(a) for a in pipeline_applications[:80]]
    applications += _adverse(served, pipeline_applications[80:160])
    batched = served.score_many(applications)
    for application, many in zip(applications, batched, strict=True):
        one = served.score_one(application)
        assert many.counter_offer == one.counter_offer
        if one.decision == "APPROVE":
            assert one.counter_offer is None


def test_walking_the_trees_gives_the_offers_of_predicting_the_grid(
    served: ServedModel, pipeline_applications: list[dict[str, Any]]
) -> None:
    """The grid's raw scores from the tabulated trees (only the paths through amount features
    re-walked) and the decisions read off the approval bracket give the very offers that
    LightGBM's predict of the whole grid and the bundle's decisions give."""
    search = served._offers
    assert search is not None and search._trees is not None  # the tree walk is what is tested
    adverse = _adverse(served, pipeline_applications[:120])
    walked = [served.score_one(a).counter_offer for a in adverse]
    search._trees = None  # the grid as a matrix through Booster.predict
    predicted = [served.score_one(a).counter_offer for a in adverse]
    assert walked == predicted
    assert sum(o is not None for o in walked) > 0


def test_the_approval_bracket_holds_for_every_raw_score(served: ServedModel) -> None:
    bundle = served.bundle
    for band in (0.0, served.review_band, bundle.threshold + 0.01):  # the last approves none
        lo, hi = approval_bracket(bundle, band)
        if band > bundle.threshold:
            assert (lo, hi) == (-np.inf, -50.0)
        else:
            assert 0 < hi - lo <= 0.01, (lo, hi)
        start = max(lo, hi - 1.0)
        raw = np.concatenate([np.linspace(start - 3, hi + 3, 50_001), [start, hi, start - 1e-9]])
        approved = bundle.decisions(bundle.calibration.apply(raw), review_band=band) == "APPROVE"
        assert approved[raw < lo].all() and not approved[raw >= hi].any()


def test_the_grid_runs_from_the_floor_to_below_the_request() -> None:
    amounts = POLICY.amounts(np.array([100_000.0, 1234.0]))
    assert amounts[0].tolist() == [30_000.0 + 5_000.0 * k for k in range(14)]
    assert amounts[1, 0] == np.ceil(1234.0 * 0.3)  # rounding never goes below the floor
    assert (amounts[1] < 1234.0).all()
    with pytest.raises(ValueError, match="floor_share"):
        CounterOfferPolicy(floor_share=1.5)


def test_the_api_answers_and_logs_the_counter_offer(
    e2e_settings: Settings,
    keys: Any,
    pipeline_applications: list[dict[str, Any]],
    served: ServedModel,
) -> None:
    import time

    from fastapi.testclient import TestClient

    from credit_scoring.serving.app import create_app

    adverse = _adverse(served, pipeline_applications[:150])
    with_offer = next(a for a in adverse if served.score_one(a).counter_offer is not None)
    approved = next(a for a in pipeline_applications if served.score_one(a).decision == "APPROVE")
    settings = e2e_settings.model_copy(update={"counter_offer_rounding": 1000.0})
    with TestClient(create_app(settings)) as client:
        headers = {"X-API-Key": keys.score}
        answer = client.post("/v1/scores", json=with_offer, headers=headers).json()
        assert answer["decision"] != "APPROVE"
        assert answer["counter_offer"] == served.score_one(with_offer).counter_offer
        assert (
            client.post("/v1/scores", json=approved, headers=headers).json()["counter_offer"]
            is None
        )
        read = {"X-API-Key": keys.read}
        deadline = time.monotonic() + 30
        while True:
            detail = client.get(f"/v1/scores/{answer['request_id']}", headers=read).json()
            if detail["logged"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert detail["logged"], "the decision did not reach the database within 30 s"
        assert detail["counter_offer"] == answer["counter_offer"]
