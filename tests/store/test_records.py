"""One decision record: its fields are the table's, and every encoding round-trips."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import numpy as np
import orjson
import pytest

from credit_scoring.store.records import (
    ANSWER_FIELDS,
    APART_FIELDS,
    COPY_TYPES,
    DETAIL_FIELDS,
    LOGGED_FIELDS,
    OWN_FIELDS,
    RECORD_FIELDS,
    SHARED_FIELDS,
    SUMMARY_FIELDS,
    DecisionRecord,
    EncodeDecision,
    copy_values,
    decode_record,
    features_blob,
    record_encoder,
    record_json,
)
from credit_scoring.store.tables import decisions


def a_record(**fields: object) -> DecisionRecord:
    values: dict[str, object] = {
        "request_id": "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b",
        "batch_id": "0192f3b4-5c6d-7e8f-9a0b-000000000001",
        "created_at": datetime(2026, 12, 4, 22, 1, 2, 345678, tzinfo=UTC),
        "client_id": 100002,
        "model_version": "credit-scoring/7",
        "bundle_checksum": "c" * 64,
        "feature_set_version": "fs1-data1",
        "probability": 0.1234567890123,
        "log_odds": -1.96,
        "score": 571,
        "decision": "REFUSE",
        "threshold": 0.0859,
        "reasons": [{"code": "EXT_SOURCE", "text": "Low external scores", "contribution": 0.4}],
        "history_found": False,
        "latency_ms": 0.731,
        "raw_input": {"SK_ID_CURR": 100002, "AMT_CREDIT": 1e-7, "OCCUPATION_TYPE": None},
        "features": features_blob(np.array([1.5, np.nan, -2.0])),
    }
    values.update(fields)
    return DecisionRecord(**values)  # type: ignore[arg-type]


def test_the_record_lists_the_decisions_columns_in_table_order() -> None:
    assert tuple(c.name for c in decisions.columns) == RECORD_FIELDS
    parts = (*ANSWER_FIELDS, *LOGGED_FIELDS, *APART_FIELDS)
    assert sorted(parts) == sorted(RECORD_FIELDS) and len(parts) == len(set(parts))
    assert set(SUMMARY_FIELDS) | set(DETAIL_FIELDS) < set(RECORD_FIELDS)
    assert len(COPY_TYPES) == len(RECORD_FIELDS)


def test_spliced_answers_and_records_are_the_bytes_of_the_record() -> None:
    record = a_record()
    encode = record_encoder({name: getattr(record, name) for name in SHARED_FIELDS})
    answer, spooled = encode(**{name: getattr(record, name) for name in OWN_FIELDS})

    assert answer == orjson.dumps({name: getattr(record, name) for name in ANSWER_FIELDS})
    assert spooled == record_json(record)
    assert list(orjson.loads(spooled)) == [*ANSWER_FIELDS, *LOGGED_FIELDS]
    raw_input = orjson.dumps(record.raw_input)
    assert decode_record(spooled, raw_input=raw_input, features=record.features) == record


def test_the_encoders_signature_is_the_decisions_own_fields() -> None:
    declared = inspect.signature(EncodeDecision.__call__).parameters
    assert [name for name in declared if name != "self"] == list(OWN_FIELDS)
    assert sorted((*SHARED_FIELDS, *OWN_FIELDS)) == sorted((*ANSWER_FIELDS, *LOGGED_FIELDS))


def test_a_record_spooled_with_its_raw_input_inside_decodes_the_same() -> None:
    record = a_record()
    inside = orjson.dumps({**orjson.loads(record_json(record)), "raw_input": record.raw_input})
    assert decode_record(inside, raw_input=None, features=record.features) == record
    assert copy_values(inside, raw_input=None, features=record.features) == copy_values(
        record_json(record), raw_input=orjson.dumps(record.raw_input), features=record.features
    )


def test_copy_values_follow_the_columns_with_json_as_text() -> None:
    record = a_record()
    raw_input = b'{"SK_ID_CURR":100002,"AMT_CREDIT":1e-7,"OCCUPATION_TYPE":null}'
    values = copy_values(record_json(record), raw_input=raw_input, features=record.features)
    by_name = dict(zip(RECORD_FIELDS, values, strict=True))
    assert by_name["raw_input"] == raw_input.decode()  # passed on as written
    assert orjson.loads(by_name["reasons"]) == record.reasons
    expected = {**dataclasses.asdict(record), "raw_input": by_name["raw_input"]}
    expected["reasons"] = by_name["reasons"]
    assert by_name == expected
    assert dict(zip(RECORD_FIELDS, COPY_TYPES, strict=True))["created_at"] == "timestamptz"


def test_unknown_fields_are_refused_by_name() -> None:
    shared = {name: getattr(a_record(), name) for name in SHARED_FIELDS}
    with pytest.raises(ValueError, match="a request shares exactly"):
        record_encoder({**shared, "probabilty": 0.1})
    with pytest.raises(TypeError, match="probabilty"):
        record_encoder(shared)(probabilty=0.1)  # type: ignore[call-arg]
    spooled = orjson.dumps({**orjson.loads(record_json(a_record())), "extra": 1})
    with pytest.raises(ValueError, match="0192f3b4"):
        decode_record(spooled, raw_input=b"{}", features=None)
