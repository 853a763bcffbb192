"""Features: history aggregates (Ibis on DuckDB or Spark) and application features.

Light entry points are re-exported here (no Ibis or database import): the application-feature
function, the feature-set description, and the offline/online paths to the model matrix. The
history aggregates live in :mod:`credit_scoring.features.history`, the serving store in
:mod:`credit_scoring.features.store`, the build stage in :mod:`credit_scoring.features.build`.
"""

from credit_scoring.features.application import (
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_FEATURES,
    APPLICATION_INPUT_COLUMNS,
    APPLICATION_NUMERIC_FEATURES,
    PROTECTED_COLUMNS,
    application_features,
)
from credit_scoring.features.encoding import Vocabulary, encode, fit_vocabularies, fit_vocabulary
from credit_scoring.features.feature_set import (
    FEATURE_DEFINITIONS_VERSION,
    FeatureSet,
    feature_set_version,
    read_feature_set,
    write_feature_set,
)
from credit_scoring.features.matrix import feature_matrix
from credit_scoring.features.online import OnlineFeatureBuilder, build_feature_row

__all__ = [
    "APPLICATION_CATEGORICAL_FEATURES",
    "APPLICATION_FEATURES",
    "APPLICATION_INPUT_COLUMNS",
    "APPLICATION_NUMERIC_FEATURES",
    "FEATURE_DEFINITIONS_VERSION",
    "PROTECTED_COLUMNS",
    "FeatureSet",
    "OnlineFeatureBuilder",
    "Vocabulary",
    "application_features",
    "build_feature_row",
    "encode",
    "feature_matrix",
    "feature_set_version",
    "fit_vocabularies",
    "fit_vocabulary",
    "read_feature_set",
    "write_feature_set",
]
