"""Calibration: the neutral posture, the true forward direction, and whether both still hold.

**Neutral.** Earth's up in the sensor frame — the direction of the accelerometer, which is
exact when still and free of the orientation filter's start-up transient (gyro bias not yet
estimated) — averaged over a still window (default the first
5 s of a recording; live, a window started on command).  Until the window is complete the
running mean so far stands in for it (before the window starts, the running mean of a window of
the same length from the first sample), so every output is what the live hub knew then.

**Forward direction.** The case says z points backward, but a sensor stuck on a back is easily
turned ±20° about its own z.  Forward bends, slouches and returns to upright tilt the sensor in
the wearer's sagittal plane; side bends tilt it in the perpendicular plane.  The horizontal part
``d`` of Earth's up (relative to the neutral up) is therefore spread along two perpendicular
axes, and the principal axis of the scatter ``Σ d dᵀ`` (a 2×2 matrix in the plane of the
neutral) is the sagittal one as soon as forward/backward tilting outweighs sideways tilting.
Samples teach it while upright and tilted between ``axis_learn_min_deg`` and
``axis_learn_max_deg``, each weighted by ``sin(tilt)`` to the power ``axis_learn_tilt_power``
on top of the scatter's own ``|d|²``: wearers often lean aside while bending, and a sideways
lean ``φ`` during a forward tilt ``θ`` turns ``d`` by about ``atan(cos θ · sin φ / sin θ)`` —
17° for a 40° reach with 15° aside, 2° for an 80° bend with 10° aside — so the deep tilts
must dominate the shallow ones (with the plain scatter, two diagonal reaches taught a yaw 18°
off that later bends took a minute or more to correct).  Only tilts nearer the case's
sagittal axis than its lateral one teach (the mounting error is well below 45°): a sideways
tilt says nothing about the sagittal axis, but one a few degrees off the lateral axis — lying
down onto a side from a slightly forward-leaning seat, still "upright" for ``lying_on_s`` —
would turn the principal axis by a degree or two.  The estimate is used once there are
``axis_learn_min_s`` of them and
the scatter is ``axis_learn_min_anisotropy`` times longer than wide, and only within
``max_mount_yaw_deg`` of the case's axis (which also fixes its sign).  Even then a few shallow
tilts teach a poor direction — a seated wearer who only stretches back by 15°, 5° aside, points
it 18° off — so the case's axis stays the prior: the learned yaw counts in proportion
``E / (E + axis_prior_weight_s)``, ``E`` the evidence in seconds of a 30° bend (the major
eigenvalue of the weighted scatter; a 15° tilt weighs 0.5 % as much, an 80° bend 8×).  A
reach or a bend decides within a second; the simulator's fidgeting sitters, who never bend,
went from 13.5° RMS yaw error (the case's 11.6°) to 0.43° flexion RMSE instead of 0.56°.
Until a bend teaches it, the wearer's left learned from walking (:mod:`.gaitaxis`,
:mod:`.turns`) gives it, if the wearer has walked, and otherwise the case's axis is used.
The neutral itself is never re-learned automatically, so a slouch can never become "neutral".

**Validity.** A gap in the data longer than ``calibration_gap_s`` (sensor out of range, taken
off, battery swapped) marks the calibration *stale* until the next calibration, and so does a
sensor that was evidently moved without a gap: walking is done with the trunk near upright, so
if the tilt from the neutral up, averaged over walking (``walking_check_s`` time constant,
after at least that much walking), exceeds ``walking_max_tilt_deg``, the neutral no longer
describes how the sensor sits on the back.  Stale angles
are still reported but the detector ignores them and the hub asks the wearer to recalibrate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from sensor_hub.processing.angles import CASE_BACKWARD
from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.geometry import normalize_rows
from sensor_hub.processing.signals import last_known, running_sum
from sensor_hub.samples import FloatArray

__all__ = ["CalibrationState", "CalibrationStatus", "Calibrator", "ForwardAxis", "FrameBlock"]

Vec3 = tuple[float, float, float]
_ZERO3: Vec3 = (0.0, 0.0, 0.0)
_SIN_30 = 0.5


def _vec(values: tuple[float, ...]) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _power(cfg: ProcessingConfig) -> float:
    """The power of sin(tilt) each learning sample's scatter carries (weight and |d|²)."""
    return cfg.axis_learn_tilt_power + 2.0


class CalibrationStatus(IntEnum):
    PROVISIONAL = 0  # the neutral window is not complete yet
    OK = 1
    STALE = 2  # a long gap: the sensor may have moved; recalibrate

    @property
    def label(self) -> str:
        return self.name.lower()


class ForwardAxis(StrEnum):
    """Where the forward axis in use comes from."""

    CASE = "case"  # the case's printed axes: nothing learned yet
    WALKING = "walking"  # the stride's sway or the walking turns
    BENDS = "bends"  # forward bends, reaches, slouches (the most precise)


@dataclass(frozen=True, slots=True)
class CalibrationState:
    """Everything the calibrator carries between blocks (plain values: picklable)."""

    first_s: float | None = None
    last_s: float | None = None
    window_start_s: float | None = None  # absolute times of the neutral window
    window_end_s: float | None = None
    window_sum: Vec3 = _ZERO3
    window_count: float = 0.0
    early_sum: Vec3 = _ZERO3  # stand-in window from the first sample
    early_count: float = 0.0
    neutral_up: Vec3 | None = None
    previous_up: Vec3 | None = None  # the neutral in force while a new window fills
    stale: bool = False
    walk_tilt_zi: float | None = None  # filter state of the EMA of cos(tilt) while walking
    walk_count: float = 0.0
    scatter: tuple[float, float, float] = (0.0, 0.0, 0.0)  # Σ db², Σ db·dl, Σ dl²
    learn_count: float = 0.0
    yaw_rad: float = 0.0  # learned rotation of the backward axis from the case's, about up
    bend_learned: bool = False  # yaw_rad comes from forward bends (else from turns, or none)
    walk_learned: bool = False  # yaw_rad came from walking (until bends teach it)


@dataclass(frozen=True, slots=True)
class FrameBlock:
    """Per-sample calibration output."""

    up: FloatArray  # (n, 3) neutral up, sensor frame
    backward: FloatArray  # (n, 3) wearer's backward, sensor frame, perpendicular to up
    status: NDArray[np.uint8]  # (n,) CalibrationStatus codes


def _case_axes(up: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Case backward made perpendicular to ``up`` (n, 3), and left = backward × up.

    Elementwise arithmetic only, so a row's result does not depend on the rows around it; the
    neutral is one vector for long runs of samples, each computed once (a tenth of the core's
    time otherwise)."""
    n = up.shape[0]
    if n > 1:
        change = np.empty(n, dtype=bool)
        change[0] = True
        np.any(up[1:] != up[:-1], axis=1, out=change[1:])
        firsts = np.flatnonzero(change)
        if firsts.shape[0] < n // 2:
            b, left = _case_axes(up[firsts])
            run = np.cumsum(change) - 1
            return b[run], left[run]
    z = np.asarray(CASE_BACKWARD)
    b = normalize_rows(z - (up[:, 0:1] * z[0] + up[:, 1:2] * z[1] + up[:, 2:3] * z[2]) * up)
    return b, np.cross(b, up)


class Calibrator:
    """Streaming calibration: ``neutral`` then ``frames`` for each block (see module doc)."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._cfg = config
        self._state = CalibrationState()

    def get_state(self) -> CalibrationState:
        return self._state

    def set_state(self, state: CalibrationState) -> None:
        self._state = state

    def request(self, start_s: float, end_s: float, *, forget_mounting: bool = False) -> None:
        """Calibrate anew on the still window ``[start_s, end_s]`` (absolute times); with
        ``forget_mounting`` also learn the forward axis afresh (the sensor was moved)."""
        if not end_s > start_s:
            raise ValueError(f"calibration window must end after it starts: {start_s}:{end_s}")
        if forget_mounting:
            self._state = replace(
                self._state, scatter=(0.0, 0.0, 0.0), learn_count=0.0, yaw_rad=0.0,
                bend_learned=False, walk_learned=False,
            )  # fmt: skip
        self._state = replace(
            self._state,
            window_start_s=start_s,
            window_end_s=end_s,
            window_sum=_ZERO3,
            window_count=0.0,
            neutral_up=None,
            previous_up=self._state.neutral_up or self._state.previous_up,
            stale=False,
            walk_tilt_zi=None,
            walk_count=0.0,
        )

    # -- neutral --------------------------------------------------------------------------------

    def neutral(self, t_s: FloatArray, g: FloatArray) -> tuple[FloatArray, NDArray[np.uint8]]:
        """Per-sample neutral up ``(n, 3)`` and status, given Earth's up ``g`` ``(n, 3)``."""
        n = t_s.shape[0]
        st = self._state
        if n == 0:
            return np.empty((0, 3)), np.empty(0, dtype=np.uint8)
        first = float(t_s[0]) if st.first_s is None else st.first_s
        last = first if st.last_s is None else st.last_s
        w_start = st.window_start_s
        w_start = first + self._cfg.neutral_start_s if w_start is None else w_start
        w_end = st.window_end_s
        w_end = first + self._cfg.neutral_end_s if w_end is None else w_end
        span = w_end - w_start

        # Staleness: a gap longer than calibration_gap_s before a sample.
        prev_t = np.concatenate(([last], t_s[:-1]))
        gap = (t_s - prev_t) > self._cfg.calibration_gap_s
        stale = np.logical_or.accumulate(np.concatenate(([st.stale], gap)))[1:]

        in_win = (t_s >= w_start) & (t_s <= w_end)
        in_early = t_s <= first + span
        w_sum = running_sum(g * in_win[:, None], np.asarray(st.window_sum))
        w_cnt = running_sum(in_win.astype(np.float64)[:, None], np.array([st.window_count]))[:, 0]
        e_sum = running_sum(g * in_early[:, None], np.asarray(st.early_sum))
        e_cnt = running_sum(in_early.astype(np.float64)[:, None], np.array([st.early_count]))[:, 0]

        if st.previous_up is not None:  # a recalibration: the old neutral until the new one
            before = np.broadcast_to(np.asarray(st.previous_up), g.shape)
        else:  # the first calibration: a stand-in window from the first sample
            before = np.where((e_cnt > 0)[:, None], e_sum, g)
        up = normalize_rows(np.where((w_cnt > 0)[:, None], w_sum, before))
        neutral_up = st.neutral_up
        ok_from = n
        if neutral_up is not None:
            up[:] = neutral_up
            ok_from = 0
        else:
            done = t_s > w_end
            if done.any() and w_cnt[-1] > 0:
                ok_from = int(np.argmax(done))
                final = normalize_rows(w_sum[ok_from])
                neutral_up = (float(final[0]), float(final[1]), float(final[2]))
                up[ok_from:] = final
        status = np.full(n, CalibrationStatus.PROVISIONAL, dtype=np.uint8)
        status[ok_from:] = CalibrationStatus.OK
        status[stale] = CalibrationStatus.STALE
        self._state = replace(
            st,
            first_s=first,
            last_s=float(t_s[-1]),
            window_start_s=w_start,
            window_end_s=w_end,
            window_sum=(float(w_sum[-1, 0]), float(w_sum[-1, 1]), float(w_sum[-1, 2])),
            window_count=float(w_cnt[-1]),
            early_sum=(float(e_sum[-1, 0]), float(e_sum[-1, 1]), float(e_sum[-1, 2])),
            early_count=float(e_cnt[-1]),
            neutral_up=neutral_up,
            stale=bool(stale[-1]),
        )
        return up, status

    # -- does the neutral still fit? ---------------------------------------------------------

    def check_walking(
        self, cos_tilt: FloatArray, walking: NDArray[np.bool_], status: NDArray[np.uint8]
    ) -> NDArray[np.uint8]:
        """Mark the calibration stale from the walking sample at which the average tilt from
        neutral during walking exceeds ``walking_max_tilt_deg`` (see module doc)."""
        cfg, st = self._cfg, self._state
        idx = np.flatnonzero(walking & (status == CalibrationStatus.OK))
        if idx.shape[0] == 0:
            return status
        x = cos_tilt[idx]
        alpha = 1.0 - float(np.exp(-cfg.sample_period_s / cfg.walking_check_s))
        zi = np.array([(1.0 - alpha) * x[0] if st.walk_tilt_zi is None else st.walk_tilt_zi])
        avg, zf = lfilter([alpha], [1.0, alpha - 1.0], x, zi=zi)
        count = st.walk_count + np.arange(1, idx.shape[0] + 1, dtype=np.float64)
        bad = (count * cfg.sample_period_s >= cfg.walking_check_s) & (
            avg < np.cos(np.radians(cfg.walking_max_tilt_deg))
        )
        stale = st.stale
        status = status.copy()
        if bad.any():
            status[idx[int(np.argmax(bad))] :] = CalibrationStatus.STALE
            stale = True
        self._state = replace(
            st, walk_tilt_zi=float(zf[0]), walk_count=float(count[-1]), stale=stale
        )
        return status

    # -- forward direction -----------------------------------------------------------------------

    def frames(
        self,
        g: FloatArray,
        up: FloatArray,
        status: NDArray[np.uint8],
        upright: NDArray[np.bool_],
        turn_left: FloatArray | None = None,
    ) -> FloatArray:
        """Per-sample backward axis ``(n, 3)``, learning the mounting yaw from ``g``.

        ``turn_left`` ``(n, 3)`` is the wearer's left learned from walking turns
        (:mod:`.turns`; NaN where not known): the forward axis until a bend teaches one.
        """
        cfg, st = self._cfg, self._state
        n = g.shape[0]
        b_case, l_case = _case_axes(up)
        if n == 0:
            return b_case
        d_b = np.einsum("ij,ij->i", g, b_case)
        d_l = np.einsum("ij,ij->i", g, l_case)
        cos_tilt = np.einsum("ij,ij->i", g, up)
        learn = (
            (status == CalibrationStatus.OK)
            & upright
            & (cos_tilt < np.cos(np.radians(cfg.axis_learn_min_deg)))
            & (cos_tilt > np.cos(np.radians(cfg.axis_learn_max_deg)))
            & (np.abs(d_b) > np.abs(d_l))  # nearer the sagittal axis than the lateral one
        )
        # Only the learning samples move the scatter: the sums, the yaw and the evidence are
        # computed at those (a few per cent of a day) and carried to the others.
        li = np.flatnonzero(learn)
        lb, ll = d_b[li], d_l[li]
        # Weight sin(tilt)^power: deep tilts give the cleanest directions (module doc).
        w = (lb * lb + ll * ll) ** (0.5 * cfg.axis_learn_tilt_power)
        s = running_sum(np.stack((lb * lb * w, lb * ll * w, ll * ll * w), axis=1), _vec(st.scatter))
        cnt = st.learn_count + np.arange(1, li.shape[0] + 1, dtype=np.float64)
        s_bb, s_bl, s_ll = s[:, 0], s[:, 1], s[:, 2]
        yaw = 0.5 * np.arctan2(2.0 * s_bl, s_bb - s_ll)
        half_tr = 0.5 * (s_bb + s_ll)
        radius = np.hypot(0.5 * (s_bb - s_ll), s_bl)
        lam1, lam2 = half_tr + radius, half_tr - radius
        usable = (
            (cnt * cfg.sample_period_s >= cfg.axis_learn_min_s)
            & (lam1 > cfg.axis_learn_min_anisotropy * lam2)
            & (np.abs(yaw) <= np.radians(cfg.max_mount_yaw_deg))
        )
        # Shallow tilts teach a poor direction (a sideways lean φ at tilt θ turns it by about
        # φ/θ): the case's axis is the prior, and the learned yaw counts in proportion to the
        # evidence, deep tilts weighing most (module doc).
        if cfg.axis_prior_weight_s > 0.0:
            evidence = lam1 * (cfg.sample_period_s / _SIN_30 ** _power(cfg))
            yaw = yaw * (evidence / (evidence + cfg.axis_prior_weight_s))
        yaw_bend = last_known(n, li, usable, yaw[:, None], np.array([np.nan]))[:, 0]
        learned_here = np.isfinite(yaw_bend)
        bend_known = learned_here | st.bend_learned
        yaw_bend = np.where(learned_here, yaw_bend, st.yaw_rad)
        yaw_turn = self._turn_yaw(turn_left, up, b_case, l_case)
        yaw_now = np.where(
            bend_known, yaw_bend, np.where(np.isfinite(yaw_turn), yaw_turn, st.yaw_rad)
        )
        backward = np.cos(yaw_now)[:, None] * b_case + np.sin(yaw_now)[:, None] * l_case
        self._state = replace(
            st,
            scatter=st.scatter
            if li.shape[0] == 0
            else (float(s_bb[-1]), float(s_bl[-1]), float(s_ll[-1])),
            learn_count=float(cnt[-1]) if li.shape[0] else st.learn_count,
            yaw_rad=float(yaw_now[-1]),
            bend_learned=bool(bend_known[-1]),
            walk_learned=st.walk_learned or bool(np.isfinite(yaw_turn).any()),
        )
        return backward

    def _turn_yaw(
        self, turn_left: FloatArray | None, up: FloatArray, b_case: FloatArray, l_case: FloatArray
    ) -> FloatArray:
        """The yaw (rad) that makes the frame's left the turns' left; NaN where unknown or
        beyond ``max_mount_yaw_deg``."""
        n = up.shape[0]
        if turn_left is None:
            return np.full(n, np.nan)
        # left(yaw) = cos(yaw)·l_case − sin(yaw)·b_case (left = backward × up).
        yaw = np.arctan2(
            -np.einsum("ij,ij->i", turn_left, b_case), np.einsum("ij,ij->i", turn_left, l_case)
        )
        return np.where(np.abs(yaw) <= np.radians(self._cfg.max_mount_yaw_deg), yaw, np.nan)

    @property
    def forward_axis(self) -> ForwardAxis:
        """Where the forward axis in use comes from."""
        if self._state.bend_learned:
            return ForwardAxis.BENDS
        return ForwardAxis.WALKING if self._state.walk_learned else ForwardAxis.CASE

    @property
    def yaw_deg(self) -> float:
        """The mounting yaw learned so far (0 until learned), degrees."""
        return float(np.degrees(self._state.yaw_rad))
