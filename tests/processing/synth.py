"""Known-angle synthetic IMU data for the processing tests (pure rotations, exact gyro)."""

from __future__ import annotations

import numpy as np

from sensor_hub.samples import FloatArray, SampleBlock

G = 9.80665


def smooth_step(t: FloatArray, t0: float, t1: float) -> FloatArray:
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def rot_x(a: float) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def lean_block(
    t: FloatArray,
    flexion_deg: FloatArray,
    *,
    mount_yaw_deg: float = 0.0,
    acc_noise: float = 0.0,
    gyr_noise: float = 0.0,
    gyr_bias: tuple[float, float, float] = (0.0, 0.0, 0.0),
    seed: int = 0,
) -> SampleBlock:
    """A wearer leaning forward by ``flexion_deg(t)`` (a pure sagittal rotation, no linear
    acceleration), the sensor turned by ``mount_yaw_deg`` about the body's up axis."""
    theta = np.radians(flexion_deg)
    up_body = np.stack((np.cos(theta), np.zeros_like(theta), np.sin(theta)), axis=1)
    rate = np.gradient(theta, t)
    # Leaning forward turns the body about its left (+y) axis by +theta: x (up) tips toward
    # -z (forward).  Angular rate in body coordinates: (0, rate, 0).
    gyr_body = np.stack((np.zeros_like(t), rate, np.zeros_like(t)), axis=1)
    mount = rot_x(np.radians(mount_yaw_deg))  # sensor axes in body coordinates (columns)
    rng = np.random.default_rng(seed)
    acc = G * up_body @ mount
    if acc_noise:
        acc = acc + rng.normal(0.0, acc_noise, acc.shape)
    gyr = gyr_body @ mount + np.asarray(gyr_bias)
    if gyr_noise:
        gyr = gyr + rng.normal(0.0, gyr_noise, gyr.shape)
    return SampleBlock(np.asarray(t, dtype=np.float64), acc, gyr)
