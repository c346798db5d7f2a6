"""Physics of the simulator: gravity at rest, signs, lever arm, gyro integration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensor_hub.samples import STANDARD_GRAVITY_MPS2 as G
from sensor_hub.samples import FloatArray
from sensor_hub.simulate import plan, simulate
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.body import BodyMotion, GaitParameters, SwayParameters
from sensor_hub.simulate.kinematics import IdealSignals, ideal_signals
from sensor_hub.simulate.trajectory import TimelineBuilder, Wearer

RATE_HZ = 100.0
NO_MOUNT = np.array((1.0, 0.0, 0.0, 0.0))
STILL_SWAY = SwayParameters(
    frequencies_hz=((0.1,),) * 3,
    amplitudes_deg=((0.0,),) * 3,
    phases_rad=((0.0,),) * 3,
    breathing_hz=0.25,
    breathing_deg=0.0,
    breathing_m=0.0,
)
GAIT = GaitParameters(1.9, 1.3, 0.02, 0.01, 0.01, 1.0, 2.0, 3.0, 4.0, (0.0, 0.0, 0.0, 0.0))


def _builder(neutral_deg: float = 0.0) -> TimelineBuilder:
    return TimelineBuilder(Wearer(neutral_deg, neutral_deg, "standing", 1.3))


def _signals(
    b: TimelineBuilder,
    mount: FloatArray = NO_MOUNT,
    lever_m: tuple[float, float, float] = (0.2, 0.0, 0.08),
    rate_hz: float = RATE_HZ,
) -> IdealSignals:
    timeline = b.build()
    n = math.floor(timeline.duration_s * rate_hz) + 1
    return ideal_signals(
        BodyMotion(timeline, GAIT, STILL_SWAY), mount, np.array(lever_m), rate_hz, n
    )


@pytest.mark.parametrize("mount_deg", [(0.0, 0.0, 0.0), (15.0, -20.0, 20.0), (-5.0, 8.0, -20.0)])
@pytest.mark.parametrize("lean_deg", [0.0, 30.0, -90.0])
def test_noiseless_rest_reads_exactly_g(
    mount_deg: tuple[float, float, float], lean_deg: float
) -> None:
    b = _builder(lean_deg)
    b.advance("still", 3.0, "upright")
    sig = _signals(b, quat.from_mounting_angles(np.radians(mount_deg)))
    np.testing.assert_allclose(np.linalg.norm(sig.acc_mps2, axis=1), G, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sig.gyr_rads, 0.0, atol=1e-12)


def test_forward_lean_of_30_deg_signs_and_truth() -> None:
    b = _builder()
    b.advance("neutral", 6.0, "upright")
    b.lean(6.0, 8.0, 30.0)
    b.advance("lean", 6.0, "upright")
    sig = _signals(b)
    t = sig.time_s
    still = t >= 9.0
    expected = G * np.array((math.cos(math.radians(30)), 0.0, math.sin(math.radians(30))))
    np.testing.assert_allclose(
        sig.acc_mps2[still], np.broadcast_to(expected, (still.sum(), 3)), atol=1e-9
    )
    assert (sig.acc_mps2[still, 2] > 4.9).all()  # acc_z positive when leaning forward
    leaning = (t > 6.2) & (t < 7.8)
    assert (sig.gyr_rads[leaning, 1] > 0.0).all()  # gyro_y positive while leaning forward
    np.testing.assert_allclose(sig.gyr_rads[:, [0, 2]], 0.0, atol=1e-12)
    # the gyro integrates to the 30 degrees
    assert np.sum(sig.gyr_rads[:, 1]) / RATE_HZ == pytest.approx(math.radians(30.0), abs=1e-9)


def test_right_bend_signs() -> None:
    b = _builder()
    b.advance("neutral", 6.0, "upright")
    b.move("phi_deg", 6.0, 8.0, 20.0)
    b.advance("bend", 4.0, "upright")
    sig = _signals(b)
    t = sig.time_s
    assert sig.acc_mps2[-1, 1] == pytest.approx(G * math.sin(math.radians(20.0)), abs=1e-9)
    bending = (t > 6.2) & (t < 7.8)
    assert (sig.gyr_rads[bending, 2] < 0.0).all()  # PROTOCOL.md §1.1: omega_z < 0 bending right


def test_lever_arm_accelerations_match_the_analytic_ones() -> None:
    """A lean about the hip with the sensor 0.2 m up the spine adds (-r θ'², 0, -r θ'')."""
    r, dur, lean = 0.2, 1.5, math.radians(40.0)
    b = _builder()
    b.advance("neutral", 6.0, "upright")
    b.lean(6.0, 6.0 + dur, 40.0)
    b.advance("lean", 4.0, "upright")
    sig = _signals(b, lever_m=(r, 0.0, 0.0))

    def theta(t: FloatArray) -> FloatArray:
        u = np.clip((t - 6.0) / dur, 0.0, 1.0)
        return np.asarray(lean * u**3 * (10 - 15 * u + 6 * u**2))

    def specific_force(t: FloatArray) -> FloatArray:
        u = np.clip((t - 6.0) / dur, 0.0, 1.0)
        rate = lean / dur * 30 * u**2 * (1 - u) ** 2
        accel = lean / dur**2 * 60 * u * (1 - u) * (1 - 2 * u)
        th = theta(t)
        return np.stack((G * np.cos(th) - r * rate**2, 0 * u, G * np.sin(th) - r * accel), axis=-1)

    # each output sample averages the 1 kHz points of the previous 10 ms
    period = 1.0 / RATE_HZ
    fine = sig.time_s[:, None] - period + np.arange(1, 11)[None, :] * period / 10
    expected = specific_force(fine).mean(axis=1)
    np.testing.assert_allclose(sig.acc_mps2, expected, atol=1e-4)
    rate = (theta(sig.time_s) - theta(sig.time_s - period)) / period
    np.testing.assert_allclose(sig.gyr_rads[:, 1], rate, atol=1e-9)


def test_walking_bobs_at_the_step_frequency() -> None:
    b = _builder()
    b.advance("neutral", 6.0, "upright")
    b.move("speed_mps", 6.0, 7.5, GAIT.speed_mps)
    b.advance("walk", 30.0, "walking", "walking")
    sig = _signals(b)
    walking = sig.time_s > 10.0
    t = sig.time_s[walking]
    vertical = sig.acc_mps2[walking, 0] - sig.acc_mps2[walking, 0].mean()
    spectrum = np.abs(np.fft.rfft(vertical * np.hanning(len(vertical))))
    freqs = np.fft.rfftfreq(len(vertical), 1.0 / RATE_HZ)
    assert freqs[np.argmax(spectrum)] == pytest.approx(GAIT.step_frequency_hz, abs=0.05)
    w = 2 * math.pi * GAIT.step_frequency_hz
    basis = np.stack((np.cos(w * t), np.sin(w * t)), axis=1)
    (c, d), *_ = np.linalg.lstsq(basis, vertical, rcond=None)
    assert math.hypot(c, d) == pytest.approx(GAIT.vertical_m * w**2, rel=0.1)


@pytest.mark.parametrize(("scenario", "rate_hz"), [("office_day", 100.0), ("walking", 25.0)])
def test_integrating_the_noiseless_gyro_reproduces_the_truth(scenario: str, rate_hz: float) -> None:
    duration = 10.0 if scenario == "office_day" else None
    p = plan(scenario, seed=4, rate_hz=rate_hz, duration_min=duration)
    sim = simulate(scenario, seed=4, rate_hz=rate_hz, duration_min=duration, imu_errors=False)
    sig = ideal_signals(p.motion, p.mount_quat_wxyz, np.array(p.lever_arm_m), rate_hz, p.n_samples)
    np.testing.assert_array_equal(sig.gyr_rads, sim.block.gyr_rads)
    q_ws = quat.multiply(sig.body_quat_wxyz, p.mount_quat_wxyz)
    steps = quat.exp_map(sim.block.gyr_rads[1:] / rate_hz)
    q = np.empty_like(q_ws)
    q[0] = q_ws[0]
    for i, step in enumerate(steps):
        q[i + 1] = quat.multiply(q[i], step)
    error_deg = np.degrees(
        np.linalg.norm(quat.log_map(quat.multiply(quat.conjugate(q_ws), q)), axis=1)
    )
    assert error_deg.max() < 0.05
    # ... and Earth's up from the integrated orientation is the truth's up_sensor
    up = quat.rotate(quat.conjugate(q), np.array((0.0, 0.0, 1.0)))
    cos = np.clip(np.sum(up * sim.truth.samples.up_sensor, axis=1), -1.0, 1.0)
    assert np.degrees(np.arccos(cos)).max() < 0.05


def test_truth_is_zero_in_the_neutral_window() -> None:
    for scenario in ("office_day", "pelvis_standing", "walking"):
        sim = simulate(scenario, seed=2, duration_min=1.0)
        s = sim.truth.samples
        window = s.timestamp_s <= 5.0
        assert abs(s.flexion_deg[window].mean()) < 0.05
        assert abs(s.lateral_deg[window].mean()) < 0.05
        assert np.abs(s.flexion_deg[window]).max() < 1.0
        assert np.abs(s.lateral_deg[window]).max() < 1.0


def test_lying_reads_about_90_degrees() -> None:
    sim = simulate("lying", seed=5, imu_errors=False)
    s, truth = sim.truth.samples, sim.truth
    for segment in truth.segments:
        if not segment.label.startswith("lying_"):
            continue
        inside = (s.timestamp_s > segment.start_s) & (s.timestamp_s < segment.end_s)
        flexion, lateral = s.flexion_deg[inside].mean(), s.lateral_deg[inside].mean()
        how = segment.label.removeprefix("lying_")
        if how in ("supine", "prone"):
            assert abs(flexion) == pytest.approx(90.0, abs=12.0)
            assert (flexion < 0) == (how == "supine")
        else:
            assert abs(lateral) == pytest.approx(90.0, abs=12.0)
            assert (lateral > 0) == (how == "right")
        assert (s.activity[inside] == "lying").all()


def test_mounting_yaw_is_exercised_at_full_range() -> None:
    yaws = [plan("fidget", seed=seed).mount_deg[2] for seed in range(40)]
    assert all(10.0 <= abs(y) <= 20.0 for y in yaws)
    assert max(yaws) > 18.0
    assert min(yaws) < -18.0


def test_strapdown_integration_follows_the_sensor_through_a_stand_up() -> None:
    """Rotating the noiseless accelerometer into the world and integrating it twice tracks the
    sensor's true position (hip rise plus lever arm) through a sit-to-stand within 1 cm."""
    p = plan("sit_stand", seed=2)
    lever = np.array(p.lever_arm_m)
    sig = ideal_signals(p.motion, p.mount_quat_wxyz, lever, RATE_HZ, p.n_samples)
    segment = next(s for s in p.motion.timeline.segments if s.label == "stand_up")
    i0 = round((segment.start_s - 1.0) * RATE_HZ)
    i1 = round((segment.end_s + 1.0) * RATE_HZ)
    state = p.motion.evaluate(sig.time_s[i0 : i1 + 1])
    position = state.hip_m + quat.rotate(state.quat_wxyz, lever)
    q_ws = quat.multiply(sig.body_quat_wxyz[i0 + 1 : i1 + 1], p.mount_quat_wxyz)
    gyro, acc = sig.gyr_rads[i0 + 1 : i1 + 1], sig.acc_mps2[i0 + 1 : i1 + 1]
    mid = quat.multiply(q_ws, quat.exp_map(-0.5 * gyro / RATE_HZ))  # mid-period orientation
    a_world = quat.rotate(mid, acc) - np.array((0.0, 0.0, G))
    around = p.motion.evaluate(sig.time_s[i0] + np.array((-1e-4, 1e-4)))  # sway: not quite still
    ends = around.hip_m + quat.rotate(around.quat_wxyz, lever)
    v0 = (ends[1] - ends[0]) / 2e-4
    velocity = v0 + np.concatenate((np.zeros((1, 3)), np.cumsum(a_world / RATE_HZ, axis=0)))
    steps = 0.5 * (velocity[1:] + velocity[:-1]) / RATE_HZ
    track = position[0] + np.concatenate((np.zeros((1, 3)), np.cumsum(steps, axis=0)))
    assert np.linalg.norm(position[-1] - position[0]) > 0.35  # the sensor rose
    assert np.linalg.norm(track - position, axis=1).max() < 0.01
