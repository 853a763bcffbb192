"""A new user's first command, as the README gives it: ``make demo`` (free ports, a temporary
HOME_DIR) reaches a working API, and every example answer the README and docs/api.md show is
the one the deterministic demo gives."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .examples import REPO

DEMO_TIMEOUT = 1800.0  # a bound, not a measurement: the demo itself prints its time
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def readme_answer() -> dict[str, Any]:
    """The example answer under the README's curl (a ``# {…}`` comment, ``…`` for the rest)."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"-d @artifacts/demo/request.json\n((?:# .*\n)+)", text)
    assert block, "no example answer under the README's demo request"
    body = "".join(line[2:] for line in block.group(1).splitlines())
    pairs = re.findall(r'"(\w+)":("[^"]*"|\[\]|true|false|[-\d.]+)', body)
    return {k: json.loads(v) for k, v in pairs if v != '"…"'}


def api_doc_answers() -> dict[str, dict[str, Any]]:
    """docs/api.md's example answers, by the request file they answer."""
    text = (REPO / "docs" / "api.md").read_text()
    found = re.findall(r"For\s+`docs/(api-example-[\w-]+\.json)`[^\n]*\n\n```json\n(.*?)```", text,
                       flags=re.DOTALL)  # fmt: skip
    assert len(found) == 2, found
    return {name: json.loads(body) for name, body in found}


def _same(shown: dict[str, Any], given: dict[str, Any], *, digits: int) -> None:
    for key, value in shown.items():
        if key in ("request_id", "created_at"):
            continue
        if isinstance(value, float):
            assert round(given[key], digits) == round(value, digits), (key, value, given[key])
        elif key == "reasons" and value:
            assert [r["code"] for r in given[key]] == [r["code"] for r in value]
            assert [r["text"] for r in given[key]] == [r["text"] for r in value]
            for mine, theirs in zip(value, given[key], strict=True):
                assert round(theirs["contribution"], 4) == round(mine["contribution"], 4)
        else:
            assert given[key] == value, (key, value, given[key])


def test_the_documented_answers_are_read_from_the_docs() -> None:
    answer = readme_answer()
    assert {"client_id", "probability", "score", "decision", "threshold"} <= set(answer)
    assert set(api_doc_answers()) == {"api-example-application.json", "api-example-refused.json"}


@pytest.mark.slow
def test_make_demo_answers_what_the_readme_shows(tmp_path: Path) -> None:
    api_port, dashboard_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_SCORING_")}
    env.pop("DATABASE_URL", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        "make", "-C", str(REPO), "--no-print-directory", "demo", f"HOME_DIR={tmp_path / 'home'}",
        f"API_PORT={api_port}", f"DASHBOARD_PORT={dashboard_port}", f"VENV={BIN.parent}",
    ]  # fmt: skip
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + DEMO_TIMEOUT
        while "Its answer:" not in log.read_text():
            assert demo.poll() is None, f"make demo ended:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(1)
        time.sleep(1)
        output = log.read_text()
        assert re.search(r"Demo is up after \d+ s", output), output[-3000:]
        answer = json.loads(output.split("Its answer:\n", 1)[1].splitlines()[0])
        _same(readme_answer(), answer, digits=4)
        key = re.search(r"^  API key +(\S+)", output, flags=re.MULTILINE)
        assert key, output[-3000:]
        for name, shown in api_doc_answers().items():
            given = httpx.post(
                f"http://127.0.0.1:{api_port}/v1/scores",
                content=(REPO / "docs" / name).read_bytes(),
                headers={"X-API-Key": key.group(1), "Content-Type": "application/json"},
                timeout=30,
            ).json()
            _same(shown, given, digits=6)
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
