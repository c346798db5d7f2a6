"""Day and week reports: load, summarise, draw, and write the files."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from types import ModuleType

from sensor_hub.recorder.sqlite_store import SqliteReader
from sensor_hub.report.data import RangeData, load_range
from sensor_hub.report.html import EPISODE_HEADER, episode_rows, report_html
from sensor_hub.report.summary import RangeSummary, summarize
from sensor_hub.report.text import Line, fmt_duration, fmt_pct, summary_lines

__all__ = ["DAY_HEADER", "Report", "day_bounds_ns", "day_report", "week_report"]

DAY_HEADER = ("day", "measured", "sitting", "standing", "score", "episodes", "alerted")


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report shows; ``files`` are name -> bytes, written by :meth:`write`."""

    title: str
    meta: str
    summary: RangeSummary
    lines: Sequence[Line]
    tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]]
    files: Mapping[str, bytes] = field(default_factory=dict)

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in self.files.items():
            path = out / name
            path.write_bytes(content)
            written.append(path)
        return written


def day_bounds_ns(day: date, tz: tzinfo) -> tuple[int, int]:
    """Local midnight to the next local midnight (23 or 25 h on a daylight-saving change)."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return round(start.timestamp() * 1e9), round(end.timestamp() * 1e9)


def _load(reader: SqliteReader, wearer: str, first: date, days: int, tz: tzinfo) -> RangeData:
    start, _ = day_bounds_ns(first, tz)
    _, end = day_bounds_ns(first + timedelta(days=days - 1), tz)
    return load_range(reader, wearer, start, end)


def _meta(data: RangeData, tz: tzinfo) -> str:
    return f"wearer {data.wearer} · sensor {data.sensor or '—'} · time zone {tz}"


def _charts() -> ModuleType:
    """The chart module, imported when a report is drawn: matplotlib costs a few hundred ms
    and writes a font cache in the home at import, which no other command should pay for."""
    return importlib.import_module("sensor_hub.report.charts")


def day_report(reader: SqliteReader, wearer: str, day: date, tz: tzinfo) -> Report | None:
    """The report of one local day (``None``: no data that day)."""
    data = _load(reader, wearer, day, 1, tz)
    if data.empty:
        return None
    summary = summarize(data)
    lines = summary_lines(summary)
    title = f"Posture report: {wearer}, {day.isoformat()}"
    meta = _meta(data, tz)
    charts_ = _charts()
    timeline = charts_.timeline_png(data, summary, tz, f"{wearer}, {day.isoformat()}")
    shares = charts_.band_shares_png(summary, "Share of upright time per band")
    tables = {"Episodes": (EPISODE_HEADER, episode_rows(data.episodes, tz))}
    charts = {"Day timeline": timeline, "Share of upright time per band": shares}
    stem = f"{wearer}-{day.isoformat()}"
    files = {
        f"report-{stem}.html": report_html(title, meta, lines, charts, tables).encode(),
        f"timeline-{stem}.png": timeline,
        f"bands-{stem}.png": shares,
    }
    return Report(title, meta, summary, lines, tables, files)


def week_report(reader: SqliteReader, wearer: str, first: date, tz: tzinfo) -> Report | None:
    """The report of the seven local days from ``first`` (``None``: no data in them)."""
    data = _load(reader, wearer, first, 7, tz)
    if data.empty:
        return None
    summary = summarize(data)
    days = [first + timedelta(days=k) for k in range(7)]
    daily = [summarize(_load(reader, wearer, d, 1, tz)) for d in days]
    rows = [
        [
            d.strftime("%a %Y-%m-%d"),
            fmt_duration(s.measured_s),
            fmt_duration(s.stance_s["sitting"]),
            fmt_duration(s.stance_s["standing"]),
            fmt_pct(s.score_pct),
            str(s.episodes),
            str(s.episodes_alerted),
        ]
        for d, s in zip(days, daily, strict=True)
    ]
    last = days[-1].isoformat()
    title = f"Posture report: {wearer}, week {first.isoformat()} to {last}"
    meta = _meta(data, tz)
    charts_ = _charts()
    trend = charts_.trend_png(days, daily, "Posture score per day")
    shares = charts_.band_shares_png(summary, "Share of upright time per band (week)")
    charts = {"Posture score per day": trend, "Share of upright time per band": shares}
    tables = {
        "Days": (DAY_HEADER, rows),
        "Episodes": (EPISODE_HEADER, episode_rows(data.episodes, tz, with_day=True)),
    }
    lines = summary_lines(summary)
    stem = f"{wearer}-week-{first.isoformat()}"
    files = {
        f"report-{stem}.html": report_html(title, meta, lines, charts, tables).encode(),
        f"trend-{stem}.png": trend,
        f"bands-{stem}.png": shares,
    }
    return Report(title, meta, summary, lines, tables, files)
