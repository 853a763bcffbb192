"""Monitoring windows: parsing, UTC alignment, assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from credit_scoring.monitoring.windows import Windows, WindowSpec, WindowSpecError, to_ns


@pytest.mark.parametrize(
    ("text", "label", "width"),
    [
        ("7d", "7d", timedelta(days=7)),
        (" 12h ", "12h", timedelta(hours=12)),
        ("1w", "1w", timedelta(weeks=1)),
    ],
)
def test_window_widths_parse(text: str, label: str, width: timedelta) -> None:
    spec = WindowSpec.parse(text)
    assert (spec.label, spec.width) == (label, width)


@pytest.mark.parametrize("text", ["", "7", "0d", "1y", "-1d", "d7", "1s"])
def test_bad_window_widths_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(WindowSpecError, match=r"expected <n>m, <n>h, <n>d or <n>w"):
        WindowSpec.parse(text)


def test_daily_windows_start_at_midnight_utc_and_weekly_on_monday() -> None:
    when = datetime(2026, 11, 19, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # Fri 01:30 UTC
    assert WindowSpec.parse("1d").floor(when) == datetime(2026, 11, 20, tzinfo=UTC)
    monday = WindowSpec.parse("7d").floor(when)
    assert monday == datetime(2026, 11, 16, tzinfo=UTC) and monday.weekday() == 0


def test_assignment_groups_rows_by_window_in_time_order() -> None:
    spec = WindowSpec.parse("1d")
    times = [datetime(2026, 1, d, h, tzinfo=UTC) for d, h in [(3, 1), (1, 5), (3, 23), (1, 0)]]
    windows = Windows.assign(spec, np.asarray([to_ns(t) for t in times]))
    assert [b[0].day for b in windows.bounds()] == [1, 3]
    assert windows.codes.tolist() == [1, 0, 1, 0]
    assert windows.counts().tolist() == [2, 2]
    start, end = windows.bounds()[0]
    assert end - start == timedelta(days=1)


def test_to_ns_takes_naive_times_as_utc() -> None:
    assert to_ns(datetime(1970, 1, 1, 0, 0, 1)) == 1_000_000_000
    assert to_ns(datetime(1970, 1, 1, 1, 0, 1, 5, tzinfo=timezone(timedelta(hours=1)))) == (
        1_000_005_000
    )
