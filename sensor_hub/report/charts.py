"""PNG charts of a report (matplotlib's Agg canvas, no pyplot state, no display needed).

Colours are those of the Grafana dashboard's band mappings.  Each function returns PNG bytes;
the PNG carries no timestamp or software tag, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Final

import numpy as np
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sensor_hub.processing import Band
from sensor_hub.report.data import RangeData
from sensor_hub.report.summary import RangeSummary

__all__ = ["BAND_COLOURS", "band_shares_png", "timeline_png", "trend_png"]

BAND_COLOURS: Final = {
    Band.EXTENDED: "#5794F2",
    Band.NEUTRAL: "#73BF69",
    Band.MILD: "#FADE2A",
    Band.MODERATE: "#FF9830",
    Band.SEVERE: "#F2495C",
}
_DAY_S: Final = 86400.0
#: A gap longer than this many usual steps breaks the timeline.
_GAP_STEPS: Final = 5.0


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def timeline_png(data: RangeData, summary: RangeSummary, tz: tzinfo, title: str) -> bytes:
    """Flexion over the day, above a strip coloured by band."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    ax_angle, ax_band = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    x = data.time_s / _DAY_S  # matplotlib dates: days since 1970-01-01 UTC
    ax_angle.plot(x, data.flexion_deg, color="#444444", linewidth=0.6)
    ax_angle.set_ylabel("flexion (°)")
    ax_angle.set_title(title)
    ax_angle.grid(alpha=0.3)
    if len(x):
        step = summary.step_s / _DAY_S
        cut = np.flatnonzero((np.diff(data.band) != 0) | (np.diff(x) > _GAP_STEPS * step)) + 1
        starts = np.concatenate(([0], cut))
        ends = np.concatenate((cut, [len(x)]))
        for band in Band:
            runs = [
                (x[a], x[b - 1] - x[a] + step)
                for a, b in zip(starts, ends, strict=True)
                if data.band[a] == band
            ]
            if runs:
                ax_band.broken_barh(runs, (0, 1), color=BAND_COLOURS[band], label=band.label)
        ax_band.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.6), ncol=len(Band), frameon=False
        )
    ax_band.set_yticks([])
    ax_band.set_ylabel("band")
    formatter = mdates.DateFormatter("%H:%M", tz=tz)  # type: ignore[no-untyped-call]
    ax_band.xaxis.set_major_formatter(formatter)
    return _png(fig)


def band_shares_png(summary: RangeSummary, title: str) -> bytes:
    """Share of upright time per band, horizontal bars with their percentages."""
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    labels = [b.label for b in Band]
    shares = [summary.band_share_pct[b.label] for b in Band]
    bars = ax.barh(labels, shares, color=[BAND_COLOURS[b] for b in Band])
    ax.bar_label(bars, labels=[f"{s:.1f} %" for s in shares], padding=3)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("% of upright time")
    ax.set_title(title)
    return _png(fig)


def trend_png(days: Sequence[date], summaries: Sequence[RangeSummary], title: str) -> bytes:
    """The posture score of each day (no bar for a day without upright data)."""
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.subplots()
    names = [d.strftime("%a %d") for d in days]
    scores = [s.score_pct for s in summaries]
    values = [0.0 if v is None else v for v in scores]
    bars = ax.bar(names, values, color="#73BF69")
    ax.bar_label(bars, labels=["—" if v is None else f"{v:.0f} %" for v in scores], padding=2)
    ax.set_ylim(0, 110)
    ax.set_ylabel("posture score (%)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)
