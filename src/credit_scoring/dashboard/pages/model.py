"""Model: metrics, cost vs threshold, calibration, feature importance, fairness, model card."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from credit_scoring.dashboard import charts, model_info, ui
from credit_scoring.store import reads

if TYPE_CHECKING:
    from credit_scoring.settings import Settings


def render() -> None:
    ui.require_role("viewer")
    st.title("Model")
    bundle = ui.current_bundle()
    if bundle is None:
        return
    summary = model_info.summary(bundle)
    cols = st.columns(4)
    cols[0].metric("Threshold", f"{bundle.threshold:.3f}")
    auc = summary["AUC (OOF)"]
    cols[1].metric("AUC (out-of-fold)", "–" if auc is None else f"{auc:.3f}")
    cost = summary["cost per application (OOF)"]
    cols[2].metric("Cost / application", "–" if cost is None else f"{cost:.3f}")
    cols[3].metric("Features", f"{summary['features']}")
    st.caption(
        f"{summary['model']} · feature set {summary['feature set']} · trained "
        f"{summary['created']} on {summary['training rows']:,} rows"
        if summary["training rows"]
        else f"{summary['model']} · feature set {summary['feature set']}"
    )
    st.subheader("Candidates (out-of-fold)")
    metrics = model_info.candidate_metrics(bundle)
    number = st.column_config.NumberColumn(format="%.4f")
    st.dataframe(metrics, column_config={c: number for c in metrics.columns})
    settings = ui.settings()
    curve, label = model_info.cost_curve(bundle)
    curves = {label: curve} if not curve.empty else {}
    realised = ui.cached(
        reads.realised_cost_curve, cost_fn=settings.cost_fn, cost_fp=settings.cost_fp
    )
    if not realised.empty:
        curves["realised (logged decisions with outcomes)"] = realised
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.cost_curve_plot(curves, threshold=bundle.threshold), key="cost")
    with right:
        reliability = model_info.reliability(bundle)
        if reliability.empty:
            ui.empty_state("The bundle carries no calibration table.")
        else:
            st.plotly_chart(
                charts.calibration_plot(reliability, title="Calibration (out-of-fold)"),
                key="calibration",
            )
    st.plotly_chart(charts.importance_bars(model_info.feature_importance(bundle)), key="gain")
    st.subheader("Fairness")
    fairness = model_info.fairness_table(bundle)
    if fairness.empty:
        ui.empty_state("The bundle carries no fairness table.")
    else:
        st.dataframe(fairness, hide_index=True)
    _governance(settings)
    _shadow()
    with st.expander("Model card", expanded=False):
        st.markdown(model_info.model_card(bundle) or "_No model card in the bundle._")


def _governance(settings: Settings) -> None:
    """The served version's lifecycle (who approved it, when, why) and its validation report."""
    from credit_scoring.dashboard.governance import served_governance

    governance = served_governance(settings.resolved_model_uri, settings)
    st.subheader("Lifecycle and validation")
    if governance is None:
        ui.empty_state("The model is served from a bundle folder, not from the registry.")
        return
    st.caption(
        f"v{governance.version} · {governance.state} · approved by "
        f"{governance.approved_by or 'nobody'} · {governance.note}"
    )
    if governance.transitions:
        st.dataframe(pd.DataFrame(governance.transitions), hide_index=True, key="lifecycle")
    if governance.report is not None:
        st.download_button(
            "Validation report (HTML)",
            governance.report,
            file_name=f"validation-v{governance.version}.html",
            mime="text/html",
        )


def _shadow() -> None:
    """Champion vs shadow challenger on the logged decisions (when one was scored)."""
    from credit_scoring.dashboard.shadow import shadow_comparison

    comparison = ui.cached(shadow_comparison)
    if comparison is None:
        return
    st.subheader("Shadow challenger")
    cols = st.columns(3)
    cols[0].metric("Decisions scored by both", f"{comparison.decisions:,}")
    cols[1].metric("Agreement", f"{comparison.agreement_rate:.1%}")
    swapped = int(comparison.swaps["applications"].sum())
    cols[2].metric("Swap set", f"{swapped:,}")
    st.caption("challenger " + ", ".join(comparison.challenger_versions))
    st.dataframe(comparison.swaps, hide_index=True, key="swaps")
    st.dataframe(comparison.realised, hide_index=True, key="shadow-realised")


if __name__ == "__main__":
    render()
