"""Causal 6D orientation (accelerometer + gyroscope) estimation: VQF with gyro scale calibration.

The core is VQF (D. Laidig and T. Seel, "VQF: Highly accurate IMU orientation estimation with bias
estimation and magnetic disturbance rejection", Information Fusion 91, 2023; the ``vqf`` package,
C++): strapdown gyroscope integration into a quasi-inertial frame, a low-pass filter of the
accelerometer in that frame (time constant ``tau_acc_s``) that pulls the inclination towards
gravity, and gyroscope bias estimation (at rest; optionally in motion).  This module is the only
one of the project that imports ``vqf``.

Why more than plain VQF: on the BROAD benchmark most of VQF's remaining causal inclination error
during fast motion is gyroscope *scale-factor* error.  A gyroscope that reads 0.3 % low makes the
integrated orientation lag a little behind every rotation; the accelerometer can only pull it back
slowly (it must average out linear acceleration), and re-tuning ``tau_acc`` trades one error for
the other.  So we estimate the scale factor online, causally, and feed VQF the corrected rate.

How: if the gyroscope reads ``(1 - d) * omega``, gravity expressed in VQF's gyro-only
(quasi-inertial) frame ``I`` drifts as ``dg_I/dt = -d * omega_I x g_I``.  With
``Z(t) = -integral(omega_I x g_I dt)`` the accelerometer seen in ``I`` is ``g_I(0) + d * Z(t)``
plus linear acceleration.  A 4-state Kalman filter (gravity direction in ``I`` as a random walk,
and ``d`` as a slow random walk with a tight prior) runs on that linear model, once per update
interval (default 4 s), on 8-sample sub-block means; its estimate scales the gyroscope for the
next interval.  Linear acceleration enters as measurement noise that grows with the interval's
acceleration variance, so vigorous translation barely moves the estimate.

**Gyroscope bias in the same filter.**  VQF learns the bias at rest, from the gyroscope
low-passed over half a second.  A sensor worn on the back is never at rest: postural sway and
breathing turn it by a degree or two at up to 2 °/s, which VQF takes for rest, and it learns the
sway of the moment as bias (0.1–0.6 °/s in the simulator), which the accelerometer's long time
constant while walking turns into a degree of tilt.  A bias ``b`` turns gravity in ``I`` at
``(R b) x g_I``, linear in ``b`` like the scale error, so three bias states join the filter.
Sway always comes back and bias does not, so the drift of gravity in ``I`` tells them apart.
VQF's rest estimate gives a quick start; after ``bias_handover_s`` it is frozen and this filter
refines the rest (``bias`` in the state, subtracted from the gyroscope before VQF sees it).

Causality and exact streaming: the scale and bias only change on a fixed sample grid counted
from the first sample (every ``update_interval_s``), the samples of an unfinished interval are
kept in the state, and each sample's output depends only on samples up to it.  Any split of the
input into blocks gives bit-identical quaternions.  Cost: one VQF pass (motion-bias estimation
off) plus vectorised numpy once per interval; no per-sample Python.

BROAD, 16 trials, mean inclination RMSE (``bench/bench_orientation.py``): 0.581° vs 0.704° for
VQF with default parameters.  The defaults were tuned on those same trials (no held-out set); the
bias states were added for the simulator's worn sensor and changed BROAD by −0.01°.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from vqf import VQF

from sensor_hub.samples import STANDARD_GRAVITY_MPS2, FloatArray

__all__ = [
    "OrientationEstimator",
    "OrientationParams",
    "OrientationState",
    "estimate_orientation",
]

_SUB = 8  # samples per sub-block of the scale regression (the update interval is a multiple)
_MID = 3  # the sub-block sample whose orientation stands for the whole sub-block


@dataclass(frozen=True, slots=True)
class OrientationParams:
    """Tuning of :class:`OrientationEstimator`.  Defaults are the tuned best on BROAD.

    Attributes:
        tau_acc_s: VQF accelerometer time constant, s: how slowly the inclination follows the
            accelerometer (larger rejects more linear acceleration, corrects drift more slowly).
        motion_bias_estimation: VQF gyroscope bias estimation during motion.  Off by default:
            it costs about 20 % throughput and gains nothing measurable on BROAD (0.5974° vs
            0.5985°); turn it on for long recordings with no still phases (bias drift).
        rest_bias_estimation: VQF rest detection and gyroscope bias estimation at rest.
        scale_estimation: estimate and correct a common gyroscope scale-factor error online.
        update_interval_s: s, how often the scale estimate is updated and applied (a whole number
            of 8-sample sub-blocks, at least one).
        scale_prior_sigma: 1-sigma prior of the scale-factor error, dimensionless (0.005 = 0.5 %).
        scale_random_walk: random walk of the scale-factor error, 1/sqrt(s).
        gravity_random_walk: random walk of the gravity direction in the gyro-only frame
            (absorbs residual bias drift), unit vector per sqrt(s).
        acc_noise: per-interval noise of the mean specific force, in units of g (dimensionless);
            motion adds the interval's own variance (``acc_noise_gain``), so this is the floor
            for a sensor at rest, where a low floor lets the bias converge in a few intervals
            (0.03 → 0.005: BROAD 0.587° → 0.581°, the simulator 0.254° → 0.252°).
        acc_noise_gain: weight of the interval's own acceleration variance (g^2, per sub-block)
            in the measurement noise, dimensionless.
        max_scale_correction: clamp of the applied scale correction, dimensionless (0.02 = 2 %).
        bias_estimation: estimate the gyroscope bias in the same filter, from the drift of
            gravity in the gyro-only frame (VQF's rest estimate is kept until
            ``bias_handover_s``, then frozen, and this filter refines it).
        bias_handover_s: s, when this filter takes the bias over from VQF's rest estimation.
        bias_prior_sigma_rads: 1-sigma prior of the bias left after the handover, rad/s.
        bias_random_walk_rads: random walk of the gyroscope bias, rad/s per sqrt(s).
        max_bias_correction_rads: clamp of each axis of the applied bias correction, rad/s.
    """

    tau_acc_s: float = 3.0
    motion_bias_estimation: bool = False
    rest_bias_estimation: bool = True
    scale_estimation: bool = True
    update_interval_s: float = 4.0
    scale_prior_sigma: float = 0.005
    scale_random_walk: float = 1e-5
    gravity_random_walk: float = 0.001
    acc_noise: float = 0.005
    acc_noise_gain: float = 1.0
    max_scale_correction: float = 0.02
    bias_estimation: bool = True
    bias_handover_s: float = 10.0
    bias_prior_sigma_rads: float = 0.005
    bias_random_walk_rads: float = 5e-5
    max_bias_correction_rads: float = 0.05


@dataclass(frozen=True, slots=True)
class OrientationState:
    """Snapshot of an :class:`OrientationEstimator` (picklable, shares no memory with it).

    Attributes:
        sample_period_s: s, the estimator's sample period (checked on restore).
        vqf_state: VQF's internal state as ``(name, values)`` pairs, values as float64 arrays.
        kalman_x: scale filter state ``(7,)``: gravity in the gyro frame (3, unit), scale error,
            gyroscope bias beyond VQF's (3, rad/s).
        kalman_p: scale filter covariance ``(7, 7)``.
        initialised: whether the scale filter has seen its first interval.
        scale: the gyroscope scale factor in use (1 + estimated error).
        pending_gyr: ``(m, 3)`` scaled gyroscope samples of the unfinished interval, rad/s.
        pending_acc: ``(m, 3)`` accelerometer samples of the unfinished interval, m/s^2.
        pending_quat: ``(m, 4)`` output quaternions of the unfinished interval.
        tau_acc_s: s, the accelerometer time constant in force (see ``set_tau_acc``).
        bias: the gyroscope bias correction in use, rad/s (on top of VQF's own).
        intervals: finished update intervals so far (the bias handover is counted in them).
    """

    sample_period_s: float
    vqf_state: tuple[tuple[str, FloatArray], ...]
    kalman_x: FloatArray
    kalman_p: FloatArray
    initialised: bool
    scale: float
    pending_gyr: FloatArray = field(repr=False)
    pending_acc: FloatArray = field(repr=False)
    pending_quat: FloatArray = field(repr=False)
    tau_acc_s: float = 3.0
    bias: FloatArray = field(default_factory=lambda: np.zeros(3), repr=False)
    intervals: int = 0


# q (x) p = L(q) p and p (x) q* = Rc(q) p as 4x4 matrices whose entries are +-q components, so
# the rotation matrix of many quaternions is two gathers and one batched matmul.
_L_IDX = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]])
_L_SGN = np.array([[1.0, -1, -1, -1], [1, 1, -1, 1], [1, 1, 1, -1], [1, -1, 1, 1]])
_RC_SGN = np.array([[1.0, 1, 1, 1], [-1, 1, -1, 1], [-1, 1, 1, -1], [-1, -1, 1, 1]])
# -(u x e_z) = _CROSS_Z_NEG @ u
_CROSS_Z_NEG = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
# (m, 3 * _SUB) @ _SUM_SUB sums each sub-block of 3-vectors
_SUM_SUB = np.tile(np.eye(3), (_SUB, 1))
_DIAG3 = (np.arange(3), np.arange(3))


def _rotation_matrices(q: FloatArray) -> FloatArray:
    """Rotation matrices ``(m, 3, 3)`` of unit quaternions ``(m, 4)`` (w, x, y, z)."""
    g = q[:, _L_IDX]
    return np.asarray(np.matmul(g * _RC_SGN, g * _L_SGN)[:, 1:, 1:], dtype=np.float64)


def _rotation_matrix(q: FloatArray) -> FloatArray:
    """Rotation matrix ``(3, 3)`` of one unit quaternion ``(4,)``."""
    out: FloatArray = _rotation_matrices(q[None, :])[0]
    return out


def _as_input(a: FloatArray, name: str) -> FloatArray:
    out = np.ascontiguousarray(a, dtype=np.float64)
    if out.ndim != 2 or out.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3), got {out.shape}")
    return out


class OrientationEstimator:
    """Causal 6D orientation estimator (see the module docstring); feed it blocks of samples."""

    def __init__(
        self, sample_period_s: float, params: OrientationParams = OrientationParams()
    ) -> None:
        if not sample_period_s > 0.0:
            raise ValueError(f"sample_period_s must be positive, got {sample_period_s}")
        self._ts = float(sample_period_s)
        self._params = params
        self._tau_acc_s = params.tau_acc_s
        self._vqf = VQF(
            self._ts,
            tauAcc=params.tau_acc_s,
            motionBiasEstEnabled=params.motion_bias_estimation,
            restBiasEstEnabled=params.rest_bias_estimation,
        )
        sub_blocks = max(1, round(params.update_interval_s / (self._ts * _SUB)))
        self._interval = sub_blocks * _SUB
        m = sub_blocks
        self._weights = np.stack(
            ((m - np.arange(m)) / m, np.ones(m), np.full(m, 1.0 / m))
        )  # Z-increment weights for the interval mean of Z, the sum of Z-increments, mean force
        dt = self._interval * self._ts
        self._process_noise = np.diag(
            [params.gravity_random_walk**2 * dt] * 3
            + [params.scale_random_walk**2 * dt]
            + [params.bias_random_walk_rads**2 * dt] * 3
        )
        self._h = np.zeros((3, 7))  # measurement matrix (scratch)
        self._h[:, :3] = np.eye(3)
        self._t = np.eye(7)  # re-centring transform (scratch)
        self._x = np.zeros(7)
        self._p = np.diag(
            [1.0, 1.0, 1.0, params.scale_prior_sigma**2] + [params.bias_prior_sigma_rads**2] * 3
        )
        self._initialised = False
        self._scale = 1.0
        self._bias = np.zeros(3)
        self._intervals = 0
        self._handover = max(1, round(params.bias_handover_s / dt))  # in intervals
        self._pend_gyr: list[FloatArray] = []
        self._pend_acc: list[FloatArray] = []
        self._pend_quat: list[FloatArray] = []
        self._pend_n = 0

    @property
    def sample_period_s(self) -> float:
        """The sample period, s."""
        return self._ts

    @property
    def tau_acc_s(self) -> float:
        """The accelerometer time constant in force, s."""
        return self._tau_acc_s

    def set_tau_acc(self, tau_s: float) -> None:
        """Change the accelerometer time constant from the next sample on (longer while
        walking, when gait accelerations would otherwise tip the inclination)."""
        if tau_s != self._tau_acc_s:
            self._vqf.setTauAcc(tau_s)
            self._tau_acc_s = tau_s

    def settle_lowpass(self, tau_s: float) -> None:
        """Switch to the accelerometer time constant ``tau_s`` and let the filtered
        accelerometer stand still where it is.

        VQF's low-pass of the accelerometer is of second order: its output keeps the rate at
        which it was moving, the longer the time constant the longer.  At the start of a
        movement that rate is the acceleration just being absorbed as tilt, which a 30 s time
        constant would carry on for seconds (0.4°/s in the simulator's first steps); after a
        walker's deceleration, 7 s of it went on tilting for 5 s.  So the filter state is set
        to its steady state for the present output (:mod:`.onset` says when)."""
        self.set_tau_acc(tau_s)
        state = self._vqf.state
        lp_state = np.asarray(state["accLpState"], dtype=np.float64)
        if not np.isfinite(lp_state).all():  # still averaging its first samples
            return
        out = np.asarray(state["lastAccLp"], dtype=np.float64)
        coeffs = self._vqf.coeffs
        b, a = coeffs["accLpB"], coeffs["accLpA"]
        # Direct form II transposed, per axis (s0, s1): steady state for input = output = out.
        lp_state[0::2] = out * (1.0 - b[0])
        lp_state[1::2] = out * (b[2] - a[1])
        state["accLpState"] = lp_state
        self._vqf.state = state

    def reset_inclination(self, prior_s: float = 0.0) -> None:
        """Forget the orientation — the inclination restarts from the average of the next
        accelerometer samples (over one time constant) — but keep the gyroscope bias and scale
        estimates.  For the first sample after a long gap in the data, when integrating across
        the gap would only add error.

        With ``prior_s`` > 0 the inclination held so far joins that average as ``prior_s``
        seconds' worth of samples: in a gait the first samples after a gap are poor (a single
        one is up to 10° off), the inclination before it a fair guess for a second.
        """
        up = _rotation_matrix(np.asarray(self._vqf.getQuat6D(), dtype=np.float64))[2]
        bias, sigma = self._vqf.getBiasEstimate()
        self._vqf.resetState()
        self._vqf.setBiasEstimate(np.asarray(bias, dtype=np.float64), float(sigma))
        if prior_s > 0.0:
            # VQF's low-pass starts as a running mean, its state [NaN, count, sum x, y, z, NaN]
            # (in the new gyro-only frame, which is the sensor frame of the next sample).
            state = self._vqf.state
            count = prior_s / self._ts
            mean = np.full(6, np.nan)
            mean[1] = count
            mean[2:5] = count * STANDARD_GRAVITY_MPS2 * up
            state["accLpState"] = mean
            self._vqf.state = state
        # The scale filter's gravity lives in the gyro-only frame, which starts afresh.
        self._pend_gyr, self._pend_acc, self._pend_quat = [], [], []
        self._pend_n = 0
        self._initialised = False
        self._p[:3, :] = 0.0
        self._p[:, :3] = 0.0
        self._p[:3, :3] = np.eye(3)

    @property
    def gyro_scale(self) -> float:
        """The gyroscope scale factor currently applied (1.0 = uncorrected)."""
        return self._scale

    def update(self, gyr_rads: FloatArray, acc_mps2: FloatArray) -> FloatArray:
        """(n,3),(n,3) -> (n,4) unit quaternions w,x,y,z, sensor-to-Earth (rotating sensor-frame
        vectors into an Earth frame whose z points up; heading arbitrary).  Causal; any block
        size, identical results."""
        gyr = _as_input(gyr_rads, "gyr_rads")
        acc = _as_input(acc_mps2, "acc_mps2")
        n = gyr.shape[0]
        if acc.shape[0] != n:
            raise ValueError(f"gyr_rads and acc_mps2 lengths differ: {n} != {acc.shape[0]}")
        out = np.empty((n, 4))
        start = 0
        while start < n:
            stop = min(n, start + self._interval - self._pend_n)
            g = gyr[start:stop] * self._scale if self._scale != 1.0 else gyr[start:stop]
            if self._bias.any():
                g = g - self._bias
            g = np.ascontiguousarray(g)
            q = np.asarray(self._vqf.updateBatch(g, acc[start:stop])["quat6D"], dtype=np.float64)
            out[start:stop] = q
            if self._params.scale_estimation or self._params.bias_estimation:
                if self._pend_n == 0 and stop - start == self._interval:
                    self._end_interval(g, acc[start:stop], q)
                else:
                    # copies: the caller may reuse its buffers before the interval completes
                    self._pend_gyr.append(g.copy())
                    self._pend_acc.append(acc[start:stop].copy())
                    self._pend_quat.append(q.copy())
                    self._pend_n += stop - start
                    if self._pend_n == self._interval:
                        self._end_interval(
                            np.concatenate(self._pend_gyr),
                            np.concatenate(self._pend_acc),
                            np.concatenate(self._pend_quat),
                        )
                        self._pend_gyr, self._pend_acc, self._pend_quat = [], [], []
                        self._pend_n = 0
            start = stop
        return out

    def _end_interval(self, gyr: FloatArray, acc: FloatArray, quat: FloatArray) -> None:
        """One Kalman step of the filter on a finished interval, then apply scale and bias.

        Everything is computed in the 6D output frame and rotated into the gyro-only frame ``I``
        at the end (``q_I = accQuat^-1 (x) q_6D``, accQuat taken as constant over the interval):
        cross products and means commute with that constant rotation.
        """
        prm = self._params
        m = self._interval // _SUB
        state = self._vqf.state
        a_t = _rotation_matrix(np.array(state["accQuat"])).T  # 6D frame -> I frame
        x_sub = np.empty((m, 3, 2))
        x_sub[:, :, 0] = (
            gyr.reshape(m, 3 * _SUB) @ _SUM_SUB - _SUB * np.array(state["bias"])
        ) * self._ts
        f = acc.reshape(m, 3 * _SUB) @ _SUM_SUB * (1.0 / (_SUB * STANDARD_GRAVITY_MPS2))
        x_sub[:, :, 1] = f
        rot = _rotation_matrices(quat[_MID::_SUB])
        rotated = np.matmul(rot, x_sub).reshape(m, 6)
        # rows: sum of Z-increments weighted for the interval mean, plain sum, mean of the force
        sums = self._weights @ rotated  # columns u0 f0 u1 f1 u2 f2
        z_mean = a_t @ (_CROSS_Z_NEG @ sums[0, 0::2])
        z_end = a_t @ (_CROSS_Z_NEG @ sums[1, 0::2])
        f_mean = sums[2, 1::2]
        var = max(float(np.vdot(f, f)) / m - float(f_mean @ f_mean), 0.0)
        d_applied = self._scale - 1.0
        b_applied = self._bias
        # A bias error b (sensor frame) turns gravity in I at (R b) x g, so gravity moves by
        # B b with B = -a_t [CROSS_Z_NEG] integral(R dt), weighted like Z.
        bias_on = prm.bias_estimation and self._intervals >= self._handover
        if bias_on:
            r_sums = (self._weights[:2] @ rot.reshape(m, 9)).reshape(2, 3, 3) * (_SUB * self._ts)
            b_mean = -a_t @ _CROSS_Z_NEG @ r_sums[0]
            b_end = -a_t @ _CROSS_Z_NEG @ r_sums[1]
        else:
            b_mean = b_end = np.zeros((3, 3))
        # minus the drift the applied corrections removed
        y = a_t @ f_mean + d_applied * z_mean + b_mean @ b_applied
        h = self._h
        h[:, 3] = z_mean if prm.scale_estimation else 0.0
        h[:, 4:] = b_mean
        self._kalman_step(y, prm.acc_noise**2 + prm.acc_noise_gain * var / m)
        # Re-centre at the interval's end: c' = c + d * Z_end + B_end b - (what was applied).
        t = self._t
        t[:3, 3] = z_end if prm.scale_estimation else 0.0
        t[:3, 4:] = b_end
        self._x = t @ self._x
        self._x[:3] -= d_applied * z_end + b_end @ b_applied
        self._p = t @ self._p @ t.T
        if prm.scale_estimation:
            clip = prm.max_scale_correction
            self._scale = 1.0 + min(clip, max(-clip, float(self._x[3])))
        if bias_on:
            clip = prm.max_bias_correction_rads
            self._bias = np.clip(self._x[4:], -clip, clip)
        self._intervals += 1
        if prm.bias_estimation and self._intervals == self._handover:
            # From now on this filter owns the bias; VQF's estimate is frozen where it is.
            self._vqf.setRestBiasEstEnabled(False)

    def _kalman_step(self, y: FloatArray, noise: float) -> None:
        """Predict and update with the interval's mean force ``y`` (model ``self._h``)."""
        x, p, h = self._x, self._p, self._h
        if not self._initialised:
            x[:3] = y - h[:, 3:] @ x[3:]
            self._initialised = True
        p += self._process_noise
        hp = h @ p
        s = hp @ h.T
        s[_DIAG3] += noise
        k = np.linalg.solve(s, hp).T
        x += k @ (y - h @ x)
        p -= k @ hp

    def get_state(self) -> OrientationState:
        """A deep-copied snapshot of the estimator (restore with :meth:`set_state`)."""
        empty3 = np.empty((0, 3))
        pend = (self._pend_gyr, self._pend_acc, self._pend_quat)
        g, a, q = (np.concatenate(p) if p else None for p in pend)
        return OrientationState(
            sample_period_s=self._ts,
            vqf_state=tuple(
                (name, np.array(value, dtype=np.float64)) for name, value in self._vqf.state.items()
            ),
            kalman_x=self._x.copy(),
            kalman_p=self._p.copy(),
            initialised=self._initialised,
            scale=self._scale,
            pending_gyr=empty3.copy() if g is None else g,
            pending_acc=empty3.copy() if a is None else a,
            pending_quat=np.empty((0, 4)) if q is None else q,
            tau_acc_s=self._tau_acc_s,
            bias=self._bias.copy(),
            intervals=self._intervals,
        )

    def set_state(self, state: OrientationState) -> None:
        """Continue from a snapshot taken with :meth:`get_state` (same sample period)."""
        if state.sample_period_s != self._ts:
            raise ValueError(
                f"state is for sample period {state.sample_period_s}, estimator uses {self._ts}"
            )
        if state.pending_gyr.shape[0] >= self._interval:
            raise ValueError("state's unfinished interval is longer than this estimator's")
        self.set_tau_acc(state.tau_acc_s)  # before the state: it adapts the filter state
        vqf_state: dict[str, object] = {}
        for name, value in state.vqf_state:
            if value.ndim:
                vqf_state[name] = [float(v) for v in value]
            elif name in ("restDetected", "magDistDetected"):
                vqf_state[name] = bool(value)
            else:
                vqf_state[name] = float(value)
        self._vqf.state = vqf_state
        self._x = np.array(state.kalman_x, dtype=np.float64)
        self._p = np.array(state.kalman_p, dtype=np.float64)
        self._initialised = state.initialised
        self._scale = state.scale
        self._bias = np.array(state.bias, dtype=np.float64)
        self._intervals = state.intervals
        if self._params.bias_estimation:
            self._vqf.setRestBiasEstEnabled(
                self._params.rest_bias_estimation and self._intervals < self._handover
            )
        n = state.pending_gyr.shape[0]
        self._pend_n = n
        self._pend_gyr = [state.pending_gyr.copy()] if n else []
        self._pend_acc = [state.pending_acc.copy()] if n else []
        self._pend_quat = [state.pending_quat.copy()] if n else []


def estimate_orientation(
    gyr_rads: FloatArray,
    acc_mps2: FloatArray,
    sample_period_s: float,
    params: OrientationParams = OrientationParams(),
) -> FloatArray:
    """Batch convenience: a fresh :class:`OrientationEstimator` over a whole recording."""
    return OrientationEstimator(sample_period_s, params).update(gyr_rads, acc_mps2)
