"""Features: history aggregates (Ibis on DuckDB or Spark) and application features.

Light entry points are re-exported here (no Ibis or database import): the application-feature
function, the feature-set description and the offline path to the model matrix; the scoring
runtime imports them. The history aggregates live in :mod:`credit_scoring.features.history`,
the build stage in :mod:`credit_scoring.features.build`, publishing in
:mod:`credit_scoring.features.publish`; the online row builder and the history store reader are
in :mod:`credit_scoring.runtime`.
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

__all__ = [
    "APPLICATION_CATEGORICAL_FEATURES",
    "APPLICATION_FEATURES",
    "APPLICATION_INPUT_COLUMNS",
    "APPLICATION_NUMERIC_FEATURES",
    "FEATURE_DEFINITIONS_VERSION",
    "PROTECTED_COLUMNS",
    "FeatureSet",
    "Vocabulary",
    "application_features",
    "encode",
    "feature_matrix",
    "feature_set_version",
    "fit_vocabularies",
    "fit_vocabulary",
    "read_feature_set",
    "write_feature_set",
]
