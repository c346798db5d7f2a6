"""Sitting or standing, from one trunk sensor — causal, streaming and block-invariant.

A sensor on the lower back cannot tell sitting from standing by its angle alone (the trunk is
upright in both), but it sees the transitions between them (after Najafi et al., 2002,
*IEEE Trans. Biomed. Eng.* 49(8)):

* a **candidate transition** is a forward lean of the trunk — flexion more than
  ``stance_lean_deg`` above its recent level (a low-pass with ``stance_baseline_tau_s``) — that
  lasts ``stance_lean_min_s`` to ``stance_lean_max_s`` and peaks less than
  ``stance_lean_max_deg`` above that level: standing up and sitting down lean the trunk
  20–40° for 1–3 s;
* its **vertical displacement**: the acceleration along Earth's vertical (the accelerometer
  projected on the orientation filter's "up", gravity removed) integrated twice from
  ``stance_pre_s`` before the lean to ``stance_post_s`` after it.  The body is at rest at both
  ends, so the velocity is forced to zero there by removing its linear drift — which also
  cancels any constant error (accelerometer bias and scale, a tilt error of the filter).  A
  rise of at least ``stance_rise_m`` is sit-to-stand, a drop as large stand-to-sit (the hip
  moves 0.3–0.5 m); anything smaller (a reach, a bend, a fidget) changes nothing;
* **walking** for ``stance_walking_s`` means standing;
* **lying**, or a gap longer than ``calibration_gap_s`` (the sensor may have been taken off),
  means the stance is unknown until the next evidence.

The output starts :attr:`Stance.UNKNOWN`; a transition is decided ``stance_post_s`` after the
lean ends.  Everything is decided from run boundaries and a buffer of the last few seconds,
so the output is bit-identical however the samples are split into blocks, and
:class:`StanceState` carries everything between blocks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.signals import IirState, iir
from sensor_hub.samples import STANDARD_GRAVITY_MPS2, FloatArray

__all__ = ["Stance", "StanceClassifier", "StanceState", "vertical_displacement_m"]

BoolArray = NDArray[np.bool_]
_EMPTY: Final = np.empty(0, dtype=np.float64)
_EMPTY_BOOL: Final = np.empty(0, dtype=np.bool_)
_NO_FILTER: Final = IirState()
#: Extra buffered time beyond the longest window (s).
_BUFFER_MARGIN_S = 1.0


class Stance(IntEnum):
    """Stance codes (``uint8`` arrays in blocks; ``.label`` in files)."""

    UNKNOWN = 0
    SITTING = 1
    STANDING = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A lean that may be a transition: first and last sample above the lean level (s)."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class StanceState:
    """Everything carried between blocks (plain values, frozen dataclasses, arrays)."""

    stance: Stance = Stance.UNKNOWN
    baseline: IirState = _NO_FILTER
    #: The open lean: time of its first sample, its peak above the baseline (deg).
    lean_since_s: float | None = None
    lean_peak_deg: float = 0.0
    pending: tuple[Candidate, ...] = ()
    #: The current walking run: when it started, and whether it has counted as standing.
    walking_since_s: float | None = None
    walking_counted: bool = False
    lying: bool = False
    last_t_s: float | None = None
    #: The last few seconds: time (s), vertical acceleration (m/s², gravity removed), lying.
    buffer_t_s: FloatArray = field(default_factory=lambda: _EMPTY)
    buffer_acc_mps2: FloatArray = field(default_factory=lambda: _EMPTY)
    buffer_lying: BoolArray = field(default_factory=lambda: _EMPTY_BOOL)


def vertical_displacement_m(t_s: FloatArray, acc_up_mps2: FloatArray) -> float:
    """Net vertical displacement over a window at rest at both ends (m).

    Trapezoidal double integration of ``acc_up_mps2`` (``(n,)``, gravity removed, up
    positive) at times ``t_s``; the velocity's linear drift is removed so that it is zero at
    both ends.  Sequential sums: the result depends only on the values.
    """
    if t_s.shape[0] < 2 or t_s[-1] <= t_s[0]:
        return 0.0
    dt = np.diff(t_s)
    v = np.concatenate(([0.0], np.cumsum(0.5 * (acc_up_mps2[1:] + acc_up_mps2[:-1]) * dt)))
    v = v - v[-1] * (t_s - t_s[0]) / (t_s[-1] - t_s[0])
    z = np.cumsum(0.5 * (v[1:] + v[:-1]) * dt)
    return float(z[-1])


class StanceClassifier:
    """Streaming sitting/standing classifier; ``update`` takes any block size."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._config = config
        alpha = 1.0 - float(np.exp(-1.0 / (config.sample_rate_hz * config.stance_baseline_tau_s)))
        b, a = np.array([alpha]), np.array([1.0, alpha - 1.0])
        self._lowpass = (b, a)
        self._keep_s = (
            config.stance_pre_s + config.stance_lean_max_s + config.stance_post_s + _BUFFER_MARGIN_S
        )
        self._state = StanceState()

    def get_state(self) -> StanceState:
        return self._state

    def set_state(self, state: StanceState) -> None:
        self._state = state

    def update(
        self,
        t_s: FloatArray,
        up_sensor: FloatArray,
        acc_mps2: FloatArray,
        flexion_deg: FloatArray,
        activity: NDArray[np.uint8],
    ) -> NDArray[np.uint8]:
        """Stance codes for a block.

        Args:
            t_s: ``(n,)`` timestamps, seconds, increasing.
            up_sensor: ``(n, 3)`` Earth's up in the sensor frame (unit vectors, from the
                orientation filter).
            acc_mps2: ``(n, 3)`` accelerometer, m/s² (specific force: +g up at rest).
            flexion_deg: ``(n,)`` forward lean, degrees.
            activity: ``(n,)`` :class:`~.activity.Activity` codes of the same samples.
        """
        n = t_s.shape[0]
        st = self._state
        if n == 0:
            return np.empty(0, dtype=np.uint8)
        cfg = self._config
        # Elementwise (not a matrix product) so that every sample's value is independent of
        # the block it came in.
        acc_up = (
            up_sensor[:, 0] * acc_mps2[:, 0]
            + up_sensor[:, 1] * acc_mps2[:, 1]
            + up_sensor[:, 2] * acc_mps2[:, 2]
            - STANDARD_GRAVITY_MPS2
        )
        lying = activity == Activity.LYING
        walking = activity == Activity.WALKING
        buf_t = np.concatenate((st.buffer_t_s, t_s))
        buf_acc = np.concatenate((st.buffer_acc_mps2, acc_up))
        buf_lying = np.concatenate((st.buffer_lying, lying))

        # (index, order, code): what changes the stance from sample ``index`` on.
        events: list[tuple[int, int, Stance]] = []
        pending, lean_since, lean_peak, baseline = self._leans(t_s, flexion_deg, lying)
        kept: list[Candidate] = []
        for c in pending:
            decide_at = c.end_s + cfg.stance_post_s
            i = int(np.searchsorted(t_s, decide_at, side="left"))
            if i >= n:
                kept.append(c)
                continue
            code = self._decide(c, float(t_s[i]), buf_t, buf_acc, buf_lying)
            if code is not None and not lying[i]:
                events.append((i, 1, code))
        confirmations, walking_since, walking_counted = self._walking(t_s, walking)
        events.extend((i, 2, Stance.STANDING) for i in confirmations)
        starts = np.flatnonzero(lying & ~np.concatenate(([st.lying], lying[:-1])))
        events.extend((int(i), 0, Stance.UNKNOWN) for i in starts)
        prev_t = np.concatenate(([t_s[0] if st.last_t_s is None else st.last_t_s], t_s[:-1]))
        gaps = np.flatnonzero(t_s - prev_t > cfg.calibration_gap_s)
        events.extend((int(i), 0, Stance.UNKNOWN) for i in gaps)

        codes = np.full(n, st.stance, dtype=np.uint8)
        stance = st.stance
        for i, _, code in sorted(events):
            codes[i:] = code
            stance = code
        keep = buf_t >= t_s[-1] - self._keep_s
        self._state = StanceState(
            stance=stance,
            baseline=baseline,
            lean_since_s=lean_since,
            lean_peak_deg=lean_peak,
            pending=tuple(kept),
            walking_since_s=walking_since,
            walking_counted=walking_counted,
            lying=bool(lying[-1]),
            last_t_s=float(t_s[-1]),
            buffer_t_s=buf_t[keep],
            buffer_acc_mps2=buf_acc[keep],
            buffer_lying=buf_lying[keep],
        )
        return codes

    # -- parts ------------------------------------------------------------------------------

    def _leans(
        self, t_s: FloatArray, flexion_deg: FloatArray, lying: BoolArray
    ) -> tuple[list[Candidate], float | None, float, IirState]:
        """The candidates pending after this block's leans; the open lean and the filter state.

        A lean that starts before the previous candidate is decided (within
        ``stance_post_s`` of its end) continues it: one movement, one window.  The baseline
        restarts from the flexion when lying ends (it has followed the lying trunk)."""
        cfg, st = self._config, self._state
        flex = np.where(np.isfinite(flexion_deg), flexion_deg, 0.0)[:, None]
        was_lying = np.concatenate(([st.lying], lying[:-1]))
        restarts = np.flatnonzero(was_lying & ~lying).tolist()
        parts, baseline = [], st.baseline
        for a, b in itertools.pairwise([0, *restarts, t_s.shape[0]]):
            if a in restarts:
                baseline = _NO_FILTER
            part, baseline = iir(*self._lowpass, flex[a:b], baseline)
            parts.append(part)
        base = np.concatenate(parts)
        rel = flex[:, 0] - base[:, 0]
        above = rel > cfg.stance_lean_deg
        prev = np.concatenate(([st.lean_since_s is not None], above[:-1]))
        changes = np.flatnonzero(above != prev).tolist()
        since, peak = st.lean_since_s, st.lean_peak_deg
        pending = list(st.pending)
        for a, b in itertools.pairwise([0, *changes, t_s.shape[0]]):
            if a == b:
                continue
            if above[a]:
                if since is None:
                    since, peak = float(t_s[a]), -np.inf
                    if pending and since < pending[-1].end_s + cfg.stance_post_s:
                        since = pending.pop().start_s
                peak = max(peak, float(rel[a:b].max()))
            elif since is not None:  # the lean ended at the sample before ``a``
                last_t = st.last_t_s if st.last_t_s is not None else since
                end = float(t_s[a - 1]) if a > 0 else last_t
                duration = end - since
                if (
                    cfg.stance_lean_min_s <= duration <= cfg.stance_lean_max_s
                    and peak < cfg.stance_lean_max_deg
                ):
                    pending.append(Candidate(since, end))
                since, peak = None, 0.0
        return pending, since, float(peak) if since is not None else 0.0, baseline

    def _decide(
        self,
        c: Candidate,
        decide_at: float,
        t_s: FloatArray,
        acc_up: FloatArray,
        lying: BoolArray,
    ) -> Stance | None:
        cfg = self._config
        inside = (t_s >= c.start_s - cfg.stance_pre_s) & (t_s <= decide_at)
        tw = t_s[inside]
        if tw.shape[0] < 2 or lying[inside].any():
            return None
        # Lost samples (inside or at the start of the window): the motion is unknown.
        late_start = tw[0] - (c.start_s - cfg.stance_pre_s)
        if max(float(np.diff(tw).max()), late_start) > cfg.stance_max_gap_s:
            return None
        dz = vertical_displacement_m(tw, acc_up[inside])
        if dz >= cfg.stance_rise_m:
            return Stance.STANDING
        if dz <= -cfg.stance_rise_m:
            return Stance.SITTING
        return None

    def _walking(self, t_s: FloatArray, walking: BoolArray) -> tuple[list[int], float | None, bool]:
        """Indices where a walking run reaches ``stance_walking_s``; the run open at the end
        of the block (its start) and whether it has counted already."""
        st = self._state
        out: list[int] = []
        prev = np.concatenate(([st.walking_since_s is not None], walking[:-1]))
        changes = np.flatnonzero(walking != prev).tolist()
        edges = [0, *changes, t_s.shape[0]]
        since, counted = st.walking_since_s, st.walking_counted
        for a, b in itertools.pairwise(edges):
            if a == b:
                continue
            if not walking[a]:
                since, counted = None, False
                continue
            if since is None:
                since, counted = float(t_s[a]), False
            if counted:
                continue
            due = int(np.searchsorted(t_s[a:b], since + self._config.stance_walking_s)) + a
            if due < b:
                out.append(due)
                counted = True
        return out, since, counted
