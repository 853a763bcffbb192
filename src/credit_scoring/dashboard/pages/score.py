"""Score an application: a form with sensible defaults → gauge, decision, points, reasons."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from credit_scoring.dashboard import charts, scoring, ui
from credit_scoring.dashboard.performance_view import points_delta
from credit_scoring.errors import CreditScoringError
from credit_scoring.runtime.scorer import Scorer


@st.cache_resource(show_spinner="Loading the model and the history store …")
def _model(model_uri: str, database_url: str) -> Scorer:
    return scoring.load_model(ui.settings(), database_url)


def _inputs(defaults: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    values: dict[str, Any] = {}
    not_employed = False
    left, middle, right = st.columns(3)
    columns = {0: left, 1: middle, 2: right}
    for i, field in enumerate(scoring.FORM_FIELDS):
        default = defaults.get(field.column)
        with columns[i % 3]:
            if field.kind == "category":
                options = list(scoring.categories(field.column))
                if scoring.nullable(field.column):
                    options = ["(missing)", *options]
                index = options.index(default) if default in options else 0
                choice = st.selectbox(field.label, options, index=index, key=field.column)
                values[field.column] = None if choice == "(missing)" else choice
            elif field.kind == "amount":
                values[field.column] = st.number_input(
                    field.label, min_value=0.0, value=float(default or 0.0), step=1000.0,
                    key=field.column,
                )  # fmt: skip
            elif field.kind == "score":
                values[field.column] = st.number_input(
                    field.label, min_value=0.0, max_value=1.0,
                    value=None if default is None else float(default), step=0.01,
                    key=field.column,
                )  # fmt: skip
            elif field.kind == "years":
                years = scoring.days_to_years(default) if default is not None else 0.0
                values[field.column] = st.number_input(
                    field.label, min_value=0.0, max_value=100.0, value=max(years, 0.0),
                    step=1.0, key=field.column,
                )  # fmt: skip
                if field.column == "DAYS_EMPLOYED":
                    not_employed = st.checkbox("Not employed", key="not_employed")
            else:
                values[field.column] = st.number_input(
                    field.label, min_value=0, value=int(default or 0), step=1, key=field.column
                )
    return values, not_employed


def _result(model: Scorer, outcome: scoring.ScoreOutcome) -> None:
    if outcome.errors:
        st.error("The application is not valid:")
        st.dataframe(
            pd.DataFrame(sorted(outcome.errors.items()), columns=["field", "problem"]),
            hide_index=True,
        )
        return
    scored = outcome.scored
    assert scored is not None
    gauge, summary = st.columns([3, 2])
    with gauge:
        st.plotly_chart(
            charts.probability_gauge(
                scored.probability, model.threshold, review_band=model.review_band
            ),
            key="gauge",
        )
    with summary:
        colour = {"APPROVE": "green", "REFUSE": "red"}.get(scored.decision, "orange")
        st.markdown(f"### Decision: :{colour}[{scored.decision}]")
        st.metric("Score", f"{scored.score} points")
        st.metric(
            "Probability of default",
            f"{scored.probability:.1%}",
            delta=points_delta(scored.probability, model.threshold),
            delta_color="inverse",
        )
        if not scored.history_found:
            st.caption("No credit history found for this client id (scored as a new client).")
    offer = scored.counter_offer
    if offer is not None:
        st.success(
            f"Counter-offer: **{offer['amount']:,.0f}** (annuity "
            f"{(offer['annuity'] or 0):,.0f}) would be approved — probability of default "
            f"{offer['probability']:.1%}, {offer['points']} points.",
            icon=":material/handshake:",
        )
    elif scored.decision != "APPROVE":
        st.caption("No counter-offer: even the smallest amount offered is not approved.")
    if scored.reasons:
        st.subheader("Reasons")
        st.dataframe(
            pd.DataFrame(scored.reasons).rename(
                columns={"code": "code", "text": "reason", "contribution": "log-odds"}
            ),
            hide_index=True,
        )
    else:
        st.caption("No adverse reasons (reasons are given for refusals and reviews).")


def render() -> None:
    ui.require_role("underwriter")
    st.title("Score an application")
    st.caption(
        "Scored with the served model's own code (bundle + history store), without calling "
        "the API: a what-if here is not a decision and is never logged."
    )
    settings = ui.settings()
    try:
        model = _model(settings.resolved_model_uri, ui.database_url())
    except (CreditScoringError, SQLAlchemyError, OSError) as exc:
        ui.empty_state(
            f"No model to score with: {exc.__class__.__name__}: {str(exc)[:300]}",
            "Train and publish a model (`credit-scoring train`, `credit-scoring features "
            "publish`), or set CREDIT_SCORING_MODEL_URI.",
        )
        return
    defaults = scoring.default_application()
    with st.form("application"):
        values, not_employed = _inputs(defaults)
        submitted = st.form_submit_button("Score", type="primary")
    if submitted:
        application = scoring.build_application(values, not_employed=not_employed)
        st.session_state["last_score"] = scoring.score_application(model, application)
    outcome = st.session_state.get("last_score")
    if outcome is not None:
        _result(model, outcome)


if __name__ == "__main__":
    render()
