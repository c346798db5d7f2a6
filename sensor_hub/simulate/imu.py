"""The IMU's errors and the link's losses, applied to ideal signals.

Per axis, in the sensor frame (noise figures are RMS at 100 Hz and scale with the square root
of the rate, as white noise behind an averaging filter does):

* accelerometer: ``acc = (1 + scale_error) · f + bias + noise``; ``|scale_error| ≤ 0.5 %``,
  ``|bias| ≤ 0.03 m/s²``, noise 0.015 m/s²;
* gyroscope: ``gyr = ω + bias + drift(t) + noise``; ``|bias| ≤ 1 °/s``, the drift a random
  walk (``gyro_bias_walk_rads_per_sqrt_s``) starting at 0, noise 0.002 rad/s;
* both quantised to int16 at the firmware's range code 2 (``±8 g``, ``±1000 °/s``; physical
  value = raw × range / 32768, PROTOCOL.md §5.5), saturating at −32768 … 32767.

The link drops about 0.3 % of samples one at a time plus occasional bursts of 0.2–2 s (never
in the first :data:`PROTECTED_S` seconds, the neutral window), and the host stamps each sample
with up to ±1 ms of jitter (timestamps stay strictly increasing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensor_hub.samples import STANDARD_GRAVITY_MPS2, FloatArray

__all__ = [
    "ACC_RANGE_G",
    "GYRO_RANGE_DPS",
    "PROTECTED_S",
    "Dropouts",
    "ImuErrors",
    "apply_errors",
    "draw_dropouts",
    "jitter_timestamps",
]

ACC_RANGE_G = 8.0
GYRO_RANGE_DPS = 1000.0
ACC_LSB_MPS2 = ACC_RANGE_G * STANDARD_GRAVITY_MPS2 / 32768.0
GYRO_LSB_RADS = math.radians(GYRO_RANGE_DPS) / 32768.0
#: Seconds at the start that never lose a burst (the neutral window and a margin).
PROTECTED_S = 6.0
SINGLE_DROP_PROBABILITY = 0.003
BURSTS_PER_S = 1.0 / 480.0
TIMESTAMP_JITTER_S = 0.001


@dataclass(frozen=True, slots=True)
class ImuErrors:
    """The sensor's error parameters (drawn once per simulation)."""

    acc_noise_mps2: float
    gyro_noise_rads: float
    acc_bias_mps2: tuple[float, float, float]
    acc_scale_error: tuple[float, float, float]
    gyro_bias_rads: tuple[float, float, float]
    gyro_bias_walk_rads_per_sqrt_s: float
    acc_lsb_mps2: float = ACC_LSB_MPS2
    gyro_lsb_rads: float = GYRO_LSB_RADS
    acc_range_g: float = ACC_RANGE_G
    gyro_range_dps: float = GYRO_RANGE_DPS

    @classmethod
    def draw(cls, rng: np.random.Generator, rate_hz: float) -> ImuErrors:
        """Errors of a typical consumer MEMS IMU at ``rate_hz``."""
        scale = math.sqrt(rate_hz / 100.0)
        acc_bias = rng.uniform(-0.03, 0.03, 3)
        acc_scale = rng.uniform(-0.005, 0.005, 3)
        gyro_bias = np.radians(rng.uniform(-1.0, 1.0, 3))
        return cls(
            acc_noise_mps2=0.015 * scale,
            gyro_noise_rads=0.002 * scale,
            acc_bias_mps2=_triple(acc_bias),
            acc_scale_error=_triple(acc_scale),
            gyro_bias_rads=_triple(gyro_bias),
            gyro_bias_walk_rads_per_sqrt_s=float(np.radians(rng.uniform(0.001, 0.003))),
        )


def _triple(v: FloatArray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def apply_errors(
    acc_mps2: FloatArray,
    gyr_rads: FloatArray,
    errors: ImuErrors,
    rng: np.random.Generator,
    rate_hz: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(acc, gyr, gyro_bias_rads)``: measured signals and the gyro's total bias per sample."""
    n = len(acc_mps2)
    acc = acc_mps2 * (1.0 + np.asarray(errors.acc_scale_error)) + np.asarray(errors.acc_bias_mps2)
    acc += rng.normal(0.0, errors.acc_noise_mps2, (n, 3))
    walk = rng.normal(0.0, errors.gyro_bias_walk_rads_per_sqrt_s / math.sqrt(rate_hz), (n, 3))
    bias = np.asarray(errors.gyro_bias_rads) + np.cumsum(walk, axis=0)
    gyr = gyr_rads + bias + rng.normal(0.0, errors.gyro_noise_rads, (n, 3))
    return _quantise(acc, errors.acc_lsb_mps2), _quantise(gyr, errors.gyro_lsb_rads), bias


def _quantise(values: FloatArray, lsb: float) -> FloatArray:
    raw = np.clip(np.round(values / lsb), -32768.0, 32767.0)
    return np.asarray(raw * lsb, dtype=np.float64)


@dataclass(frozen=True, eq=False, slots=True)
class Dropouts:
    """Which samples reach the host."""

    keep: np.ndarray[tuple[int], np.dtype[np.bool_]]
    single_drops: int
    bursts_s: tuple[tuple[float, float], ...]  # (start, end) of each burst, nominal time

    @property
    def dropped(self) -> int:
        """Samples lost in total."""
        return int(len(self.keep) - np.count_nonzero(self.keep))


def draw_dropouts(rng: np.random.Generator, n_samples: int, rate_hz: float) -> Dropouts:
    """Single drops (≈0.3 %) plus bursts of 0.2–2 s (≈ one per 8 minutes)."""
    keep = rng.random(n_samples) >= SINGLE_DROP_PROBABILITY
    first = min(n_samples, math.ceil(PROTECTED_S * rate_hz))
    keep[:first] = True
    singles = int(n_samples - np.count_nonzero(keep))
    duration_s = n_samples / rate_hz
    bursts: list[tuple[float, float]] = []
    for _ in range(int(rng.poisson(BURSTS_PER_S * max(0.0, duration_s - PROTECTED_S - 2.0)))):
        length = round(rng.uniform(0.2, 2.0) * rate_hz)
        start = int(rng.integers(first, max(first + 1, n_samples - length - 1)))
        keep[start : start + length] = False
        bursts.append((start / rate_hz, (start + length) / rate_hz))
    bursts.sort()
    return Dropouts(keep, singles, tuple(bursts))


def jitter_timestamps(rng: np.random.Generator, time_s: FloatArray) -> FloatArray:
    """Host timestamps: ``time_s`` plus uniform jitter of ±1 ms (the first never negative)."""
    jitter = rng.uniform(-TIMESTAMP_JITTER_S, TIMESTAMP_JITTER_S, len(time_s))
    if len(jitter):
        jitter[0] = abs(jitter[0])
    return np.asarray(time_s + jitter, dtype=np.float64)
