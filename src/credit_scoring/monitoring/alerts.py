"""Alert rules evaluated outside Prometheus, and a webhook notifier.

The rules are those shipped for Prometheus (``deploy/prometheus/alerts.yml``): each is a
threshold on one gauge (``name > 0.1``), so :func:`evaluate` applies them to the values of
:func:`credit_scoring.store.alert_reads.alert_values` (and any others given) without a
Prometheus server. ``for:`` durations are Prometheus's business and ignored here.

:func:`notify` POSTs the newly firing alerts as JSON to a webhook, retrying with exponential
backoff, and remembers what it sent (a small state file) so an alert that keeps firing is
sent once, and again only after it resolved.
"""

from __future__ import annotations

import json
import logging
import operator
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from credit_scoring.errors import CreditScoringError

logger = logging.getLogger(__name__)

_EXPR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(>=|<=|==|!=|>|<)\s*([-+0-9.eE]+)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


class AlertRuleError(CreditScoringError):
    """A rule file that is not a list of single-threshold rules."""


@dataclass(frozen=True)
class AlertRule:
    name: str
    metric: str
    op: str
    threshold: float
    severity: str
    summary: str

    def fires(self, value: float) -> bool:
        return _OPS[self.op](value, self.threshold)


@dataclass(frozen=True)
class Firing:
    rule: AlertRule
    value: float

    def payload(self) -> dict[str, Any]:
        return {
            "alert": self.rule.name,
            "status": "firing",
            "severity": self.rule.severity,
            "metric": self.rule.metric,
            "value": self.value,
            "threshold": f"{self.rule.op} {self.rule.threshold:g}",
            "summary": self.rule.summary.replace("{{ $value }}", f"{self.value:.4g}"),
        }


def load_rules(path: Path) -> list[AlertRule]:
    """The rules of a Prometheus rule file, each ``<gauge> <op> <number>``."""
    document = yaml.safe_load(path.read_text())
    rules = []
    for group in document.get("groups", []):
        for rule in group.get("rules", []):
            match = _EXPR.match(str(rule.get("expr", "")))
            if "alert" not in rule or match is None:
                raise AlertRuleError(
                    f"{path}: rule {rule.get('alert', '?')!r} must be '<gauge> <op> <number>'"
                )
            metric, op, threshold = match.groups()
            rules.append(
                AlertRule(
                    rule["alert"],
                    metric,
                    op,
                    float(threshold),
                    str(rule.get("labels", {}).get("severity", "ticket")),
                    str(rule.get("annotations", {}).get("summary", rule["alert"])),
                )
            )
    return rules


def evaluate(rules: list[AlertRule], values: Mapping[str, float]) -> list[Firing]:
    """The rules whose gauge has a value that crosses the threshold."""
    return [
        Firing(rule, values[rule.metric])
        for rule in rules
        if rule.metric in values and rule.fires(values[rule.metric])
    ]


@dataclass(frozen=True)
class NotifyResult:
    sent: list[str]
    already_sent: list[str]
    resolved: list[str]
    attempts: int


def notify(
    url: str,
    firing: list[Firing],
    *,
    state_path: Path,
    attempts: int = 4,
    backoff_seconds: float = 0.5,
    timeout_seconds: float = 5.0,
) -> NotifyResult:
    """POST the alerts firing now that were not sent yet; raises after ``attempts`` failures
    (the state is then left as it was, so the next run tries again)."""
    sent_before: set[str] = set()
    if state_path.is_file():
        sent_before = set(json.loads(state_path.read_text()).get("firing", []))
    names = {f.rule.name for f in firing}
    new = [f for f in firing if f.rule.name not in sent_before]
    resolved = sorted(sent_before - names)
    tries = 0
    if new or resolved:
        body = json.dumps(
            {
                "source": "credit-scoring",
                "sent_at": datetime.now(UTC).isoformat(),
                "alerts": [f.payload() for f in new]
                + [{"alert": name, "status": "resolved"} for name in resolved],
            }
        ).encode()
        delay = backoff_seconds
        while True:
            tries += 1
            try:
                request = urllib.request.Request(
                    url, data=body, headers={"Content-Type": "application/json"}, method="POST"
                )
                with urllib.request.urlopen(request, timeout=timeout_seconds) as reply:
                    reply.read()
                break
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if tries >= attempts:
                    raise AlertRuleError(
                        f"webhook failed after {tries} attempts: {type(exc).__name__}"
                    ) from exc
                logger.warning(
                    "webhook failed; retrying",
                    extra={"fields": {"attempt": tries, "error": type(exc).__name__}},
                )
                time.sleep(delay)
                delay *= 2
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"firing": sorted(names)}))
    return NotifyResult([f.rule.name for f in new], sorted(names & sent_before), resolved, tries)
