"""The numbers of a report, computed from :class:`~sensor_hub.report.data.RangeData` (pure).

Time: each telemetry sample (5 Hz by default, ``sensor_hub.mqtt.sampling``) stands for the
time until the next one, at most :data:`MAX_SAMPLE_S` (a longer gap is time without data); the
last one for the usual step (the median spacing).  Time sitting and time standing are weighted
the same way, from each sample's ``stance``; samples of unknown stance (or stored by a hub that
sent none) count in neither.

**Posture score**: the share of *upright* time (activity ``upright``: sitting or standing) spent
in the ``neutral`` and ``mild`` bands, in percent, rounded to 0.1 — none with less than
:data:`MIN_SCORE_S` of upright time.  The built-in dashboard (``sensor_hub/web/history.py``,
``docs/dashboard.md``) computes the same with the same weights and minimum (a test holds the two
equal); Grafana counts samples instead of weighting them (``docs/grafana.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing import Activity, Band
from sensor_hub.processing.stance import Stance
from sensor_hub.report.data import RangeData

__all__ = [
    "COUNTED_STANCES",
    "GOOD_BANDS",
    "MAX_SAMPLE_S",
    "MIN_SCORE_S",
    "RangeSummary",
    "summarize",
    "weights_s",
]

#: The bands the posture score counts as good.
GOOD_BANDS: Final = (Band.NEUTRAL, Band.MILD)
#: The stances whose time a report gives (unknown stance is counted in neither).
COUNTED_STANCES: Final = (Stance.SITTING, Stance.STANDING)
#: Longest time one telemetry sample stands for (as on the built-in dashboard).
MAX_SAMPLE_S: Final = 2.0
#: Upright time a range needs before it gets a score (as on the built-in dashboard).
MIN_SCORE_S: Final = 300.0


@dataclass(frozen=True, slots=True)
class RangeSummary:
    """A day's (or a week's) figures; shares in percent, times in seconds."""

    wearer: str
    sensor: str | None
    step_s: float  # the usual spacing of the telemetry samples
    samples: int
    measured_s: float
    activity_s: Mapping[str, float]
    stance_s: Mapping[str, float]  # sitting, standing (unknown stance is in neither)
    upright_s: float
    band_share_pct: Mapping[str, float]  # of upright time, every band
    score_pct: float | None
    episodes: int
    episodes_alerted: int
    longest_episode_s: float | None
    alerts: Mapping[str, int]
    prompts: int
    answers: Mapping[str, int]
    mean_response_s: float | None

    @property
    def adherence_pct(self) -> float | None:
        """Prompts answered ``done``, in percent of the prompts shown."""
        if self.prompts == 0:
            return None
        return 100.0 * self.answers.get("done", 0) / self.prompts


def weights_s(time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seconds each sample stands for: until the next one, at most :data:`MAX_SAMPLE_S`; the
    last one the median step."""
    if len(time_s) == 0:
        return np.zeros(0)
    gaps = np.diff(time_s)
    typical = float(np.median(gaps)) if len(gaps) else 0.0
    weights: NDArray[np.float64] = np.minimum(np.append(gaps, typical), MAX_SAMPLE_S)
    return weights


def summarize(data: RangeData) -> RangeSummary:
    """The figures of one range (see the module docstring for the definitions)."""
    w = weights_s(data.time_s)
    step = float(np.median(np.diff(data.time_s))) if len(data.time_s) > 1 else 0.0
    up = data.activity == Activity.UPRIGHT
    upright_s = float(w[up].sum())
    shares = {
        b.label: 100.0 * float(w[up & (data.band == b)].sum()) / upright_s if upright_s else 0.0
        for b in Band
    }
    good_s = float(w[up & np.isin(data.band, [int(b) for b in GOOD_BANDS])].sum())
    durations = [e.duration_s for e in data.episodes if e.duration_s is not None]
    return RangeSummary(
        wearer=data.wearer,
        sensor=data.sensor,
        step_s=step,
        samples=len(data.time_s),
        measured_s=float(w.sum()),
        activity_s=MappingProxyType(
            {a.label: float(w[data.activity == a].sum()) for a in Activity}
        ),
        stance_s=MappingProxyType(
            {s.label: float(w[data.stance == s].sum()) for s in COUNTED_STANCES}
        ),
        upright_s=upright_s,
        band_share_pct=MappingProxyType(shares),
        score_pct=round(100.0 * good_s / upright_s, 1) if upright_s >= MIN_SCORE_S else None,
        episodes=len(data.episodes),
        episodes_alerted=sum(e.alerted for e in data.episodes),
        longest_episode_s=max(durations) if durations else None,
        alerts=data.alerts,
        prompts=data.prompts,
        answers=data.answers,
        mean_response_s=float(np.mean(data.response_s)) if data.response_s else None,
    )
