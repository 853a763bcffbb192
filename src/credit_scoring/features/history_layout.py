"""The history store's row layout, shared by the publisher (:mod:`credit_scoring.features.publish`)
and the reader (:class:`credit_scoring.runtime.history_store.HistoryStore`).

The tables themselves are declared in :mod:`credit_scoring.store.tables`: ``feature_sets`` (one
row per published version, created by the migrations) and ``history_features_<version>``
(:func:`~credit_scoring.store.tables.history_table`): ``SK_ID_CURR`` (primary key) and
``features``, the client's history row packed as little-endian float64 (NaN for missing) in the
order of the version's ``columns``.
"""

from __future__ import annotations

import numpy as np

from credit_scoring.store.tables import HISTORY_TABLE_PREFIX

ROW_FORMAT = "float64-le"  # packed row: little-endian IEEE doubles, NaN = missing
ROW_DTYPE = np.dtype("<f8")


def history_table_name(version: str) -> str:
    """``history_features_<feature set>_<data>``: with its staging suffix and ``_pkey`` within
    PostgreSQL's 63-character names."""
    return f"{HISTORY_TABLE_PREFIX}{version.replace('-', '_')}"
