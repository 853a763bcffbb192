"""The dependency-audit drill: its verdict on pip-audit reports, and its command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DRILLS = REPO / "benchmarks" / "drills.py"


def _verdict(report: dict[str, Any], explained: dict[str, str]) -> Any:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from drill_security import audit_verdict
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return audit_verdict(report, explained)


def _vuln(vuln_id: str) -> dict[str, Any]:
    return {"id": vuln_id, "aliases": [f"CVE-{vuln_id}"], "fix_versions": ["9.9"],
            "description": "a flaw"}  # fmt: skip


def test_a_clean_audit_passes_and_an_unexplained_finding_fails() -> None:
    clean = {"dependencies": [{"name": "a", "version": "1", "vulns": []}]}
    assert _verdict(clean, {}).passed
    finding = {"dependencies": [{"name": "a", "version": "1", "vulns": [_vuln("X-1")]}]}
    failed = _verdict(finding, {})
    assert not failed.passed and "NOT EXPLAINED" in failed.notes[0]
    assert _verdict(finding, {"CVE-X-1": "not reachable from our code"}).passed


def test_packages_that_could_not_be_audited_fail_the_audit() -> None:
    skipped = {"dependencies": [{"name": "a", "skip_reason": "Dependency not found on PyPI"}]}
    assert not _verdict(skipped, {}).passed
    assert not _verdict({"dependencies": []}, {}).passed


def test_the_audit_command_reaches_a_verdict(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna==3.20\n")
    done = subprocess.run(
        [sys.executable, str(DRILLS), "audit", "--requirements", str(requirements)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    output = done.stdout + done.stderr
    assert "pinned packages" in output and "audited" in output, output[-3000:]
    assert done.returncode == (0 if "\nPASS audit" in output else 1), output[-3000:]
