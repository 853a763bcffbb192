"""Signing key pairs (Ed25519) for bundles: ``credit-scoring signing-key create``.

Training signs with :mod:`credit_scoring.training.signing`; serving, batch and the dashboard
verify with :mod:`credit_scoring.runtime.signature`.
"""

from __future__ import annotations

import os
from pathlib import Path

from credit_scoring.errors import ConfigurationError
from credit_scoring.runtime.signature import load_public_key, public_key_id


def create_key_pair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair (private PEM mode 0600, never replacing a file); returns
    the public key's id."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    for path in (private_path, public_path):
        if Path(path).exists():
            raise ConfigurationError(f"{path} exists; not replaced (choose another path)")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    Path(private_path).parent.mkdir(parents=True, exist_ok=True)
    Path(public_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem)
    Path(public_path).write_bytes(public_pem)
    return public_key_id(load_public_key(Path(public_path)))
