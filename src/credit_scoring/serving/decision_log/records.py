"""Decision records: what is spooled and logged for every answered decision."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from credit_scoring.serving.decision_log.spool import SpooledRow, SpoolEntry

_RAND_A = (1 << 12) - 1
_RAND_B = (1 << 62) - 1


def new_request_id() -> str:
    """A UUIDv7 (RFC 9562): millisecond time first, so ids sort by time and index well."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | ((rand >> 62) & _RAND_A) << 64
        | 0b10 << 62
        | (rand & _RAND_B)
    )
    return str(uuid.UUID(int=value))


def spool_entry(record: Mapping[str, Any], features: NDArray[np.float64] | None) -> SpoolEntry:
    """Serialise a decision record (and its model row) for the spool."""
    payload = orjson.dumps(record)
    blob = None if features is None else np.ascontiguousarray(features, dtype="<f8").tobytes()
    return SpoolEntry(request_id=str(record["request_id"]), record=payload, features=blob)


def record_from_spool(row: SpooledRow) -> dict[str, Any]:
    """A spooled decision in the shape of a ``decisions`` row (``created_at`` a datetime)."""
    record: dict[str, Any] = orjson.loads(row.record)
    record["created_at"] = datetime.fromisoformat(record["created_at"])
    return record


def features_from_blob(blob: bytes | None) -> NDArray[np.float64] | None:
    """The model row stored with a decision (float64, the bundle's feature order)."""
    return None if blob is None else np.frombuffer(blob, dtype="<f8").astype(np.float64)
