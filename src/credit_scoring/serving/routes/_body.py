"""JSON request bodies parsed and validated in one pass by pydantic-core.

The scoring routes read the raw body and call ``model_validate_json``: about twice as fast as
FastAPI's ``json.loads`` then ``model_validate``, and a NaN or Infinity literal is reported on
its field like any other bad value. Validation yields plain dicts (``TypeAdapter`` over a
``TypedDict``), so there is no model instance to dump afterwards. The body is still documented
in OpenAPI (see :func:`request_body`) and errors answer 422 through the app's handler.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class JsonValidator(Protocol[T_co]):
    """A ``TypeAdapter`` or anything validating JSON bytes the same way."""

    def validate_json(self, data: bytes, /) -> T_co: ...


async def parse_body(request: Request, validator: TypeAdapter[T] | JsonValidator[T]) -> T:
    """The request body validated by ``validator``; raises :class:`RequestValidationError`,
    or a 415 when the body is not declared as JSON (it would otherwise be parsed anyway)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="Content-Type must be application/json",
        )
    body = await request.body()
    try:
        return validator.validate_json(body)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise RequestValidationError(errors) from None


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON body (schema in components)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }
