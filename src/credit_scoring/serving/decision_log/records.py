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


def new_request_ids(n: int) -> list[str]:
    """``n`` UUIDv7s of the same millisecond (a batch): the layout of :func:`new_request_id`
    (48-bit time, version 7, 12 + 62 random bits, variant 10) built for all ids at once from
    one read of the random source, then formatted as canonical lower-case text."""
    millis = time.time_ns() // 1_000_000
    ids = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    ids[:, :6] = np.frombuffer((millis & ((1 << 48) - 1)).to_bytes(6, "big"), dtype=np.uint8)
    ids[:, 6] = 0x70 | (ids[:, 6] & 0x0F)
    ids[:, 8] = 0x80 | (ids[:, 8] & 0x3F)
    raw = ids.tobytes()
    out = []
    for k in range(0, 16 * n, 16):
        h = raw[k : k + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def features_blob(features: NDArray[np.float64] | None) -> bytes | None:
    """The model row as stored with a decision: float64 little-endian bytes."""
    return None if features is None else np.ascontiguousarray(features, dtype="<f8").tobytes()


def spool_entry(record: Mapping[str, Any], features: NDArray[np.float64] | None) -> SpoolEntry:
    """Serialise a decision record (and its model row) for the spool."""
    payload = orjson.dumps(record)
    return SpoolEntry(
        request_id=str(record["request_id"]), record=payload, features=features_blob(features)
    )


def record_from_spool(row: SpooledRow) -> dict[str, Any]:
    """A spooled decision in the shape of a ``decisions`` row (``created_at`` a datetime)."""
    record: dict[str, Any] = orjson.loads(row.record)
    if row.raw_input is not None:
        record["raw_input"] = orjson.loads(row.raw_input)
    record["created_at"] = datetime.fromisoformat(record["created_at"])
    return record


def features_from_blob(blob: bytes | None) -> NDArray[np.float64] | None:
    """The model row stored with a decision (float64, the bundle's feature order)."""
    return None if blob is None else np.frombuffer(blob, dtype="<f8").astype(np.float64)
