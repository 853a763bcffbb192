"""Decision records for the spool and drain tests, spooled the way the API spools them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from credit_scoring.serving.decision_log.request_ids import new_request_id
from credit_scoring.serving.decision_log.spool import SpoolEntry
from credit_scoring.store.records import DecisionRecord, features_blob, record_json


def make_record(client_id: int = 1, **fields: Any) -> DecisionRecord:
    """A complete decision record (a new request id, now), with ``fields`` overridden."""
    values: dict[str, Any] = {
        "request_id": new_request_id(),
        "batch_id": None,
        "created_at": datetime.now(UTC),
        "client_id": client_id,
        "model_version": "m1",
        "bundle_checksum": "b" * 64,
        "feature_set_version": "fs",
        "probability": 0.25,
        "log_odds": -1.1,
        "score": 580,
        "decision": "APPROVE",
        "threshold": 0.3,
        "reasons": [{"code": "R01", "text": "t", "contribution": 0.2}],
        "history_found": True,
        "latency_ms": 0.9,
        "raw_input": {"SK_ID_CURR": client_id, "NAME_CONTRACT_TYPE": "Cash loans"},
        "features": features_blob(np.arange(3.0)),
    }
    values.update(fields)
    return DecisionRecord(**values)


def spool_entry(record: DecisionRecord, *, raw_input_apart: bool = True) -> SpoolEntry:
    """``record`` as the API spools it: JSON record, raw input and model row apart (or, as
    spools written by earlier versions, the raw input inside the JSON record)."""
    if raw_input_apart:
        raw_input = orjson.dumps(record.raw_input)
        return SpoolEntry(record.request_id, record_json(record), record.features, raw_input)
    inside = {**orjson.loads(record_json(record)), "raw_input": record.raw_input}
    return SpoolEntry(record.request_id, orjson.dumps(inside), record.features)
