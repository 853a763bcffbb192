"""``credit-scoring simulate``: send drifting traffic to a running scoring API (loopback)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from credit_scoring.settings import get_settings

DEFAULT_KEY_ENV = "CREDIT_SCORING_API_KEY"


def simulate_command(
    n: Annotated[int, typer.Option("--n", min=1, max=1_000_000, help="Applications to send.")],
    scenario: Annotated[
        str,
        typer.Option(
            help="stable | gradual (ramp) | sudden (step at --change-at) | feature-shift "
            "(measurement change, same true risk)."
        ),
    ] = "stable",
    rate: Annotated[
        float | None,
        typer.Option(min=0.01, help="Requests per second (default: as fast as answered)."),
    ] = None,
    with_outcomes: Annotated[
        bool,
        typer.Option(
            "--with-outcomes", help="Then post each decision's outcome (drawn from the true PD)."
        ),
    ] = False,
    api_url: Annotated[
        str | None,
        typer.Option(help="The API's base URL, loopback only (default: settings' address)."),
    ] = None,
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding an API key with the score scope.")
    ] = DEFAULT_KEY_ENV,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Output folder of `data generate` (application_test + truth.parquet) "
            "(default: HOME/raw/synthetic)."
        ),
    ] = None,
    change_at: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests sent before a step change.")
    ] = 0.5,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the draws (same seed, same run).")] = 0,
) -> None:
    """Score N generated applications through the API, applying the scenario's drift."""
    from credit_scoring.demo.simulate.population import load_population
    from credit_scoring.demo.simulate.scenarios import ScenarioName
    from credit_scoring.demo.simulate.scenarios import scenario as make_scenario
    from credit_scoring.demo.simulate.traffic import plan_traffic, report_lines, send_traffic

    settings = get_settings()
    names = [s.value for s in ScenarioName]
    if scenario not in names:
        raise typer.BadParameter(f"{scenario!r} is not one of {names}", param_hint="--scenario")
    pool = load_population(data or settings.home / "raw" / "synthetic")
    plan = plan_traffic(pool, make_scenario(scenario, change_at=change_at), n, seed=seed)
    url = api_url or f"http://{settings.api_host}:{settings.api_port}"
    key = os.environ.get(api_key_env)
    if not key:
        typer.secho(
            f"warning: ${api_key_env} is not set; sending without an API key", fg="yellow", err=True
        )
    step = max(n // 10, 1)

    def progress(kind: str, done: int, total: int) -> None:
        if done % step == 0 or done == total:
            typer.echo(f"  {kind}: {done:,}/{total:,}")

    report = send_traffic(
        plan,
        api_url=url,
        api_key=key,
        rate=rate,
        with_outcomes=with_outcomes,
        on_progress=progress,
    )
    for line in report_lines(report):
        typer.echo(line)
