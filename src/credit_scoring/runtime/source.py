"""Where a served model comes from: a bundle folder or a registry reference, loaded the same
way by the API, ``score-batch`` and the dashboard.

:func:`model_identity` says cheaply what a source points to now (polled for reloads);
:func:`load_source` downloads a registry reference into a private folder, verifies and loads
the bundle, reads what must be read before the folder goes, and removes the download.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from credit_scoring.io import file_sha256, read_json
from credit_scoring.runtime.bundle import CHECKSUMS_FILE, Bundle, load_bundle
from credit_scoring.runtime.registry import REGISTRY_PREFIX, mlflow_client, resolve_version
from credit_scoring.settings import Settings


def is_registry_reference(uri: str) -> bool:
    return uri.startswith(REGISTRY_PREFIX)


def model_identity(uri: str, settings: Settings) -> str:
    """What ``uri`` points to now: ``<name>/<version>`` for a registry reference, the
    checksum manifest's hash for a bundle folder (cheap; polled for reloads)."""
    if is_registry_reference(uri):
        version = resolve_version(mlflow_client(settings), uri)
        return f"{version.name}/{version.version}"
    return file_sha256(Path(uri) / CHECKSUMS_FILE)


@dataclass(frozen=True)
class LoadedModel:
    """A verified bundle and what identifies it.

    ``model_version`` is what every decision records: ``<name>/<version>`` for a registry
    reference, else the bundle's content hash. ``files`` are the bundle's files as bytes
    (every file of the checksum manifest and the manifest), when asked for.
    """

    bundle: Bundle
    source: str
    identity: str
    model_version: str
    bundle_checksum: str
    files: dict[str, bytes]


def bundle_files(bundle_dir: Path) -> dict[str, bytes]:
    """Every file the checksum manifest lists, and the manifest itself, as bytes."""
    listed = read_json(bundle_dir / CHECKSUMS_FILE)["files"]
    names = [*listed, CHECKSUMS_FILE]
    return {name: (bundle_dir / name).read_bytes() for name in names}


def load_source(uri: str, settings: Settings, *, with_files: bool = False) -> LoadedModel:
    """Load the bundle ``uri`` names (a folder or a registry reference; blocking)."""
    identity = model_identity(uri, settings)
    download_dir: Path | None = None
    try:
        if is_registry_reference(uri):
            # A private download folder per load: concurrent loaders never share one.
            settings.home.mkdir(parents=True, exist_ok=True)
            download_dir = Path(tempfile.mkdtemp(prefix=".model-download-", dir=settings.home))
        bundle = load_bundle(uri, settings=settings, download_dir=download_dir)
        checksum = file_sha256(bundle.path / CHECKSUMS_FILE)
        model_id = bundle.model_id  # read now: a downloaded folder is removed below
        files = bundle_files(bundle.path) if with_files else {}
    finally:
        if download_dir is not None:
            shutil.rmtree(download_dir, ignore_errors=True)
    return LoadedModel(
        bundle=bundle,
        source=uri,
        identity=identity,
        model_version=identity if is_registry_reference(uri) else model_id,
        bundle_checksum=checksum,
        files=files,
    )
