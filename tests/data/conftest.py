"""Fixtures of the data tests: a loaded real sample, and copies of the sample to break."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from credit_scoring.data.loader import load_dataset
from credit_scoring.data.manifest import Manifest
from credit_scoring.schema import TABLES

#: Data rows kept per table in a breakable copy: enough for real values, fast to load.
COPY_ROWS = 400


@dataclass(frozen=True)
class LoadedSample:
    src_dir: Path
    data_dir: Path
    manifest: Manifest


@pytest.fixture(scope="session")
def loaded_sample(real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadedSample:
    """The real sample loaded once per session (read-only for the tests that use it)."""
    data_dir = tmp_path_factory.mktemp("loaded") / "data"
    manifest = load_dataset(real_sample_dir, data_dir)
    return LoadedSample(real_sample_dir, data_dir, manifest)


class SampleCopy:
    """A copy of the real sample (first :data:`COPY_ROWS` rows of each table) to break."""

    def __init__(self, src: Path, dst: Path) -> None:
        self.dir = dst
        dst.mkdir(parents=True)
        for contract in TABLES.values():
            with (src / contract.file_name).open(newline="", encoding="utf-8") as fh:
                lines = [line for _, line in zip(range(COPY_ROWS + 1), fh, strict=False)]
            (dst / contract.file_name).write_text("".join(lines), encoding="utf-8", newline="")

    def path(self, table: str) -> Path:
        return self.dir / TABLES[table].file_name

    def rows(self, table: str) -> list[list[str]]:
        """Header and data rows of a table's CSV, parsed."""
        with self.path(table).open(newline="", encoding="utf-8") as fh:
            return list(csv.reader(fh))

    def write_rows(self, table: str, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        self.path(table).write_text(buffer.getvalue(), encoding="utf-8", newline="")

    def edit(self, table: str, change: Callable[[list[list[str]]], None]) -> None:
        """Apply ``change`` to the parsed rows (``rows[0]`` is the header) and write back."""
        rows = self.rows(table)
        change(rows)
        self.write_rows(table, rows)

    def set_value(self, table: str, line: int, column: str, value: str) -> str:
        """Set ``column`` on file line ``line`` (line 1 is the header); returns the old value."""
        rows = self.rows(table)
        index = rows[0].index(column)
        old = rows[line - 1][index]
        rows[line - 1][index] = value
        self.write_rows(table, rows)
        return old

    def value(self, table: str, line: int, column: str) -> str:
        rows = self.rows(table)
        return rows[line - 1][rows[0].index(column)]


@pytest.fixture
def sample_copy(real_sample_dir: Path, tmp_path: Path) -> SampleCopy:
    return SampleCopy(real_sample_dir, tmp_path / "src")


@pytest.fixture(scope="session")
def loaded_copy(real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadedSample:
    """An unbroken :class:`SampleCopy`, loaded once: the reference broken copies differ from."""
    root = tmp_path_factory.mktemp("reference")
    src_dir = SampleCopy(real_sample_dir, root / "src").dir
    return LoadedSample(src_dir, root / "data", load_dataset(src_dir, root / "data"))


@pytest.fixture
def copy_sample_to(real_sample_dir: Path) -> Callable[[Path], None]:
    """Copy the complete real sample (all rows) into a folder."""

    def copy(dst: Path) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        for contract in TABLES.values():
            shutil.copyfile(real_sample_dir / contract.file_name, dst / contract.file_name)

    return copy
