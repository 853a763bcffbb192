"""``credit-scoring signing-key create``: an Ed25519 key pair that signs model bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Create the Ed25519 key pair that signs model bundles (training) and the public key "
    "serve, score-batch and the dashboard trust.",
    no_args_is_help=True,
)


@app.command("create")
def create_command(
    private: Annotated[
        Path, typer.Option("--private", help="Private key file to write (PEM, mode 0600).")
    ],
    public: Annotated[Path, typer.Option("--public", help="Public key file to write (PEM).")],
) -> None:
    """Write a new key pair (never over an existing file); prints the public key's id."""
    from credit_scoring.governance.signing import create_key_pair

    key_id = create_key_pair(private, public)
    typer.echo(f"private key: {private} (keep it secret; CREDIT_SCORING_SIGNING_KEY_FILE)")
    typer.echo(f"public key:  {public} (CREDIT_SCORING_TRUSTED_PUBLIC_KEYS), id {key_id}")
