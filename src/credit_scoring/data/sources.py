"""Finding the source file of each table and reading its header.

A source folder holds one file per table, named after the table as downloaded from Kaggle:
``<table>.csv``, ``<table>.csv.gz``, ``<table>.csv.zip`` (one CSV inside) or ``<table>.parquet``.
Other files are ignored. Text must be UTF-8 (a byte-order mark is tolerated).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow.parquet as pq

from credit_scoring.data.contract import Problem, raise_if_errors
from credit_scoring.data.manifest import SourceFormat
from credit_scoring.schema import TABLES

#: Accepted file name endings, in the order they are looked for.
SUFFIXES: tuple[tuple[str, SourceFormat], ...] = (
    (".csv", "csv"),
    (".csv.gz", "csv.gz"),
    (".csv.zip", "csv.zip"),
    (".parquet", "parquet"),
)
_CHUNK = 1 << 20
_MAX_HEADER_BYTES = 1 << 20


class ByteReader(Protocol):
    """A binary stream (plain file, gzip or zip member)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class SourceFile:
    """The file a table is read from."""

    table: str
    path: Path
    format: SourceFormat

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_csv(self) -> bool:
        return self.format != "parquet"


def find_sources(src_dir: Path) -> dict[str, SourceFile]:
    """The source file of every table in ``src_dir``.

    Raises a :class:`~credit_scoring.data.contract.ContractViolationError` naming every missing
    table (with the accepted file names) and every table present in more than one format.
    """
    src_dir = Path(src_dir)
    problems: list[Problem] = []
    found: dict[str, SourceFile] = {}
    for name in TABLES:
        candidates = [
            SourceFile(name, src_dir / f"{name}{suffix}", fmt)
            for suffix, fmt in SUFFIXES
            if (src_dir / f"{name}{suffix}").is_file()
        ]
        if not candidates:
            accepted = ", ".join(f"{name}{suffix}" for suffix, _ in SUFFIXES)
            problems.append(
                Problem(
                    f"{name}.csv",
                    None,
                    f"table {name} is missing from {src_dir} (expected one of: {accepted})",
                )
            )
        elif len(candidates) > 1:
            names = " and ".join(c.name for c in candidates)
            problems.append(
                Problem(candidates[0].name, None, f"found {names}; keep only one file per table")
            )
        else:
            found[name] = candidates[0]
    raise_if_errors(problems)
    return found


@contextmanager
def open_text_bytes(source: SourceFile) -> Iterator[ByteReader]:
    """The CSV's bytes, decompressed when the file is gzip or zip."""
    if source.format == "csv.gz":
        with gzip.open(source.path, "rb") as fh:
            yield fh
    elif source.format == "csv.zip":
        with zipfile.ZipFile(source.path) as archive, archive.open(_zip_member(source)) as fh:
            yield fh
    else:
        with source.path.open("rb") as fh:
            yield fh


def _zip_member(source: SourceFile) -> str:
    with zipfile.ZipFile(source.path) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
    wanted = f"{source.table}.csv"
    for member in members:
        if Path(member).name == wanted:
            return member
    if len(members) == 1:
        return members[0]
    raise_if_errors(
        [
            Problem(
                source.name,
                None,
                f"holds {len(members)} files but none named {wanted} (expected one CSV)",
            )
        ]
    )
    raise AssertionError("unreachable")


def extract_zip(source: SourceFile, scratch_dir: Path) -> Path:
    """Extract the CSV of a ``.csv.zip`` source into ``scratch_dir`` (DuckDB reads no zip)."""
    target = scratch_dir / f"{source.table}.csv"
    with open_text_bytes(source) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
    return target


def first_invalid_utf8(fh: ByteReader) -> tuple[int, int, int] | None:
    """``(byte offset, line number, byte value)`` of the first byte that is not UTF-8, or None.

    Reads the stream in 1 MiB chunks; a character split between two chunks is carried over.
    """
    offset = 0  # stream offset of data[0]
    line = 1  # line number at data[0]
    carry = b""
    while True:
        chunk = fh.read(_CHUNK)
        data = carry + chunk
        if not data:
            return None
        try:
            data.decode("utf-8")
            consumed, carry = len(data), b""
        except UnicodeDecodeError as exc:
            split_character = bool(chunk) and exc.end == len(data) and "end of data" in exc.reason
            if not split_character:
                return offset + exc.start, line + data[: exc.start].count(b"\n"), data[exc.start]
            consumed, carry = exc.start, data[exc.start :]
        line += data[:consumed].count(b"\n")
        offset += consumed


def encoding_problem(source: SourceFile) -> Problem | None:
    """A :class:`Problem` naming the first non-UTF-8 byte of a CSV source, if there is one."""
    with open_text_bytes(source) as fh:
        found = first_invalid_utf8(fh)
    if found is None:
        return None
    offset, line, byte = found
    where = "of the decompressed text " if source.format != "csv" else ""
    return Problem(
        source.name,
        None,
        f"is not UTF-8 text: byte 0x{byte:02X} at byte offset {offset:,} {where}(line {line}) "
        "is invalid; expected UTF-8 (re-save or convert the file as UTF-8)",
    )


def read_header(source: SourceFile) -> tuple[list[str], list[Problem]]:
    """The column names of a source file, or the problems that prevent reading them.

    Problems: an empty file (0 bytes or no header line), a header that is not UTF-8, a
    Parquet file that cannot be read.
    """
    if source.path.stat().st_size == 0:
        return [], [
            Problem(source.name, None, "is empty (0 bytes); expected a header and data rows")
        ]
    if not source.is_csv:
        try:
            return list(pq.read_schema(source.path).names), []
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            return [], [Problem(source.name, None, f"is not a readable Parquet file ({exc})")]
    try:
        with open_text_bytes(source) as fh:
            raw = fh.readline(_MAX_HEADER_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        return [], [Problem(source.name, None, f"cannot be read or decompressed ({exc})")]
    if not raw.strip():
        return [], [
            Problem(source.name, None, "has no header line; expected the column names first")
        ]
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [
            Problem(
                source.name,
                None,
                f"is not UTF-8 text: byte 0x{raw[bom + exc.start]:02X} at byte offset "
                f"{bom + exc.start:,} (line 1) is invalid; expected UTF-8 (re-save or convert "
                "the file as UTF-8)",
            )
        ]
    header = [name.strip() for name in next(csv.reader(io.StringIO(text)), [])]
    separator = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in text), None)
    if separator is not None:
        return [], [
            Problem(
                source.name,
                None,
                f"is not comma-separated: its header is one column holding {separator!r} "
                "between names; expected ',' as the separator",
            )
        ]
    return header, []
