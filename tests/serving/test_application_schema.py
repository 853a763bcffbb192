"""The request model is derived from the data contract, column by column."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from credit_scoring.schema import DAYS_SENTINEL, Kind, table
from credit_scoring.serving.schemas import application_model

CONTRACT = table("application_test")


def _errors(payload: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        application_model().model_validate(payload)
    return {".".join(map(str, e["loc"])): e["type"] for e in caught.value.errors()}


def test_every_contract_column_is_a_field_required_when_not_nullable() -> None:
    fields = application_model().model_fields
    assert list(fields) == CONTRACT.column_names
    for column in CONTRACT.columns:
        assert fields[column.name].is_required() is (not column.nullable), column.name


def test_every_real_sample_application_is_valid(applications: list[dict[str, Any]]) -> None:
    model = application_model()
    for row in applications:
        model.model_validate(row)


def test_days_employed_accepts_past_days_and_the_not_employed_sentinel(
    applications: list[dict[str, Any]],
) -> None:
    model = application_model()
    for value in (0, -10, DAYS_SENTINEL):
        assert model.model_validate({**applications[0], "DAYS_EMPLOYED": value})
    assert _errors({**applications[0], "DAYS_EMPLOYED": 10}) == {"DAYS_EMPLOYED": "out_of_range"}


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("DAYS_BIRTH", 0, "less_than_equal"),
        ("AMT_CREDIT", -1.0, "greater_than_equal"),
        ("FLAG_MOBIL", 2, "less_than_equal"),
        ("EXT_SOURCE_2", 1.5, "less_than_equal"),
        ("CNT_CHILDREN", 2**63, "less_than_equal"),
        ("EXT_SOURCE_2", float("nan"), "finite_number"),
        ("AMT_INCOME_TOTAL", float("inf"), "finite_number"),
        ("CNT_CHILDREN", 1.5, "int_type"),
        ("CNT_CHILDREN", "1", "int_type"),
        ("FLAG_OWN_CAR", 1, "string_type"),
        ("AMT_CREDIT", True, "float_type"),
    ],
)
def test_a_bad_value_is_rejected_naming_the_field(
    applications: list[dict[str, Any]], field: str, value: object, kind: str
) -> None:
    assert _errors({**applications[0], field: value}) == {field: kind}


def test_every_bad_field_is_reported_at_once(applications: list[dict[str, Any]]) -> None:
    payload = {**applications[0], "DAYS_BIRTH": 5, "AMT_ANNUITY": -3.0, "TYPO_FIELD": 1}
    del payload["FLAG_MOBIL"]
    assert _errors(payload) == {
        "DAYS_BIRTH": "less_than_equal",
        "AMT_ANNUITY": "greater_than_equal",
        "TYPO_FIELD": "extra_forbidden",
        "FLAG_MOBIL": "missing",
    }


def test_integral_json_numbers_are_integers(applications: list[dict[str, Any]]) -> None:
    parsed = application_model().model_validate({**applications[0], "CNT_CHILDREN": 2.0})
    assert parsed.CNT_CHILDREN == 2 and isinstance(parsed.CNT_CHILDREN, int)  # type: ignore[attr-defined]


def test_unknown_category_is_accepted_and_optional_fields_may_be_missing(
    applications: list[dict[str, Any]],
) -> None:
    required = {c.name for c in CONTRACT.columns if not c.nullable}
    minimal = {k: v for k, v in applications[0].items() if k in required}
    parsed = application_model().model_validate({**minimal, "NAME_INCOME_TYPE": "Astronaut"})
    assert parsed.NAME_INCOME_TYPE == "Astronaut"  # type: ignore[attr-defined]
    assert parsed.EXT_SOURCE_1 is None  # type: ignore[attr-defined]


def test_field_descriptions_carry_the_dictionary_text_and_the_bounds() -> None:
    schema = application_model().model_json_schema()["properties"]
    assert "days" in schema["DAYS_BIRTH"]["description"].lower()
    assert "365243" in schema["DAYS_EMPLOYED"]["description"]
    kinds = {c.name: c.kind for c in CONTRACT.columns}
    assert all(
        ("Known values" in schema[n]["description"]) for n, k in kinds.items() if k is Kind.CATEGORY
    )


HOSTILE_CATEGORIES = [
    "'; DROP TABLE decisions; --",
    "<script>alert(1)</script>",
    "\u202eBusiness Entity",  # right-to-left override
    "Self\u200d-employed",  # zero-width joiner
    "Trade \U0001f4b3",  # emoji
    "Bank\u0000",
    "Bank\n",
    "Z\u0351algo",  # combining mark
    'Say "hi"',
]


@pytest.mark.parametrize("value", HOSTILE_CATEGORIES)
def test_a_category_with_markup_quotes_or_invisible_characters_is_refused(
    applications: list[dict[str, Any]], value: str
) -> None:
    errors = _errors({**applications[0], "ORGANIZATION_TYPE": value})
    assert errors == {"ORGANIZATION_TYPE": "category_characters"}


@pytest.mark.parametrize("value", ["Crypto exchange", "Industry: type 14", "Café (Paris) & co-op"])
def test_a_plausible_unseen_category_is_accepted(
    applications: list[dict[str, Any]], value: str
) -> None:
    parsed = application_model().model_validate({**applications[0], "ORGANIZATION_TYPE": value})
    assert value == parsed.ORGANIZATION_TYPE  # type: ignore[attr-defined]
