"""Security drills.

- ``security``: every route of the OpenAPI document × (no key, malformed key, unknown key,
  right id with a wrong secret, revoked key — also as a bearer token —, a key without the
  route's scope) → 401/403, and the right key passes; the routes without a key are exactly
  the probes; the server log (INFO, as in production) holds no key secret and none of the
  sentinel personal values sent; a bundle with one flipped byte is refused at load and the
  API serving it stays not ready.
- ``audit``: ``pip-audit`` over ``requirements.lock`` (run with ``uvx``; it is not a project
  dependency). Every finding is printed; it passes only when every package could be audited
  and each finding is explained in ``EXPLAINED`` below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import httpx

import bench_api
from bench_api import Artefacts
from drill_support import REPO, DrillResult, Stack, check_logs, key_secrets

#: The scope each protected route needs (docs/api.md); the drill checks it covers the spec.
ROUTE_SCOPES = {
    ("POST", "/v1/scores"): "score",
    ("POST", "/v1/scores/batch"): "score",
    ("POST", "/v1/outcomes"): "outcomes",
    ("GET", "/v1/scores/{request_id}"): "read",
    ("GET", "/v1/scores"): "read",
    ("GET", "/v1/model"): "read",
    ("POST", "/v1/admin/reload"): "admin",
    ("POST", "/v1/reviews"): "review",
    ("DELETE", "/v1/admin/keys/{key_id}"): "admin",
}
OPEN_ROUTES = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
REQUEST_ID = "0192f3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"

#: Personal values that must never reach a log line (sent in valid and invalid requests).
SENTINEL_CLIENT = 987_654_321
SENTINELS = {
    "SK_ID_CURR": SENTINEL_CLIENT,
    "AMT_INCOME_TOTAL": 314_159.2653,
    "AMT_CREDIT": 271_828.1828,
    "EXT_SOURCE_2": 0.8765432,
    "ORGANIZATION_TYPE": "Zq7Sentinel Org",
}


def _call(
    client: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    application: dict[str, Any],
) -> int:
    url = path.replace("{request_id}", REQUEST_ID).replace("{key_id}", "0123456789ab")
    body: Any = None
    if (method, path) == ("POST", "/v1/scores"):
        body = application
    elif path == "/v1/scores/batch":
        body = {"applications": [application]}
    elif path == "/v1/outcomes":
        body = {"request_id": REQUEST_ID, "defaulted": False}
    elif path == "/v1/reviews":
        body = {"request_id": REQUEST_ID, "final_decision": "REFUSE", "reviewer": "drill",
                "reason": "other (see comment)"}  # fmt: skip
    return client.request(method, url, json=body, headers=headers).status_code


def _key_matrix(result: DrillResult, stack: Stack, application: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        spec = client.get("/openapi.json").json()
        routes = {
            (method.upper(), path): bool(operation.get("security"))
            for path, item in spec["paths"].items()
            for method, operation in item.items()
        }
        secured = {r for r, has in routes.items() if has}
        result.check(
            "the scope table covers every secured route of the spec",
            secured == set(ROUTE_SCOPES),
            sorted(secured ^ set(ROUTE_SCOPES)),
        )
        result.check(
            "the only routes without a key are the probes",
            set(routes) - secured == OPEN_ROUTES,
            sorted(set(routes) - secured),
        )
        wrong: list[str] = []
        calls = 0
        for (method, path), scope in sorted(ROUTE_SCOPES.items()):
            good = stack.keys[scope]
            forged = good[:-6] + ("A" * 6 if not good.endswith("A" * 6) else "B" * 6)
            lacking = next(k for s, k in stack.keys.items() if s not in (scope, "everything"))
            cases = {
                "no key": ({}, 401),
                "malformed key": ({"X-API-Key": "not-a-key"}, 401),
                "unknown key": ({"X-API-Key": "cs_0123456789ab_" + "x" * 43}, 401),
                "wrong secret": ({"X-API-Key": forged}, 401),
                "wrong secret (bearer)": ({"Authorization": f"Bearer {forged}"}, 401),
                "revoked key": ({"X-API-Key": stack.revoked_key}, 401),
                "revoked key (bearer)": ({"Authorization": f"Bearer {stack.revoked_key}"}, 401),
                "insufficient scope": ({"X-API-Key": lacking}, 403),
            }
            for name, (headers, expected) in cases.items():
                status = _call(client, method, path, headers, application)
                calls += 1
                if status != expected:
                    wrong.append(f"{method} {path} {name}: {status} (expected {expected})")
            allowed = _call(client, method, path, {"X-API-Key": good}, application)
            calls += 1
            if allowed in (401, 403):
                wrong.append(f"{method} {path} with the right key: {allowed}")
        result.figure("route × key cases", calls)
        result.check(
            "every route refuses bad keys (401) and missing scopes (403), "
            "and accepts the right key",
            not wrong,
            "; ".join(wrong),
        )


def _sentinel_traffic(stack: Stack, application: dict[str, Any]) -> list[str]:
    """Valid and invalid requests carrying the sentinel values; the strings to look for."""
    sentinel_app = {**application, **SENTINELS}
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        score = {"X-API-Key": stack.keys["score"]}
        read = {"X-API-Key": stack.keys["read"]}
        answer = client.post("/v1/scores", json=sentinel_app, headers=score)
        answer.raise_for_status()
        client.post("/v1/scores/batch", json={"applications": [sentinel_app]}, headers=score)
        client.post(
            "/v1/scores", json={**sentinel_app, "DAYS_BIRTH": "Zq7SentinelBirth"}, headers=score
        )
        client.post("/v1/scores", json={**sentinel_app, "Zq7SentinelField": 1}, headers=score)
        client.get("/v1/scores", params={"client_id": SENTINEL_CLIENT}, headers=read)
        client.get(f"/v1/scores/{answer.json()['request_id']}", headers=read)
        client.post(
            "/v1/outcomes",
            headers=score,
            json={"request_id": answer.json()["request_id"], "defaulted": True},
        )
        client.post(
            "/v1/scores",
            json=sentinel_app,
            headers={"X-API-Key": "cs_0123456789ab_Zq7SentinelSecret" + "x" * 26},
        )
    return [str(v) for v in SENTINELS.values()] + ["Zq7Sentinel"]


def _tampered_bundle(result: DrillResult, stack: Stack, artefacts: Artefacts) -> None:
    from credit_scoring.errors import BundleIntegrityError
    from credit_scoring.runtime.bundle import load_bundle
    from credit_scoring.serving.app import create_app
    from credit_scoring.settings import get_settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    work = Path(tempfile.mkdtemp(prefix="drill-tampered-"))
    try:
        refused: dict[str, str] = {}
        for name in ("model.txt", "metadata.json"):
            tampered = work / name.replace(".", "_")
            shutil.copytree(artefacts.bundle_dir, tampered)
            target = tampered / name
            data = bytearray(target.read_bytes())
            data[len(data) // 2] ^= 0x01  # one bit of one byte
            target.write_bytes(bytes(data))
            try:
                load_bundle(tampered)
                refused[name] = "LOADED"
            except BundleIntegrityError as exc:
                refused[name] = str(exc)[-120:]
        result.figure("tampered bundle refusals", refused)
        result.check(
            "a bundle with one flipped byte is refused at load (model, metadata)",
            all(v != "LOADED" for v in refused.values()),
        )
        settings = get_settings(
            environment="production",
            home=work / "home",
            database_url=stack.database_url,
            model_uri=str(work / "model_txt"),
            reload_poll_seconds=0.0,
        )
        with TestClient(create_app(settings)) as client:
            ready = client.get("/readyz")
            scored = client.post(
                "/v1/scores",
                json=bench_api.applications(artefacts.data_dir)[0],
                headers={"X-API-Key": stack.keys["score"]},
            )
        result.check(
            "the API serving it stays not ready and scores nothing",
            ready.status_code == 503 and scored.status_code == 503,
            f"/readyz {ready.status_code}, POST /v1/scores {scored.status_code}: "
            f"{scored.text[:160]}",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def drill_security(stack: Stack, artefacts: Artefacts) -> DrillResult:
    result = DrillResult("security")
    application = bench_api.applications(artefacts.data_dir)[0]
    _key_matrix(result, stack, application)
    sentinels = _sentinel_traffic(stack, application)
    log_text = stack.log_path.read_text(errors="replace")
    result.figure("server log lines scanned", len(log_text.splitlines()))
    check_logs(
        result, log_text, key_secrets([*stack.keys.values(), stack.revoked_key]), "API key secret"
    )
    check_logs(result, log_text, sentinels, "sentinel personal value")
    _tampered_bundle(result, stack, artefacts)
    return result


# -- audit --------------------------------------------------------------------------------------

#: Reviewed findings: vulnerability id → why it does not affect us (or what to do). Empty: none.
EXPLAINED: dict[str, str] = {}


def audit_verdict(report: dict[str, Any], explained: dict[str, str]) -> DrillResult:
    """The drill's result from pip-audit's JSON report."""
    result = DrillResult("audit")
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    findings = [(d, v) for d in dependencies for v in d.get("vulns", [])]
    result.figure("pinned packages", len(dependencies))
    result.figure("audited", len(dependencies) - len(skipped))
    result.figure("findings", len(findings))
    for dependency, vuln in findings:
        ids = [vuln["id"], *vuln.get("aliases", [])]
        why = next((explained[i] for i in ids if i in explained), "NOT EXPLAINED")
        result.notes.append(
            f"{dependency['name']} {dependency['version']} {vuln['id']} "
            f"(fix: {', '.join(vuln.get('fix_versions', [])) or 'none'}): "
            f"{vuln.get('description', '')[:160]!r} — {why}"
        )
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        result.notes.append(f"not audited: {len(skipped)} package(s) — {'; '.join(reasons)}")
    result.check(
        "every pinned package was audited",
        dependencies and not skipped,
        f"{len(skipped)} of {len(dependencies)} could not be (no vulnerability data reachable)"
        if skipped
        else "",
    )
    unexplained = [
        v["id"] for _, v in findings if not {v["id"], *v.get("aliases", [])} & set(explained)
    ]
    result.check("every finding is explained", not unexplained, ", ".join(unexplained))
    return result


def drill_audit(requirements: Path | None = None) -> DrillResult:
    requirements = requirements or REPO / "requirements.lock"
    command = [
        "uvx",
        "--python",
        "python3",
        "pip-audit",
        "--disable-pip",
        "--no-deps",
        "-r",
        str(requirements),
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        result = DrillResult("audit")
        result.check("pip-audit ran (through uvx)", False, f"{type(exc).__name__}: {exc}")
        return result
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        result = DrillResult("audit")
        result.check("pip-audit ran (through uvx)", False, (done.stderr or done.stdout)[-600:])
        return result
    result = audit_verdict(report, EXPLAINED)
    result.figure("command", " ".join(command[3:]).replace(str(REPO) + "/", ""))
    return result
