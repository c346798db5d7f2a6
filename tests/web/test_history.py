"""Local days across DST changes, and the CSV's local times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sensor_hub.web.history import HistoryError, _local_stamps, day_window, parse_day

BERLIN = ZoneInfo("Europe/Berlin")


def test_days_are_local_and_dst_days_have_23_or_25_hours() -> None:
    spring = day_window(date(2026, 3, 29), BERLIN)
    autumn = day_window(date(2026, 10, 25), BERLIN)
    plain = day_window(date(2026, 11, 20), UTC)
    assert spring.end_s - spring.start_s == 23 * 3600
    assert autumn.end_s - autumn.start_s == 25 * 3600
    assert plain.start_s == datetime(2026, 11, 20, tzinfo=UTC).timestamp()


def test_local_stamps_follow_the_offset_through_a_dst_change() -> None:
    window = day_window(date(2026, 3, 29), BERLIN)
    times = np.array([window.start_s + 3600 * h for h in (1.5, 2.5)]) * 1e9
    before, after = _local_stamps(times.astype(np.int64), window, BERLIN)
    assert before == "2026-03-29T01:30:00.000+01:00"
    assert after == "2026-03-29T03:30:00.000+02:00"


@pytest.mark.parametrize("text", ["2026-02-29", "26-01-01", "2026-1-1", "", "2026-01-01x"])
def test_bad_days(text: str) -> None:
    with pytest.raises(HistoryError, match="bad day"):
        parse_day(text)
