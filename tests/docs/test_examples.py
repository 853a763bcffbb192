"""Every command example of README.md and docs/ runs, in its block's order, on a demo project:
the demo pipeline (``make demo-pipeline`` with a small population) in a temporary folder, a
running API for the examples that call it. Fast examples run in the default suite, slow ones
(full size, Spark, benchmarks) with ``make test-full``; the rest say why they cannot run here
(:data:`examples.RULES`)."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from .examples import (
    FAST,
    REPO,
    SLOW,
    Example,
    Project,
    bash_blocks,
    concrete,
    examples,
    leftover_placeholders,
)

CLIENTS, TEST_CLIENTS = 1000, 200
COMMAND_TIMEOUT = 600.0
READY_TIMEOUT = 180.0
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "MLFLOW_TRACKING_URI") and not k.startswith("CREDIT_SCORING_")
    }
    return {
        **env,
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "CREDIT_SCORING_HOME": str(root / "artifacts"),
        "OMP_WAIT_POLICY": "PASSIVE",
        "USER": env.get("USER", "docs-test"),
        "CREDIT_SCORING_AUDIT_KEY": "docs-test-audit-key-0123456789abcdef",
        **extra,
    }


def _run(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
        f"{result.stderr[-3000:]}"
    )
    return result.stdout


def _wait(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{url}: exited early:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready in {READY_TIMEOUT} s:\n{log.read_text()[-3000:]}")


class Background:
    """A long-running example (``serve``, ``dashboard``): started, ready, stopped cleanly."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], ready_url: str) -> None:
        self.log = cwd / f"background-{time.monotonic_ns()}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
            )
        self.ready_url = ready_url

    def __enter__(self) -> Background:
        try:
            _wait(self.ready_url, self.process, self.log)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, real_sample_dir: Path) -> Iterator[Project]:
    """The demo pipeline in a temporary project folder, two API keys (one to revoke), the
    application files the batch examples score, and the API running on a free port."""
    root = tmp_path_factory.mktemp("docs-project")
    home = root / "artifacts"
    env = _env(root)
    _run(
        ["make", "-C", str(REPO), "--no-print-directory", "demo-pipeline", f"HOME_DIR={home}",
         f"CLIENTS={CLIENTS}", f"TEST_CLIENTS={TEST_CLIENTS}", "SEED=42",
         f"VENV={BIN.parent}", f"SAMPLE_DIR={real_sample_dir}"],
        root, env,
    )  # fmt: skip
    cli = str(BIN / "credit-scoring")
    scopes = ["--scope", "score", "--scope", "outcomes", "--scope", "read", "--scope", "admin"]
    created = _run([cli, "keys", "create", "--name", "docs", *scopes], root, env)
    key = created.strip().splitlines()[-1]
    spare = _run([cli, "keys", "create", "--name", "to-revoke", "--scope", "read"], root, env)
    key_id = re.search(r"created key (\w+)", spare)
    assert key_id, spare
    applications = pd.read_parquet(home / "data" / "synthetic" / "application_test.parquet")
    applications.to_csv(root / "applications.csv", index=False)
    applications.to_parquet(root / "applications.parquet", index=False)
    (bundle,) = [p.name for p in (home / "models").iterdir() if p.is_dir()]
    port = _free_port()
    project = Project(
        root=root,
        bundle_name=bundle,
        key=key,
        key_id=key_id.group(1),
        client_id=int(applications["SK_ID_CURR"].iloc[0]),
        api_port=port,
        dataset_dir=home / "raw" / "synthetic",
        sample_dir=real_sample_dir,
    )
    (root / "docs").mkdir()
    for example in (REPO / "docs").glob("api-example-*.json"):  # the request files curl sends
        (root / "docs" / example.name).write_bytes(example.read_bytes())
    _write_demo_request(project)
    api = [str(BIN / "credit-scoring"), "serve", "--port", str(port)]
    with Background(api, root, env, f"http://127.0.0.1:{port}/readyz"):
        yield project


def _write_demo_request(project: Project) -> None:
    """``artifacts/demo/request.json`` as ``make demo`` writes it (scripts/demo-up.sh)."""
    script = (REPO / "scripts" / "demo-up.sh").read_text()
    code = script.split("<<'PYEOF'\n", 1)[1].split("\nPYEOF", 1)[0]
    demo = project.root / "artifacts" / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    data_dir = project.root / "artifacts" / "data" / "synthetic"
    subprocess.run(
        [sys.executable, "-", str(data_dir), str(demo / "request.json")], input=code, text=True,
        check=True, timeout=120,
    )  # fmt: skip


def _blocks_with(tier: str) -> list[str]:
    """Blocks with examples of ``tier``, in reading order (README top to bottom, then docs/)."""
    return list(dict.fromkeys(e.block.where for e in examples() if e.tier == tier))


#: Numbers the fresh output folders across blocks (one project per module).
_OUTPUTS = itertools.count()


def _run_block(where: str, project: Project, tier: str) -> None:
    counter = _OUTPUTS
    env = _env(
        project.root,
        CREDIT_SCORING_API_PORT=str(project.api_port),
        CREDIT_SCORING_API_KEY=project.key,
        KEY=project.key,
    )
    ran = 0
    for example in [e for e in examples() if e.block.where == where]:
        if example.tier != tier:
            continue
        argv = concrete(example.command, project, counter)
        assert not leftover_placeholders(argv), (example.documented, argv)
        if argv[0] != "export":  # the shell would expand $USER, $KEY
            argv = [re.sub(r"\$([A-Z_]+)", lambda m: env[m.group(1)], word) for word in argv]
        _run_example(example, argv, project, env)
        ran += 1
    assert ran, f"no {tier} example in {where}"


def _run_example(example: Example, argv: list[str], project: Project, env: dict[str, str]) -> None:
    root = project.root
    if argv[0] == "export":
        name, value = argv[1].split("=", 1)
        shown = _run(["bash", "-c", f'printf %s "{value}"'], root, env, stdin="docs-password\n" * 2)
        env[name] = shown
        return
    if argv[0] == "make":
        _run(
            ["make", "-C", str(REPO), "--no-print-directory", *argv[1:],
             f"HOME_DIR={root / 'artifacts'}", f"VENV={BIN.parent}",
             f"SAMPLE_DIR={project.sample_dir}"],
            root, env,
        )  # fmt: skip
        return
    if argv[:2] == ["credit-scoring", "serve"]:
        port = str(_free_port())
        argv = [port if word == str(project.api_port) else word for word in argv]
        with Background(argv, root, env, f"http://127.0.0.1:{port}/readyz") as server:
            pass
        assert server.process.returncode == 0, server.log.read_text()[-3000:]
        return
    if argv == ["credit-scoring", "dashboard"]:
        port = str(_free_port())
        dashboard_env = {**env, "CREDIT_SCORING_DASHBOARD_PORT": port}
        url = f"http://127.0.0.1:{port}/_stcore/health"
        with Background(argv, root, dashboard_env, url):
            pass
        return
    assignments = {}
    while "=" in argv[0] and argv[0].split("=", 1)[0].isupper():
        name, value = argv.pop(0).split("=", 1)
        assignments[name] = value
    if argv[0].startswith(".venv/bin/"):  # repository tools: run from the repository
        argv = [str(BIN / argv[0].removeprefix(".venv/bin/")), *argv[1:]]
        _run(argv, REPO, {**env, **assignments})
        return
    # A command that prompts for a password (twice) gets it typed, as a person would.
    typed = "docs-password\n" * 2 if argv[:3] == ["credit-scoring", "users", "add"] else ""
    output = _run(argv, root, {**env, **assignments}, stdin=typed)
    if argv[0] == "curl":
        answer = json.loads(output)
        assert answer.get("decision") in ("APPROVE", "REVIEW", "REFUSE"), output
        assert set(answer) >= {"request_id", "probability", "score", "threshold", "reasons"}


def test_every_documented_command_is_run_or_says_why_not() -> None:
    found = examples()
    assert len(bash_blocks()) >= 15 and len(found) >= 40
    tiers = {e.command: e.tier for e in found}  # raises for a command no rule knows
    assert {FAST, SLOW} <= set(tiers.values())


@pytest.mark.parametrize("where", _blocks_with(FAST))
def test_fast_examples_run_on_the_demo_project(where: str, project: Project) -> None:
    _run_block(where, project, FAST)


@pytest.mark.slow
@pytest.mark.parametrize("where", [w for w in _blocks_with(SLOW) if w != "README.md:12"])
def test_slow_examples_run_on_the_demo_project(where: str, project: Project) -> None:
    _run_block(where, project, SLOW)
