"""Error responses documented in OpenAPI, shared by the routers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str


class FieldError(BaseModel):
    field: str
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    detail: list[FieldError]


def _doc(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"model": model, "description": description}


Responses = dict[int | str, dict[str, Any]]

AUTH: Responses = {
    401: _doc("Missing, invalid or revoked API key."),
    403: _doc("The API key lacks the scope this route needs."),
}
INVALID: Responses = {422: _doc("Invalid request: every bad field and why.", ValidationErrorBody)}
TOO_LARGE: Responses = {413: _doc("Request body larger than the configured limit.")}
UNAVAILABLE: Responses = {
    503: _doc("No model loaded yet, or the decision could not be made durable.")
}
NOT_FOUND: Responses = {404: _doc("No decision with this request id.")}
LOG_UNAVAILABLE: Responses = {503: _doc("The decision log database is unavailable.")}


def documented(status_code: int, description: str, model: type[BaseModel] = ErrorBody) -> Responses:
    """One more answer of a route, for OpenAPI (an error body unless ``model`` says otherwise)."""
    return {status_code: _doc(description, model)}
