"""``credit-scoring monitor drift|performance|service|review|all``: monitoring jobs over the
log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from credit_scoring.cli.options import out_option
from credit_scoring.settings import get_settings

if TYPE_CHECKING:
    from credit_scoring.monitoring.jobs import Job, JobResult

app = typer.Typer(
    help="Drift, performance and service monitoring over the decision log (results stored "
    "as tidy rows in the serving database).",
    no_args_is_help=True,
)

_Window = Annotated[
    str | None,
    typer.Option(
        "--window", "-w", help="Window width: <n>m, <n>h, <n>d or <n>w (default: settings, 1d)."
    ),
]
_Since = Annotated[
    datetime | None,
    typer.Option(help="First decision time (inclusive, UTC unless an offset is given)."),
]
_Until = Annotated[datetime | None, typer.Option(help="Last decision time (exclusive).")]
_Last = Annotated[int | None, typer.Option(min=1, help="Only the last N windows up to --until.")]
_ModelVersion = Annotated[
    str | None, typer.Option(help="Only decisions of this model version (default: all).")
]
_Store = Annotated[bool, typer.Option(help="Store the results in the database.")]


def _run(jobs: list[Job], **options: object) -> list[JobResult]:
    from credit_scoring.monitoring.run import MonitorOptions, run_monitoring

    values = dict(options)
    for key in ("since", "until"):
        value = values.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            values[key] = value.replace(tzinfo=UTC)
    results = run_monitoring(get_settings(), jobs, MonitorOptions(**values))  # type: ignore[arg-type]
    for result in results:
        _print(result)
    return results


def _print(result: JobResult) -> None:
    stored = f", {result.n_written} rows stored" if result.run_id else " (not stored)"
    typer.echo(
        f"{result.job}: {result.n_decisions:,} decisions, {result.n_windows} window(s) of "
        f"{result.window}{stored} in {result.seconds:.2f} s"
    )
    for note in result.notes:
        typer.secho(f"  note: {note}", fg="yellow")
    if result.job == "drift":
        alerts = result.alerts()
        psi = alerts[alerts["metric"] == "psi"] if len(alerts) else alerts
        if psi.empty:
            typer.echo("  no PSI above the warn band")
        for row in psi.head(20).to_dict("records"):
            typer.echo(
                f"  {str(row['band']).upper():5} {row['column']!s:40} PSI {row['value']:7.3f}  "
                f"window {row['window_start']:%Y-%m-%d %H:%M} ({row['n_rows']:,} rows)"
            )
        if len(psi) > 20:
            typer.echo(f"  … and {len(psi) - 20} more")
    elif len(result.rows):
        latest = result.rows[result.rows["window_start"] == result.rows["window_start"].max()]
        main = latest[latest["segment"] == "all"] if "segment" in latest else latest
        summary = ", ".join(
            f"{r.metric} {r.value:.4g}" for r in main.itertuples(index=False) if r.value == r.value
        )
        typer.echo(f"  latest window: {summary}")


@app.command("drift")
def drift_command(
    window: _Window = None,
    since: _Since = None,
    until: _Until = None,
    last: _Last = None,
    model: Annotated[
        str | None,
        typer.Option(help="Bundle folder or models:/<name>@<alias> (default: the served model)."),
    ] = None,
    store: _Store = True,
) -> None:
    """PSI (bands 0.10/0.25) and KS/chi² of every feature and the score, per window."""
    _run(
        ["drift"], window=window, since=since, until=until, last=last, model_uri=model, store=store
    )


@app.command("performance")
def performance_command(
    window: _Window = None,
    since: _Since = None,
    until: _Until = None,
    last: _Last = None,
    model_version: _ModelVersion = None,
    store: _Store = True,
) -> None:
    """Realised (with outcomes) and estimated default rate, cost, AUC, calibration."""
    _run(
        ["performance"],
        window=window,
        since=since,
        until=until,
        last=last,
        model_version=model_version,
        store=store,
    )


@app.command("service")
def service_command(
    window: _Window = None,
    since: _Since = None,
    until: _Until = None,
    last: _Last = None,
    metrics_url: Annotated[
        str | None,
        typer.Option(help="The API's /metrics URL: snapshot its request counters (error rates)."),
    ] = None,
    store: _Store = True,
) -> None:
    """Volume and latency p50/p95/p99 per window; error rates from counter snapshots."""
    _run(
        ["service"],
        window=window,
        since=since,
        until=until,
        last=last,
        metrics_url=metrics_url,
        store=store,
    )


@app.command("review")
def review_command(window: _Window = None, store: _Store = True) -> None:
    """The review queue (size, oldest wait) and the reviews (override rate, default rates of
    overridden vs confirmed decisions), stored as the current window's snapshot."""
    _run(["review"], window=window, store=store)


@app.command("all")
def all_command(
    window: _Window = None,
    since: _Since = None,
    until: _Until = None,
    last: _Last = None,
    model: Annotated[
        str | None, typer.Option(help="Bundle for drift (default: the served model).")
    ] = None,
    metrics_url: Annotated[
        str | None, typer.Option(help="The API's /metrics URL (error rates).")
    ] = None,
    store: _Store = True,
) -> None:
    """Drift, performance, service and the review queue in one go."""
    _run(
        ["drift", "performance", "service", "review"],
        window=window,
        since=since,
        until=until,
        last=last,
        model_uri=model,
        metrics_url=metrics_url,
        store=store,
    )


@app.command("report")
def report_command(
    out: Annotated[Path, out_option("HTML file to write.")],
    window: _Window = None,
    since: _Since = None,
) -> None:
    """Write a self-contained HTML drift report from the stored drift results."""
    from credit_scoring.io import atomic_write_bytes
    from credit_scoring.monitoring.report import drift_report_html, is_drift_report
    from credit_scoring.outputs import claim_output_file
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.reads import stored_results

    claim_output_file(out, command="monitor report", is_own=is_drift_report)
    settings = get_settings()
    spec = window or settings.monitor_window
    engine = create_db_engine(settings.resolved_database_url, read_only=True)
    try:
        start = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        rows = stored_results(engine, job="drift", window=spec, since=start)
    finally:
        engine.dispose()
    document = drift_report_html(rows, title=f"Data drift report — windows of {spec}")
    atomic_write_bytes(out, document.encode("utf-8"))
    typer.echo(f"drift report ({len(rows):,} stored rows) written to {out}")


@app.command("alerts")
def alerts_command(
    rules: Annotated[
        Path, typer.Option(help="Prometheus rule file (each rule '<gauge> <op> <number>').")
    ] = Path("deploy/prometheus/alerts.yml"),
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="POST new alerts here as JSON (default: CREDIT_SCORING_ALERT_WEBHOOK_URL)."
        ),
    ] = None,
) -> None:
    """Evaluate the alert rules on the stored monitoring results and the decision log; post
    alerts not sent yet (and resolutions) to the webhook, retried with backoff."""
    from credit_scoring.monitoring.alerts import evaluate, load_rules, notify
    from credit_scoring.store.alert_reads import alert_values
    from credit_scoring.store.engine import create_db_engine

    settings = get_settings()
    engine = create_db_engine(settings.resolved_database_url)
    try:
        values = alert_values(engine)
    finally:
        engine.dispose()
    firing = evaluate(load_rules(rules), values)
    for name, value in sorted(values.items()):
        typer.echo(f"{name} = {value:.4g}")
    for alert in firing:
        typer.echo(
            f"FIRING {alert.rule.name} ({alert.rule.severity}): {alert.payload()['summary']}"
        )
    url = webhook_url or settings.alert_webhook_url
    if url:
        result = notify(url, firing, state_path=settings.home / "monitoring" / "alert-state.json")
        typer.echo(
            f"webhook: {len(result.sent)} sent, {len(result.already_sent)} already sent, "
            f"{len(result.resolved)} resolved"
        )
