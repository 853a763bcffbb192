"""Output places: absent, empty or the command's own; never an input; stale debris removed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from credit_scoring.monitoring.report import REPORT_MARKER, is_drift_report
from credit_scoring.outputs import (
    OutputPlaceError,
    claim_output_dir,
    claim_output_file,
    remove_stale_temporaries,
    writable_dir,
)


def test_an_absent_or_empty_folder_or_an_own_output_may_be_written(tmp_path: Path) -> None:
    claim_output_dir(tmp_path / "new" / "out", command="c", marker="m.json")
    (tmp_path / "empty").mkdir()
    claim_output_dir(tmp_path / "empty", command="c", marker="m.json")
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "m.json").write_text("{}")
    claim_output_dir(tmp_path / "own", command="c", marker="m.json")


@pytest.mark.parametrize(
    ("out", "inputs", "message"),
    [
        ("src", ["src"], "is also an input"),
        (".", ["src"], "contains the input"),
        ("src/out", ["src"], "lies inside the input folder"),
        ("other", [], r"is not empty \(x\.txt\)"),
        ("file.txt", [], "is not a folder"),
    ],
)
def test_places_the_command_does_not_own_are_refused(
    tmp_path: Path, out: str, inputs: list[str], message: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputPlaceError, match=message):
        claim_output_dir(
            tmp_path / out, command="c", marker="m.json", inputs=[tmp_path / i for i in inputs]
        )


def test_a_file_output_replaces_only_its_own_files(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(f"<!doctype html><html><head>{REPORT_MARKER}")
    claim_output_file(report, command="monitor report", is_own=is_drift_report)
    other = tmp_path / "index.html"
    other.write_text("<html>mine</html>")
    with pytest.raises(OutputPlaceError, match="is not an earlier output of `monitor report`"):
        claim_output_file(other, command="monitor report", is_own=is_drift_report)
    assert other.read_text() == "<html>mine</html>"


def test_an_unwritable_place_is_named(tmp_path: Path) -> None:
    with pytest.raises(OutputPlaceError, match="choose an --out in a writable folder"):
        claim_output_file(Path("/proc/x/out.csv"), command="c", is_own=lambda p: False)
    with pytest.raises(OutputPlaceError, match="the spool folder /proc/spool is not writable"):
        writable_dir(Path("/proc/spool"), what="the spool folder")


def test_only_temporaries_of_gone_processes_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "data"
    pid = os.fork()
    if pid == 0:  # a child that ends at once: its id names a gone process
        os._exit(0)
    os.waitpid(pid, 0)
    gone = [tmp_path / f".data.tmp-{pid}-a", tmp_path / f".data.scratch-{pid}-b"]
    for path in gone:
        path.mkdir()
    live = tmp_path / f".data.old-{os.getpid()}-c"
    live.mkdir()
    old_without_pid = tmp_path / ".data.tmp-xyz"
    old_without_pid.write_text("x")
    hour_ago = time.time() - 7200
    os.utime(old_without_pid, (hour_ago, hour_ago))
    other = tmp_path / ".features.tmp-1-x"
    other.mkdir()
    removed = remove_stale_temporaries(out)
    assert sorted(removed) == sorted([*gone, old_without_pid])
    assert live.exists() and other.exists()
