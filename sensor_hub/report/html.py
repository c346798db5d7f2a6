"""The standalone HTML report: one file, charts embedded as ``data:`` URIs, no external assets
(no scripts, fonts or style sheets from anywhere)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from html import escape
from typing import Final

from sensor_hub import __version__
from sensor_hub.report.data import EpisodeRow
from sensor_hub.report.text import Line, fmt_duration

__all__ = ["report_html"]

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { padding: 0.2rem 0.8rem; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th.section { background: #f3f3f3; }
img { max-width: 100%; }
.meta { color: #666; }
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _summary_table(lines: Sequence[Line]) -> str:
    rows = []
    section = None
    for line in lines:
        if line.section != section:
            section = line.section
            rows.append(f'<tr><th class="section" colspan="2">{escape(section)}</th></tr>')
        rows.append(
            f'<tr><td>{escape(line.label)}</td><td class="num">{escape(line.value)}</td></tr>'
        )
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{escape(c)}</td>' for c in row) + "</tr>" for row in rows
    )
    return f"<table>\n<tr>{head}</tr>\n{body}\n</table>"


def episode_rows(
    episodes: Sequence[EpisodeRow], tz: tzinfo, *, with_day: bool = False
) -> list[list[str]]:
    """Start, alert, end (local clock; ``with_day``: and weekday), duration and peak."""
    form = "%a %H:%M:%S" if with_day else "%H:%M:%S"

    def clock(ts: float | None) -> str:
        return "—" if ts is None else datetime.fromtimestamp(ts, tz).strftime(form)

    return [
        [
            clock(e.start_s),
            clock(e.alert_s),
            clock(e.end_s),
            fmt_duration(e.duration_s),
            "—" if e.peak_deg is None else f"{e.peak_deg:.1f}°",
        ]
        for e in episodes
    ]


EPISODE_HEADER: Final = ("start", "alerted", "end", "duration", "peak")


def report_html(
    title: str,
    meta: str,
    lines: Sequence[Line],
    charts: Mapping[str, bytes],
    tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[str]]]],
) -> str:
    """The whole document: the summary, each chart under its heading, then each table."""
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(meta)} · posture-hub {escape(__version__)}</p>',
        "<h2>Summary</h2>",
        _summary_table(lines),
    ]
    for heading, png in charts.items():
        parts += [f"<h2>{escape(heading)}</h2>", _img(png, heading)]
    for heading, (header, rows) in tables.items():
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts.append(_table(header, rows) if rows else "<p>none</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
