"""Request ids of decisions: UUIDv7, time first (the record itself: ``store.records``)."""

from __future__ import annotations

import os
import time
import uuid

import numpy as np

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
