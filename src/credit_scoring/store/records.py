"""The decision record: one type for every answered decision, and its encodings.

:class:`DecisionRecord` lists the fields of a logged decision in the order of the
``decisions`` table (a test holds them equal). Everything else derives from it:

* the answer of ``POST /v1/scores`` is the record's :data:`ANSWER_FIELDS`, and the API's
  response models (``ScoreResult``, ``DecisionSummary``, ``DecisionDetail``) are built from
  the record's field types and descriptions by :func:`record_model`;
* the spool keeps each decision as JSON (:func:`record_encoder`: the answer's bytes followed
  by :data:`LOGGED_FIELDS`), with the application's fields (``raw_input``, JSON as sent) and
  the model row (``features``, float64 little-endian) beside it;
* the drain writes it with :meth:`DecisionRecord.as_row` (SQLite) or :func:`copy_values` and
  :data:`COPY_TYPES` (PostgreSQL binary ``COPY``, columns in table order).

Why the answer is spliced as bytes rather than dumped from a record: the JSON of the answer is
written once and reused both as the response body and as the head of the spooled record, which
keeps the request path at one ``orjson.dumps`` per decision (``benchmarks/bench_api.py``).
``tests/store/test_records.py`` checks the splice gives the very bytes of dumping the record.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, LargeBinary
from typing_extensions import TypedDict

from credit_scoring.store.tables import decisions

Decision = Literal["APPROVE", "REFUSE", "REVIEW"]


class Reason(TypedDict):
    """One reason for the decision: a feature group pushing toward default."""

    code: Annotated[str, Field(examples=["EXT_SOURCE"])]
    text: Annotated[str, Field(examples=["Low external credit scores"])]
    contribution: Annotated[
        float, Field(description="Contribution to the log-odds of default (> 0: riskier).")
    ]


class CounterOffer(TypedDict):
    """The largest credit amount the same model approves, for a REFUSE or REVIEW decision."""

    amount: Annotated[
        float, Field(description="Credit amount (currency units), below the request.")
    ]
    annuity: Annotated[
        float | None, Field(description="Annuity scaled with the amount (same term).")
    ]
    goods_price: Annotated[
        float | None, Field(description="Goods price scaled, capped at the amount.")
    ]
    probability: Annotated[
        float, Field(ge=0.0, le=1.0, description="Probability of default at it.")
    ]
    points: Annotated[int, Field(description="Score points at the offered amount.")]


@dataclasses.dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One answered decision: what was asked, what was answered, by which model, when."""

    request_id: Annotated[str, Field(description="UUIDv7: sorts by time.")]
    batch_id: Annotated[str | None, Field(description="The batch it was scored in, if any.")]
    created_at: Annotated[datetime, Field(description="When it was decided (UTC).")]
    client_id: Annotated[int, Field(description="SK_ID_CURR of the application.")]
    model_version: str
    bundle_checksum: Annotated[str, Field(description="SHA-256 of the model bundle.")]
    feature_set_version: Annotated[
        str, Field(description="History version: feature set and the data it was built from.")
    ]
    probability: Annotated[
        float, Field(ge=0.0, le=1.0, description="Calibrated probability of default.")
    ]
    log_odds: Annotated[float, Field(description="Raw log-odds of default of the model.")]
    score: Annotated[
        int, Field(description="Score points: 600 at odds 50:1 good:bad, 20 points to double.")
    ]
    decision: Decision
    threshold: Annotated[
        float, Field(description="Probability of default at and above which we refuse.")
    ]
    reasons: Annotated[list[Reason], Field(max_length=4)]
    history_found: Annotated[
        bool, Field(description="false: the client has no history; scored without it.")
    ]
    latency_ms: Annotated[
        float, Field(description="Request received → decision, before the spool write (ms).")
    ]
    raw_input: Annotated[dict[str, Any], Field(description="The application's fields as sent.")]
    features: Annotated[
        bytes | None, Field(description="The model row: float64 little-endian, bundle order.")
    ] = None
    challenger_version: Annotated[
        str | None, Field(description="The shadow challenger scored beside the model, if any.")
    ] = None
    challenger_probability: Annotated[
        float | None, Field(description="The challenger's probability of default (logged only).")
    ] = None
    challenger_decision: Annotated[
        str | None, Field(description="The challenger's decision (logged, never answered).")
    ] = None
    challenger_score: Annotated[int | None, Field(description="The challenger's points.")] = None
    counter_offer: Annotated[
        CounterOffer | None,
        Field(description="For REFUSE/REVIEW: the largest approvable amount; else null."),
    ] = None

    def as_row(self) -> dict[str, Any]:
        """The ``decisions`` row (column → value)."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    def model_row(self) -> NDArray[np.float64] | None:
        """The model row (float64, the bundle's feature order), if it was logged."""
        return features_from_blob(self.features)


#: Every field, in ``decisions`` column order.
RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(DecisionRecord))
#: The answer to one application (``POST /v1/scores``), in the order it is written.
ANSWER_FIELDS: tuple[str, ...] = (
    "request_id",
    "client_id",
    "probability",
    "score",
    "decision",
    "threshold",
    "reasons",
    "counter_offer",
    "model_version",
    "history_found",
    "created_at",
)
#: Logged but not answered, written after the answer in the spooled JSON.
LOGGED_FIELDS: tuple[str, ...] = (
    "batch_id",
    "bundle_checksum",
    "feature_set_version",
    "latency_ms",
    "log_odds",
    "challenger_version",
    "challenger_probability",
    "challenger_decision",
    "challenger_score",
)
#: Spooled beside the JSON record: the fields as sent (JSON) and the model row (bytes).
APART_FIELDS: tuple[str, ...] = ("raw_input", "features")
#: A logged decision as listed (``GET /v1/scores``).
SUMMARY_FIELDS: tuple[str, ...] = (
    "request_id",
    "batch_id",
    "created_at",
    "client_id",
    "probability",
    "score",
    "decision",
    "threshold",
    "model_version",
    "history_found",
    "latency_ms",
)
#: What a decision's detail adds to its summary (``raw_input`` is answered as ``application``).
DETAIL_FIELDS: tuple[str, ...] = (
    "bundle_checksum",
    "feature_set_version",
    "log_odds",
    "reasons",
    "counter_offer",
)
_JSON_FIELDS = frozenset(c.name for c in decisions.columns if isinstance(c.type, JSON))
_NULLABLE_JSON = frozenset(
    c.name for c in decisions.columns if c.name in _JSON_FIELDS and c.nullable
)


# -- the spooled JSON -------------------------------------------------------------------------


def _key(name: str) -> bytes:
    return b',"' + name.encode() + b'":'


#: Fields the decisions of one request share: given once to :func:`record_encoder`.
SHARED_FIELDS: tuple[str, ...] = (
    "created_at",
    "model_version",
    "threshold",
    "batch_id",
    "bundle_checksum",
    "feature_set_version",
    "latency_ms",
)
#: Fields of each decision: the keyword arguments of an :class:`EncodeDecision`.
OWN_FIELDS: tuple[str, ...] = tuple(
    name for name in (*ANSWER_FIELDS, *LOGGED_FIELDS) if name not in SHARED_FIELDS
)


class EncodeDecision(Protocol):
    """Encodes one decision of a request: ``(answer JSON, record JSON)``."""

    def __call__(
        self,
        *,
        request_id: str,
        client_id: int,
        probability: float,
        score: int,
        decision: str,
        reasons: Sequence[Mapping[str, Any]],
        counter_offer: Mapping[str, Any] | None,
        history_found: bool,
        log_odds: float,
        challenger_version: str | None,
        challenger_probability: float | None,
        challenger_decision: str | None,
        challenger_score: int | None,
    ) -> tuple[bytes, bytes]: ...


def _encoder_factory() -> Callable[..., EncodeDecision]:
    """Compile, from the field lists, the function that writes one decision's answer and
    record: a dict literal in :data:`ANSWER_FIELDS` order dumped once, then the logged fields
    appended as bytes. Generated rather than looping over the field names because this runs
    for every decision on the request path: the loop costs about 3 µs more per decision
    (a batch of 1,000: 3 ms; ``benchmarks/bench_api.py``), the generated code as much as a
    hand-written literal."""
    shared_logged = [name for name in LOGGED_FIELDS if name in SHARED_FIELDS]
    own_logged = [name for name in LOGGED_FIELDS if name not in SHARED_FIELDS]
    if (*shared_logged, *own_logged) != LOGGED_FIELDS:
        raise RuntimeError("the shared logged fields must come first in LOGGED_FIELDS")
    shared_answer = [name for name in ANSWER_FIELDS if name in SHARED_FIELDS]
    items = ", ".join(f"{name!r}: {name}" for name in ANSWER_FIELDS)
    tail = "".join(f", {_key(name)!r}, dumps({name})" for name in own_logged)
    source = (
        f"def make(shared_tail, {', '.join(shared_answer)}):\n"
        f"    def encode(*, {', '.join(OWN_FIELDS)}):\n"
        f"        answer = dumps({{{items}}})\n"
        f"        return answer, b''.join((answer[:-1], shared_tail{tail}, b'}}'))\n"
        f"    return encode\n"
    )
    namespace: dict[str, Any] = {"dumps": orjson.dumps}
    exec(compile(source, "<decision record encoder>", "exec"), namespace)
    factory: Callable[..., EncodeDecision] = namespace["make"]
    return factory


_make_encoder = _encoder_factory()
_SHARED_LOGGED_KEYS = tuple((name, _key(name)) for name in LOGGED_FIELDS if name in SHARED_FIELDS)
_SHARED_ANSWER = tuple(name for name in ANSWER_FIELDS if name in SHARED_FIELDS)


def record_encoder(shared: Mapping[str, Any]) -> EncodeDecision:
    """The encoder of the decisions of one request, given its :data:`SHARED_FIELDS`.

    Each call takes the :data:`OWN_FIELDS` of one decision and returns its answer (the JSON
    of :data:`ANSWER_FIELDS`, the response body) and its spooled record: the answer's bytes
    with :data:`LOGGED_FIELDS` appended. orjson writes a dict as compact
    ``{"key":value,…}``, so the record is the bytes of :func:`record_json` (tested).
    """
    if len(shared) != len(SHARED_FIELDS) or not all(name in shared for name in SHARED_FIELDS):
        raise ValueError(f"a request shares exactly {list(SHARED_FIELDS)}; got {sorted(shared)}")
    dumps = orjson.dumps
    shared_tail = b"".join([key + dumps(shared[name]) for name, key in _SHARED_LOGGED_KEYS])
    return _make_encoder(shared_tail, *[shared[name] for name in _SHARED_ANSWER])


def record_json(record: DecisionRecord) -> bytes:
    """The spooled JSON of ``record`` (what :func:`record_encoder` writes), for tests and
    tools: answer fields then logged fields; ``raw_input`` and ``features`` are kept apart."""
    return orjson.dumps({name: getattr(record, name) for name in (*ANSWER_FIELDS, *LOGGED_FIELDS)})


def decode_record(
    record: bytes, *, raw_input: bytes | None, features: bytes | None
) -> DecisionRecord:
    """A spooled decision as a :class:`DecisionRecord`. ``raw_input`` is the application's
    JSON kept apart (``None`` when the record holds it, as spools written before did)."""
    values: dict[str, Any] = orjson.loads(record)
    if raw_input is not None:
        values["raw_input"] = orjson.loads(raw_input)
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    values["features"] = features
    try:
        return DecisionRecord(**values)
    except TypeError as exc:
        raise ValueError(
            f"spooled decision {values.get('request_id')!r} does not match the decision "
            f"record (fields {sorted(values)}): {exc}"
        ) from exc


# -- PostgreSQL binary COPY -------------------------------------------------------------------


def _postgres_type(column_type: Any) -> str:
    """The PostgreSQL type name binary COPY sends a ``decisions`` column as."""
    for kind, name in (
        (BigInteger, "int8"),
        (Integer, "int4"),
        (Float, "float8"),
        (Boolean, "bool"),
        (DateTime, "timestamptz"),
        # JSON text as is: binary COPY hands the bytes to ``json``'s input function (psycopg's
        # json dumper would encode a str again, as a JSON string).
        (JSON, "text"),
        (LargeBinary, "bytea"),
    ):
        if isinstance(column_type, kind):
            return name
    return "text"


#: Binary COPY types of the record's fields, in column order.
COPY_TYPES: tuple[str, ...] = tuple(
    _postgres_type(decisions.c[name].type) for name in RECORD_FIELDS
)


def copy_values(record: bytes, *, raw_input: bytes | None, features: bytes | None) -> list[Any]:
    """A spooled decision as binary COPY values in column order; JSON columns as JSON text
    (a ``raw_input`` kept apart is passed on as written, without parsing it)."""
    values: dict[str, Any] = orjson.loads(record)
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    values["features"] = features
    for name in _JSON_FIELDS:
        if name == "raw_input" and raw_input is not None:
            values[name] = raw_input.decode()
        elif name in _NULLABLE_JSON:
            # SQL NULL, not JSON null (records spooled before a field existed lack it).
            value = values.get(name)
            values[name] = None if value is None else orjson.dumps(value).decode()
        else:
            values[name] = orjson.dumps(values[name]).decode()
    return [values.get(name) for name in RECORD_FIELDS]


# -- values ---------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- the model row ----------------------------------------------------------------------------


def features_blob(features: NDArray[np.float64] | None) -> bytes | None:
    """The model row as stored with a decision: float64 little-endian bytes."""
    return None if features is None else np.ascontiguousarray(features, dtype="<f8").tobytes()


def features_from_blob(blob: bytes | None) -> NDArray[np.float64] | None:
    """The model row stored with a decision (float64, the bundle's feature order)."""
    return None if blob is None else np.frombuffer(blob, dtype="<f8").astype(np.float64)


# -- response models for the API ------------------------------------------------------------


def record_model(
    name: str,
    fields: Iterable[str],
    *,
    doc: str,
    base: type[BaseModel] | None = None,
    renamed: Mapping[str, str] | None = None,
    **extra: Any,
) -> type[BaseModel]:
    """A pydantic model of some record fields (their types, constraints and descriptions),
    named ``name`` in OpenAPI; ``renamed`` maps a record field to the name it is answered
    under; ``extra`` adds fields ``(type, default or Field)`` that are not in the record.
    Unknown keys are refused, so a test validating real answers catches any drift."""
    hints = typing.get_type_hints(DecisionRecord, include_extras=True)
    renamed = renamed or {}
    definitions: dict[str, Any] = {}
    for field in fields:
        definitions[renamed.get(field, field)] = (hints[field], ...)
    definitions.update(extra)
    model: type[BaseModel] = create_model(
        name,
        __doc__=doc,
        __base__=base,
        __config__=None if base else ConfigDict(extra="forbid"),
        **definitions,
    )
    return model
