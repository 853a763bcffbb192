"""The shipped alert rules: each watches an exported metric and fires from a constructed
condition; the webhook notifier retries and sends each alert once (real local HTTP server)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from credit_scoring.monitoring.alerts import AlertRuleError, evaluate, load_rules, notify
from credit_scoring.serving.decision_log.health import DrainHealth
from credit_scoring.serving.observability import Metrics
from credit_scoring.serving.state import Services
from credit_scoring.store.alert_reads import ALERT_GAUGES, alert_values
from credit_scoring.store.engine import create_db_engine

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"


def _exported(metrics: Metrics) -> dict[str, float]:
    """Gauge values as Prometheus would scrape them (the exposition text, parsed)."""
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if not sample.labels:
                values[sample.name] = sample.value
    return values


def test_every_rule_is_a_threshold_on_a_metric_the_service_exports() -> None:
    metrics = Metrics(CollectorRegistry())
    names = {s.name for f in metrics.registry.collect() for s in f.samples} | set(ALERT_GAUGES)
    names |= {f.name for f in metrics.registry.collect()}
    rules = load_rules(RULES)
    assert {r.name for r in rules} >= {
        "DriftAlertBand", "RealisedCostRise", "ApprovalRateShift", "LatencySLOBreach",
        "DrainFailing", "SpoolMissing", "NotReady",
    }  # fmt: skip
    for rule in rules:
        assert rule.metric in names, f"{rule.name} watches {rule.metric}, which nobody exports"


def test_a_rule_that_is_not_a_single_threshold_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yml"
    bad.write_text("groups: [{name: x, rules: [{alert: X, expr: 'rate(a[5m]) > 1'}]}]")
    with pytest.raises(AlertRuleError, match="X"):
        load_rules(bad)


def test_promtool_accepts_the_rules_when_installed() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool not installed: the rules were checked by the parser above only")
        return
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _monitoring_row(job: str, metric: str, value: float | None, band: str | None, column: str,
                    start: datetime) -> dict[str, Any]:  # fmt: skip
    return {
        "run_id": "r", "job": job, "window_size": "1d", "window_start": start,
        "window_end": start + timedelta(days=1), "model_version": "m", "column_name": column,
        "kind": "numeric", "segment": "all", "metric": metric, "value": value, "p_value": None,
        "band": band, "n_rows": 100, "computed_at": start,
    }  # fmt: skip


def test_drift_cost_approval_and_latency_alerts_fire_from_stored_conditions(
    database_url: str,
) -> None:
    from sqlalchemy import MetaData, Table

    engine = create_db_engine(database_url)
    now = datetime.now(UTC)
    old, new = now - timedelta(days=3), now - timedelta(days=1)
    results = Table("monitoring_results", MetaData(), autoload_with=engine)
    decisions = Table("decisions", MetaData(), autoload_with=engine)
    rows = [
        # an older window all fine, the latest with 1 feature in alert and 3 in warn
        *[_monitoring_row("drift", "psi", 0.01, "ok", f"f{i}", old) for i in range(4)],
        _monitoring_row("drift", "psi", 0.4, "alert", "f0", new),
        *[_monitoring_row("drift", "psi", 0.15, "warn", f"f{i}", new) for i in (1, 2, 3)],
        _monitoring_row("performance", "cost_realised", 0.9, None, "", new),
        _monitoring_row("performance", "cost_expected_labelled", 0.5, None, "", new),
        _monitoring_row("service", "latency_p99_ms", 80.0, None, "", new),
    ]
    base = {
        "batch_id": None, "client_id": 1, "model_version": "m", "bundle_checksum": "c",
        "feature_set_version": "f", "probability": 0.1, "log_odds": -2.0, "score": 600,
        "threshold": 0.5, "reasons": [], "history_found": True, "latency_ms": 1.0,
        "raw_input": {}, "features": None,
    }  # fmt: skip
    history = [  # a week at 80 % approvals, the last hour at 40 %
        {**base, "request_id": f"a{i:05d}", "created_at": now - timedelta(days=2, minutes=i),
         "decision": "APPROVE" if i % 5 else "REFUSE"} for i in range(100)
    ] + [
        {**base, "request_id": f"b{i:05d}", "created_at": now - timedelta(minutes=i + 1),
         "decision": "APPROVE" if i % 5 < 2 else "REFUSE"} for i in range(50)
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(results), rows)
        connection.execute(insert(decisions), history)
    values = alert_values(engine, now=now)
    engine.dispose()
    assert values["credit_scoring_drift_alert_features"] == 1
    assert values["credit_scoring_realised_cost_ratio"] == pytest.approx(1.8)
    assert values["credit_scoring_approval_rate_shift"] == pytest.approx(0.4)
    fired = {f.rule.name for f in evaluate(load_rules(RULES), values)}
    assert fired == {
        "DriftAlertBand", "DriftWarnBand", "RealisedCostRise", "ApprovalRateShift",
        "LatencySLOBreach",
    }  # fmt: skip
    # and exported by the API as gauges, which is what Prometheus evaluates
    metrics = Metrics(CollectorRegistry())
    metrics.ready.set(1)  # a healthy worker's state
    metrics.spool_present.set(1)
    for name, value in values.items():
        metrics.alert_gauges[name].set(value)
    assert {f.rule.name for f in evaluate(load_rules(RULES), _exported(metrics))} == fired


def test_drain_spool_and_readiness_alerts_fire_from_a_constructed_worker_state() -> None:
    metrics = Metrics(CollectorRegistry())
    sick = SimpleNamespace(
        metrics=metrics,
        drain=SimpleNamespace(health=lambda: DrainHealth(7, "schema", 120.0)),
        spool=SimpleNamespace(present=lambda: False),
    )
    Services.publish_health(sick, ready=False)  # type: ignore[arg-type]
    metrics.spool_depth.set(60_000)  # what the drain reports
    fired = {f.rule.name for f in evaluate(load_rules(RULES), _exported(metrics))}
    assert fired == {"DrainFailing", "DrainStale", "SpoolMissing", "SpoolDeep", "NotReady"}
    healthy = Metrics(CollectorRegistry())
    well = SimpleNamespace(
        metrics=healthy,
        drain=SimpleNamespace(health=lambda: DrainHealth(0, None, 0.2)),
        spool=SimpleNamespace(present=lambda: True),
    )
    Services.publish_health(well, ready=True)  # type: ignore[arg-type]
    assert evaluate(load_rules(RULES), _exported(healthy)) == []


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Hook.fail_next:
            _Hook.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_the_webhook_gets_each_alert_once_after_retries(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    state = tmp_path / "state.json"
    rules = load_rules(RULES)
    try:
        _Hook.received, _Hook.fail_next = [], 2
        firing = evaluate(rules, {"credit_scoring_drift_alert_features": 2.0})
        first = notify(url, firing, state_path=state, backoff_seconds=0.01)
        assert first.sent == ["DriftAlertBand"] and first.attempts == 3
        again = notify(url, firing, state_path=state, backoff_seconds=0.01)
        assert again.sent == [] and again.already_sent == ["DriftAlertBand"]
        resolved = notify(url, [], state_path=state, backoff_seconds=0.01)
        assert resolved.resolved == ["DriftAlertBand"]
        assert [[a["status"] for a in r["alerts"]] for r in _Hook.received] == [
            ["firing"],
            ["resolved"],
        ]
        assert _Hook.received[0]["alerts"][0]["value"] == 2.0
        _Hook.fail_next = 10
        with pytest.raises(AlertRuleError, match="after 2 attempts"):
            notify(url, firing, state_path=state, attempts=2, backoff_seconds=0.01)
        assert json.loads(state.read_text()) == {"firing": []}  # tried again next time
    finally:
        server.shutdown()
