"""Drill tests: ``benchmarks/drills.py`` in a short mode (seconds, not minutes) against the
serving tests' small pipeline, on the drills' own throwaway PostgreSQL cluster. The drills run
once per session; each test reads its drill's verdict and figures from the output."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRILLS = REPO / "benchmarks" / "drills.py"
#: Every drill but the dependency audit (it needs the vulnerability service; tested apart).
SHORT_RUN = [
    "load", "fuzz", "hostile", "security", "pg-outage", "sigkill", "schema-break",
    "spool-deleted", "copy-cut", "supervisor-kill", "slow-clients", "disconnects", "timestamps",
    "keys",
]  # fmt: skip
SHORT_OPTIONS = ["--seconds", "4", "--outage-seconds", "2", "--cases", "100"]


def _serving_conftest() -> object:
    spec = importlib.util.spec_from_file_location(
        "serving_fixtures_for_drills", REPO / "tests" / "serving" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: The serving tests' pipeline fixture (same cached artefacts, built once for both).
pipeline = _serving_conftest().pipeline  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DrillRun:
    returncode: int
    output: str

    def section(self, drill: str) -> str:
        """The report of one drill (from its header to its PASS/FAIL line)."""
        found = re.search(
            rf"^== drill {re.escape(drill)}\n.*?^(PASS|FAIL) {re.escape(drill)}$",
            self.output,
            flags=re.MULTILINE | re.DOTALL,
        )
        assert found, f"no report of {drill}:\n{self.output[-4000:]}"
        return found.group(0)

    def figure(self, drill: str, label: str) -> str:
        found = re.search(rf"^  {re.escape(label)}\s+(.+)$", self.section(drill), re.MULTILINE)
        assert found, f"no figure {label!r} in:\n{self.section(drill)}"
        return found.group(1).strip()


@pytest.fixture(scope="session")
def short_drills(pipeline: object) -> DrillRun:
    work_dir = pipeline.bundle_dir.parent  # type: ignore[attr-defined]
    done = subprocess.run(
        [sys.executable, str(DRILLS), *SHORT_RUN, *SHORT_OPTIONS, "--work-dir", str(work_dir)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    return DrillRun(done.returncode, done.stdout + done.stderr)
