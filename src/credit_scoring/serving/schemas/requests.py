"""Request bodies (what clients send), besides the application itself."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    create_model,
)
from typing_extensions import TypedDict

from credit_scoring.serving.schemas.application import application_dict, application_model

#: Request ids are UUIDs in canonical text form, accepted in any case (stored lower-case).
REQUEST_ID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
RequestId = Annotated[
    str,
    Field(pattern=REQUEST_ID_PATTERN, examples=["0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"]),
    AfterValidator(str.lower),
]

#: The range of timestamps clients may send (UTC): anything outside is a client mistake
#: (``0001-01-01T00:00:00+14:00`` is not even representable in UTC).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_sane_range(value: datetime) -> datetime:
    """``value`` in UTC, or a ``ValueError`` (which never quotes the value) when it lies
    outside [1970, 2200)."""
    try:
        as_utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        as_utc = None
    if as_utc is None or not EARLIEST <= as_utc < LATEST:
        raise ValueError("timestamp out of range: expected 1970-01-01 to 2199-12-31 (UTC)")
    return as_utc


#: An ISO 8601 timestamp with an offset, within a sane range, returned in UTC.
Timestamp = Annotated[AwareDatetime, AfterValidator(_in_sane_range)]


@cache
def batch_request_model(max_batch_size: int) -> type[BaseModel]:
    """``{"applications": [...]}`` with 1 to ``max_batch_size`` applications."""
    application = application_model()
    fields: dict[str, Any] = {
        "applications": (
            list[application],  # type: ignore[valid-type]
            Field(
                min_length=1,
                max_length=max_batch_size,
                description=f"1 to {max_batch_size} applications, scored independently.",
            ),
        )
    }
    return create_model("ScoreBatchRequest", __config__=ConfigDict(extra="forbid"), **fields)


#: ``TypedDict`` called with computed fields (kept dynamic for the type checker).
_typed_dict: Any = TypedDict


@cache
def application_validator() -> TypeAdapter[dict[str, Any]]:
    """Validates one application's JSON into a plain dict of the fields sent."""
    return TypeAdapter(application_dict())


@cache
def batch_validator(max_batch_size: int) -> TypeAdapter[dict[str, Any]]:
    """Validates a batch's JSON: ``{"applications": [dict, ...]}``."""
    applications: Any = list[application_dict()]  # type: ignore[misc]
    batch: Any = _typed_dict(
        "ScoreBatchRequest",
        {"applications": Annotated[applications, Field(min_length=1, max_length=max_batch_size)]},
    )
    batch.__pydantic_config__ = ConfigDict(extra="forbid")
    return TypeAdapter(batch)


class OutcomeCreate(BaseModel):
    """The observed outcome of an earlier decision (for realised-performance monitoring)."""

    model_config = ConfigDict(extra="forbid")

    request_id: RequestId
    defaulted: Annotated[bool, Strict()] = Field(
        description="true: the client defaulted; false: the loan was repaid."
    )
    observed_at: Timestamp | None = Field(
        default=None,
        description="When the outcome was observed (ISO 8601 with offset); default now.",
    )
