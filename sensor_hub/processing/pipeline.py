"""The processing core end to end: samples in, angles, activity and episodes out.

``PostureProcessor.process(block)`` runs, for one sensor:

1. walking (:mod:`.activity`, from the accelerometer alone), setting off and stopping
   (:mod:`.onset`), the centripetal acceleration of walking turns removed (:mod:`.turns`),
   then orientation (:mod:`.orientation`, trusting the accelerometer less while walking and
   hardly at all in the first steps) on a uniform time grid — short gaps (dropped samples) are
   bridged by linear interpolation so the integration of the gyroscope stays right; across a
   longer gap the inclination restarts from the accelerometer (from the last inclination too,
   if the wearer walks on), and after ``max_gap_s`` the whole filter restarts;
2. Earth's up in the sensor frame, the neutral posture and the forward direction
   (:mod:`.calibration`);
3. activity (:mod:`.activity`);
4. ``flexion_deg`` and ``lateral_deg`` (:mod:`.angles`) and bands (:mod:`.bands`);
5. the sustained-posture detector (:mod:`.detector`);
6. sitting or standing (:mod:`.stance`).

It is pure and deterministic: no clock (time is the samples' own ``timestamp_s``), no I/O.
Feeding a recording in blocks of any size gives the same output, bit for bit, as one batch;
``get_state``/``set_state`` carry everything between blocks, so a state saved mid-stream and
restored into a new processor continues exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing.activity import Activity, ActivityClassifier, ActivityState
from sensor_hub.processing.bands import band_of
from sensor_hub.processing.calibration import (
    CalibrationState,
    CalibrationStatus,
    Calibrator,
    ForwardAxis,
)
from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.detector import DetectorState, EpisodeDetector, EpisodeEvent
from sensor_hub.processing.gaitaxis import GaitAxis, GaitAxisState
from sensor_hub.processing.geometry import normalize_rows, up_in_sensor_frame
from sensor_hub.processing.onset import OnsetHold, OnsetState
from sensor_hub.processing.orientation import (
    OrientationEstimator,
    OrientationParams,
    OrientationState,
)
from sensor_hub.processing.stance import StanceClassifier, StanceState
from sensor_hub.processing.turns import TurnCompensator, TurnState
from sensor_hub.samples import FloatArray, SampleBlock

__all__ = ["PostureBlock", "PostureProcessor", "ProcessorState"]

Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True, eq=False)
class PostureBlock:
    """What the core knows at each sample of a block (all arrays of length n)."""

    timestamp_s: FloatArray
    quat_wxyz: FloatArray  # (n, 4) sensor-to-Earth, z up, heading arbitrary
    flexion_deg: FloatArray  # sagittal, forward (anterior tilt for a pelvis sensor) positive
    lateral_deg: FloatArray  # toward the wearer's right positive
    activity: NDArray[np.uint8]  # Activity codes
    band: NDArray[np.uint8]  # Band codes
    calibration: NDArray[np.uint8]  # CalibrationStatus codes
    events: tuple[EpisodeEvent, ...]
    stance: NDArray[np.uint8]  # Stance codes
    # Where the forward axis in use at the block's end comes from, and its turn from the case's.
    forward_axis: ForwardAxis = ForwardAxis.CASE
    mount_yaw_deg: float = 0.0

    def __len__(self) -> int:
        return int(self.timestamp_s.shape[0])


@dataclass(frozen=True, slots=True)
class ProcessorState:
    """Everything carried between blocks; plain values and frozen dataclasses (picklable)."""

    orientation: OrientationState | None
    last_sample: tuple[float, Vec3, Vec3] | None  # time, gyr, acc of the last sample
    calibration: CalibrationState
    activity: ActivityState
    detector: DetectorState
    turns: TurnState
    stance: StanceState
    gait_axis: GaitAxisState
    onset: OnsetState


class PostureProcessor:
    """One sensor's processing core.  Not thread-safe; one instance per sensor."""

    def __init__(self, config: ProcessingConfig | None = None) -> None:
        self.config = config or ProcessingConfig()
        self._orientation: OrientationEstimator | None = None
        self._last: tuple[float, Vec3, Vec3] | None = None
        self._calibrator = Calibrator(self.config)
        self._activity = ActivityClassifier(self.config)
        self._detector = EpisodeDetector(self.config)
        self._turns = TurnCompensator(self.config)
        self._gait_axis = GaitAxis(self.config)
        self._stance = StanceClassifier(self.config)
        self._onset = OnsetHold(self.config)

    # -- state ---------------------------------------------------------------------------------

    def get_state(self) -> ProcessorState:
        return ProcessorState(
            orientation=None if self._orientation is None else self._orientation.get_state(),
            last_sample=self._last,
            calibration=self._calibrator.get_state(),
            activity=self._activity.get_state(),
            detector=self._detector.get_state(),
            turns=self._turns.get_state(),
            gait_axis=self._gait_axis.get_state(),
            stance=self._stance.get_state(),
            onset=self._onset.get_state(),
        )

    def set_state(self, state: ProcessorState) -> None:
        if state.orientation is None:
            self._orientation = None
        else:
            self._orientation = self._new_orientation()
            self._orientation.set_state(state.orientation)
        self._last = state.last_sample
        self._calibrator.set_state(state.calibration)
        self._activity.set_state(state.activity)
        self._detector.set_state(state.detector)
        self._turns.set_state(state.turns)
        self._gait_axis.set_state(state.gait_axis)
        self._stance.set_state(state.stance)
        self._onset.set_state(state.onset)

    # -- commands -----------------------------------------------------------------------------

    def calibrate(self, start_s: float, end_s: float) -> None:
        """Take the still posture between ``start_s`` and ``end_s`` (sample times) as neutral.

        If the calibration was stale — the sensor may have been taken off and stuck back on —
        what was learned about how it sits (the forward axis from bends, the stride's and the
        turns' left) is forgotten too, and learned again from the wearer's next movements."""
        moved = self._calibrator.get_state().stale
        self._calibrator.request(start_s, end_s, forget_mounting=moved)
        if moved:
            self._turns.forget()
            self._gait_axis.forget()

    def set_thresholds(
        self,
        *,
        threshold_deg: float | None = None,
        hold_s: float | None = None,
        dip_tolerance_s: float | None = None,
    ) -> ProcessingConfig:
        """New detector thresholds from the next block on (``None``: unchanged); returns the
        configuration now in force.  Raises ``ValueError`` (nothing changed) when the result
        is not a valid configuration."""
        current = self.config
        config = dataclasses.replace(
            current,
            threshold_deg=current.threshold_deg if threshold_deg is None else threshold_deg,
            hold_s=current.hold_s if hold_s is None else hold_s,
            dip_tolerance_s=current.dip_tolerance_s if dip_tolerance_s is None else dip_tolerance_s,
        )
        self._detector.reconfigure(config)
        self.config = config
        return config

    @property
    def mount_yaw_deg(self) -> float:
        """The mounting yaw learned so far (0 until learned)."""
        return self._calibrator.yaw_deg

    @property
    def forward_axis(self) -> ForwardAxis:
        """Where the forward axis in use comes from: bends, walking or the case (none yet)."""
        return self._calibrator.forward_axis

    # -- processing ---------------------------------------------------------------------------

    def process(self, block: SampleBlock) -> PostureBlock:
        t = np.ascontiguousarray(block.timestamp_s, dtype=np.float64)
        acc = np.ascontiguousarray(block.acc_mps2, dtype=np.float64)
        gyr = np.ascontiguousarray(block.gyr_rads, dtype=np.float64)
        gait = self._activity.gait(t, acc)
        walking, steady_gait = gait.walking, gait.steady
        held, settle = self._onset.update(t, gait.quiet, gait.candidate, steady_gait, gyr)
        turns = self._turns.update(acc, gyr, steady_gait)
        quat = self._orient(t, gyr, turns.acc_mps2, steady_gait, held, settle)
        g = up_in_sensor_frame(quat) if len(t) else np.empty((0, 3))
        up, status = self._calibrator.neutral(t, normalize_rows(acc) if len(t) else g)
        cos_tilt = np.einsum("ij,ij->i", g, up)
        activity = self._activity.classify(t, cos_tilt, walking)
        status = self._calibrator.check_walking(cos_tilt, activity == Activity.WALKING, status)
        upright = activity == Activity.UPRIGHT
        # The wearer's left from walking: the stride's sway where known, else the turns.
        gait_left = self._gait_axis.update(acc, steady_gait)
        walk_left = np.where(np.isfinite(gait_left[:, :1]), gait_left, turns.left)
        backward = self._calibrator.frames(g, up, status, upright, walk_left)
        left = np.cross(backward, up)
        g_u = cos_tilt
        g_l = np.einsum("ij,ij->i", g, left)
        g_b = np.einsum("ij,ij->i", g, backward)
        flexion = np.degrees(np.arctan2(g_b, np.hypot(g_u, g_l)))
        lateral = np.degrees(np.arctan2(g_l, g_u))
        eligible = upright & (status != CalibrationStatus.STALE)
        events = self._detector.update(t, flexion, eligible)
        stance = self._stance.update(t, g, acc, flexion, activity)
        return PostureBlock(
            timestamp_s=t,
            quat_wxyz=quat,
            flexion_deg=flexion,
            lateral_deg=lateral,
            activity=activity,
            band=band_of(flexion),
            calibration=status,
            events=tuple(events),
            stance=stance,
            forward_axis=self._calibrator.forward_axis,
            mount_yaw_deg=self._calibrator.yaw_deg,
        )

    def finish(self) -> tuple[EpisodeEvent, ...]:
        """End of data: close an open episode."""
        return tuple(self._detector.finish())

    # -- orientation on a uniform grid ----------------------------------------------------------

    def _new_orientation(self) -> OrientationEstimator:
        params = OrientationParams(tau_acc_s=self.config.tau_acc_s)
        return OrientationEstimator(self.config.sample_period_s, params)

    def _orient(
        self,
        t: FloatArray,
        gyr: FloatArray,
        acc: FloatArray,
        steady_gait: NDArray[np.bool_],
        held: NDArray[np.bool_],
        settle: NDArray[np.bool_],
    ) -> FloatArray:
        n = t.shape[0]
        quat = np.empty((n, 4))
        if n == 0:
            return quat
        period = self.config.sample_period_s
        if self._last is None:
            prev_t = np.concatenate(([t[0] - period], t[:-1]))
            prev_g = np.concatenate((gyr[:1], gyr[:-1]))
            prev_a = np.concatenate((acc[:1], acc[:-1]))
        else:
            last_t, last_g, last_a = self._last
            prev_t = np.concatenate(([last_t], t[:-1]))
            prev_g = np.concatenate(([last_g], gyr[:-1]))
            prev_a = np.concatenate(([last_a], acc[:-1]))
        gap_s = t - prev_t
        missing = np.maximum(np.rint(gap_s / period).astype(np.int64) - 1, 0)
        # Short gaps (dropped notifications) are bridged by interpolation; across a longer one
        # the motion is unknown, so the inclination restarts from the accelerometer (keeping
        # the gyroscope bias and scale estimates), and after max_gap_s the filter restarts.
        restart = gap_s > self.config.max_gap_s
        reinit = (gap_s > self.config.max_bridge_s) & ~restart
        missing[restart | reinit] = 0
        if self._orientation is None:
            restart[0] = True
        starts = np.concatenate((np.flatnonzero(restart | reinit), [n])).tolist()
        if starts[0] != 0:
            starts.insert(0, 0)
        for a, b in pairwise(starts):
            if restart[a]:
                self._orientation = self._new_orientation()
            est = self._orientation
            if est is None:  # pragma: no cover - restart[0] guarantees an estimator
                raise RuntimeError("orientation estimator missing")
            if reinit[a]:
                # Walking on across the gap: the last inclination helps the first samples.
                est.reset_inclination(self.config.gap_prior_s if steady_gait[a] else 0.0)
            seg = slice(a, b)
            counts = missing[seg] + 1
            tau = np.where(
                steady_gait[seg],
                self.config.walking_tau_acc_s,
                np.where(held[seg], self.config.onset_tau_acc_s, self.config.tau_acc_s),
            )
            if int(counts.sum()) == b - a:
                quat[seg] = _update_in_runs(est, gyr[seg], acc[seg], tau, settle[seg])
                continue
            owner, ends = np.repeat(np.arange(b - a), counts), np.cumsum(counts)
            g_fill = _bridge(owner, ends, counts, prev_g[seg], gyr[seg])
            a_fill = _bridge(owner, ends, counts, prev_a[seg], acc[seg])
            settle_fill = np.zeros(owner.shape[0], dtype=bool)
            settle_fill[ends - counts] = settle[seg]
            quat[seg] = _update_in_runs(est, g_fill, a_fill, tau[owner], settle_fill)[ends - 1]
        self._last = (
            float(t[-1]),
            (float(gyr[-1, 0]), float(gyr[-1, 1]), float(gyr[-1, 2])),
            (float(acc[-1, 0]), float(acc[-1, 1]), float(acc[-1, 2])),
        )
        return quat


def _bridge(
    owner: NDArray[np.intp],
    ends: NDArray[np.intp],
    counts: NDArray[np.int64],
    previous: FloatArray,
    current: FloatArray,
) -> FloatArray:
    """Samples ``current`` ``(n, 3)`` on the uniform grid: sample ``i`` fills rows
    ``ends[i] - counts[i] .. ends[i] - 1`` (``owner`` says whose each row is), the missing
    ones interpolated from its predecessor ``previous[i]``; real samples pass untouched."""
    out = np.repeat(current, counts, axis=0)
    rows = np.flatnonzero(np.repeat(counts > 1, counts))
    of = owner[rows]
    step = rows - (ends - counts)[of] + 1
    rows, of, step = rows[step < counts[of]], of[step < counts[of]], step[step < counts[of]]
    frac = (step / counts[of])[:, None]
    out[rows] = previous[of] + frac * (current[of] - previous[of])
    return out


def _update_in_runs(
    est: OrientationEstimator,
    gyr: FloatArray,
    acc: FloatArray,
    tau_s: FloatArray,
    settle: NDArray[np.bool_],
) -> FloatArray:
    """``est.update`` over runs of constant accelerometer time constant; the accelerometer's
    low-pass is settled (:meth:`OrientationEstimator.settle_lowpass`) where ``settle``."""
    cuts = np.flatnonzero((tau_s[1:] != tau_s[:-1]) | settle[1:]) + 1
    edges = [0, *cuts.tolist(), gyr.shape[0]]
    out = np.empty((gyr.shape[0], 4))
    for a, b in pairwise(edges):
        if settle[a]:
            est.settle_lowpass(float(tau_s[a]))
        else:
            est.set_tau_acc(float(tau_s[a]))
        out[a:b] = est.update(gyr[a:b], acc[a:b])
    return out
