"""Training's signature over a bundle's ``checksums.json`` (Ed25519).

The private key comes from a PEM file (``Settings.signing_key_file``) or the environment
(``CREDIT_SCORING_SIGNING_KEY``, the PEM text); it is never written into the repository or a
bundle. The signature (base64) goes beside the manifest as ``checksums.json.sig``;
verification is :mod:`credit_scoring.runtime.signature`.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

from credit_scoring.errors import ConfigurationError
from credit_scoring.runtime.signature import MANIFEST_FILE, SIGNATURE_FILE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credit_scoring.settings import Settings


def signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    """The configured private key, or None when none is configured."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if settings.signing_key is not None:
        pem, where = settings.signing_key.get_secret_value().encode(), "CREDIT_SCORING_SIGNING_KEY"
    elif settings.signing_key_file is not None:
        try:
            pem = Path(settings.signing_key_file).read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"signing key {settings.signing_key_file}: {exc}") from exc
        where = str(settings.signing_key_file)
    else:
        return None
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{where}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{where}: not an Ed25519 private key")
    return key


def sign_bundle(bundle_dir: Path, key: Ed25519PrivateKey) -> Path:
    """Sign the bundle's ``checksums.json`` bytes; the signature goes beside it."""
    manifest = Path(bundle_dir) / MANIFEST_FILE
    signature = base64.b64encode(key.sign(manifest.read_bytes()))
    out = Path(bundle_dir) / SIGNATURE_FILE
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(signature + b"\n")
    tmp.replace(out)
    return out


def sign_if_configured(bundle_dir: Path, settings: Settings) -> Path | None:
    """Sign ``bundle_dir`` with the configured key; without one, no signature file is left."""
    key = signing_key(settings)
    if key is None:
        (Path(bundle_dir) / SIGNATURE_FILE).unlink(missing_ok=True)
        return None
    return sign_bundle(bundle_dir, key)
