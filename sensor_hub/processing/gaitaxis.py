"""The wearer's left from the gait itself: the sideways sway of walking beats at the stride.

Why: a walker's pelvis and trunk sway sideways once per stride (left step, right step) but move
forward and backward, and up and down, once per *step*, twice as often.  In the horizontal
plane, the accelerometer's content at the stride frequency is therefore sideways, and its
content at the step frequency forward/backward.  Band-passed around the stride frequency
(:data:`_STRIDE_BAND_HZ`, 2nd-order Butterworth), the horizontal acceleration's scatter over
every steady-gait sample so far has the body's axes as its principal axes: the sideways and the
leftover forward components beat at different frequencies, so they do not correlate, whichever
is larger.  Of the two principal axes, the one within 45° of the case's left is the left (the
mounting error is far smaller).

This beats the turns' estimate (:mod:`.turns`): a sensor a few centimetres behind the axis the
walker turns about feels ``ω² r`` toward it in every turn, which leaks into the turns' slope
when the turns are not balanced left and right (5–7° of mounting yaw in the simulator); the
stride axis is within 0.2–2.6° on the same walks.  The calibrator uses it as the forward axis
when no forward bend has taught one (:mod:`.calibration`).

Streaming: the filter carries its state and the scatter is a running sum over steady-gait
samples, so any block size gives the same result.  "Up" is the accelerometer low-passed over
the turns' time constant, passed in.
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

__all__ = ["GaitAxis", "GaitAxisState"]

#: Stride frequencies (Hz): half the step frequency of 1.4–2.6 Hz, with a margin.
_STRIDE_BAND_HZ = (0.6, 1.3)
#: Time constant (s) of the accelerometer low-pass that gives "up" while walking.
_UP_TAU_S = 4.0
#: Steady-gait time (s) before the axis is trusted.
_MIN_WALK_S = 10.0
#: The two principal axes must differ this much in power for the direction to be defined.
_MIN_ANISOTROPY = 1.3

_NO_FILTER = IirState()


@dataclass(frozen=True, slots=True)
class GaitAxisState:
    """Filter memory and the running scatter (plain values: picklable)."""

    band: IirState = _NO_FILTER
    up: IirState = _NO_FILTER
    #: Σ dt, then Σ h hᵀ dt (xx, xy, xz, yy, yz, zz) of the band-passed horizontal acceleration.
    sums: tuple[float, ...] = (0.0,) * 7
    left: tuple[float, float, float] | None = None  # the last usable estimate


class GaitAxis:
    """Streaming; ``update`` takes any block size and its results do not depend on it."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._config = config
        b, a = butter(2, _STRIDE_BAND_HZ, btype="bandpass", fs=config.sample_rate_hz)
        self._band = (np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64))
        alpha = 1.0 - float(np.exp(-1.0 / (config.sample_rate_hz * _UP_TAU_S)))
        self._up = (np.array([alpha]), np.array([1.0, alpha - 1.0]))
        self._cos_max_yaw = float(np.cos(np.radians(config.max_mount_yaw_deg)))
        self._state = GaitAxisState()

    def forget(self) -> None:
        """Forget the learned axis (the sensor may have been stuck back on otherwise)."""
        self._state = replace(self._state, sums=GaitAxisState().sums, left=None)

    def get_state(self) -> GaitAxisState:
        return self._state

    def set_state(self, state: GaitAxisState) -> None:
        self._state = state

    def update(self, acc_mps2: FloatArray, steady_gait: NDArray[np.bool_]) -> FloatArray:
        """The wearer's left ``(n, 3)`` in the sensor frame known at each sample (NaN until
        learned), from the accelerometer ``(n, 3)`` and the steady-gait mask."""
        st = self._state
        n = acc_mps2.shape[0]
        if n == 0:
            return np.empty((0, 3))
        carried = np.full(3, np.nan) if st.left is None else np.asarray(st.left)
        band, band_state = iir(*self._band, acc_mps2, st.band)
        up_raw, up_state = iir(*self._up, acc_mps2, st.up)
        idx = np.flatnonzero(steady_gait)
        if idx.shape[0] == 0:
            self._state = GaitAxisState(band_state, up_state, st.sums, st.left)
            return np.broadcast_to(carried, (n, 3)).copy()
        up = normalize_rows(up_raw[idx])
        h = band[idx]
        h = h - np.einsum("ij,ij->i", h, up)[:, None] * up
        dt = self._config.sample_period_s
        terms = np.empty((idx.shape[0], 7))
        terms[:, 0] = dt
        for col, (i, j) in enumerate(((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)), start=1):
            terms[:, col] = h[:, i] * h[:, j] * dt
        sums = running_sum(terms, np.asarray(st.sums))
        # The scatter in the horizontal basis of each sample: the case's backward made
        # horizontal (b) and left = b × up (l).
        z = np.array([0.0, 0.0, 1.0])
        b = normalize_rows(z - up[:, 2:3] * up)
        left_case = np.cross(b, up)
        s = sums[:, 1:]
        s_bb = _quad(s, b, b)
        s_bl = _quad(s, b, left_case)
        s_ll = _quad(s, left_case, left_case)
        angle = 0.5 * np.arctan2(2.0 * s_bl, s_ll - s_bb)  # of the larger axis, from l toward b
        # The principal axes are ``angle`` and ``angle ± 90°``; the left is the one nearest l.
        angle = np.where(angle > np.pi / 4, angle - np.pi / 2, angle)
        angle = np.where(angle < -np.pi / 4, angle + np.pi / 2, angle)
        left = np.cos(angle)[:, None] * left_case + np.sin(angle)[:, None] * b
        half_tr = 0.5 * (s_bb + s_ll)
        radius = np.hypot(0.5 * (s_bb - s_ll), s_bl)
        usable = (
            (sums[:, 0] >= _MIN_WALK_S)
            & (half_tr + radius > _MIN_ANISOTROPY * (half_tr - radius))
            & (np.cos(angle) >= self._cos_max_yaw)
        )
        known = last_known(n, idx, usable, left, carried)
        self._state = GaitAxisState(
            band=band_state,
            up=up_state,
            sums=tuple(float(x) for x in sums[-1]),
            left=as_vec3(known[-1]),
        )
        return known


def _quad(s: FloatArray, u: FloatArray, v: FloatArray) -> FloatArray:
    """``uᵀ S v`` per row, with ``S`` symmetric given as (xx, xy, xz, yy, yz, zz) rows."""
    xx, xy, xz, yy, yz, zz = (s[:, k] for k in range(6))
    return (
        u[:, 0] * (xx * v[:, 0] + xy * v[:, 1] + xz * v[:, 2])
        + u[:, 1] * (xy * v[:, 0] + yy * v[:, 1] + yz * v[:, 2])
        + u[:, 2] * (xz * v[:, 0] + yz * v[:, 1] + zz * v[:, 2])
    )
