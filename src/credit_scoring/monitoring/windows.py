"""Monitoring windows: fixed-width time buckets of logged decisions, aligned in UTC.

A window width is written ``<n>m``, ``<n>h``, ``<n>d`` or ``<n>w`` (``15m``, ``12h``, ``1d``,
``7d``, ``2w``); minutes serve short simulations and demos.
Windows are aligned on Monday 1970-01-05 00:00 UTC, so daily windows start at midnight UTC
and weekly ones on Mondays; the window of a decision is ``floor((t - origin) / width)``. The
same timestamps therefore always fall into the same windows, whichever run computes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import ArrayLike, NDArray

from credit_scoring.errors import CreditScoringError

#: Monday 1970-01-05 00:00 UTC: weekly windows start on Mondays.
ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)
_ORIGIN_NS = int(ORIGIN.timestamp()) * 1_000_000_000
_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_PATTERN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


class WindowSpecError(CreditScoringError):
    """A window width that is not ``<n>m``, ``<n>h``, ``<n>d`` or ``<n>w`` with ``n`` ≥ 1."""


@dataclass(frozen=True)
class WindowSpec:
    """A window width (``label`` as written, e.g. ``7d``)."""

    label: str
    width: timedelta

    @classmethod
    def parse(cls, text: str) -> WindowSpec:
        match = _PATTERN.match(text)
        if match is None or int(match.group(1)) < 1:
            raise WindowSpecError(
                f"window {text!r}: expected <n>m, <n>h, <n>d or <n>w with n ≥ 1 "
                "(e.g. 15m, 12h, 1d, 7d)"
            )
        n, unit = int(match.group(1)), match.group(2)
        return cls(label=f"{n}{unit}", width=n * _UNITS[unit])

    @property
    def width_ns(self) -> int:
        return int(self.width.total_seconds()) * 1_000_000_000

    def index_of(self, when_ns: ArrayLike) -> NDArray[np.int64]:
        """Window index of each timestamp (nanoseconds since the epoch, UTC)."""
        t = np.asarray(when_ns, dtype=np.int64)
        return np.floor_divide(t - _ORIGIN_NS, self.width_ns)

    def start_of(self, index: int) -> datetime:
        """Start (inclusive, UTC) of window ``index``."""
        return ORIGIN + int(index) * self.width

    def end_of(self, index: int) -> datetime:
        """End (exclusive, UTC) of window ``index``."""
        return self.start_of(int(index) + 1)

    def floor(self, when: datetime) -> datetime:
        """Start of the window holding ``when``."""
        return self.start_of(int(self.index_of(to_ns(when))))


def to_ns(when: datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (naive values are taken as UTC)."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


@dataclass(frozen=True)
class Windows:
    """The windows a set of timestamps falls into.

    ``codes[i]`` is the position (in ``indices``) of row ``i``'s window; ``indices`` are the
    distinct window indices, ascending.
    """

    spec: WindowSpec
    indices: NDArray[np.int64]
    codes: NDArray[np.intp]

    @classmethod
    def assign(cls, spec: WindowSpec, when_ns: ArrayLike) -> Windows:
        index = spec.index_of(when_ns)
        indices, codes = np.unique(index, return_inverse=True)
        return cls(spec=spec, indices=indices, codes=codes.astype(np.intp).ravel())

    def __len__(self) -> int:
        return len(self.indices)

    def bounds(self) -> list[tuple[datetime, datetime]]:
        """``(start, end)`` of every window, in ``indices`` order."""
        return [(self.spec.start_of(i), self.spec.end_of(i)) for i in self.indices.tolist()]

    def subset(self, rows: NDArray[np.intp]) -> Windows:
        """The same windows for the rows at positions ``rows`` only (empty windows kept)."""
        return Windows(spec=self.spec, indices=self.indices, codes=self.codes[rows])

    def counts(self) -> NDArray[np.int64]:
        """Rows per window."""
        return np.bincount(self.codes, minlength=len(self.indices)).astype(np.int64)
