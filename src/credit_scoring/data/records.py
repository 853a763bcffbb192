"""An independent count of a CSV file's records, read in full (integrity and reconciliation).

DuckDB's CSV reader drops a record longer than its read buffer (about 32 MB) without a reject
row, and decompresses gzip without checking its CRC. :func:`scan_records` reads the (decompressed)
bytes itself — so gzip and zip CRCs are verified by Python's readers at the end of the stream —
and counts the records the way a CSV parser does: a record ends at a line break outside double
quotes; an empty line is no record. The loader then requires ``records = rows loaded + rows
rejected`` and refuses records longer than :data:`MAX_RECORD_BYTES`, naming their lines.

It also keeps what maps a record to its *physical* line (records holding line breaks inside
quotes, blank lines), so messages give the line an editor shows.

Cost: NumPy finds the line breaks and quotes of each 1 MiB chunk (a few GB/s); the scan runs in
a background thread while DuckDB parses, and ``benchmarks/bench_load.py`` measures its share.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

from credit_scoring.data.contract import Problem
from credit_scoring.data.sources import ByteReader, SourceFile, open_text_bytes

#: Longest record accepted (bytes, line break excluded). A Home Credit record is under 4 KB;
#: a longer one is a field with a missing closing quote or an attack on the reader's buffer.
MAX_RECORD_BYTES = 1 << 20
_CHUNK = 1 << 20
_NEWLINE, _QUOTE, _CR = 10, 34, 13
EXAMPLES = 3


@dataclass
class RecordScan:
    """What a full read of a CSV found.

    ``records`` counts data records (header and blank lines excluded). ``shifts`` maps a data
    record's 0-based index to its physical line: sorted ``(first record index, extra lines)``
    breakpoints (extra lines = blank lines and quoted line breaks before that record).
    """

    records: int = 0  # -1: not counted
    header_lines: int = 1
    shifts: list[tuple[int, int]] = field(default_factory=list)
    #: ``(record index counting blank lines, quoted line breaks before it)`` breakpoints.
    quoted_shifts: list[tuple[int, int]] = field(default_factory=list)
    long_records: list[tuple[int, int]] = field(default_factory=list)  # (line, bytes)
    long_count: int = 0
    unterminated_quote_line: int | None = None
    error: str | None = None  # the stream cannot be read or fails its integrity check
    sha256: str | None = None  # of the file's bytes, when asked for (plain CSV)

    def physical_line(self, record: int) -> int:
        """1-based physical line where data record ``record`` (0-based) starts."""
        extra = 0
        i = bisect.bisect_right(self.shifts, (record, 1 << 62)) - 1
        if i >= 0:
            extra = self.shifts[i][1]
        return record + 1 + self.header_lines + extra

    def reader_line_to_physical(self, line: int) -> int:
        """Physical line of a line number as DuckDB reports it in its reject rows.

        DuckDB counts blank lines but not the line breaks inside quoted fields.
        """
        i = bisect.bisect_right(self.quoted_shifts, (line - 1, 1 << 62)) - 1
        return line + (self.quoted_shifts[i][1] if i >= 0 else 0)

    def record_at_line(self, line: int) -> int:
        """Inverse of :meth:`physical_line` for a line where a record starts."""
        guess = line - 1 - self.header_lines
        for start, extra in reversed(self.shifts):
            if start <= guess - extra:
                return guess - extra
        return guess

    def problems(self, file: str) -> list[Problem]:
        """Integrity problems of the file itself (each an error)."""
        found: list[Problem] = []
        if self.error is not None:
            found.append(Problem(file, None, self.error))
        if self.long_records:
            shown = ", ".join(f"line {line:,} ({size:,} bytes)" for line, size in self.long_records)
            found.append(
                Problem(
                    file,
                    None,
                    f"{self.long_count:,} record(s) are longer than the {MAX_RECORD_BYTES:,} "
                    f"bytes a record may hold; e.g. {shown} (a field with a missing closing "
                    "quote, or not a Home Credit record)",
                )
            )
        if self.unterminated_quote_line is not None:
            found.append(
                Problem(
                    file,
                    None,
                    f"line {self.unterminated_quote_line:,}: a quoted field is never closed "
                    "(expected a closing '\"' before the end of the file)",
                )
            )
        return found


def _set_shift(shifts: list[tuple[int, int]], start: int, total: int) -> None:
    """From ``start`` on, the shift is ``total`` (one entry per start: a later event at the
    same start replaces the running total)."""
    if shifts and shifts[-1][0] == start:
        shifts[-1] = (start, total)
    else:
        shifts.append((start, total))


class _Counter:
    """Streaming state of :func:`scan_records` (quote parity, current record, lines)."""

    def __init__(self) -> None:
        self.scan = RecordScan()
        self.offset = 0  # stream offset of the current chunk
        self.in_quote = False
        self.record_start = 0  # stream offset where the current record began
        self.records_seen = 0  # records ended, header included (blank lines excluded)
        self.ends_seen = 0  # records ended, blank lines included
        self.quoted = 0  # quoted line breaks so far
        self.extra = 0  # blank lines and quoted line breaks so far
        self.last_byte = -1  # previous byte (a record of just "\r" is a blank line)

    def feed(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, dtype=np.uint8)
        newlines = np.flatnonzero(data == _NEWLINE)
        quoted = newlines[:0]
        if chunk.find(b'"') >= 0:
            quotes = np.flatnonzero(data == _QUOTE)
            parity = (np.searchsorted(quotes, newlines) + int(self.in_quote)) & 1
            ends, quoted = newlines[parity == 0], newlines[parity == 1]
            self.in_quote = bool((len(quotes) + int(self.in_quote)) & 1)
        elif self.in_quote:
            ends, quoted = newlines[:0], newlines
        else:
            ends = newlines
        if len(ends) or len(quoted):
            self._ends(ends, quoted, chunk)
        self.offset += len(chunk)
        if chunk:
            self.last_byte = chunk[-1]

    def _ends(self, ends: np.ndarray, quoted: np.ndarray, chunk: bytes) -> None:
        """Account for the records ending in this chunk (chunk-relative positions)."""
        blank = np.zeros(len(ends), dtype=bool)
        if len(ends):
            starts = np.empty_like(ends)
            starts[0] = self.record_start - self.offset
            starts[1:] = ends[:-1] + 1
            lengths = ends - starts
            blank = lengths == 0
            for i in np.flatnonzero(lengths == 1).tolist():  # "\r" alone: CRLF blank line
                blank[i] = self._byte_before(int(ends[i]), chunk) == _CR
        if blank.any() or len(quoted):
            self._irregular(ends, blank, quoted)
        if len(ends):
            too_long = np.flatnonzero(lengths > MAX_RECORD_BYTES)
            if len(too_long):
                self._long(too_long, lengths, blank)
        self.records_seen += len(ends) - int(blank.sum())
        self.ends_seen += len(ends)
        if len(ends):
            self.record_start = int(ends[-1]) + 1 + self.offset

    def _irregular(self, ends: np.ndarray, blank: np.ndarray, quoted: np.ndarray) -> None:
        """Blank lines and quoted line breaks shift the physical line of later records."""
        blanks_before = np.concatenate([[0], np.cumsum(blank)])
        events = [(int(p), 0) for p in np.asarray(ends)[blank].tolist()]
        events += [(int(p), 1) for p in quoted.tolist()]
        for position, kind in sorted(events):
            after = int(np.searchsorted(ends, position))  # ends before this position
            record = self.records_seen + after - int(blanks_before[after])
            # a blank line precedes record `record`; a quoted break is inside it
            self._shift(record if kind == 0 else record + 1, 1)
            if kind == 1:
                self.quoted += 1
                index = self.ends_seen + after + 1  # the records after the holding one
                _set_shift(self.scan.quoted_shifts, index, self.quoted)

    def _shift(self, record: int, lines: int) -> None:
        self.extra += lines
        _set_shift(self.scan.shifts, record - self.scan.header_lines, self.extra)

    def _byte_before(self, end: int, chunk: bytes) -> int:
        """The byte before chunk position ``end`` (the previous chunk's last at 0)."""
        return chunk[end - 1] if end > 0 else self.last_byte

    def _long(self, too_long: np.ndarray, lengths: np.ndarray, blank: np.ndarray) -> None:
        self.scan.long_count += len(too_long)
        blanks_before = np.cumsum(blank)
        for i in too_long.tolist()[: max(EXAMPLES - len(self.scan.long_records), 0)]:
            record = self.records_seen + i - int(blanks_before[i])
            self.scan.long_records.append((self._line_of(record), int(lengths[i])))

    def _line_of(self, record: int) -> int:
        """Physical line of record ``record`` (header = 0) among those seen so far."""
        extra = 0
        for start, shift in self.scan.shifts:
            if start + self.scan.header_lines <= record:
                extra = shift
        return record + 1 + extra

    def finish(self) -> RecordScan:
        trailing = self.offset - self.record_start
        if self.in_quote:
            self.scan.unterminated_quote_line = self._line_of(self.records_seen)
        if trailing > 0 and not (trailing == 1 and self.last_byte == _CR):
            if trailing > MAX_RECORD_BYTES:
                self.scan.long_count += 1
                if len(self.scan.long_records) < EXAMPLES:
                    line = self._line_of(self.records_seen)
                    self.scan.long_records.append((line, trailing))
            self.records_seen += 1
        self.scan.records = max(self.records_seen - self.scan.header_lines, 0)
        return self.scan


def count_records(
    fh: ByteReader, *, hasher: hashlib._Hash | None = None, chunk_size: int = _CHUNK
) -> RecordScan:
    """Count the records of a CSV byte stream (header included in the stream)."""
    counter = _Counter()
    while chunk := fh.read(chunk_size):
        if hasher is not None:
            hasher.update(chunk)
        counter.feed(chunk)
    return counter.finish()


def scan_records(source: SourceFile, *, with_sha256: bool = False) -> RecordScan:
    """Read a CSV source in full: count its records, verify its compression's CRC.

    For a plain CSV, ``with_sha256`` hashes the bytes in the same read. A stream that fails
    (gzip or zip CRC error, truncation, unreadable file) gives a scan whose ``error`` says so.
    """
    digest = hashlib.sha256() if with_sha256 and source.format == "csv" else None
    try:
        with open_text_bytes(source) as fh:
            scan = count_records(fh, hasher=digest)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        kind = {"csv.gz": "gzip", "csv.zip": "zip"}.get(source.format, "file")
        return RecordScan(
            error=f"is corrupt: the {kind} data fails its integrity check ({exc}); expected an "
            "intact file (download or copy it again)"
        )
    if digest is not None:
        scan.sha256 = digest.hexdigest()
    return scan


def reconciliation_problem(
    file: str, scan: RecordScan, *, loaded: int, rejected: int
) -> Problem | None:
    """A problem when ``records`` read from the file differ from ``loaded + rejected``."""
    if scan.error is not None or scan.records < 0 or scan.records == loaded + rejected:
        return None
    return Problem(
        file,
        None,
        f"holds {scan.records:,} records but {loaded:,} rows were read and {rejected:,} "
        f"rejected: {abs(scan.records - loaded - rejected):,} record(s) "
        f"{'lost' if scan.records > loaded + rejected else 'added'} by the CSV reader "
        "(expected every record to be loaded or rejected); nothing was loaded",
    )


def read_fields(source: SourceFile, lines: list[int], column_index: int) -> dict[int, str]:
    """``{line: text of field column_index}`` of the records starting at physical ``lines``.

    Reads the file line by line up to the last line asked for: an error path (a few examples
    per problem), so simplicity beats speed here.
    """
    wanted = set(lines)
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    with open_text_bytes(source) as fh:
        for line in range(1, last + 1):
            raw = fh.readline(MAX_RECORD_BYTES + 1)
            if not raw:
                break
            if line in wanted:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                row = next(csv.reader(io.StringIO(text)), [])
                found[line] = row[column_index] if column_index < len(row) else ""
    return found
