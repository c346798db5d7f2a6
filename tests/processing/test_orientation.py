"""Tests of the causal 6D orientation estimator (sensor_hub.processing.orientation)."""

from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest
import vqf

from sensor_hub.evaluation import inclination_error_deg
from sensor_hub.processing.orientation import (
    OrientationEstimator,
    OrientationParams,
    estimate_orientation,
)
from sensor_hub.samples import FloatArray

G = 9.80665
TS = 0.01
BROAD = Path(__file__).resolve().parents[2] / "bench" / "data" / "broad"


def rotmat(q: FloatArray) -> FloatArray:
    """Rotation matrices (n, 3, 3), sensor to Earth, of quaternions (n, 4) w, x, y, z."""
    w, x, y, z = q.T
    return np.stack(
        (
            np.stack((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)), 1),
            np.stack((2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)), 1),
            np.stack((2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)), 1),
        ),
        1,
    )


def up_in_sensor(q: FloatArray) -> FloatArray:
    """Earth's up expressed in the sensor frame, (n, 3)."""
    return rotmat(q)[:, 2, :]


def angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def axis_angle_matrix(axis: FloatArray, angle: FloatArray) -> FloatArray:
    """Rotation matrices (n, 3, 3) by ``angle`` (n,) about the unit ``axis`` (3,)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.asarray(np.eye(3) + s * k + (1 - c) * (k @ k), dtype=np.float64)


def tumbling(n: int, seed: int = 1) -> tuple[FloatArray, FloatArray]:
    """Smooth random 3D rotation with some linear acceleration and sensor noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * TS
    gyr = np.stack([np.sin(2 * np.pi * f * t + p) for f, p in rng.uniform(0.2, 1.5, (3, 2))], 1)
    gyr = 2.0 * gyr + 0.01 * rng.standard_normal((n, 3))
    acc = np.array([0.0, 0.0, G]) + 0.5 * rng.standard_normal((n, 3))
    return np.ascontiguousarray(gyr), np.ascontiguousarray(acc)


@pytest.mark.parametrize(
    ("axis", "tilt_deg"),
    [((1.0, 0.0, 0.0), 0.0), ((1.0, 0.0, 0.0), 30.0), ((0.0, 1.0, 0.0), -60.0),
     ((1.0, 1.0, 0.0), 100.0), ((0.0, 1.0, 0.0), 175.0)],
)  # fmt: skip
def test_static_tilt_gives_the_up_vector(axis: tuple[float, float, float], tilt_deg: float) -> None:
    n = 1000
    ax = np.array(axis) / np.linalg.norm(axis)
    r = axis_angle_matrix(ax, np.full(n, np.radians(tilt_deg)))
    up_true = r[:, 2, :]  # sensor-frame up = R^T e_z
    rng = np.random.default_rng(0)
    acc = G * up_true + 0.05 * rng.standard_normal((n, 3))
    gyr = 0.002 * rng.standard_normal((n, 3))
    q = estimate_orientation(gyr, acc, TS)
    assert q.shape == (n, 4)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0)
    assert np.max(angle_deg(up_in_sensor(q[200:]), up_true[200:])) < 0.5


def test_constant_rate_rotation_is_tracked() -> None:
    n = 600  # 6 s at 45 deg/s about the sensor's (and Earth's) x axis: tilt from 0 to 270 deg
    rate = np.radians(45.0)
    ax = np.array([1.0, 0.0, 0.0])
    r = axis_angle_matrix(ax, rate * TS * (np.arange(n) + 1))
    up_true = r[:, 2, :]
    acc = G * up_true
    gyr = np.tile(rate * ax, (n, 1))
    q = estimate_orientation(gyr, acc, TS)
    assert np.max(angle_deg(up_in_sensor(q), up_true)) < 1.0


def test_constant_gyro_bias_is_handled() -> None:
    n = 6000  # 60 s still, tilted, gyro with a 1 deg/s bias on every axis
    ax = np.array([0.0, 1.0, 0.0])
    up_true = axis_angle_matrix(ax, np.full(n, np.radians(40.0)))[:, 2, :]
    rng = np.random.default_rng(3)
    acc = G * up_true + 0.05 * rng.standard_normal((n, 3))
    gyr = np.radians(1.0) + 0.002 * rng.standard_normal((n, 3))
    q = estimate_orientation(gyr, acc, TS)
    assert np.max(angle_deg(up_in_sensor(q[3000:]), up_true[3000:])) < 0.5


def test_bias_is_learned_through_postural_sway() -> None:
    """A worn sensor is never still: sway (here ±2°, 1.8 °/s at most, which VQF takes for
    rest) must not be learned as gyroscope bias.  The drift of gravity seen by the gyroscope
    alone tells the bias apart from sway, which always comes back."""
    n = 18000
    t = np.arange(n) * TS
    theta = np.radians(1.5) * np.sin(2 * np.pi * t / 7.0) + np.radians(0.8) * np.sin(
        2 * np.pi * t / 3.1 + 1.0
    )
    axis = np.array([1.0, 0.0, 0.0])
    up_true = axis_angle_matrix(axis, theta)[:, 2, :]
    rng = np.random.default_rng(3)
    bias = np.radians([0.4, -0.3, 0.2])
    gyr = np.gradient(theta, TS)[:, None] * axis + bias + rng.normal(0.0, 0.002, (n, 3))
    acc = G * up_true + rng.normal(0.0, 0.01, (n, 3))
    errors = {}
    for on in (True, False):
        params = OrientationParams(tau_acc_s=7.0, bias_estimation=on)
        q = estimate_orientation(gyr, acc, TS, params)
        errors[on] = float(np.max(angle_deg(up_in_sensor(q[-6000:]), up_true[-6000:])))
    assert errors[True] < 0.15  # VQF's rest estimate alone: about 3°
    assert errors[False] > 10 * errors[True]


def test_streaming_equals_batch_for_any_block_size() -> None:
    gyr, acc = tumbling(3000)
    est = OrientationEstimator(TS)
    batch = est.update(gyr, acc)
    assert est.gyro_scale != 1.0  # the scale filter ran and fed back
    for block in (1, 7, 20, 399, 400, 1000):
        est = OrientationEstimator(TS)
        parts = [est.update(gyr[i : i + block], acc[i : i + block]) for i in range(0, 3000, block)]
        assert np.array_equal(np.concatenate(parts), batch), block


def test_irregular_blocks_and_non_contiguous_float32_input() -> None:
    gyr, acc = tumbling(2500, seed=4)
    batch = estimate_orientation(gyr, acc, TS)
    est = OrientationEstimator(TS)
    cuts = [0, 1, 2, 50, 51, 433, 1200, 1999, 2500]
    parts = [est.update(gyr[a:b], acc[a:b]) for a, b in itertools.pairwise(cuts)]
    assert np.array_equal(np.concatenate(parts), batch)
    # float32 / Fortran-ordered input is converted
    q32 = estimate_orientation(
        np.asfortranarray(gyr.astype(np.float32)), np.asfortranarray(acc.astype(np.float32)), TS
    )
    assert q32.dtype == np.float64
    assert q32.flags.c_contiguous


@pytest.mark.parametrize("split", [1, 1237, 1600])
def test_state_round_trip_equals_uninterrupted(split: int) -> None:
    gyr, acc = tumbling(3000, seed=2)
    full = estimate_orientation(gyr, acc, TS)
    est = OrientationEstimator(TS)
    first = est.update(gyr[:split], acc[:split])
    state = est.get_state()
    blob = pickle.dumps(state)
    # the snapshot does not alias the live filter
    est.update(gyr[split:], acc[split:])
    for restored_state in (state, pickle.loads(blob)):
        fresh = OrientationEstimator(TS)
        fresh.set_state(restored_state)
        rest = fresh.update(gyr[split:], acc[split:])
        assert np.array_equal(np.concatenate((first, rest)), full)


def test_set_state_rejects_other_sample_period() -> None:
    state = OrientationEstimator(TS).get_state()
    with pytest.raises(ValueError, match="sample period"):
        OrientationEstimator(0.005).set_state(state)


def test_empty_blocks() -> None:
    gyr, acc = tumbling(500)
    est = OrientationEstimator(TS)
    out = est.update(np.empty((0, 3)), np.empty((0, 3)))
    assert out.shape == (0, 4)
    a = est.update(gyr[:250], acc[:250])
    assert est.update(gyr[:0], acc[:0]).shape == (0, 4)
    b = est.update(gyr[250:], acc[250:])
    assert np.array_equal(np.concatenate((a, b)), estimate_orientation(gyr, acc, TS))
    assert estimate_orientation(np.empty((0, 3)), np.empty((0, 3)), TS).shape == (0, 4)


def test_bad_shapes_are_rejected() -> None:
    est = OrientationEstimator(TS)
    with pytest.raises(ValueError, match="shape"):
        est.update(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="lengths"):
        est.update(np.zeros((5, 3)), np.zeros((4, 3)))


def test_without_scale_estimation_it_is_plain_vqf() -> None:
    gyr, acc = tumbling(1500)
    params = OrientationParams(
        scale_estimation=False, bias_estimation=False, motion_bias_estimation=True
    )
    ours = estimate_orientation(gyr, acc, TS, params)
    ref = vqf.VQF(TS).updateBatch(gyr, acc)["quat6D"]
    assert np.array_equal(ours, ref)


def _incl_rmse(q: FloatArray, q_opt: FloatArray, mask: FloatArray) -> float:
    err = inclination_error_deg(q[mask], q_opt[mask])
    return float(np.sqrt(np.mean(err**2)))


@pytest.mark.parametrize(
    "trial", ["08_undisturbed_fast_rotation_with_breaks_A", "28_disturbed_stationary_magnet_A"]
)
def test_broad_no_worse_than_vqf_default(trial: str) -> None:
    path = BROAD / f"{trial}.npz"  # shipped in the repository: a missing file fails
    with np.load(path) as d:
        stop = 30_000  # ~105 s: the initial rest plus the first motion phases
        ts = 1.0 / float(d["sampling_rate_hz"])
        gyr = np.ascontiguousarray(d["gyr_rads"][:stop], dtype=np.float64)
        acc = np.ascontiguousarray(d["acc_mps2"][:stop], dtype=np.float64)
        q_opt = np.asarray(d["opt_quat_wxyz"][:stop], dtype=np.float64)
        mask = np.asarray(d["movement"][:stop], dtype=bool) & np.all(np.isfinite(q_opt), axis=1)
    ours = _incl_rmse(estimate_orientation(gyr, acc, ts), q_opt, mask)
    ref = _incl_rmse(vqf.VQF(ts).updateBatch(gyr, acc)["quat6D"], q_opt, mask)
    assert ours <= ref
