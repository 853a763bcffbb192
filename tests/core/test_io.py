"""Atomic outputs: all or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from credit_scoring.io import atomic_output_dir, read_json, write_json


def test_failed_stage_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("half-written")
        raise RuntimeError("stage failed")
    assert (out / "a.txt").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_output_folder_gets_the_umask_mode_not_a_private_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        write_json(tmp / "m.json", {"b": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((out / "m.json").stat().st_mode) == 0o666 & ~mask
    assert read_json(out / "m.json") == {"b": 1}
