"""Body motion → ideal (error-free) IMU signals, computed on a fine grid and decimated.

The sensor sits at ``p_S = p_hip + R_WB · r`` (``r``: lever arm from the hip joint in body
axes) with orientation ``R_WS = R_WB · R_BS`` (``R_BS``: the mounting rotation).  On a grid of
``oversample`` points per output period (at least 1 kHz):

* world acceleration ``a_W``: second central difference of the bounded part of ``p_S`` plus the
  central difference of the progression velocity;
* specific force ``f_S = R_WS^T (a_W + [0, 0, g])``;
* angular rate over each output period ``ω_n = 2 log(q_WS(t_n − T)* ⊗ q_WS(t_n)) / T``
  (sensor frame): the mean rate over the period, as a gyro with coning compensation reports
  it (it differs from the arithmetic mean of the fine-grid rates only by the second-order
  coning term, < 0.003° per period even while walking at 25 Hz).

Output sample ``n`` is at ``t_n = n / rate_hz`` and covers the period ``(t_n − T, t_n]``
(``T = 1 / rate_hz``): the accelerometer is the mean of the ``oversample`` specific forces at
the grid points ``t_n − T + j·dt`` (``j = 1 … oversample``), as an IMU's internal averaging
filter gives it, and integrating the rate over the period from ``q_WS(t_n − T)`` lands exactly
on ``q_WS(t_n)``.  The body's orientation is also returned at each ``t_n``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensor_hub.samples import STANDARD_GRAVITY_MPS2, FloatArray
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.body import BodyMotion

__all__ = ["MIN_INTERNAL_RATE_HZ", "IdealSignals", "ideal_signals", "oversample_factor"]

#: The fine grid runs at least this fast.
MIN_INTERNAL_RATE_HZ = 1000.0
#: Output samples per computed chunk (bounds memory for long days).
CHUNK_SAMPLES = 6000

_GRAVITY_W = np.array((0.0, 0.0, STANDARD_GRAVITY_MPS2))


@dataclass(frozen=True, eq=False, slots=True)
class IdealSignals:
    """Error-free sensor output at ``t_n = n / rate_hz`` and the body orientation there."""

    time_s: FloatArray  # (n,)
    acc_mps2: FloatArray  # (n, 3) specific force, sensor frame
    gyr_rads: FloatArray  # (n, 3) angular rate, sensor frame
    body_quat_wxyz: FloatArray  # (n, 4) body → world at t_n


def oversample_factor(rate_hz: float) -> int:
    """Grid points per output period, so that the grid runs at ≥ 1 kHz."""
    return max(1, math.ceil(MIN_INTERNAL_RATE_HZ / rate_hz - 1e-9))


def ideal_signals(
    motion: BodyMotion,
    mount_quat_wxyz: FloatArray,
    lever_arm_m: FloatArray,
    rate_hz: float,
    n_samples: int,
    on_progress: Callable[[float], None] | None = None,
) -> IdealSignals:
    """The error-free signals of ``n_samples`` output samples (see the module docstring)."""
    m = oversample_factor(rate_hz)
    dt = 1.0 / (rate_hz * m)
    acc = np.empty((n_samples, 3))
    gyr = np.empty((n_samples, 3))
    body = np.empty((n_samples, 4))
    for n0 in range(0, n_samples, CHUNK_SAMPLES):
        n1 = min(n0 + CHUNK_SAMPLES, n_samples)
        k = np.arange(n0 * m - m, (n1 - 1) * m + 2, dtype=np.float64)
        state = motion.evaluate(k * dt)
        q_ws = quat.multiply(state.quat_wxyz, mount_quat_wxyz)
        p = state.hip_m + quat.rotate(state.quat_wxyz, lever_arm_m)
        v = state.progression_mps
        a_w = (p[2:] - 2.0 * p[1:-1] + p[:-2]) / (dt * dt) + (v[2:] - v[:-2]) / (2.0 * dt)
        f_s = quat.rotate(quat.conjugate(q_ws[1:-1]), a_w + _GRAVITY_W)
        count = n1 - n0
        acc[n0:n1] = f_s.reshape(count, m, 3).mean(axis=1)
        ends = q_ws[: count * m + 1 : m]  # at t_n - T and t_n
        gyr[n0:n1] = quat.log_map(quat.multiply(quat.conjugate(ends[:-1]), ends[1:])) * rate_hz
        body[n0:n1] = state.quat_wxyz[m : count * m + 1 : m]
        if on_progress is not None:
            on_progress(n1 / n_samples)
    time_s = np.arange(n_samples, dtype=np.float64) / rate_hz
    return IdealSignals(time_s, acc, gyr, body)
