"""`make` (help) lists every target of the Makefile, each drill by name, in one readable column."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _help() -> list[str]:
    result = subprocess.run(
        ["make", "-C", str(REPO), "--no-print-directory", "help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout.splitlines()


def _targets() -> list[str]:
    text = (REPO / "Makefile").read_text()
    return [t for t in re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE)]


def _drills() -> list[str]:
    text = (REPO / "benchmarks" / "drills.py").read_text()
    found = re.search(r"^DRILLS = \(([^)]*)\)", text, flags=re.MULTILINE)
    assert found
    return re.findall(r'"([a-z-]+)"', found.group(1))


def test_help_lists_every_target_and_every_drill() -> None:
    rows = [line.split()[0] for line in _help() if line.startswith("  ") and line.strip()]
    expected = [*_targets(), *(f"drill-{name}" for name in _drills())]
    assert set(expected) <= set(rows), sorted(set(expected) - set(rows))


def test_help_texts_start_in_one_column() -> None:
    columns = set()
    for line in _help():
        match = re.match(r"^  (\S+)( +)(\S.*)$", line)
        if match:
            columns.add(len(match.group(1)) + len(match.group(2)))
    assert len(columns) == 1, columns


def test_every_drill_target_is_phony() -> None:
    text = (REPO / "Makefile").read_text()
    assert "$(addprefix drill-,$(DRILLS))" in text
    declared = re.search(r"^DRILLS\s*:=\s*(.*)$", text, flags=re.MULTILINE)
    assert declared and declared.group(1).split() == _drills()
