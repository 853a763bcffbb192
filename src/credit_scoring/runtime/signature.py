"""Verification of a bundle's Ed25519 signature (serving, batch scoring and the dashboard).

Training signs the bytes of the bundle's ``checksums.json`` (which lists the SHA-256 of every
file) and writes the signature beside it as ``checksums.json.sig`` (base64). A bundle is
trusted when the signature verifies under one of the configured public keys
(``Settings.trusted_public_keys``) and every checksum matches: an unsigned bundle, one signed
by another key, and one whose files or manifest were altered are all refused when signatures
are required (``Settings.signatures_required``).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import TYPE_CHECKING

from credit_scoring.errors import BundleIntegrityError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from credit_scoring.settings import Settings

MANIFEST_FILE = "checksums.json"
SIGNATURE_FILE = "checksums.json.sig"


class BundleSignatureError(BundleIntegrityError):
    """A bundle is unsigned, signed by an untrusted key, or its signed manifest was altered."""


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (refusing other key types)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise BundleSignatureError(f"{path}: not a readable PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BundleSignatureError(f"{path}: not an Ed25519 public key")
    return key


def public_key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (SHA-256 of its raw bytes, 16 hex digits)."""
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_signature(bundle_dir: Path, trusted: list[Ed25519PublicKey]) -> str:
    """Check ``checksums.json.sig`` against ``trusted`` keys; returns the signing key's id.

    Only the signature over the manifest is checked here; the manifest's checksums are
    checked by the bundle loader.
    """
    from cryptography.exceptions import InvalidSignature

    bundle_dir = Path(bundle_dir)
    manifest = bundle_dir / MANIFEST_FILE
    signature_path = bundle_dir / SIGNATURE_FILE
    if not signature_path.is_file():
        raise BundleSignatureError(
            f"{bundle_dir}: unsigned bundle (no {SIGNATURE_FILE}); signatures are required"
        )
    if not trusted:
        raise BundleSignatureError(
            "signatures are required but no trusted public key is configured "
            "(CREDIT_SCORING_TRUSTED_PUBLIC_KEYS)"
        )
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleSignatureError(f"{signature_path}: not a base64 signature") from exc
    data = manifest.read_bytes() if manifest.is_file() else b""
    for key in trusted:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            continue
        return public_key_id(key)
    raise BundleSignatureError(
        f"{bundle_dir}: the signature of {MANIFEST_FILE} does not verify under any trusted key "
        "(signed by another key, or the manifest was altered)"
    )


def enforce(bundle_dir: Path, settings: Settings) -> str | None:
    """Verify ``bundle_dir``'s signature when ``settings`` require signed bundles."""
    if not settings.signatures_required:
        return None
    keys = [load_public_key(path) for path in settings.trusted_key_files]
    return verify_signature(bundle_dir, keys)
