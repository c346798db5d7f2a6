"""Adherence: a day's numbers from the policy's records (pure).

The policy returns every decision as a record (:mod:`sensor_hub.alerts.actions`); the hub keeps
them (the recorder stores them) and this module sums a window of them: how many prompts were
shown and how they were answered, how many buzzes there were and how fast the wearer corrected,
how often something was suppressed and why.  Whether alerts help shows in these numbers — a
falling time to correct and a rising share of prompts done — and whether they nag shows in the
alerts per hour, so both are reported.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sensor_hub.alerts.actions import (
    Action,
    Answered,
    Buzz,
    Corrected,
    PositiveFeedback,
    Prompt,
    Reason,
    Suppressed,
)
from sensor_hub.mqtt.commands import Answer

__all__ = ["DaySummary", "day_bounds", "summarize"]

_HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class DaySummary:
    """Adherence over ``[start_s, end_s)``.  Times to correct are ``None`` without corrections."""

    start_s: float
    end_s: float
    prompts_shown: int
    prompts_done: int
    prompts_skipped: int
    prompts_snoozed: int
    alerts: int  # first buzzes of episodes
    escalations: int  # repeat buzzes
    alerts_per_hour: float  # all buzzes per monitored hour
    max_alerts_in_an_hour: int  # the worst sliding hour
    corrections: int
    time_to_correct_median_s: float | None
    time_to_correct_mean_s: float | None
    positive_feedback: int
    suppressed: tuple[tuple[Reason, int], ...]  # by reason, most frequent first

    @property
    def prompts_unanswered(self) -> int:
        answered = self.prompts_done + self.prompts_skipped + self.prompts_snoozed
        return max(0, self.prompts_shown - answered)

    @property
    def done_share(self) -> float | None:
        """Prompts done / prompts shown (``None`` with no prompt)."""
        return self.prompts_done / self.prompts_shown if self.prompts_shown else None


def day_bounds(now_s: float, tz: tzinfo) -> tuple[float, float]:
    """The local day containing ``now_s``: ``(midnight, next midnight)`` as Unix times."""
    local = datetime.fromtimestamp(now_s, tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _max_in_hour(times: list[float]) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= _HOUR_S:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def summarize(
    records: Iterable[Action],
    start_s: float,
    end_s: float,
    *,
    monitored_s: float | None = None,
) -> DaySummary:
    """Sum the records with ``start_s <= time_s < end_s``.  ``monitored_s``: how long the wearer
    was monitored in the window (default: all of it), the denominator of alerts per hour."""
    inside = [r for r in records if start_s <= r.time_s < end_s]
    answers = Counter(r.answer for r in inside if isinstance(r, Answered))
    buzzes = sorted(r.time_s for r in inside if isinstance(r, Buzz))
    first = sum(1 for r in inside if isinstance(r, Buzz) and r.level == 0)
    fixes = [r.time_to_correct_s for r in inside if isinstance(r, Corrected)]
    reasons = Counter(r.reason for r in inside if isinstance(r, Suppressed))
    hours = (end_s - start_s if monitored_s is None else monitored_s) / _HOUR_S
    return DaySummary(
        start_s=start_s,
        end_s=end_s,
        prompts_shown=sum(1 for r in inside if isinstance(r, Prompt)),
        prompts_done=answers[Answer.DONE],
        prompts_skipped=answers[Answer.SKIP],
        prompts_snoozed=answers[Answer.SNOOZE],
        alerts=first,
        escalations=len(buzzes) - first,
        alerts_per_hour=len(buzzes) / hours if hours > 0 else 0.0,
        max_alerts_in_an_hour=_max_in_hour(buzzes),
        corrections=len(fixes),
        time_to_correct_median_s=statistics.median(fixes) if fixes else None,
        time_to_correct_mean_s=statistics.fmean(fixes) if fixes else None,
        positive_feedback=sum(1 for r in inside if isinstance(r, PositiveFeedback)),
        suppressed=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0].value))),
    )
