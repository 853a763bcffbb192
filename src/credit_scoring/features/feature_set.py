"""The feature set: which columns a model uses, their kinds, and a version that names them.

``feature_set.json`` (written by ``credit-scoring features build``) is read by training, the
history store and the API. Its ``version`` is a short hash of the code-level definition version
plus the ordered feature names and their kinds: the same definitions always give the same
version, and any change to the feature list gives a new one, so a model, a feature table and a
published history store can be checked against each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.io import read_json, write_json

#: Bump when a feature's *definition* changes without its name changing.
FEATURE_DEFINITIONS_VERSION = "features-1"
FEATURE_SET_FORMAT = 1
FEATURE_SET_FILE = "feature_set.json"
#: The history features of a features folder, one row per SK_ID_CURR (published to the store).
HISTORY_FILE = "history.parquet"
KEY_COLUMN = "SK_ID_CURR"
#: Hex digits of the data fingerprint in a history version.
DATA_DIGEST_CHARS = 12
TARGET_COLUMN = "TARGET"


def feature_set_version(
    model_features: Sequence[str],
    categorical_features: Sequence[str],
    *,
    definitions_version: str = FEATURE_DEFINITIONS_VERSION,
) -> str:
    """12-hex-digit hash of the definition version and the ordered (name, kind) pairs."""
    categorical = set(categorical_features)
    payload = {
        "definitions": definitions_version,
        "features": [[n, "categorical" if n in categorical else "numeric"] for n in model_features],
    }
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class FeatureSet:
    """What ``feature_set.json`` holds.

    ``model_features`` is the model's column order; ``categorical_features`` is the subset whose
    values are strings (encoded with a vocabulary fixed at training); ``protected_columns`` are
    kept in the tables for the fairness report and are model inputs only when
    ``Settings.use_protected_attributes`` was set at build time.
    """

    version: str
    model_features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    protected_columns: tuple[str, ...]
    history_features: tuple[str, ...]
    application_features: tuple[str, ...]
    engine: str = "duckdb"
    rows: dict[str, int] = field(default_factory=dict)
    source_manifest_sha256: str | None = None
    created_at: str = ""
    format_version: int = FEATURE_SET_FORMAT
    #: Digest of the data the features were built from (the loaded data's fingerprint).
    data_fingerprint: str | None = None

    @property
    def history_version(self) -> str:
        """The history store version of these features: the feature set version (the
        definitions) and the data fingerprint, e.g. ``21102a22cf43-5f1d0c9a8b7e``. Features of
        other data are another version: publishing them never replaces this one."""
        if not self.data_fingerprint:
            return self.version
        return f"{self.version}-{self.data_fingerprint[:DATA_DIGEST_CHARS]}"

    @property
    def numeric_features(self) -> tuple[str, ...]:
        categorical = set(self.categorical_features)
        return tuple(n for n in self.model_features if n not in categorical)

    def to_json(self) -> dict[str, Any]:
        payload = asdict(self)
        for key, value in payload.items():
            if isinstance(value, tuple):
                payload[key] = list(value)
        return payload

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> FeatureSet:
        fmt = payload.get("format_version")
        if fmt != FEATURE_SET_FORMAT:
            raise FeatureSetMismatchError(
                f"feature_set.json has format_version {fmt!r}; this code reads {FEATURE_SET_FORMAT}"
            )
        tuples = {
            k: tuple(payload[k])
            for k in (
                "model_features",
                "categorical_features",
                "protected_columns",
                "history_features",
                "application_features",
            )
        }
        feature_set = cls(
            version=str(payload["version"]),
            engine=str(payload.get("engine", "")),
            rows={str(k): int(v) for k, v in payload.get("rows", {}).items()},
            source_manifest_sha256=payload.get("source_manifest_sha256"),
            created_at=str(payload.get("created_at", "")),
            format_version=int(fmt),
            data_fingerprint=payload.get("data_fingerprint"),
            **tuples,
        )
        feature_set.check_version()
        return feature_set

    def check_version(self) -> None:
        """Raise :class:`FeatureSetMismatchError` if ``version`` does not match the features."""
        expected = feature_set_version(self.model_features, self.categorical_features)
        if expected != self.version:
            raise FeatureSetMismatchError(
                f"feature set version {self.version!r} does not match its feature list "
                f"(expected {expected!r} for these {len(self.model_features)} features under "
                f"definitions {FEATURE_DEFINITIONS_VERSION!r})"
            )


def write_feature_set(features_dir: Path, feature_set: FeatureSet) -> Path:
    """Write ``FEATURES_DIR/feature_set.json`` atomically; returns its path."""
    path = Path(features_dir) / FEATURE_SET_FILE
    write_json(path, feature_set.to_json())
    return path


def read_feature_set(features_dir_or_file: Path) -> FeatureSet:
    """Read ``feature_set.json`` from a features folder (or the file itself)."""
    path = Path(features_dir_or_file)
    if path.is_dir():
        path = path / FEATURE_SET_FILE
    if not path.is_file():
        raise FeatureSetMismatchError(f"no {FEATURE_SET_FILE} at {path}")
    return FeatureSet.from_json(read_json(path))
