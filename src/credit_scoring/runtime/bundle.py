"""The model bundle: a folder with the LightGBM text model, JSON metadata, a model card and
SHA-256 checksums; and the fast scoring API used by the serving layer.

Layout (format version 2)::

    model.txt              LightGBM native text model (feature names in model order)
    metadata.json          feature order, vocabularies, threshold, cost weights, served model,
                           calibration map, score scaling, reason catalogue, drift reference
                           bins, provenance, metrics
    scorecard.json         the scorecard challenger's points table (when trained)
    scorecard_points.csv   the same table as characteristic, bin, points (for people)
    model_card.md          the model card
    checksums.json         {"algorithm": "sha256", "files": {name: hex digest}}

``metadata.served_model`` says which model scores: ``lightgbm`` (the booster, reasons from
TreeSHAP) or ``scorecard`` (the points table, reasons from the points each characteristic
lost). Format 2 adds the served model and the scorecard files and stores the isotonic
calibration as strictly increasing log-odds knots; format 1 bundles (LightGBM served) are still
read when their calibration is Platt. Every probability lies in [PROB_MIN, PROB_MAX].

Loading verifies every checksum before parsing anything, builds the booster with
``lightgbm.Booster(model_str=…)`` and the scorecard from JSON numbers: no pickle anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.errors import BundleIntegrityError, FeatureSetMismatchError, ModelNotFoundError
from credit_scoring.features.encoding import encode, encode_frame
from credit_scoring.io import atomic_output_dir, file_sha256, read_json, write_json
from credit_scoring.runtime.fast_predict import SingleRowPredictor
from credit_scoring.runtime.metadata import BundleMetadata, read_metadata
from credit_scoring.runtime.points_table import BoundPointsTable, PointsTable
from credit_scoring.runtime.reasons import MAX_REASONS, Reason, ReasonIndex
from credit_scoring.runtime.registry import download_bundle
from credit_scoring.runtime.treeshap import TreeShap
from credit_scoring.settings import Settings, get_settings

MODEL_FILE = "model.txt"
SCORECARD_FILE = "scorecard.json"
SCORECARD_CSV_FILE = "scorecard_points.csv"
METADATA_FILE = "metadata.json"
CARD_FILE = "model_card.md"
CHECKSUMS_FILE = "checksums.json"
REQUIRED_FILES = (MODEL_FILE, METADATA_FILE)


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REVIEW = "REVIEW"
    REFUSE = "REFUSE"


@dataclass(frozen=True)
class RowScore:
    """The scored application: calibrated probability of default in [PROB_MIN, PROB_MAX], raw
    log-odds, score points, decision and up to four adverse reasons (largest first)."""

    probability: float
    raw_score: float
    points: float
    decision: Decision
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class FrameScores:
    """Vectorised scores of many rows (arrays aligned with the input rows)."""

    probability: NDArray[np.float64]  # calibrated, in [PROB_MIN, PROB_MAX]
    raw_score: NDArray[np.float64]  # the model's log-odds, before calibration
    points: NDArray[np.float64]  # score points of the calibrated probability
    decision: NDArray[np.str_]  # a Decision value per row


def write_bundle(
    out_dir: Path,
    *,
    booster: lgb.Booster,
    metadata: Mapping[str, Any],
    model_card: str,
    scorecard: PointsTable | None = None,
) -> Path:
    """Write a bundle folder atomically (replacing ``out_dir``); returns ``out_dir``.

    ``metadata`` is checked by the reader of its format first: a bundle that could not be
    loaded is never written.
    """
    out_dir = Path(out_dir)
    read_metadata(metadata, path=out_dir / METADATA_FILE)
    if metadata.get("served_model", "lightgbm") == "scorecard" and scorecard is None:
        raise BundleIntegrityError("a bundle serving the scorecard needs its points table")
    names = [MODEL_FILE, METADATA_FILE, CARD_FILE]
    with atomic_output_dir(out_dir) as tmp:
        (tmp / MODEL_FILE).write_text(booster.model_to_string(), encoding="utf-8")
        write_json(tmp / METADATA_FILE, dict(metadata))
        (tmp / CARD_FILE).write_text(model_card, encoding="utf-8")
        if scorecard is not None:
            write_json(tmp / SCORECARD_FILE, scorecard.to_json())
            (tmp / SCORECARD_CSV_FILE).write_text(scorecard.to_csv(), encoding="utf-8")
            names += [SCORECARD_FILE, SCORECARD_CSV_FILE]
        files = {name: file_sha256(tmp / name) for name in names}
        write_json(tmp / CHECKSUMS_FILE, {"algorithm": "sha256", "files": files})
    return out_dir


def verify_checksums(bundle_dir: Path) -> dict[str, str]:
    """Check every file listed in ``checksums.json``; raise :class:`BundleIntegrityError`."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise ModelNotFoundError(f"no model bundle folder at {bundle_dir}")
    checksum_path = bundle_dir / CHECKSUMS_FILE
    if not checksum_path.is_file():
        raise BundleIntegrityError(f"{bundle_dir}: missing {CHECKSUMS_FILE}")
    try:
        listed = dict(read_json(checksum_path)["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleIntegrityError(f"{checksum_path}: unreadable checksums ({exc})") from exc
    for name in REQUIRED_FILES:
        if name not in listed:
            raise BundleIntegrityError(f"{checksum_path} does not cover {name}")
    for name, expected in listed.items():
        path = bundle_dir / name
        if not path.is_file():
            raise BundleIntegrityError(f"{bundle_dir}: {name} is listed but missing")
        actual = file_sha256(path)
        if actual != expected:
            raise BundleIntegrityError(
                f"{path}: SHA-256 {actual[:12]}… does not match the recorded {str(expected)[:12]}…"
                " (the file was changed after the bundle was written)"
            )
    return listed


class Bundle:
    """A loaded, verified model bundle, ready to score.

    Rows are float64 arrays in :attr:`features` order with categorical features encoded by
    the bundle's vocabularies (see :meth:`encode_row`). Probabilities are calibrated; the
    decision is REFUSE when ``probability >= threshold`` (REVIEW within ``± review_band`` of
    the threshold when a band is set).
    """

    def __init__(
        self,
        path: Path,
        metadata: BundleMetadata,
        booster: lgb.Booster,
        scorecard: PointsTable | None = None,
    ) -> None:
        self.path = Path(path)
        self.metadata = metadata
        self.booster = booster
        self.served_model = metadata.served_model
        self.scorecard = scorecard
        self.features = metadata.features
        self.categorical_features = metadata.categorical_features
        self.vocabularies = metadata.vocabularies
        self.threshold = metadata.threshold
        self.review_band = metadata.review_band
        self.calibration = metadata.calibration
        self.scaling = metadata.score_scaling
        #: The feature set trained on: the model features in order, which of them come from
        #: the history store, and the categorical ones.
        self.feature_set = metadata.feature_set
        self.feature_set_version = metadata.feature_set_version
        #: The history store version trained with (definitions and data).
        self.history_version = metadata.history_version
        self.reason_index = ReasonIndex.build(self.features)
        self._predictor = SingleRowPredictor(booster)
        self._position = {name: j for j, name in enumerate(self.features)}
        #: The points table scoring the rows when the scorecard is served (None otherwise).
        self.points: BoundPointsTable | None = None
        if self.served_model == "scorecard":
            if scorecard is None:
                raise BundleIntegrityError(f"{path}: the served scorecard has no {SCORECARD_FILE}")
            self.points = scorecard.bind(self.features)

    @cached_property
    def model_id(self) -> str:
        """Short content hash of ``model.txt`` + ``metadata.json``: the model's identity."""
        digest = hashlib.sha256()
        for name in (MODEL_FILE, METADATA_FILE):
            digest.update((self.path / name).read_bytes())
        return digest.hexdigest()[:16]

    # -- one row ----------------------------------------------------------------------------
    def encode_row(self, values: Mapping[str, Any]) -> NDArray[np.float64]:
        """A model row from ``{feature: value}`` (absent or None → missing; categories as text)."""
        row = np.full(len(self.features), np.nan, dtype=np.float64)
        for name, value in values.items():
            j = self._position.get(name)
            if j is None or value is None:
                continue
            if name in self.vocabularies:
                row[j] = encode(value, self.vocabularies[name])[0]
            else:
                row[j] = float(value)
        return row

    def decide(self, probability: float, *, review_band: float | None = None) -> Decision:
        band = self.review_band if review_band is None else review_band
        if band > 0.0 and self.threshold - band <= probability < self.threshold + band:
            return Decision.REVIEW
        return Decision.REFUSE if probability >= self.threshold else Decision.APPROVE

    def score_row(
        self,
        x: NDArray[np.float64],
        *,
        review_band: float | None = None,
        with_reasons: bool = True,
    ) -> RowScore:
        """Score one row (float64, feature order, categoricals encoded); no pandas."""
        if self.points is not None:
            raw = self.points.raw_score_one(x)
        else:
            raw = self._predictor.raw_score(x)
        probability = self.calibration.apply_one(raw)
        reasons: tuple[Reason, ...] = ()
        if with_reasons:
            contrib = self.contributions(x)
            grouped = contrib[:-1] @ self.reason_index.membership
            reasons = self.reason_index.top_reasons(grouped, limit=MAX_REASONS)
        return RowScore(
            probability=probability,
            raw_score=raw,
            points=self.scaling.points_one(probability),
            decision=self.decide(probability, review_band=review_band),
            reasons=reasons,
        )

    @cached_property
    def tree_shap(self) -> TreeShap | None:
        """The model's tabulated TreeSHAP (``None`` for trees too deep to tabulate: the
        contributions then come from LightGBM's ``pred_contrib``, the same values)."""
        return TreeShap.from_booster(self.booster)

    def contributions(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``pred_contrib`` of one row (features, then the base value), log-odds; for a served
        scorecard, the log-odds of the points each characteristic lost (then the base)."""
        if self.points is not None:
            return self.points.contributions(np.asarray(x, dtype=np.float64).reshape(1, -1))[0]
        shap = self.tree_shap
        if shap is None:
            return self._predictor.contributions(x)
        row = np.asarray(x, dtype=np.float64).reshape(1, -1)
        return shap.contributions(row)[0]

    # -- many rows --------------------------------------------------------------------------
    def matrix(self, X: NDArray[np.float64] | pd.DataFrame) -> NDArray[np.float64]:
        """``X`` as the model matrix: an array is checked, a feature table is encoded."""
        if isinstance(X, pd.DataFrame):
            absent = [c for c in self.features if c not in X.columns]
            if absent:
                raise FeatureSetMismatchError(f"frame lacks model feature(s) {absent[:5]}")
            codes = encode_frame(X, self.vocabularies)
            columns = [
                codes[c] if c in codes else X[c].to_numpy(dtype=np.float64, na_value=np.nan)
                for c in self.features
            ]
            return np.column_stack(columns) if columns else np.empty((len(X), 0))
        matrix = np.asarray(X, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(self.features):
            raise FeatureSetMismatchError(
                f"matrix has shape {matrix.shape}; the model expects {len(self.features)} columns"
            )
        return matrix

    def score_frame(
        self, X: NDArray[np.float64] | pd.DataFrame, *, review_band: float | None = None
    ) -> FrameScores:
        """Vectorised scores of every row of ``X`` (array in feature order, or feature table)."""
        return self.score_matrix(self.matrix(X), review_band=review_band)

    def score_matrix(
        self,
        matrix: NDArray[np.float64],
        *,
        review_band: float | None = None,
        num_threads: int | None = None,
    ) -> FrameScores:
        """:meth:`score_frame` of a model matrix, predicted with ``num_threads`` threads
        (LightGBM's default when None; the scores do not depend on it)."""
        if self.points is not None:
            raw = self.points.raw_score(matrix)
        else:
            raw = np.asarray(
                self.booster.predict(matrix, raw_score=True, **_threads(num_threads)),
                dtype=np.float64,
            )
        probability = self.calibration.apply(raw)
        return FrameScores(
            probability=probability,
            raw_score=raw,
            points=self.scaling.points(probability),
            decision=self.decisions(probability, review_band=review_band),
        )

    def decisions(
        self, probability: NDArray[np.float64], *, review_band: float | None = None
    ) -> NDArray[np.str_]:
        """:meth:`decide` of every probability."""
        band = self.review_band if review_band is None else review_band
        decision = np.where(probability >= self.threshold, Decision.REFUSE, Decision.APPROVE)
        if band > 0.0:
            near = (probability >= self.threshold - band) & (probability < self.threshold + band)
            decision = np.where(near, Decision.REVIEW, decision)
        return decision.astype(str)

    def reasons_frame(self, X: NDArray[np.float64] | pd.DataFrame) -> list[tuple[Reason, ...]]:
        """Adverse reasons of every row (batch ``pred_contrib``), each equal to what
        :meth:`score_row` gives for the row alone."""
        grouped = self.grouped_contributions(self.contributions_frame(self.matrix(X)))
        order, top, count = self.reason_index.top_positions(grouped)
        groups = self.reason_index.groups
        return [
            tuple(
                Reason(groups[k].code, groups[k].text, v)
                for k, v in zip(o[:c].tolist(), t[:c].tolist(), strict=True)
            )
            for o, t, c in zip(order, top, count.tolist(), strict=True)
        ]

    def contributions_frame(
        self, matrix: NDArray[np.float64], *, num_threads: int | None = None
    ) -> NDArray[np.float64]:
        """``pred_contrib`` of every row of a model matrix: ``(rows, features + 1)``, log-odds
        (exact TreeSHAP; each row equals :meth:`contributions` of that row alone)."""
        if len(matrix) == 0:
            return np.empty((0, len(self.features) + 1), dtype=np.float64)
        if self.points is not None:
            return self.points.contributions(matrix)
        shap = self.tree_shap
        if shap is not None:
            return shap.contributions(matrix, num_threads=num_threads)
        return np.asarray(
            self.booster.predict(matrix, pred_contrib=True, **_threads(num_threads)),
            dtype=np.float64,
        )

    def grouped_contributions(self, contrib: NDArray[np.float64]) -> NDArray[np.float64]:
        """Reason-group contributions of every row of ``pred_contrib`` output.

        Grouped row by row with the very product :meth:`score_row` uses: a matrix product
        over all rows at once may sum in another order (BLAS) and differ in the last bit.
        """
        index = self.reason_index
        if len(contrib) == 0:
            return np.empty((0, len(index.groups)), dtype=np.float64)
        return np.vstack([index.group_contributions(row) for row in contrib])


def _threads(num_threads: int | None) -> dict[str, Any]:
    return {} if num_threads is None else {"num_threads": num_threads}


def _parse_bundle(
    bundle_dir: Path, listed: Mapping[str, str]
) -> tuple[BundleMetadata, lgb.Booster, PointsTable | None]:
    metadata_path = bundle_dir / METADATA_FILE
    metadata = read_metadata(read_json(metadata_path), path=metadata_path)
    booster = lgb.Booster(model_str=(bundle_dir / MODEL_FILE).read_text(encoding="utf-8"))
    if booster.feature_name() != list(metadata.features):
        raise BundleIntegrityError(f"{bundle_dir}: model.txt and metadata.json list other features")
    scorecard: PointsTable | None = None
    if SCORECARD_FILE in listed:
        scorecard = PointsTable.from_json(read_json(bundle_dir / SCORECARD_FILE))
    elif metadata.served_model == "scorecard":
        raise BundleIntegrityError(
            f"{bundle_dir}: serves the scorecard but {CHECKSUMS_FILE} does not cover "
            f"{SCORECARD_FILE}"
        )
    return metadata, booster, scorecard


def load_bundle(
    source: str | Path,
    *,
    expected_feature_set_version: str | None = None,
    settings: Settings | None = None,
    download_dir: Path | None = None,
) -> Bundle:
    """Load a bundle folder or ``models:/<name>@<alias>`` / ``models:/<name>/<version>``.

    A registry reference is downloaded from MLflow (``settings`` gives the tracking URI) into
    ``download_dir`` (default: ``settings.home/models/downloads``) and loaded the same way.
    Refuses a tampered bundle (:class:`BundleIntegrityError`), with ``settings`` requiring
    signatures an unsigned or foreign-signed one (``runtime.signature``), and, when
    ``expected_feature_set_version`` is given, a bundle built on another feature set
    (:class:`FeatureSetMismatchError`).
    """
    if isinstance(source, str) and source.startswith("models:/"):
        bundle_dir = download_bundle(
            source, settings=settings or get_settings(), dst_dir=download_dir
        )
    else:
        bundle_dir = Path(source)
    listed = verify_checksums(bundle_dir)
    if settings is not None:  # serve, score-batch, dashboard: the signature when required
        from credit_scoring.runtime.signature import enforce

        enforce(bundle_dir, settings)
    metadata, booster, scorecard = _parse_bundle(bundle_dir, listed)
    if (
        expected_feature_set_version is not None
        and metadata.feature_set_version != expected_feature_set_version
    ):
        raise FeatureSetMismatchError(
            f"bundle {bundle_dir} was trained on feature set {metadata.feature_set_version!r}, "
            f"expected {expected_feature_set_version!r}"
        )
    return Bundle(bundle_dir, metadata, booster, scorecard)
