"""Bad-input drills against the running API.

- ``fuzz``: schemathesis generates requests for every operation of ``/openapi.json`` (valid
  and invalid data, half each), with a key holding every scope, until at least ``cases``
  requests were sent; no answer may be a 5xx (schema conformance of the answers is reported).
- ``hostile``: a fixed battery of hostile requests (huge and endless bodies, deep nesting,
  NaN/Infinity, huge numbers, wrong types, SQL/HTML, unicode tricks, NUL, wrong content type,
  empty body, duplicate keys, a batch over the limit …): each must get the expected 4xx with
  a JSON error body naming the problem, and the API must still score and log afterwards.
"""

from __future__ import annotations

import http.client
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

import bench_api
from bench_api import Artefacts
from drill_load import settled_ids, wait_for_drain
from drill_support import DrillResult, Stack, log

# -- fuzz ---------------------------------------------------------------------------------------

#: The pagination cursor is opaque: a random string is schema-valid yet rightly refused (400).
#: Timestamps outside 1970–2199 are refused (422) though the date-time format allows any year.
OPAQUE_INPUTS = {"GET /v1/scores", "POST /v1/outcomes"}


def drill_fuzz(stack: Stack, *, cases: int) -> DrillResult:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    result = DrillResult("fuzz")
    headers = {"X-API-Key": stack.keys["everything"]}
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    statuses: Counter[int] = Counter()
    by_mode: dict[str, Counter[int]] = {"positive": Counter(), "negative": Counter()}
    per_operation: Counter[str] = Counter()
    server_errors: list[str] = []
    nonconforming: Counter[str] = Counter()
    sent = 0

    def run_cases(operation: Any, mode: GenerationMode, examples: int) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            nonlocal sent
            response = case.call(headers=headers, timeout=60)
            sent += 1
            per_operation[label] += 1
            statuses[response.status_code] += 1
            by_mode[mode.value][response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append(f"{label} → {response.status_code}: {response.text[:200]}")
            elif mode is GenerationMode.POSITIVE:
                excluded = [positive_data_acceptance] if label in OPAQUE_INPUTS else []
                try:
                    case.validate_response(response, headers=headers, excluded_checks=excluded)
                except (Exception, BaseExceptionGroup) as exc:  # a finding, not a crash
                    nonconforming[f"{label}: {type(exc).__name__}"] += 1

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # hypothesis could not generate data
            ungenerated[f"{label} {mode.value}"] = type(exc).__name__

    ungenerated: dict[str, str] = {}
    started = time.perf_counter()
    rounds = 0
    while sent < cases and rounds < 10:
        rounds += 1
        share = max(1, math.ceil((cases - sent) / len(operations)))
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run_cases(operation, mode, max(1, share // 2))
        log(f"fuzz: round {rounds}, {sent} cases so far")
    seconds = time.perf_counter() - started
    result.figure("operations in the OpenAPI document", len(operations))
    result.figure("generated cases sent", sent)
    result.figure("cases per operation", dict(per_operation))
    result.figure("statuses", dict(sorted(statuses.items())))
    for mode_name, counts in by_mode.items():
        result.figure(f"statuses, {mode_name} data", dict(sorted(counts.items())))
    result.figure("fuzzing time (s)", seconds)
    result.figure("operation × mode without generated data", ungenerated or 0)
    result.figure("valid-data answers not conforming to the spec", dict(nonconforming) or 0)
    result.check(f"at least {cases:,} generated cases", sent >= cases, f"{sent:,}")
    result.check("every operation fuzzed", len(per_operation) == len(operations))
    result.check("zero server errors (5xx)", not server_errors, "; ".join(server_errors[:5]))
    return result


# -- hostile ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One hostile request and what a correct API answers."""

    name: str
    method: str
    path: str
    body: bytes | Iterator[bytes] | None = None
    content_type: str | None = "application/json"
    expect: tuple[int, ...] = (422,)
    names: str = ""  # the error body must contain this (the field or the problem)
    must_not_echo: str = ""  # nor this (the hostile value itself)
    #: Accepted by the contract (a 200): the logged input must hold exactly this field value.
    logged: tuple[str, Any] | None = None


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _with(base: dict[str, Any], **fields: Any) -> bytes:
    return _dumps({**base, **fields})


def _raw_with(base: dict[str, Any], field: str, raw_value: bytes) -> bytes:
    """``base`` with ``field`` set to a raw JSON token (NaN, 1e309, …) orjson would not write."""
    body = _dumps({**base, field: 0})
    marker = f'"{field}":0'.encode()
    assert marker in body
    return body.replace(marker, f'"{field}":'.encode() + raw_value, 1)


def _nested(depth: int, opening: bytes, closing: bytes, inner: bytes = b"1") -> bytes:
    return opening * depth + inner + closing * depth


def _endless_chunks(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    yield b'{"SK_ID_CURR": 1, "PAD": "'
    for _ in range(total // chunk):
        yield b"a" * chunk
    yield b'"}'


def battery(application: dict[str, Any], max_batch_size: int) -> list[Hostile]:
    """The hostile requests (≥ 30), built around one valid application."""
    a = application
    score, batch = "/v1/scores", "/v1/scores/batch"
    sql = "1'; DROP TABLE decisions; --"
    script = "<script>alert(1)</script>"
    big = 50 * 2**20
    huge = b'{"SK_ID_CURR": 1, "PAD": "' + b"a" * big + b'"}'
    cases = [
        Hostile(
            "50 MB body (Content-Length)", "POST", score, huge, expect=(413,), names="too large"
        ),
        Hostile(
            "50 MB body (chunked, no length)",
            "POST",
            score,
            _endless_chunks(big),
            expect=(413,),
            names="too large",
        ),
        Hostile(
            f"batch of {max_batch_size + 1} (over the limit)",
            "POST",
            batch,
            _dumps({"applications": [a] * (max_batch_size + 1)}),
            names="applications",
        ),
        Hostile("empty batch", "POST", batch, _dumps({"applications": []}), names="applications"),
        Hostile(
            "10,000-deep arrays as the body",
            "POST",
            score,
            _nested(10_000, b"[", b"]"),
            names="body",
        ),
        Hostile(
            "10,000-deep objects as the body",
            "POST",
            score,
            _nested(10_000, b'{"a":', b"}"),
            names="body",
        ),
        Hostile(
            "10,000-deep arrays in a field",
            "POST",
            score,
            _raw_with(a, "AMT_CREDIT", _nested(10_000, b"[", b"]")),
            names="body",
        ),
        Hostile("NaN token", "POST", score, _raw_with(a, "AMT_CREDIT", b"NaN"), names="AMT_CREDIT"),
        Hostile(
            "Infinity token",
            "POST",
            score,
            _raw_with(a, "AMT_CREDIT", b"Infinity"),
            names="AMT_CREDIT",
        ),
        Hostile(
            "-Infinity token",
            "POST",
            score,
            _raw_with(a, "AMT_ANNUITY", b"-Infinity"),
            names="AMT_ANNUITY",
        ),
        Hostile('"NaN" string', "POST", score, _with(a, AMT_CREDIT="NaN"), names="AMT_CREDIT"),
        Hostile(
            '"Infinity" string', "POST", score, _with(a, AMT_CREDIT="Infinity"), names="AMT_CREDIT"
        ),
        Hostile(
            '"-Infinity" string',
            "POST",
            score,
            _with(a, EXT_SOURCE_2="-Infinity"),
            names="EXT_SOURCE_2",
        ),
        Hostile(
            "1e309 (overflows a double)",
            "POST",
            score,
            _raw_with(a, "AMT_INCOME_TOTAL", b"1e309"),
            names="AMT_INCOME_TOTAL",
        ),
        Hostile("-1e309", "POST", score, _raw_with(a, "AMT_CREDIT", b"-1e309"), names="AMT_CREDIT"),
        Hostile(
            "400-digit integer id",
            "POST",
            score,
            _raw_with(a, "SK_ID_CURR", b"9" * 400),
            names="SK_ID_CURR",
        ),
        Hostile("id as a string", "POST", score, _with(a, SK_ID_CURR="100001"), names="SK_ID_CURR"),
        Hostile("id as a boolean", "POST", score, _with(a, SK_ID_CURR=True), names="SK_ID_CURR"),
        Hostile("id as a fraction", "POST", score, _with(a, SK_ID_CURR=1.5), names="SK_ID_CURR"),
        Hostile("negative id", "POST", score, _with(a, SK_ID_CURR=-1), names="SK_ID_CURR"),
        Hostile("amount as a list", "POST", score, _with(a, AMT_CREDIT=[1, 2]), names="AMT_CREDIT"),
        Hostile(
            "amount as an object",
            "POST",
            score,
            _with(a, AMT_CREDIT={"$gt": 0}),
            names="AMT_CREDIT",
        ),
        Hostile(
            "category as a number",
            "POST",
            score,
            _with(a, NAME_CONTRACT_TYPE=5),
            names="NAME_CONTRACT_TYPE",
        ),
        Hostile(
            "required category null",
            "POST",
            score,
            _with(a, NAME_CONTRACT_TYPE=None),
            names="NAME_CONTRACT_TYPE",
        ),
        Hostile(
            "required field missing",
            "POST",
            score,
            _dumps({k: v for k, v in a.items() if k != "SK_ID_CURR"}),
            names="SK_ID_CURR",
        ),
        Hostile(
            "out of range (EXT_SOURCE_2 = 7)",
            "POST",
            score,
            _with(a, EXT_SOURCE_2=7.0),
            names="EXT_SOURCE_2",
        ),
        Hostile(
            "SQL injection in a numeric field",
            "POST",
            score,
            _with(a, SK_ID_CURR=sql),
            names="SK_ID_CURR",
            must_not_echo=sql,
        ),
        Hostile(
            "SQL injection as a field name",
            "POST",
            score,
            _dumps({**a, sql: 1}),
            names="DROP TABLE",
            must_not_echo="",
        ),
        Hostile(
            "<script> in a numeric field",
            "POST",
            score,
            _with(a, AMT_CREDIT=script),
            names="AMT_CREDIT",
            must_not_echo=script,
        ),
        Hostile(
            "<script> in an overlong category (201 chars)",
            "POST",
            score,
            _with(a, ORGANIZATION_TYPE=script + "x" * 176),
            names="ORGANIZATION_TYPE",
            must_not_echo=script,
        ),
        Hostile(
            "SQL injection in the decision id",
            "GET",
            "/v1/scores/1'%20OR%20'1'='1",
            None,
            None,
            names="request_id",
        ),
        Hostile(
            "SQL injection in client_id",
            "GET",
            "/v1/scores?client_id=1%20OR%201=1",
            None,
            None,
            names="client_id",
        ),
        Hostile(
            "SQL injection in the cursor",
            "GET",
            "/v1/scores?cursor=%27%3B%20DROP%20TABLE%20decisions%3B--",
            None,
            None,
            expect=(400,),
            names="cursor",
        ),
        Hostile(
            "zero-width space in a field name",
            "POST",
            score,
            _dumps(
                {
                    **{k: v for k, v in a.items() if k != "SK_ID_CURR"},
                    "SK_ID_CURR\u200b": a["SK_ID_CURR"],
                }
            ),
            names="SK_ID_CURR",
        ),
        Hostile(
            "right-to-left override in a field name",
            "POST",
            score,
            _dumps({**a, "\u202eRUC_DI_KS": 1}),
            names="RUC_DI_KS",
        ),
        Hostile("emoji field name", "POST", score, _dumps({**a, "💳": 1}), names="💳"),
        Hostile(
            "raw NUL byte inside a string",
            "POST",
            score,
            _with(a, NAME_CONTRACT_TYPE="Cash loans").replace(b"Cash loans", b"Cash\x00"),
            names="body",
        ),
        Hostile(
            "invalid UTF-8",
            "POST",
            score,
            _with(a, NAME_CONTRACT_TYPE="Cash loans").replace(b"Cash", b"\xff\xfe"),
            names="body",
        ),
        Hostile(
            "trailing garbage after the JSON", "POST", score, _dumps(a) + b" DROP", names="body"
        ),
        # Accepted by the contract (see ACCEPTED): the value scored is the value logged.
        Hostile(
            "duplicate key (id twice): the last one is scored",
            "POST",
            score,
            _dumps(a)[:-1] + b',"SK_ID_CURR":' + str(a["SK_ID_CURR"] + 1).encode() + b"}",
            expect=(200,),
            names="request_id",
            logged=("SK_ID_CURR", a["SK_ID_CURR"] + 1),
        ),
        *(
            Hostile(
                f"{label} in a category",
                "POST",
                score,
                _with(a, ORGANIZATION_TYPE=value),
                names="ORGANIZATION_TYPE",
            )
            for label, value in (
                ("SQL injection", sql),
                ("<script>", script),
                ("right-to-left override", "\u202eBusiness Entity"),
                ("zero-width joiner", "Self\u200d-employed"),
                ("emoji", "Trade \U0001f4b3\U0001f3e6"),
                ("escaped NUL", "Bank\u0000"),
                ("combining marks", "Z\u0351\u0352\u0353algo"),
            )
        ),
        Hostile(
            "a plausible category outside the vocabulary: scored as unseen",
            "POST",
            score,
            _with(a, ORGANIZATION_TYPE="Space travel: type 1"),
            expect=(200,),
            names="request_id",
            logged=("ORGANIZATION_TYPE", "Space travel: type 1"),
        ),
        Hostile(
            "wrong content type (text/plain)",
            "POST",
            score,
            _dumps(a),
            "text/plain",
            expect=(415,),
            names="application/json",
        ),
        Hostile(
            "form content type",
            "POST",
            score,
            b"SK_ID_CURR=1",
            "application/x-www-form-urlencoded",
            expect=(415,),
            names="application/json",
        ),
        Hostile(
            "no content type",
            "POST",
            score,
            _dumps(a),
            None,
            expect=(415,),
            names="application/json",
        ),
        Hostile("empty body", "POST", score, b"", names="body"),
        Hostile("body is a JSON array", "POST", score, b"[]", names="body"),
        Hostile("body is null", "POST", score, b"null", names="body"),
        Hostile(
            "outcome with a non-boolean",
            "POST",
            "/v1/outcomes",
            _dumps({"request_id": "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b", "defaulted": "yes"}),
            names="defaulted",
        ),
        Hostile(
            "outcome with SQL as the id",
            "POST",
            "/v1/outcomes",
            _dumps({"request_id": sql, "defaulted": True}),
            names="request_id",
            must_not_echo=sql,
        ),
    ]
    return cases


#: Why the battery's 200 cases are accepted rather than refused.
ACCEPTED = (
    "a category value outside the training vocabulary made of letters, digits, spaces and "
    "_ , . / : ( ) + & - is scored as an unseen category (docs/api.md) and stored verbatim",
    "duplicate keys: the last value wins, as in every JSON parser on the path, and the decision "
    "log records exactly the value scored; detecting them would need a second parse costing "
    "about twice the validation per request",
)


def send(port: int, case: Hostile, key: str) -> tuple[int, str, bytes]:
    """``(status, content type, body)``; ``(0, error, b"")`` when no answer came back."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"X-API-Key": key}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    try:
        if case.body is None or isinstance(case.body, bytes):
            connection.request(case.method, case.path, body=case.body, headers=headers)
        else:
            connection.request(
                case.method, case.path, body=case.body, headers=headers, encode_chunked=True
            )
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered (and closed) before reading it all: read that answer
    try:
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"{type(exc).__name__}: {exc}", b""
    finally:
        connection.close()


def drill_hostile(stack: Stack, artefacts: Artefacts) -> DrillResult:
    from credit_scoring.settings import get_settings

    result = DrillResult("hostile")
    application = bench_api.applications(artefacts.data_dir)[0]
    cases = battery(application, get_settings().max_batch_size)
    key = stack.keys["everything"]
    baseline = settled_ids(stack.database_url)
    bad: list[str] = []
    accepted: list[tuple[Hostile, str]] = []
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    for case in cases:
        status, content_type, body = send(stack.port, case, key)
        statuses[status] += 1
        text = body.decode("utf-8", "replace")
        problems = []
        if status not in case.expect:
            problems.append(f"status {status} (expected {case.expect})")
        if "json" not in content_type:
            problems.append(f"content type {content_type!r}")
        try:
            detail = orjson.loads(body)["detail" if status != 200 else "request_id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            detail = None
            problems.append("no JSON body with a detail (an error) or request_id (a score)")
        if case.names and case.names.lower() not in text.lower():
            problems.append(f"error does not name {case.names!r}")
        if case.must_not_echo and case.must_not_echo in text:
            problems.append("the hostile value is echoed back")
        shown = orjson.dumps(detail).decode()[:160] if detail is not None else text[:160]
        print(f"    {status:>3} {case.name:<48} {'ok' if not problems else 'BAD'}  {shown}")
        if case.logged is not None and status == 200:
            accepted.append((case, orjson.loads(body)["request_id"]))
        if problems:
            bad.append(f"{case.name}: {', '.join(problems)}")
    seconds = time.perf_counter() - started
    verbatim = _logged_verbatim(stack, accepted)
    after = _still_healthy(stack, application)
    result.figure("hostile requests", len(cases))
    result.figure("statuses", dict(sorted(statuses.items())))
    result.figure("battery time (s)", seconds)
    result.check("at least 30 hostile requests", len(cases) >= 30, len(cases))
    result.check(
        "zero server errors (5xx) and no dropped connection",
        not any(s >= 500 or s == 0 for s in statuses),
        dict(statuses),
    )
    result.check(
        "each one the expected 4xx with a JSON error naming the problem", not bad, "; ".join(bad)
    )
    result.check(
        "API healthy, scoring and logging afterwards",
        after == "",
        after or "healthz 200, a score 200 and its row in the database",
    )
    result.check(
        "accepted hostile values are logged exactly as scored",
        not verbatim,
        "; ".join(verbatim) or f"{len(accepted)} read back from the decision log",
    )
    rows = settled_ids(stack.database_url) - baseline
    result.check(
        "no decision logged for a refused request",
        len(rows) == len(accepted) + 1,
        f"{len(rows)} new row(s) for {len(accepted)} accepted + 1 health check",
    )
    result.notes += [f"accepted by design: {why}" for why in ACCEPTED]
    return result


def _logged_verbatim(stack: Stack, accepted: list[tuple[Hostile, str]]) -> list[str]:
    """Problems found reading the accepted decisions back from the database."""
    problems = []
    wait_for_drain(stack.database_url, [rid for _, rid in accepted])
    headers = {"X-API-Key": stack.keys["read"]}
    for case, request_id in accepted:
        connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        connection.request("GET", f"/v1/scores/{request_id}", headers=headers)
        reply = connection.getresponse()
        detail = orjson.loads(reply.read())
        connection.close()
        assert case.logged is not None
        field, value = case.logged
        if reply.status != 200 or not detail.get("logged"):
            problems.append(f"{case.name}: not in the decision log ({reply.status})")
        elif detail["application"].get(field) != value:
            problems.append(f"{case.name}: logged {detail['application'].get(field)!r}")
    return problems


def _still_healthy(stack: Stack, application: dict[str, Any]) -> str:
    """'' when the API answers its probe, scores a valid application and logs it."""
    health = send(stack.port, Hostile("health", "GET", "/healthz", None, None), "")
    if health[0] != 200:
        return f"healthz {health[0]}"
    status, _, body = send(
        stack.port,
        Hostile("valid", "POST", "/v1/scores", _dumps(application)),
        stack.keys["score"],
    )
    if status != 200:
        return f"a valid application got {status}: {body[:200]!r}"
    request_id = orjson.loads(body)["request_id"]
    ids, _ = wait_for_drain(stack.database_url, [request_id])
    return "" if request_id in ids else "the valid decision did not reach the database"
