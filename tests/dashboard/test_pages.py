"""Every page through Streamlit's AppTest: logged out, logged in with an empty log and with a
filled one (decisions, outcomes and monitoring results)."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

PAGES = ("review", "score", "overview", "service", "drift", "performance", "model", "users")
EMPTY_STATES = {
    "review": "The review queue is empty",
    "overview": "No decisions yet",
    "service": "No decisions yet",
    "drift": "No drift results yet",
    "performance": "No performance results yet",
}


def texts(at: AppTest) -> str:
    parts: list[Any] = [*at.title, *at.markdown, *at.info, *at.error, *at.success, *at.caption]
    return "\n".join(str(p.value) for p in parts)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_logged_out_only_the_login_page_exists(dashboard, dashboard_settings, empty_log):  # type: ignore[no-untyped-def]
    dashboard_settings(empty_log)
    at = dashboard.app(logged_in=False)
    no_exception(at)
    assert [t.value for t in at.title] == ["credit-scoring monitoring"]
    assert {w.label for w in at.text_input} == {"User", "Password"}
    for page in PAGES:
        with pytest.raises(ValueError, match="navigation page"):
            at.switch_page(f"pages/{page}.py")


def test_without_users_nobody_can_log_in(dashboard, dashboard_settings, empty_log):  # type: ignore[no-untyped-def]
    dashboard_settings(empty_log, login=False)
    at = dashboard.app(logged_in=False)
    at.text_input(key="login_user").input("admin")
    at.text_input(key="login_password").input("admin")
    at.button[0].click()
    at.run()
    assert "Wrong user or password" in texts(at)
    assert "dashboard_user" not in at.session_state


def test_a_wrong_password_is_refused(dashboard, dashboard_settings, empty_log):  # type: ignore[no-untyped-def]
    dashboard_settings(empty_log)
    at = dashboard.app(logged_in=False)
    at.text_input(key="login_user").input(dashboard.user)
    at.text_input(key="login_password").input("not the password")
    at.button[0].click()
    at.run()
    assert "Wrong user or password" in texts(at)
    assert "dashboard_user" not in at.session_state


def test_login_opens_the_review_queue_and_logout_closes_it(
    dashboard, dashboard_settings, empty_log
):  # type: ignore[no-untyped-def]
    dashboard_settings(empty_log)
    at = dashboard.app(logged_in=False)
    at.text_input(key="login_user").input(dashboard.user)
    at.text_input(key="login_password").input(dashboard.password)
    at.button[0].click()
    at.run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Review queue"]
    at.button(key="logout").click()
    at.run()
    assert "dashboard_user" not in at.session_state
    assert not any(b.key == "logout" for b in at.button)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_an_empty_state_on_an_empty_log(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log, page: str
) -> None:
    dashboard_settings(empty_log)
    at = dashboard.open(dashboard.app(logged_in=True), page)
    no_exception(at)
    assert not at.error
    if page in EMPTY_STATES:
        assert EMPTY_STATES[page] in texts(at)
        assert not at.get("plotly_chart")
    elif page == "model":
        assert len(at.get("plotly_chart")) == 3  # cost curve, calibration, importance
    elif page == "users":
        assert set(at.dataframe[0].value["user"]) == {"analyst", "ulla", "vera"}
    else:
        assert any(b.label == "Score" for b in at.button)


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_overview_on_a_filled_log(dashboard, dashboard_settings, filled_log):  # type: ignore[no-untyped-def]
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "overview")
    no_exception(at)
    assert metric(at, "Decisions") == "3,000"
    assert metric(at, "Outcomes recorded") == "3,000"
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="granularity").set_value("hour").run()
    no_exception(at)


def test_service_on_a_filled_log(dashboard, dashboard_settings, filled_log):  # type: ignore[no-untyped-def]
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "service")
    no_exception(at)
    assert len(at.get("plotly_chart")) == 2  # latency and error rates
    assert float(metric(at, "Worst p99").removesuffix(" ms")) > 0


def test_drift_on_a_filled_log_lists_the_shifted_features_as_alerts(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, filled_log
) -> None:
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "drift")
    no_exception(at)
    assert len(at.get("plotly_chart")) == 1
    alerts = at.dataframe[0].value
    flagged = set(alerts.loc[alerts["band"] == "alert", "column"])
    assert {"EXT_SOURCE_2", "EXT_SOURCE_3"} <= flagged
    assert int(metric(at, "Major shifts (latest)")) > 0


def test_performance_on_a_filled_log(dashboard, dashboard_settings, filled_log):  # type: ignore[no-untyped-def]
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "performance")
    no_exception(at)
    assert len(at.get("plotly_chart")) == 4  # default rate, cost, AUC, calibration
    assert "No outcomes yet" not in texts(at)
    assert not at.dataframe[0].value.empty  # default rate by score band


def test_review_page_charts_the_stored_snapshots_of_the_queue(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, filled_log
) -> None:
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "review")
    no_exception(at)
    assert "No history yet" not in texts(at)
    assert not at.get("plotly_chart")  # the queue first; its history on demand
    at.toggle(key="review_history").set_value(True).run()
    no_exception(at)
    assert len(at.get("plotly_chart")) == 2  # the queue, and the override and default rates


def test_model_page_shows_the_bundle_and_the_realised_cost_curve(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, filled_log
) -> None:
    dashboard_settings(filled_log.database_url)
    at = dashboard.open(dashboard.app(logged_in=True), "model")
    no_exception(at)
    assert float(metric(at, "Threshold")) > 0
    metrics, fairness = (d.value for d in at.dataframe)
    assert "lightgbm" in metrics.index and not fairness.empty
    cost = at.get("plotly_chart")[0]
    assert "realised" in str(cost.proto.spec)


def test_scoring_a_risky_application_refuses_it_with_reasons(  # type: ignore[no-untyped-def]
    dashboard, dashboard_settings, empty_log
) -> None:
    dashboard_settings(empty_log)
    at = dashboard.open(dashboard.app(logged_in=True), "score")
    for field in ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"):
        at.number_input(key=field).set_value(0.02)
    next(b for b in at.button if b.label == "Score").click()
    at.run()
    no_exception(at)
    assert ":red[REFUSE]" in texts(at)
    assert len(at.get("plotly_chart")) == 1  # the gauge
    reasons = at.dataframe[0].value
    assert "Low external credit scores" in set(reasons["reason"])


def test_an_invalid_application_lists_the_fields(dashboard, dashboard_settings, empty_log):  # type: ignore[no-untyped-def]
    dashboard_settings(empty_log)
    at = dashboard.open(dashboard.app(logged_in=True), "score")
    at.number_input(key="DAYS_EMPLOYED").set_value(0.0)
    at.number_input(key="DAYS_BIRTH").set_value(0.0)
    at.number_input(key="AMT_CREDIT").set_value(0.0)
    next(b for b in at.button if b.label == "Score").click()
    at.run()
    no_exception(at)
    assert at.error or at.markdown  # validated and answered without an exception
