"""Generate ``sensor_hub/data/sample_recording.csv``: a synthetic lower-back recording.

60 s at 50 Hz: stand upright 10 s, lean forward to 30 deg over 4 s, hold 30 s, come back up
over 4 s, stand.  Deterministic (fixed seed), so re-running it reproduces the file byte for
byte.

Physics (sensor frame: x up the spine, y to the wearer's left, z backward out of the back;
world: U up, F forward, L left, right-handed as F x L = U, so U x L = -F: z = -F upright).

* Forward flexion by theta is a rotation about the left axis L = sensor y.  Rotating by +theta
  about L takes U to U cos(theta) + (L x U) sin(theta) = U cos(theta) + F sin(theta): the top
  of the spine goes forward, so forward flexion is the *positive* rotation about y and the
  gyroscope reads ``gyr = (0, +dtheta/dt, 0)`` (the rate vector theta' L, and L is sensor y).
* The sensor axes in the world are then x_s = U cos + F sin, y_s = L, z_s = U sin - F cos.
  An accelerometer measures specific force f = a - g_vec = a + g U.  For a still sensor
  f . x_s = g cos(theta), f . y_s = 0, f . z_s = g sin(theta):
  ``acc = g (cos theta, 0, sin theta)``; leaning forward tips the backward-pointing z axis up.
* The sensor sits r = 0.15 m above the hip joint, the pivot: p = r x_s, so its acceleration
  a = -r theta'' z_s - r theta'^2 x_s adds (-r theta'^2, 0, -r theta'') to acc (a few cm/s^2).

A 0.5 deg, 0.25 Hz postural sway, a small gyroscope bias, white noise and int16 quantisation
(+-8 g, +-500 deg/s) make it look like a real sensor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sensor_hub.recording import write_recording
from sensor_hub.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBlock

SEED = 20240601
RATE_HZ = 50.0
DURATION_S = 60.0
LEAN_RAD = np.deg2rad(30.0)
RAMP_S = 4.0
LEAN_START_S = 10.0
RETURN_START_S = LEAN_START_S + RAMP_S + 30.0
PIVOT_TO_SENSOR_M = 0.15
SWAY_RAD = np.deg2rad(0.5)
SWAY_HZ = 0.25
ACC_NOISE_MPS2 = 0.03
GYR_NOISE_RADS = 0.003
GYR_BIAS_RADS = np.array([0.004, -0.002, 0.003])
ACC_LSB_MPS2 = 8 * STANDARD_GRAVITY_MPS2 / 32768
GYR_LSB_RADS = np.deg2rad(500.0) / 32768
OUTPUT = Path(__file__).resolve().parent.parent / "sensor_hub" / "data" / "sample_recording.csv"
METADATA = {
    "sensor_role": "lumbar",
    "source": "synthetic",
    "description": "stand 10 s, lean forward to 30 deg over 4 s, hold 30 s, back up over 4 s",
    "generator": f"scripts/make_sample_recording.py seed={SEED}",
}


def _ramp(
    t_s: FloatArray, start_s: float, duration_s: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Raised-cosine step 0 -> 1 and its first (1/s) and second (1/s^2) derivatives."""
    u = np.clip((t_s - start_s) / duration_s, 0.0, 1.0)
    inside = (t_s > start_s) & (t_s < start_s + duration_s)
    w = np.pi / duration_s
    step = 0.5 * (1.0 - np.cos(np.pi * u))
    rate = np.where(inside, 0.5 * w * np.sin(np.pi * u), 0.0)
    accel = np.where(inside, 0.5 * w * w * np.cos(np.pi * u), 0.0)
    return step, rate, accel


def flexion(t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Forward flexion angle (rad), its rate (rad/s) and acceleration (rad/s^2)."""
    up, up_rate, up_accel = _ramp(t_s, LEAN_START_S, RAMP_S)
    down, down_rate, down_accel = _ramp(t_s, RETURN_START_S, RAMP_S)
    w = 2.0 * np.pi * SWAY_HZ
    theta = LEAN_RAD * (up - down) + SWAY_RAD * np.sin(w * t_s)
    theta_rate = LEAN_RAD * (up_rate - down_rate) + SWAY_RAD * w * np.cos(w * t_s)
    theta_accel = LEAN_RAD * (up_accel - down_accel) - SWAY_RAD * w * w * np.sin(w * t_s)
    return theta, theta_rate, theta_accel


def make_samples(seed: int = SEED) -> SampleBlock:
    """The simulated recording (see the module docstring for the physics)."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(round(DURATION_S * RATE_HZ)) / RATE_HZ
    theta, theta_rate, theta_accel = flexion(t_s)
    g = STANDARD_GRAVITY_MPS2
    r = PIVOT_TO_SENSOR_M
    acc_mps2 = np.column_stack(
        (
            g * np.cos(theta) - r * theta_rate**2,
            np.zeros_like(t_s),
            g * np.sin(theta) - r * theta_accel,
        )
    )
    gyr_rads = np.column_stack((np.zeros_like(t_s), theta_rate, np.zeros_like(t_s)))
    acc_mps2 += rng.normal(0.0, ACC_NOISE_MPS2, acc_mps2.shape)
    gyr_rads += GYR_BIAS_RADS + rng.normal(0.0, GYR_NOISE_RADS, gyr_rads.shape)
    acc_mps2 = np.round(acc_mps2 / ACC_LSB_MPS2) * ACC_LSB_MPS2
    gyr_rads = np.round(gyr_rads / GYR_LSB_RADS) * GYR_LSB_RADS
    return SampleBlock(t_s, acc_mps2, gyr_rads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args()
    write_recording(args.output, make_samples(), METADATA)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
