"""``credit-scoring data load SRC_DIR --out DATA_DIR``: validate the tables, write typed Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from credit_scoring.cli.options import QuietErrors, out_option
from credit_scoring.errors import CreditScoringError

if TYPE_CHECKING:
    from credit_scoring.data.loader import TableProgress
    from credit_scoring.data.manifest import Manifest

_MAX_WARNINGS_SHOWN = 5  # per table; all of them are in the manifest


def load_command(
    src_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder with one file per table, as downloaded from Kaggle: <table>.csv "
            "(or .csv.gz, .csv.zip, .parquet).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        out_option(
            "Output DATA_DIR: <table>.parquet + manifest.json. Replaced only if the load succeeds.",
            show_default=False,
        ),
    ],
    memory_limit: Annotated[
        str | None,
        typer.Option(help="DuckDB memory limit, e.g. 4GiB (default: half the RAM, ≤ 4 GiB)."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="DuckDB threads (default: available cores).")
    ] = None,
    quiet: QuietErrors = False,
) -> None:
    """Validate the eight Home Credit tables against the data contract; write typed Parquet.

    Every problem is reported at once and nothing is written if there is any.

    Warnings (unknown categories, unusual values, orphans) are kept in DATA_DIR/manifest.json.
    """
    from credit_scoring.data.loader import load_dataset  # not at import: keeps --help fast

    def progress(p: TableProgress) -> None:
        if quiet:
            return
        status = "ok" if not p.errors else f"{p.errors} error(s)"
        extra = f", {p.warnings} warning(s)" if p.warnings else ""
        typer.echo(f"  {p.source_file:<32} {p.rows:>12,} rows {p.seconds:6.1f} s  {status}{extra}")

    try:
        if not quiet:
            typer.echo(f"loading {src_dir} → {out}")
        manifest = load_dataset(
            src_dir, out, memory_limit=memory_limit, threads=threads, on_table=progress
        )
    except CreditScoringError as exc:
        # Same one-place format as cli.main, so the command behaves alike when invoked directly.
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    if not quiet:
        _print_summary(manifest, out)


def _print_summary(manifest: Manifest, out: Path) -> None:
    from credit_scoring.data.manifest import MANIFEST_NAME

    for name, entry in manifest.tables.items():
        for warning in entry.warnings[:_MAX_WARNINGS_SHOWN]:
            typer.secho(f"  warning: {warning}", fg=typer.colors.YELLOW)
        hidden = len(entry.warnings) - _MAX_WARNINGS_SHOWN
        if hidden > 0:
            typer.secho(f"  … {hidden} more warning(s) for {name} in the manifest", fg="yellow")
    orphans = [
        f"{r.table}→{r.ref_table} {r.orphan_rows:,}" for r in manifest.relations if r.orphan_rows
    ]
    if orphans:
        typer.echo("  orphan rows (kept): " + ", ".join(orphans))
    rows = sum(e.rows for e in manifest.tables.values())
    typer.secho(
        f"wrote {len(manifest.tables)} tables, {rows:,} rows to {out} "
        f"(manifest: {out / MANIFEST_NAME})",
        fg=typer.colors.GREEN,
    )
