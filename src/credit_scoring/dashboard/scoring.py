"""Scoring one application from the dashboard, with the served model's own code path.

The dashboard scores with the bundle directly (:class:`~credit_scoring.runtime.scorer.Scorer`,
the one scoring path of the API and ``score-batch``) rather than by calling the API, because a
what-if typed by an analyst is not a real decision: through the API it would be written to the
decision log and skew monitoring, and the dashboard never writes.
It also works without a running API or an API key in the dashboard's configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from credit_scoring.runtime.history_store import load_history
from credit_scoring.runtime.scorer import Scored, Scorer
from credit_scoring.runtime.source import load_source
from credit_scoring.schema import DAYS_SENTINEL, Kind, table
from credit_scoring.serving.schemas.application import APPLICATION_TABLE, application_model
from credit_scoring.settings import Settings

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class FormField:
    """A field of the form: the schema column it fills, its label and input kind."""

    column: str
    label: str
    kind: str  # "category" | "amount" | "count" | "score" | "years" | "id"


#: The fields an analyst edits; every other column keeps the API example's value.
FORM_FIELDS: tuple[FormField, ...] = (
    FormField("SK_ID_CURR", "Client id (history lookup)", "id"),
    FormField("NAME_CONTRACT_TYPE", "Contract type", "category"),
    FormField("AMT_INCOME_TOTAL", "Yearly income", "amount"),
    FormField("AMT_CREDIT", "Credit amount", "amount"),
    FormField("AMT_ANNUITY", "Annuity", "amount"),
    FormField("AMT_GOODS_PRICE", "Goods price", "amount"),
    FormField("DAYS_BIRTH", "Age (years)", "years"),
    FormField("DAYS_EMPLOYED", "Years employed", "years"),
    FormField("EXT_SOURCE_1", "External score 1 (empty: missing)", "score"),
    FormField("EXT_SOURCE_2", "External score 2 (empty: missing)", "score"),
    FormField("EXT_SOURCE_3", "External score 3 (empty: missing)", "score"),
    FormField("NAME_EDUCATION_TYPE", "Education", "category"),
    FormField("NAME_INCOME_TYPE", "Income type", "category"),
    FormField("OCCUPATION_TYPE", "Occupation", "category"),
    FormField("NAME_FAMILY_STATUS", "Family status", "category"),
    FormField("CODE_GENDER", "Gender (fairness report only)", "category"),
    FormField("CNT_CHILDREN", "Children", "count"),
    FormField("REGION_RATING_CLIENT_W_CITY", "Region rating (1 best – 3)", "count"),
)


def default_application() -> dict[str, Any]:
    """The API's documented example application: a plausible, valid default."""
    extra = application_model().model_config.get("json_schema_extra")
    examples = extra.get("examples", [{}]) if isinstance(extra, dict) else [{}]
    return dict(examples[0])  # type: ignore[arg-type,index]


def categories(column: str) -> tuple[str, ...]:
    spec = table(APPLICATION_TABLE).column(column)
    if spec.kind is not Kind.CATEGORY:
        raise ValueError(f"{column} is not categorical")
    return spec.categories


def nullable(column: str) -> bool:
    return table(APPLICATION_TABLE).column(column).nullable


def years_to_days(years: float) -> int:
    """Years before the application as a negative day offset."""
    return -round(years * DAYS_PER_YEAR)


def days_to_years(days: float) -> float:
    return round(-float(days) / DAYS_PER_YEAR, 1)


def build_application(
    values: Mapping[str, Any], *, not_employed: bool, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The raw application from form values (ages/years converted to day offsets; ``None``
    leaves a nullable field missing; ``not_employed`` writes the 365243 sentinel)."""
    application = dict(default_application() if base is None else base)
    for field in FORM_FIELDS:
        if field.column not in values:
            continue
        value = values[field.column]
        if field.kind == "years" and value is not None:
            value = years_to_days(float(value))
        if field.kind in ("id", "count") and value is not None:
            value = int(value)
        if value is None or value == "":
            application.pop(field.column, None)
        else:
            application[field.column] = value
    if not_employed:
        application["DAYS_EMPLOYED"] = DAYS_SENTINEL
    return application


@dataclass(frozen=True)
class ScoreOutcome:
    """A validated and scored application, or the validation errors (field: message)."""

    scored: Scored | None
    errors: dict[str, str]


def score_application(model: Scorer, application: Mapping[str, Any]) -> ScoreOutcome:
    """Validate with the API's request model, then score with the served model."""
    try:
        validated = application_model().model_validate(dict(application))
    except ValidationError as exc:
        errors = {
            ".".join(str(p) for p in error["loc"]) or "application": str(error["msg"])
            for error in exc.errors()
        }
        return ScoreOutcome(None, errors)
    fields = validated.model_dump(exclude_unset=True)
    return ScoreOutcome(model.score_one(fields), {})


def load_model(settings: Settings, database_url: str) -> Scorer:
    """The served model of ``settings.model_uri`` with the history store of ``database_url``
    (read only; a registry reference is downloaded under ``settings.home``)."""
    bundle = load_source(settings.resolved_model_uri, settings).bundle
    history = load_history(database_url, bundle.history_version)
    return Scorer(bundle, history, review_band=settings.review_band)
