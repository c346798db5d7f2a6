"""The report's figures as labelled strings: the same text goes to the terminal table and to
the HTML report, so both always say the same."""

from __future__ import annotations

from dataclasses import dataclass

from sensor_hub.processing import Activity, Band
from sensor_hub.report.summary import RangeSummary
from sensor_hub.schema import CODE_TABLES

__all__ = ["Line", "fmt_duration", "fmt_pct", "summary_lines"]


@dataclass(frozen=True, slots=True)
class Line:
    section: str
    label: str
    value: str


def fmt_duration(seconds: float | None) -> str:
    """``1 h 02 min``, ``12 min 05 s``, ``45.0 s`` (``—`` when unknown)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def summary_lines(s: RangeSummary) -> list[Line]:
    """Every figure of a summary, grouped by section, in display order."""
    lines = [Line("Time", "measured", fmt_duration(s.measured_s))]
    lines += [Line("Time", a.label, fmt_duration(s.activity_s[a.label])) for a in Activity]
    lines += [Line("Time", label, fmt_duration(t)) for label, t in s.stance_s.items()]
    lines += [
        Line("Upright time per band", b.label, fmt_pct(s.band_share_pct[b.label])) for b in Band
    ]
    lines.append(Line("Posture score", "neutral + mild, of upright time", fmt_pct(s.score_pct)))
    lines += [
        Line("Episodes", "count", str(s.episodes)),
        Line("Episodes", "alerted", str(s.episodes_alerted)),
        Line("Episodes", "longest", fmt_duration(s.longest_episode_s)),
    ]
    if s.alerts:
        lines += [Line("Alerts", outcome, str(n)) for outcome, n in sorted(s.alerts.items())]
    if s.prompts or s.answers:
        lines.append(Line("Prompts", "shown", str(s.prompts)))
        lines += [
            Line("Prompts", label, str(s.answers.get(label, 0)))
            for label in CODE_TABLES["answer"].values()
        ]
        lines.append(Line("Prompts", "adherence (done)", fmt_pct(s.adherence_pct)))
        lines.append(Line("Prompts", "mean response", fmt_duration(s.mean_response_s)))
    return lines
