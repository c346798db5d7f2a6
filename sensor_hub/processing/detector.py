"""The sustained-posture detector: a state machine over (time, angle, eligibility).

An episode **starts** when the angle rises above ``threshold_deg`` while the wearer is upright
(sitting or standing) and calibrated.  It stays open while the angle is above
``threshold_deg - hysteresis_deg``; a return below that level (or walking, lying down, a gap) is a
*dip*, and only a dip of ``dip_tolerance_s`` or longer **ends** the episode — at the time the dip
began.  A shorter dip neither ends nor restarts it.  The **alert** fires at the first leaning
sample ``hold_s`` after the start.  Excursions that end before ``min_episode_s`` are movements
(a reach, a bend to pick something up) and are never reported, so each reported episode is one
event in the count — episodes, not samples.  ``peak_deg`` and ``mean_deg`` are taken over the
leaning samples (dips excluded).

Events come out as :class:`EpisodeEvent` (``started`` once an episode has lasted
``min_episode_s``, ``alerted``, ``ended``), stamped with the sample time at which the live hub
would know them.  The machine steps over runs of constant input rather than single samples, so
a day of data costs a few thousand Python steps; results do not depend on block boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.samples import FloatArray

__all__ = ["DetectorState", "Episode", "EpisodeDetector", "EpisodeEvent", "Phase"]


class Phase(StrEnum):
    STARTED = "started"
    ALERTED = "alerted"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Episode:
    """One sustained-posture episode as known at some instant (``end_s`` None while open)."""

    kind: str
    start_s: float
    alert_s: float | None
    end_s: float | None
    peak_deg: float
    mean_deg: float

    @property
    def duration_s(self) -> float | None:
        return None if self.end_s is None else self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class EpisodeEvent:
    phase: Phase
    time_s: float  # when the live hub knows it
    episode: Episode


@dataclass(frozen=True, slots=True)
class DetectorState:
    open: bool = False
    start_s: float = 0.0
    alert_s: float | None = None
    dip_start_s: float | None = None
    reported: bool = False
    sum_deg: float = 0.0
    count: int = 0
    peak_deg: float = -np.inf
    last_s: float | None = None


class EpisodeDetector:
    """Streaming detector of one episode kind (``forward_lean`` or ``pelvic_tilt``)."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._cfg = config
        self._kind = config.role.episode_kind
        self._state = DetectorState()

    @property
    def kind(self) -> str:
        return self._kind

    def get_state(self) -> DetectorState:
        return self._state

    def set_state(self, state: DetectorState) -> None:
        self._state = state

    def reconfigure(self, config: ProcessingConfig) -> None:
        """Use new thresholds from the next block on; an open episode stays open (its start,
        alert and statistics are kept) and is judged by the new rules from then on."""
        if config.role is not self._cfg.role:
            raise ValueError("the detector's role cannot change")
        self._cfg = config

    def _episode(self, st: DetectorState, end_s: float | None) -> Episode:
        mean = st.sum_deg / st.count if st.count else float("nan")
        return Episode(self._kind, st.start_s, st.alert_s, end_s, float(st.peak_deg), mean)

    def update(
        self, t_s: FloatArray, angle_deg: FloatArray, eligible: NDArray[np.bool_]
    ) -> list[EpisodeEvent]:
        """Feed a block; returns the events it produced, in time order."""
        cfg = self._cfg
        n = t_s.shape[0]
        events: list[EpisodeEvent] = []
        if n == 0:
            return events
        st = self._state
        hi = eligible & (angle_deg > cfg.threshold_deg)
        lo = eligible & (angle_deg > cfg.exit_deg)
        prev_t = np.concatenate(([t_s[0] if st.last_s is None else st.last_s], t_s[:-1]))
        gap = (t_s - prev_t) > cfg.max_gap_s
        change = np.flatnonzero((hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1]) | gap[1:]) + 1
        bounds = np.concatenate(([0], change, [n]))
        for i, j in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if gap[i] and st.open:
                end = float(prev_t[i]) if st.dip_start_s is None else st.dip_start_s
                st = self._close(st, end, float(t_s[i]), events)
            if not st.open:
                if not hi[i]:
                    continue
                st = DetectorState(open=True, start_s=float(t_s[i]))
            if lo[i]:
                st = self._lean(st, t_s[i:j], angle_deg[i:j], events)
            else:
                st = self._dip(st, t_s[i:j], events)
        self._state = replace(st, last_s=float(t_s[-1]))
        return events

    def _lean(
        self, st: DetectorState, t: FloatArray, a: FloatArray, events: list[EpisodeEvent]
    ) -> DetectorState:
        cfg = self._cfg
        # Sums and peaks through each sample, so an event carries the stats as of its sample.
        sums = np.add.accumulate(np.concatenate(([st.sum_deg], a)))[1:]
        peaks = np.maximum.accumulate(np.concatenate(([st.peak_deg], a)))[1:]

        def upto(k: int) -> DetectorState:
            return replace(
                st,
                dip_start_s=None,
                sum_deg=float(sums[k]),
                count=st.count + k + 1,
                peak_deg=float(peaks[k]),
            )

        report_at = min(st.start_s + cfg.min_episode_s, st.start_s + cfg.hold_s)
        alert_at = st.start_s + cfg.hold_s
        if not st.reported and t[-1] >= report_at:
            k = int(np.searchsorted(t, report_at))
            st = replace(st, reported=True)
            events.append(EpisodeEvent(Phase.STARTED, float(t[k]), self._episode(upto(k), None)))
        if st.alert_s is None and t[-1] >= alert_at:
            k = int(np.searchsorted(t, alert_at))
            st = replace(st, alert_s=float(t[k]))
            events.append(EpisodeEvent(Phase.ALERTED, float(t[k]), self._episode(upto(k), None)))
        return upto(int(a.shape[0]) - 1)

    def _dip(self, st: DetectorState, t: FloatArray, events: list[EpisodeEvent]) -> DetectorState:
        if st.dip_start_s is None:
            st = replace(st, dip_start_s=float(t[0]))
        dip_start = st.dip_start_s
        if dip_start is not None and t[-1] - dip_start >= self._cfg.dip_tolerance_s:
            k = int(np.searchsorted(t, dip_start + self._cfg.dip_tolerance_s))
            st = self._close(st, dip_start, float(t[k]), events)
        return st

    def _close(
        self, st: DetectorState, end_s: float, known_s: float, events: list[EpisodeEvent]
    ) -> DetectorState:
        if st.reported:
            events.append(EpisodeEvent(Phase.ENDED, known_s, self._episode(st, end_s)))
        return DetectorState(last_s=st.last_s)

    def finish(self) -> list[EpisodeEvent]:
        """End of data: close an open episode at its last leaning sample (or dip start)."""
        st = self._state
        events: list[EpisodeEvent] = []
        if st.open and st.last_s is not None:
            end = st.last_s if st.dip_start_s is None else st.dip_start_s
            self._state = self._close(st, end, st.last_s, events)
        return events

    def current(self) -> Episode | None:
        """The open, reported episode, if any."""
        st = self._state
        return self._episode(st, None) if st.open and st.reported else None
