"""Column-wise batch validation gives exactly what the pydantic batch model gives: the same
dicts (values, types, key order) for a valid batch, the same errors for an invalid one."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import orjson
import pytest
from pydantic import ValidationError

from credit_scoring.schema import Kind, table
from credit_scoring.serving.schemas.batch import BatchValidator
from credit_scoring.serving.schemas.requests import batch_validator

MAX = 50
COLUMNS = {c.name: c for c in table("application_test").columns}


def outcome(validate: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "ok", orjson.dumps(validate(body))  # bytes: values, int vs float, key order
    except ValidationError as exc:
        return "invalid", exc.errors(include_url=False, include_input=False)


class Spy:
    """The pydantic validator, counting the bodies handed to it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def validate_json(self, body: bytes) -> Any:
        self.calls += 1
        return self.inner.validate_json(body)


@pytest.fixture
def validator() -> BatchValidator:
    validator = BatchValidator(MAX)
    validator.fallback = Spy(validator.fallback)  # type: ignore[assignment]
    return validator


def test_a_valid_batch_is_validated_column_by_column_to_the_same_dicts(
    validator: BatchValidator, applications: list[dict[str, Any]]
) -> None:
    reference = batch_validator(MAX)
    first = applications[:MAX]
    reordered = [dict(reversed(list(a.items()))) for a in first[:5]]
    sparse = [{k: v for k, v in a.items() if v is not None} for a in first[5:10]]
    numbers = {"AMT_CREDIT": 500000, "EXT_SOURCE_2": 0, "CNT_CHILDREN": 2.0}
    as_ints = [{**a, **numbers} for a in first[:3]]
    for batch in (first, reordered, sparse, as_ints, first[:1]):
        body = orjson.dumps({"applications": batch})
        assert outcome(validator.validate_json, body) == outcome(reference.validate_json, body)
    assert validator.fallback.calls == 0  # type: ignore[attr-defined]


def test_the_usual_body_also_comes_as_columns_holding_the_same_values(
    validator: BatchValidator, applications: list[dict[str, Any]]
) -> None:
    body = orjson.dumps({"applications": applications[:MAX]})
    expected = batch_validator(MAX).validate_json(body)["applications"]

    batch = validator.validate_batch(body)

    assert orjson.dumps(batch.applications) == orjson.dumps(expected)
    assert batch.columns is not None and set(batch.columns) == set(COLUMNS)
    kinds = set()
    for name, column in batch.columns.items():
        values = [a[name] for a in expected]
        kind = COLUMNS[name].kind
        kinds.add((kind, any(v is None for v in values)))
        if kind is Kind.CATEGORY:
            assert column.dtype == object and column.tolist() == values, name
        elif kind is Kind.INT:
            assert column.dtype == np.int64 and column.tolist() == values, name
        else:  # bit for bit, a null as NaN
            assert column.tobytes() == np.array(values, dtype=np.float64).tobytes(), name
    assert {(Kind.FLOAT, True), (Kind.CATEGORY, True), (Kind.INT, False)} <= kinds


def test_other_bodies_come_without_columns(
    validator: BatchValidator, applications: list[dict[str, Any]]
) -> None:
    first = applications[:5]
    reordered = [dict(reversed(list(a.items()))) for a in first]
    sparse = [{k: v for k, v in a.items() if v is not None} for a in first]
    as_float = [{**a, "CNT_CHILDREN": 2.0} for a in first]  # converted to 2 like pydantic does
    for batch in (reordered, sparse, as_float):
        validated = validator.validate_batch(orjson.dumps({"applications": batch}))
        assert validated.columns is None and len(validated.applications) == 5
    assert validator.fallback.calls == 0  # type: ignore[attr-defined]


WEIRD_VALUES: list[Any] = [
    None, "", "x" * 201, "Working", True, False, 0, 1, -1, 2, 24, 1.0, 2.5, -0.0, 0.5, 1.5,
    10**19, 2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**53 + 1, 1e300, -1e300, 9.3e18,
    365243, 365243.0, -365243, [], {}, [1], "1", 10**25, -(10**25),
]  # fmt: skip


def mutate(rng: random.Random, batch: list[dict[str, Any]]) -> bytes:
    batch = [dict(a) for a in batch]
    for _ in range(rng.randint(1, 3)):
        a = rng.choice(batch)
        action = rng.random()
        name = rng.choice(list(COLUMNS))
        if action < 0.7:
            a[name] = rng.choice(WEIRD_VALUES)
        elif action < 0.8:
            a.pop(name, None)
        elif action < 0.85:
            a["NOT_A_FIELD"] = 1
        elif action < 0.9 and COLUMNS[name].kind is Kind.INT and isinstance(a.get(name), int):
            a[name] = float(a[name])
        else:
            items = list(a.items())
            rng.shuffle(items)
            batch[batch.index(a)] = dict(items)
    return json.dumps({"applications": batch}).encode()  # integers beyond 64 bits too


def test_mutated_batches_get_the_same_answer_or_the_same_errors(
    validator: BatchValidator, applications: list[dict[str, Any]]
) -> None:
    reference = batch_validator(MAX)
    rng = random.Random(20261121)
    kinds = {"ok": 0, "invalid": 0}
    for _ in range(600):
        body = mutate(rng, applications[: rng.randint(1, 8)])
        fast, slow = outcome(validator.validate_json, body), outcome(reference.validate_json, body)
        assert fast == slow, body[:300]
        kinds[fast[0]] += 1
    assert kinds["ok"] > 50 and kinds["invalid"] > 50  # both outcomes were compared
    assert 0 < validator.fallback.calls < 600  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        b"", b"[]", b"{}", b'{"applications": []}', b'{"applications": {}}',
        b'{"applications": [1]}', b'{"applications": [{}]}', b'{"applications": [], "x": 1}',
        b'{"applications": [{"SK_ID_CURR": NaN}]}', b'{"applications": [',
    ],
)  # fmt: skip
def test_malformed_bodies_get_pydantic_errors(validator: BatchValidator, body: bytes) -> None:
    reference = batch_validator(MAX)
    fast, slow = outcome(validator.validate_json, body), outcome(reference.validate_json, body)
    assert fast == slow and fast[0] == "invalid"


def test_batches_over_the_limit_are_refused_like_pydantic(
    validator: BatchValidator, applications: list[dict[str, Any]]
) -> None:
    rows = (applications * (MAX // len(applications) + 2))[: MAX + 1]
    body = orjson.dumps({"applications": rows})
    fast = outcome(validator.validate_json, body)
    assert fast == outcome(batch_validator(MAX).validate_json, body)
    assert fast[0] == "invalid" and fast[1][0]["type"] == "too_long"


@pytest.mark.parametrize(
    "value", ["<b>x</b>", "'; DROP TABLE decisions; --", "Bank\n", "Self\u200d-employed", "Café"]
)
def test_category_characters_are_judged_like_pydantic(
    validator: BatchValidator, applications: list[dict[str, Any]], value: str
) -> None:
    reference = batch_validator(MAX)
    batch = [dict(a) for a in applications[:5]]
    batch[3]["ORGANIZATION_TYPE"] = value
    body = orjson.dumps({"applications": batch})
    assert outcome(validator.validate_json, body) == outcome(reference.validate_json, body)
