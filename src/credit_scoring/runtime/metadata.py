"""The bundle's ``metadata.json`` as a typed, versioned contract.

:class:`BundleMetadata` holds what scoring relies on — features, vocabularies, the feature set
and history version, threshold and review band, costs, calibration, score scaling, the served
model, the reason catalogue — as typed fields, read by one reader per format version
(:data:`READERS`). A field that is missing or of the wrong type fails the load with
:class:`~credit_scoring.errors.BundleIntegrityError` naming the file and the field, never later
on a request. The training details (metrics, training parameters, reference bins, library
versions…) are carried as they were written: the object is also a read-only mapping of the
whole JSON document (``metadata["metrics"]``), and :attr:`BundleMetadata.raw` is that document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from credit_scoring.errors import BundleIntegrityError, FeatureSetMismatchError
from credit_scoring.features.feature_set import FeatureSet
from credit_scoring.runtime.calibration import Calibration
from credit_scoring.runtime.reasons import CATALOGUE_VERSION
from credit_scoring.runtime.scorecard import ScoreScaling

#: The format training writes.
BUNDLE_FORMAT_VERSION = 2

ServedModelKind = Literal["lightgbm", "scorecard"]
SERVED_MODELS: tuple[str, ...] = ("lightgbm", "scorecard")


@dataclass(frozen=True)
class Cost:
    """The business cost of a false negative (a default approved) and a false positive."""

    cost_fn: float
    cost_fp: float


@dataclass(frozen=True, eq=False)
class BundleMetadata(Mapping[str, Any]):
    """A bundle's metadata (see the module docstring)."""

    format_version: int
    model_name: str
    created_at: str
    features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    vocabularies: dict[str, tuple[str, ...]]
    feature_set: FeatureSet
    #: The history store version trained with (feature set definitions and data).
    history_version: str
    threshold: float
    review_band: float
    cost: Cost
    served_model: ServedModelKind
    calibration: Calibration
    score_scaling: ScoreScaling
    reasons_catalogue_version: str
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def feature_set_version(self) -> str:
        return self.feature_set.version

    @property
    def metrics(self) -> Mapping[str, Any]:
        """The training metrics as written (candidates, threshold, reliability, fairness…)."""
        return cast(Mapping[str, Any], self.raw.get("metrics", {}))

    @property
    def reference_bins(self) -> Mapping[str, Any] | None:
        """The reference bins of drift monitoring, or None when the bundle has none."""
        return cast(Mapping[str, Any] | None, self.raw.get("reference_bins"))

    # -- the whole document, read-only ------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def to_json(self) -> dict[str, Any]:
        """The document as written (write it back with :func:`write_bundle`)."""
        return dict(self.raw)


class _Fields:
    """Typed access to the fields of one metadata document, naming the field on error."""

    def __init__(self, payload: Mapping[str, Any], where: str) -> None:
        self.payload = payload
        self.where = where

    def fail(self, name: str, what: str) -> BundleIntegrityError:
        return BundleIntegrityError(f"{self.where}: field {name!r} {what}")

    def get(self, name: str) -> Any:
        if name not in self.payload:
            raise self.fail(name, "is missing")
        return self.payload[name]

    def text(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str):
            raise self.fail(name, f"must be text, not {type(value).__name__}")
        return value

    def number(self, name: str, source: Mapping[str, Any] | None = None) -> float:
        fields = source if source is not None else self.payload
        if name not in fields:
            raise self.fail(name, "is missing")
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"must be a number, not {value!r}")
        return float(value)

    def names(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, "must be a list of names")
        return tuple(value)

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.get(name)
        if not isinstance(value, dict):
            raise self.fail(name, f"must be an object, not {type(value).__name__}")
        return value


def _read_v2(payload: Mapping[str, Any], where: str) -> BundleMetadata:
    f = _Fields(payload, where)
    vocabularies = f.mapping("vocabularies")
    try:
        feature_set = FeatureSet.from_json(dict(f.mapping("feature_set")))
    except (FeatureSetMismatchError, KeyError, TypeError, ValueError) as exc:
        raise f.fail("feature_set", f"is not a readable feature set ({exc})") from exc
    fingerprint = f.mapping("data_fingerprint")
    history_version = fingerprint.get("history_version")
    if not isinstance(history_version, str):
        raise f.fail("data_fingerprint.history_version", "is missing")
    cost = f.mapping("cost")
    served = payload.get("served_model", "lightgbm")
    if served not in SERVED_MODELS:
        raise f.fail("served_model", f"is {served!r}; this code serves {list(SERVED_MODELS)}")
    catalogue = f.mapping("reasons").get("catalogue_version")
    if catalogue != CATALOGUE_VERSION:
        raise BundleIntegrityError(
            f"{where}: reason catalogue {catalogue!r}, this code has {CATALOGUE_VERSION!r}"
        )
    features = f.names("features")
    if feature_set.version != f.text("feature_set_version"):
        raise f.fail("feature_set_version", "differs from the stored feature set's version")
    return BundleMetadata(
        format_version=2,
        model_name=f.text("model_name"),
        created_at=f.text("created_at"),
        features=features,
        categorical_features=f.names("categorical_features"),
        vocabularies={str(k): tuple(str(c) for c in v) for k, v in vocabularies.items()},
        feature_set=feature_set,
        history_version=history_version,
        threshold=f.number("threshold"),
        review_band=f.number("review_band"),
        cost=Cost(f.number("cost_fn", cost), f.number("cost_fp", cost)),
        served_model=cast(ServedModelKind, served),
        calibration=Calibration.from_json(dict(f.mapping("calibration"))),
        score_scaling=ScoreScaling.from_json(dict(f.mapping("score_scaling"))),
        reasons_catalogue_version=str(catalogue),
        raw=payload,
    )


#: One reader per format version this code reads.
READERS: dict[int, Callable[[Mapping[str, Any], str], BundleMetadata]] = {2: _read_v2}


def read_metadata(
    payload: Mapping[str, Any], *, path: Path | str = "metadata.json"
) -> BundleMetadata:
    """The typed metadata of a bundle's ``metadata.json`` document (its format's reader)."""
    where = str(path)
    if not isinstance(payload, Mapping):
        raise BundleIntegrityError(f"{where}: not a JSON object")
    fmt = payload.get("format_version")
    reader = READERS.get(fmt) if isinstance(fmt, int) else None
    if reader is None:
        raise BundleIntegrityError(
            f"{where}: bundle format {fmt!r}; this code reads formats {sorted(READERS)}"
        )
    return reader(payload, where)
