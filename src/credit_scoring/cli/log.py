"""``credit-scoring log purge|erase|audit``: retention of the decision log, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from credit_scoring.cli.database import migrated_database
from credit_scoring.cli.options import DatabaseUrl
from credit_scoring.settings import get_settings

if TYPE_CHECKING:
    from credit_scoring.serving.decision_log.retention import RetentionResult

app = typer.Typer(
    help="Retention of the decision log: purge old decisions, erase a client's (audited).",
    no_args_is_help=True,
)

_Operator = Annotated[
    str | None,
    typer.Option(
        envvar="CREDIT_SCORING_OPERATOR",
        help="Who runs this (recorded in the audit; required unless --dry-run).",
    ),
]
_Reason = Annotated[
    str | None,
    typer.Option(help="Why, e.g. a ticket reference (recorded; no personal data)."),
]
_DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Only count what would be deleted (not audited).")
]


#: The audit's count columns as listed: heading, width, field of ``RetentionCounts``.
_COUNT_COLUMNS = (
    ("DECISIONS", 10, "decisions"),
    ("OUTCOMES", 10, "outcomes"),
    ("SPOOLED", 9, "spooled"),
    ("REVIEWS", 9, "reviews"),
    ("ACCESS", 8, "access_audit"),
    ("LOGINS", 8, "login_attempts"),
)


def _report(result: RetentionResult, what: str) -> None:
    c = result.counts
    rows = (
        f"{c.decisions:,} decision(s), {c.outcomes:,} outcome(s) and "
        f"{c.spooled:,} spooled decision(s) {what}, with their {c.reviews:,} review(s) and "
        f"{c.access_audit:,} access-audit row(s)"
    )
    if result.action == "purge":
        cutoff = result.parameters["login_attempts_cutoff"]
        rows += f", and {c.login_attempts:,} login attempt(s) before {cutoff}"
    if result.dry_run:
        typer.echo(f"dry run: would delete {rows}; nothing was deleted")
    else:
        typer.echo(f"deleted {rows} (audit entry {result.audit_id})")


@app.command("purge")
def purge_command(
    older_than: Annotated[
        str, typer.Option(help="Delete decisions older than this: <n>h, <n>d, <n>w or <n>y.")
    ],
    operator: _Operator = None,
    reason: _Reason = None,
    dry_run: _DryRun = False,
    allow_short_retention: Annotated[
        bool,
        typer.Option(
            "--allow-short-retention",
            help="Allow a retention below six months (the decision-log minimum).",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete decisions logged before now − OLDER_THAN, with their outcomes, reviews,
    access-audit rows and spooled copies, and login attempts past their own window."""
    from datetime import timedelta

    from credit_scoring.serving.decision_log.retention import parse_duration, purge_decisions

    settings = get_settings()
    duration = parse_duration(older_than)
    with migrated_database(database_url, settings) as engine:
        result = purge_decisions(
            engine,
            older_than=duration,
            login_attempts_older_than=timedelta(days=settings.login_attempt_retention_days),
            spool_dir=settings.resolved_spool_dir,
            operator=operator,
            reason=reason,
            dry_run=dry_run,
            allow_short_retention=allow_short_retention,
        )
    _report(result, f"logged before {result.parameters['cutoff']}")


@app.command("erase")
def erase_command(
    client: Annotated[int, typer.Option(help="The client's SK_ID_CURR.")],
    operator: _Operator = None,
    reason: _Reason = None,
    dry_run: _DryRun = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Erase every decision of one client (GDPR), with outcomes, reviews, access-audit rows
    and spooled copies."""
    from credit_scoring.serving.decision_log.retention import erase_client

    settings = get_settings()
    with migrated_database(database_url, settings) as engine:
        result = erase_client(
            engine,
            client_id=client,
            spool_dir=settings.resolved_spool_dir,
            operator=operator,
            audit_key=settings.audit_key.get_secret_value() if settings.audit_key else None,
            reason=reason,
            dry_run=dry_run,
        )
    _report(result, f"of client {client}")


@app.command("audit")
def audit_command(
    client: Annotated[
        int | None,
        typer.Option(help="Only the erasures of this SK_ID_CURR (needs CREDIT_SCORING_AUDIT_KEY)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List the retention audit: when, who, what, parameters and rows deleted."""
    import orjson

    from credit_scoring.cli.readonly import open_serving_database
    from credit_scoring.serving.decision_log.retention import read_audit

    settings = get_settings()
    engine = open_serving_database(database_url or settings.resolved_database_url)
    try:
        entries = read_audit(
            engine,
            client_id=client,
            audit_key=settings.audit_key.get_secret_value() if settings.audit_key else None,
        )
    finally:
        engine.dispose()
    if not entries:
        typer.echo("no retention audit entry" + (" for this client" if client is not None else ""))
        return
    counts = "".join(f"{heading:>{width}}" for heading, width, _ in _COUNT_COLUMNS)
    typer.echo(f"{'ID':<6}{'WHEN (UTC)':<21}{'OPERATOR':<20}{'ACTION':<8}{counts}  PARAMETERS")
    for e in entries:
        parameters = {k: v for k, v in e.parameters.items() if k != "version"}
        if e.reason:
            parameters["reason"] = e.reason
        counts = "".join(f"{getattr(e.counts, f):>{w},}" for _, w, f in _COUNT_COLUMNS)
        typer.echo(
            f"{e.id:<6}{e.performed_at.strftime('%Y-%m-%d %H:%M:%S'):<21}"
            f"{e.operator[:19]:<20}{e.action:<8}{counts}  {orjson.dumps(parameters).decode()}"
        )
