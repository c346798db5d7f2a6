"""True lumbar flexion from two sensors: lumbar (L1–L3) minus pelvis (sacrum), time-aligned.

A single sensor measures the inclination of its own segment; the angle *between* the lumbar
spine and the pelvis needs both.  Each sensor has its own clock and sample times, so the pelvis
angle is interpolated at each lumbar sample time from the pelvis samples known *by then* —
causal, as the live hub sees them.  A lumbar sample later than the newest pelvis sample holds
that pelvis value for up to ``max_hold_s``; beyond it (pelvis sensor silent) the result is NaN.
"""

from __future__ import annotations

import numpy as np

from sensor_hub.samples import FloatArray

__all__ = ["PelvisAligner", "relative_flexion_deg"]


def relative_flexion_deg(
    lumbar_t_s: FloatArray,
    lumbar_flexion_deg: FloatArray,
    pelvis_t_s: FloatArray,
    pelvis_flexion_deg: FloatArray,
    max_hold_s: float = 0.1,
) -> FloatArray:
    """``lumbar − pelvis`` at the lumbar sample times (batch form of :class:`PelvisAligner`)."""
    aligner = PelvisAligner(max_hold_s)
    aligner.add_pelvis(pelvis_t_s, pelvis_flexion_deg)
    return aligner.relative(lumbar_t_s, lumbar_flexion_deg)


class PelvisAligner:
    """Streaming alignment: feed pelvis samples as they arrive, ask for lumbar − pelvis."""

    def __init__(self, max_hold_s: float = 0.1) -> None:
        self._max_hold_s = max_hold_s
        self._t = np.empty(0)
        self._flex = np.empty(0)

    def add_pelvis(self, t_s: FloatArray, flexion_deg: FloatArray) -> None:
        """Pelvis samples (strictly increasing times, after those already added)."""
        if t_s.shape[0] == 0:
            return
        if self._t.shape[0] and t_s[0] <= self._t[-1]:
            raise ValueError("pelvis samples must come in increasing time order")
        self._t = np.concatenate((self._t, t_s))
        self._flex = np.concatenate((self._flex, flexion_deg))

    def relative(self, t_s: FloatArray, lumbar_flexion_deg: FloatArray) -> FloatArray:
        """``lumbar − pelvis`` at ``t_s``; NaN where no pelvis angle is known (see module)."""
        out = np.full(t_s.shape, np.nan)
        if self._t.shape[0] == 0 or t_s.shape[0] == 0:
            return out
        pelvis = np.interp(t_s, self._t, self._flex)
        known = (t_s >= self._t[0]) & (t_s <= self._t[-1] + self._max_hold_s)
        out[known] = lumbar_flexion_deg[known] - pelvis[known]
        # Keep only what later lumbar samples can still need: the last sample at or before
        # the newest lumbar time, and everything after it.
        keep_from = max(int(np.searchsorted(self._t, t_s[-1], side="right")) - 1, 0)
        self._t, self._flex = self._t[keep_from:], self._flex[keep_from:]
        return out
