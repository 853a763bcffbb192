"""Review queue: REVIEW decisions oldest first; open one, decide, and the decision is stored
(append-only) with who and when. Opening an applicant's data is audited. The queue and the
reviews over time come from the stored snapshots of ``credit-scoring monitor review``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from credit_scoring.dashboard import charts, ui
from credit_scoring.store import reads
from credit_scoring.store.applicants import client_history, decision_for_review
from credit_scoring.store.reviews import (
    DEFAULT_REVIEW_REASONS,
    ReviewError,
    record_review,
    review_queue,
    review_summary,
    review_trail,
)

OPEN_KEY = "review_open"
LABELS = {
    "APPROVE": "Approve the requested amount",
    "REFUSE": "Refuse",
    "APPROVE_COUNTER_OFFER": "Approve at the counter-offer",
}


def _age(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _summary() -> None:
    summary = review_summary(ui.write_engine())
    cols = st.columns([1, 1, 1, 1, 1.6])
    cols[0].metric("In the queue", f"{summary['queue_size']:,}")
    oldest = summary["oldest_age_hours"]
    cols[1].metric("Oldest waiting", "–" if pd.isna(oldest) else _age(oldest))
    cols[2].metric("Reviewed", f"{summary['reviews']:,}")
    cols[3].metric("Override rate", ui.percent(summary["override_rate"]))
    cols[4].metric(
        "Default rate: overridden / confirmed",
        f"{ui.percent(summary['default_rate_overridden'])} / "
        f"{ui.percent(summary['default_rate_confirmed'])}",
        help=f"Among reviewed decisions with an outcome: {summary['overridden_with_outcome']} "
        f"overridden, {summary['confirmed_with_outcome']} confirmed. A review overrides the "
        "model when it approves at or above the threshold, or refuses below it.",
    )


def _history() -> None:
    window = ui.window_choice("review", key="review_window")
    rows = ui.cached(reads.stored_results, job="review", window=window) if window else None
    if rows is None or rows.empty:
        st.caption(
            "No history yet: `credit-scoring monitor review` (e.g. hourly) stores a snapshot "
            "of the queue and the reviews per window."
        )
        return
    queue = [("queue_size", "waiting", "solid"), ("oldest_age_hours", "oldest, hours", "dot")]
    rates = [
        ("override_rate", "override rate", "solid"),
        ("default_rate_overridden", "default rate, overridden", "dot"),
        ("default_rate_confirmed", "default rate, confirmed", "dash"),
    ]
    # Off by default: the page is a work queue first.
    if st.toggle("History of the queue and the reviews", key="review_history"):
        st.plotly_chart(charts.realised_vs_estimated(rows, queue), key="review_queue_history")
        st.plotly_chart(
            charts.realised_vs_estimated(rows, rates, percent=True, y_range=(0.0, 1.0)),
            key="review_rate_history",
        )


def _queue() -> pd.DataFrame:
    queue = review_queue(ui.write_engine())
    if queue.empty:
        ui.empty_state(
            "The review queue is empty.",
            "Decisions in the REVIEW band (± the band around the threshold) wait here.",
        )
        return queue
    shown = pd.DataFrame(
        {
            "request": queue["request_id"],
            "received (UTC)": queue["created_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "waiting": [_age(h) for h in queue["age_hours"]],
            "probability": queue["probability"],
            "points": queue["score"],
            "counter-offer": [f"{o['amount']:,.0f}" if o else "—" for o in queue["counter_offer"]],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "probability": st.column_config.NumberColumn(format="percent"),
            "counter-offer": st.column_config.TextColumn(
                help="The largest amount the model approves (— : none logged)"
            ),
        },
    )
    return queue


def _application(record: dict[str, Any]) -> None:
    st.subheader(f"Application {record['request_id']}")
    cols = st.columns(4)
    cols[0].metric("Probability of default", f"{record['probability']:.1%}")
    cols[1].metric("Score", f"{record['score']} points")
    cols[2].metric("Threshold", f"{record['threshold']:.1%}")
    cols[3].metric("Model", str(record["model_version"])[:18])
    offer = record["counter_offer"]
    if offer:
        st.success(
            f"Counter-offer: **{offer['amount']:,.0f}** (annuity {(offer['annuity'] or 0):,.0f})"
            f" — probability {offer['probability']:.1%}, {offer['points']} points.",
            icon=":material/handshake:",
        )
    else:
        st.caption(
            "No counter-offer logged with this decision: no smaller amount on the grid was"
            " approved, or counter-offers were off when it was made."
        )
    left, right = st.columns(2)
    with left:
        st.markdown("**Reasons**")
        reasons = pd.DataFrame(record["reasons"] or [], columns=["code", "text", "contribution"])
        st.dataframe(reasons.rename(columns={"text": "reason", "contribution": "log-odds"}),
                     hide_index=True)  # fmt: skip
        st.markdown("**Client's history in the decision log**")
        history = client_history(ui.write_engine(), int(record["client_id"]))
        st.caption(
            ("Credit history found in the history store. " if record["history_found"] else
             "No credit history in the history store (scored as a new client). ")
            + f"{len(history)} decision(s) logged for this client."
        )  # fmt: skip
        st.dataframe(history, hide_index=True)
    with right:
        st.markdown("**Application fields**")
        fields = pd.DataFrame(
            sorted((str(k), str(v)) for k, v in (record["raw_input"] or {}).items()),
            columns=["field", "value"],
        )
        st.dataframe(fields, hide_index=True, height=min(420, 35 * (len(fields) + 1) + 3))


def _decide(record: dict[str, Any], reviewer: str) -> None:
    options = ["APPROVE", "REFUSE"] + (["APPROVE_COUNTER_OFFER"] if record["counter_offer"] else [])
    reasons = list(ui.settings().review_reasons or DEFAULT_REVIEW_REASONS)
    leans_refuse = record["probability"] >= record["threshold"]
    st.caption(
        f"The model leans to **{'refuse' if leans_refuse else 'approve'}** (probability "
        f"{'at or above' if leans_refuse else 'below'} the threshold): the other final "
        "decision counts as an override."
    )
    with st.form("review"):
        decision = st.radio("Final decision", options, format_func=LABELS.__getitem__,
                            index=int(leans_refuse), key="review_decision")  # fmt: skip
        reason = st.selectbox("Reason", reasons, key="review_reason")
        comment = st.text_area("Comment", key="review_comment", max_chars=1000)
        submitted = st.form_submit_button("Record the decision", type="primary")
    if submitted:
        try:
            review = record_review(
                ui.write_engine(), request_id=record["request_id"], reviewer=reviewer,
                channel="dashboard", final_decision=decision, reason=reason, comment=comment,
                allowed_reasons=reasons,
            )  # fmt: skip
        except ReviewError as exc:
            st.error(str(exc))
            return
        st.session_state.pop(OPEN_KEY, None)
        st.session_state["review_done"] = (
            f"Recorded: {LABELS[review.final_decision].lower()} for {review.request_id} "
            f"({review.reason})."
        )
        st.rerun()


def render() -> None:
    user = ui.require_role("underwriter")
    st.title("Review queue")
    done = st.session_state.pop("review_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    _summary()
    _history()
    queue = _queue()
    if queue.empty:
        return
    ids = list(queue["request_id"])
    with st.form("open"):
        chosen = st.selectbox("Application", ids, key="review_pick")
        opened = st.form_submit_button("Open the application")
    if opened and chosen:
        st.session_state[OPEN_KEY] = chosen
        ui.audit("open_application", request_id=chosen)
    request_id = st.session_state.get(OPEN_KEY)
    if not request_id:
        return
    record = decision_for_review(ui.write_engine(), request_id)
    if record is None:
        st.error(f"No logged decision {request_id}.")
        return
    _application(record)
    trail = review_trail(ui.write_engine(), request_id)
    if trail:
        st.caption(f"Already reviewed {len(trail)} time(s); the latest review is final.")
    _decide(record, user.username)


if __name__ == "__main__":
    render()
