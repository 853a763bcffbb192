"""The traffic simulator: real HTTP requests to a running scoring API, then outcomes.

:func:`plan_traffic` draws ``n`` applications from the applicant pool (seeded), shifts them
as the scenario says and draws each one's outcome from its (shifted) true probability of
default. :func:`send_traffic` sends them one by one to ``POST /v1/scores`` at ``rate``
requests per second, then — when asked — posts every decision's outcome to
``POST /v1/outcomes`` (outcomes arrive after the decisions, as they would). Only loopback
addresses are accepted, the number of requests is bounded, and a run stops after
``max_failures`` consecutive failures.
"""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

from credit_scoring.demo.simulate.population import ApplicantPool, request_body
from credit_scoring.demo.simulate.scenarios import Scenario, apply_shift, shifted_true_pd
from credit_scoring.errors import ConfigurationError, CreditScoringError

#: Upper bound of one run (requests of each kind).
MAX_REQUESTS = 1_000_000
SCORE_PATH = "/v1/scores"
OUTCOME_PATH = "/v1/outcomes"


class SimulationError(CreditScoringError):
    """The simulation could not run (API unreachable, refused the key, too many failures)."""


def ensure_loopback(api_url: str) -> httpx.URL:
    """``api_url`` parsed, if it names a loopback host (``localhost``, 127.0.0.0/8, ::1)."""
    url = httpx.URL(api_url)
    if url.scheme not in ("http", "https"):
        raise ConfigurationError(f"--api-url {api_url!r}: expected http://… or https://…")
    host = url.host
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(
            f"--api-url {api_url!r}: the simulator only sends traffic to a loopback API "
            "(localhost, 127.0.0.1, ::1)"
        )
    return url


@dataclass(frozen=True)
class TrafficPlan:
    """What will be sent: request bodies, intensity, true PD and drawn outcome of each."""

    scenario: Scenario
    bodies: list[dict[str, Any]]
    intensity: NDArray[np.float64]
    true_pd: NDArray[np.float64]
    defaulted: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.bodies)


def plan_traffic(pool: ApplicantPool, scenario: Scenario, n: int, *, seed: int) -> TrafficPlan:
    """``n`` applications drawn with replacement from ``pool`` and shifted per ``scenario``;
    outcomes drawn from the shifted true probabilities (same seed → same plan)."""
    if not 1 <= n <= MAX_REQUESTS:
        raise ConfigurationError(f"--n must be between 1 and {MAX_REQUESTS:,}, got {n}")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(pool), size=n)
    original = pool.applications.iloc[rows].reset_index(drop=True)
    intensity = scenario.intensity(n)
    shifted = apply_shift(original, intensity, scenario.shift, rng=rng)
    true_pd = shifted_true_pd(pool.true_pd[rows], original, shifted, scenario.shift)
    defaulted = rng.random(n) < true_pd
    bodies = [request_body(r) for r in shifted.to_dict("records")]
    return TrafficPlan(scenario, bodies, intensity, true_pd, defaulted)


@dataclass
class TrafficReport:
    """What happened: HTTP statuses, decisions, outcomes, client-side latency (ms), and the
    time (UTC) of the first shifted request (``changed_at``, ``None`` if none)."""

    scenario: str
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    outcomes_posted: int = 0
    outcome_statuses: Counter[int] = field(default_factory=Counter)
    started_at: datetime | None = None
    changed_at: datetime | None = None
    scored_at: datetime | None = None  # when the last score request was answered
    finished_at: datetime | None = None
    latency_ms: list[float] = field(default_factory=list)
    probability_by_phase: dict[str, float] = field(default_factory=dict)
    default_rate_by_phase: dict[str, float] = field(default_factory=dict)
    request_ids: list[str | None] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return sum(self.decisions.values())

    def latency_percentile(self, q: float) -> float:
        return float(np.percentile(self.latency_ms, q)) if self.latency_ms else float("nan")


def _phase_means(values: NDArray[np.float64], intensity: NDArray[np.float64]) -> dict[str, float]:
    out = {}
    for label, mask in (("before", intensity == 0), ("after", intensity > 0)):
        kept = values[mask & ~np.isnan(values)]
        if kept.size:
            out[label] = float(kept.mean())
    return out


def send_traffic(
    plan: TrafficPlan,
    *,
    api_url: str,
    api_key: str | None,
    rate: float | None = None,
    with_outcomes: bool = False,
    timeout: float = 10.0,
    max_failures: int = 20,
    client: httpx.Client | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TrafficReport:
    """Send ``plan`` to the API at ``api_url`` (loopback only); ``rate`` in requests per
    second (``None``: as fast as the API answers)."""
    url = ensure_loopback(api_url)
    if rate is not None and rate <= 0:
        raise ConfigurationError(f"--rate must be positive, got {rate}")
    headers = {"X-API-Key": api_key} if api_key else {}
    own_client = client is None
    http = client or httpx.Client(base_url=url, timeout=timeout, headers=headers)
    report = TrafficReport(scenario=str(plan.scenario.name))
    probability = np.full(len(plan), np.nan)
    report.started_at = datetime.now(UTC)

    def requests(what: str) -> _Requests:
        return _Requests(what, http, headers, _Pacer(rate, sleep), max_failures, on_progress)

    try:
        _score_all(plan, requests("score"), report, probability)
        report.scored_at = datetime.now(UTC)
        if with_outcomes:
            _post_outcomes(plan, requests("outcome"), report)
    finally:
        if own_client:
            http.close()
    report.finished_at = datetime.now(UTC)
    report.probability_by_phase = _phase_means(probability, plan.intensity)
    scored = ~np.isnan(probability)
    report.default_rate_by_phase = _phase_means(
        np.where(scored, plan.defaulted.astype(np.float64), np.nan), plan.intensity
    )
    return report


class _Pacer:
    """Sleeps so that request ``i`` leaves no earlier than ``start + i / rate``."""

    def __init__(self, rate: float | None, sleep: Callable[[float], None]) -> None:
        self.rate = rate
        self.sleep = sleep
        self.start = time.monotonic()

    def wait(self, i: int) -> None:
        if self.rate is None:
            return
        delay = self.start + i / self.rate - time.monotonic()
        if delay > 0:
            self.sleep(delay)


@dataclass
class _Requests:
    """One kind of request (``what``: score or outcome), paced, posted with the key's headers;
    a run stops after ``max_failures`` consecutive failures."""

    what: str
    http: httpx.Client
    headers: dict[str, str]
    pacer: _Pacer
    max_failures: int
    on_progress: Callable[[str, int, int], None] | None
    failures: int = 0

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response | None:
        """The answer, or ``None`` (a failure) when the request could not be sent."""
        try:
            return self.http.post(path, json=body, headers=self.headers)
        except httpx.TransportError as exc:
            self.failed(exc.__class__.__name__)
            return None

    def failed(self, last: str) -> None:
        self.failures += 1
        if self.failures >= self.max_failures:
            raise SimulationError(
                f"stopped after {self.failures} consecutive failed {self.what} requests "
                f"(last: {last})"
            )

    def succeeded(self) -> None:
        self.failures = 0

    def done(self, n: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(self.what, n, total)


def _score_all(
    plan: TrafficPlan,
    requests: _Requests,
    report: TrafficReport,
    probability: NDArray[np.float64],
) -> None:
    for i, body in enumerate(plan.bodies):
        requests.pacer.wait(i)
        if report.changed_at is None and plan.intensity[i] > 0:
            report.changed_at = datetime.now(UTC)
        started = time.perf_counter()
        response = requests.post(SCORE_PATH, body)
        if response is None:
            report.request_ids.append(None)
            continue
        report.latency_ms.append((time.perf_counter() - started) * 1000.0)
        report.sent += 1
        report.statuses[response.status_code] += 1
        if response.status_code in (401, 403):
            raise SimulationError(
                f"the API refused the key ({response.status_code}): set the variable named "
                "by --api-key-env to a key with the score scope (credit-scoring keys create)"
            )
        if response.status_code != 200:
            report.request_ids.append(None)
            requests.failed(f"HTTP {response.status_code}")
            continue
        requests.succeeded()
        answer = response.json()
        report.request_ids.append(str(answer["request_id"]))
        report.decisions[str(answer["decision"])] += 1
        probability[i] = float(answer["probability"])
        requests.done(i + 1, len(plan))


def _post_outcomes(plan: TrafficPlan, requests: _Requests, report: TrafficReport) -> None:
    todo = [(i, rid) for i, rid in enumerate(report.request_ids) if rid is not None]
    for k, (i, request_id) in enumerate(todo):
        requests.pacer.wait(k)
        body = {"request_id": request_id, "defaulted": bool(plan.defaulted[i])}
        response = requests.post(OUTCOME_PATH, body)
        if response is None:
            continue
        report.outcome_statuses[response.status_code] += 1
        if response.status_code in (200, 201):
            report.outcomes_posted += 1
            requests.succeeded()
        else:
            requests.failed(f"HTTP {response.status_code}")
        requests.done(k + 1, len(todo))


def report_lines(report: TrafficReport) -> list[str]:
    """A human summary of a run."""
    seconds = (
        (report.scored_at - report.started_at).total_seconds()
        if report.scored_at and report.started_at
        else float("nan")
    )
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(report.statuses.items()))
    decisions = ", ".join(f"{k} {v}" for k, v in sorted(report.decisions.items()))
    lines = [
        f"scenario {report.scenario}: {report.sent:,} score requests in {seconds:.1f} s "
        f"({report.sent / seconds if seconds else float('nan'):.0f}/s); statuses {statuses}",
        f"decisions: {decisions or 'none'}; client latency p50 "
        f"{report.latency_percentile(50):.1f} ms, p95 {report.latency_percentile(95):.1f} ms",
    ]
    for phase in ("before", "after"):
        if phase in report.probability_by_phase:
            lines.append(
                f"{phase} the change: mean predicted PD "
                f"{report.probability_by_phase[phase]:.4f}, drawn default rate "
                f"{report.default_rate_by_phase.get(phase, float('nan')):.4f}"
            )
    if report.changed_at is not None:
        lines.append(f"first shifted request at {report.changed_at.isoformat()}")
    if report.outcome_statuses:
        lines.append(f"outcomes posted: {report.outcomes_posted:,}")
    return lines
