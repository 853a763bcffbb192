"""Request bodies (what clients send), besides the application itself."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, TypeAdapter, create_model
from typing_extensions import TypedDict

from credit_scoring.serving.schemas.application import application_dict, application_model

#: Request ids are UUIDs in canonical text form.
REQUEST_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
RequestId = Annotated[
    str, Field(pattern=REQUEST_ID_PATTERN, examples=["0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"])
]


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
    observed_at: AwareDatetime | None = Field(
        default=None,
        description="When the outcome was observed (ISO 8601 with offset); default now.",
    )
