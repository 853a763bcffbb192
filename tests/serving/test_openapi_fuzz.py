"""OpenAPI fuzzing (schemathesis): generated requests never cause a server error, and every
answer conforms to the documented status codes, content types and schemas."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from credit_scoring.serving.app import create_app

#: Generated cases per operation in the default suite (bounded to keep it fast).
EXAMPLES_PER_OPERATION = 12
#: The pagination cursor is opaque: a random string is schema-valid yet rightly refused (400);
#: timestamps (``since``, ``until``, ``observed_at``) outside 1970–2199 are refused (422)
#: though the date-time format allows any year.
OPAQUE_INPUTS = {("GET", "/v1/scores"), ("POST", "/v1/outcomes")}


def test_generated_requests_cause_no_server_error(e2e_settings: Any, keys: Any, serve: Any) -> None:
    """Against the real model: generated values go through the real feature code too."""
    app = create_app(e2e_settings)
    headers = {"X-API-Key": keys.everything}
    with serve(app) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def check(case: Any) -> None:
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.path, response.text[:300])
                excluded = (
                    [positive_data_acceptance]
                    if (case.method.upper(), case.path) in OPAQUE_INPUTS
                    else []
                )
                case.validate_response(response, headers=headers, excluded_checks=excluded)

            check()
