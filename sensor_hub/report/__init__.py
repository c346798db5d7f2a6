"""Daily and weekly posture reports from the embedded store (``posture-hub report``).

:mod:`.data` reads a wearer's range from :class:`~sensor_hub.recorder.sqlite_store.SqliteReader`,
:mod:`.summary` computes the figures (pure; the posture score's definition is there),
:mod:`.text` formats them once for the terminal and the HTML, :mod:`.charts` draws the PNGs
(matplotlib, Agg), :mod:`.html` writes the standalone page and :mod:`.build` joins them.
See ``docs/report.md``.
"""

from sensor_hub.report.build import Report, day_bounds_ns, day_report, week_report
from sensor_hub.report.data import wearers
from sensor_hub.report.summary import GOOD_BANDS, RangeSummary, summarize

__all__ = [
    "GOOD_BANDS",
    "RangeSummary",
    "Report",
    "day_bounds_ns",
    "day_report",
    "summarize",
    "wearers",
    "week_report",
]
