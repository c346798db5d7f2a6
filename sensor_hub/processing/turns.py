"""Walking turns: remove their centripetal acceleration, and learn the wearer's left from them.

Why: a walker who turns accelerates toward the centre of the turn, ``a = ω_z · v`` (1–2 m/s²
for a brisk 90° turn: a 6–12° error in the accelerometer's idea of "up").  The orientation
filter averages the accelerometer in an Earth-fixed frame, and the direction of that
acceleration sweeps round with the wearer, so after the turn the filter is left tilted along
what is now the wearer's *forward* axis: in the simulator every turn left a 1–3° flexion
error that took the filter's 10 s time constant to fade.

How: the centripetal acceleration is, in the sensor frame, the vertical turn rate ``ω_z``
times a constant vector ``β = speed · left`` (the walking velocity is along the wearer's
forward axis, so ``ω × v`` points to the wearer's left for a left turn).  While walking,
``β`` is the least-squares slope of the horizontal acceleration on ``ω_z`` — both low-passed
(2nd-order Butterworth at :data:`_LOWPASS_HZ`) so that the gait's own oscillations average
out — accumulated over every turn so far (running sums: causal and block-size invariant).
Once the turns carry enough information (``Σ ω_z² · dt``, about one 90° turn) and ``β`` is a
plausible walking speed pointing within ``max_mount_yaw_deg`` of the case's left,
``ω_z · β`` is subtracted from the accelerometer of walking samples before
the orientation filter sees it.  ``β``'s direction is also the wearer's left: the calibrator
uses it as the forward axis when no forward bend has taught one (:mod:`.calibration`).
Before the turns have taught ``β`` it is ``turn_prior_speed_mps`` along the case's left.
``ω_z`` in the subtraction is the turn rate as measured, not low-passed: the low-pass's delay
would let most of a brisk turn's acceleration through before its compensation (a 1°
transient); the gait's own yaw oscillation adds a zero-mean ripple the filter averages away.

"Up" here is the accelerometer low-passed over :data:`_UP_TAU_S` — good to a degree or two
while walking, and only used to split ``ω`` and the acceleration into vertical and
horizontal parts, where that error is second order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter

from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.geometry import normalize_rows
from sensor_hub.processing.signals import IirState, as_vec3, iir, last_known, running_sum
from sensor_hub.samples import FloatArray

__all__ = ["TurnCompensator", "TurnState"]

#: Low-pass of the turn rate and the acceleration (Hz): below the stride frequency (~1 Hz),
#: above the content of a turn (1.5–3 s long).
_LOWPASS_HZ = 0.5
#: Time constant (s) of the low-pass giving "up" for the split into vertical and horizontal.
_UP_TAU_S = 4.0
#: Σ ω_z² · dt (rad²/s) before the slope is trusted: about one brisk 90° turn.
_MIN_TURN_ENERGY = 1.5
#: Plausible walking speeds (m/s) for the slope's length.
_SPEED_RANGE_MPS = (0.4, 2.5)

_NO_FILTER = IirState()


@dataclass(frozen=True, slots=True)
class TurnState:
    """Filter memories and the regression's running sums (plain values: picklable)."""

    up: IirState = _NO_FILTER
    lowpass: IirState = _NO_FILTER
    #: Σ dt, Σ ω_z dt, Σ ω_z² dt, Σ a dt (3), Σ ω_z a dt (3) over walking samples.
    sums: tuple[float, ...] = (0.0,) * 9
    left: tuple[float, float, float] | None = None  # the last usable estimate of the left


@dataclass(frozen=True, slots=True, eq=False)
class TurnBlock:
    """Per-sample output of :meth:`TurnCompensator.update`."""

    acc_mps2: FloatArray  # (n, 3) accelerometer with the turns' centripetal part removed
    left: FloatArray  # (n, 3) the wearer's left learned from turns, sensor frame; NaN if not yet


class TurnCompensator:
    """Streaming; ``update`` takes any block size and its results do not depend on it."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._config = config
        fs = config.sample_rate_hz
        b, a = butter(2, _LOWPASS_HZ, btype="lowpass", fs=fs)
        self._lowpass = (np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64))
        alpha = 1.0 - float(np.exp(-1.0 / (fs * _UP_TAU_S)))
        self._up = (np.array([alpha]), np.array([1.0, alpha - 1.0]))
        self._cos_max_yaw = float(np.cos(np.radians(config.max_mount_yaw_deg)))
        self._state = TurnState()

    def forget(self) -> None:
        """Forget what the turns taught (the sensor may have been stuck back on otherwise)."""
        self._state = replace(self._state, sums=TurnState().sums, left=None)

    def get_state(self) -> TurnState:
        return self._state

    def set_state(self, state: TurnState) -> None:
        self._state = state

    def update(
        self, acc_mps2: FloatArray, gyr_rads: FloatArray, walking: NDArray[np.bool_]
    ) -> TurnBlock:
        """Compensate the walking samples of a block (``(n, 3)`` arrays, ``(n,)`` mask)."""
        st = self._state
        n = acc_mps2.shape[0]
        if n == 0:
            return TurnBlock(acc_mps2.copy(), np.empty((0, 3)))
        dt = self._config.sample_period_s
        up_raw, up_state = iir(*self._up, acc_mps2, st.up)
        low, low_state = iir(*self._lowpass, np.hstack((gyr_rads, acc_mps2)), st.lowpass)
        # Only walking samples change the sums; between them everything stands still, so
        # the work is done on the walking samples alone (most of a day is not walking).
        idx = np.flatnonzero(walking)
        k = idx.shape[0]
        carried_left = np.full(3, np.nan) if st.left is None else np.asarray(st.left)
        if k == 0:
            self._state = TurnState(up_state, low_state, st.sums, st.left)
            return TurnBlock(acc_mps2.copy(), np.broadcast_to(carried_left, (n, 3)).copy())
        up = normalize_rows(up_raw[idx])
        w_z = np.einsum("ij,ij->i", low[idx, :3], up)
        a_lp = low[idx, 3:]
        # Least squares with an intercept: the acceleration's constant part (gravity, the
        # posture of the gait) must not leak into the slope when turns are not balanced.
        terms = np.empty((k, 9))
        terms[:, 0] = dt
        terms[:, 1] = w_z * dt
        terms[:, 2] = w_z * terms[:, 1]
        terms[:, 3:6] = a_lp * dt
        terms[:, 6:9] = a_lp * terms[:, 1:2]
        sums = running_sum(terms, np.asarray(st.sums))
        s_1, s_w, s_ww = sums[:, 0], sums[:, 1], sums[:, 2]
        s_a, s_wa = sums[:, 3:6], sums[:, 6:9]
        var_w = s_ww - s_w * s_w / s_1
        beta = (s_wa - s_w[:, None] * s_a / s_1[:, None]) / np.maximum(var_w, 1e-12)[:, None]
        beta -= np.einsum("ij,ij->i", beta, up)[:, None] * up  # horizontal: the wearer's left
        speed = np.linalg.norm(beta, axis=1)
        left = beta / np.maximum(speed, 1e-12)[:, None]
        # The case's left (the case prints z backward, so left = z × up) against β.
        case_left = normalize_rows(np.cross(np.array([0.0, 0.0, 1.0]), up))
        usable = (
            (var_w >= _MIN_TURN_ENERGY)
            & (speed >= _SPEED_RANGE_MPS[0])
            & (speed <= _SPEED_RANGE_MPS[1])
            & (np.einsum("ij,ij->i", left, case_left) >= self._cos_max_yaw)
        )
        # The turn rate as measured (not low-passed: see the module docstring).
        w_now = np.einsum("ij,ij->i", gyr_rads[idx], up)
        # Until the turns have taught β, a typical walking speed along the case's left: a 20°
        # mounting error leaves a third of the turn's acceleration, not all of it.
        prior = self._config.turn_prior_speed_mps * case_left
        acc = acc_mps2.copy()
        acc[idx] -= w_now[:, None] * np.where(usable[:, None], beta, prior)
        # The left known at each sample: that of the last usable walking sample so far.
        known = last_known(n, idx, usable, left, carried_left)
        self._state = TurnState(
            up=up_state,
            lowpass=low_state,
            sums=tuple(float(x) for x in sums[-1]),
            left=as_vec3(known[-1]),
        )
        return TurnBlock(acc, known)
