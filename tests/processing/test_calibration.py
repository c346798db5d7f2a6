"""The calibrator's forward-axis learner on known directions of Earth's up."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sensor_hub.processing.calibration import CalibrationStatus, Calibrator
from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.samples import FloatArray
from tests.processing.synth import rot_x, smooth_step

FS = 100.0
MOUNT_YAW_DEG = 15.0


def up_in_sensor(t: FloatArray, moves: list[tuple[float, float, float, float]]) -> FloatArray:
    """Earth's up in the sensor frame for ``moves`` (start s, flexion°, lateral°, hold s: out
    and back in 1.5 s each), the sensor turned by ``MOUNT_YAW_DEG`` about the body's up axis."""
    theta = np.zeros_like(t)
    phi = np.zeros_like(t)
    for start, flex, side, hold in moves:
        end = start + 1.5 + hold
        bump = smooth_step(t, start, start + 1.5) - smooth_step(t, end, end + 1.5)
        theta += np.radians(flex) * bump
        phi += np.radians(side) * bump
    # Body axes x up, y left, z backward: forward flexion tips up toward +z, a bend to the
    # right toward +y (as in tests/processing/synth.py).
    up_body = np.stack(
        (np.cos(theta) * np.cos(phi), np.cos(theta) * np.sin(phi), np.sin(theta)), axis=1
    )
    return up_body @ rot_x(np.radians(MOUNT_YAW_DEG))


def reaches_then_bends() -> tuple[FloatArray, FloatArray]:
    """Two diagonal reaches (35° forward, 12° aside, both to the same side), then three deep
    bends (80° forward, ±8° aside)."""
    t = np.arange(0.0, 120.0, 1.0 / FS)
    moves = [(10, 35, 12, 2.5), (25, 35, 12, 2.5), (50, 80, 8, 2.5), (70, 80, -8, 2.5)]
    return t, up_in_sensor(t, [*moves, (90, 80, 8, 2.5)])


def learn(
    g: FloatArray, config: ProcessingConfig, sizes: list[int] | None = None
) -> tuple[FloatArray, Calibrator]:
    cal = Calibrator(config)
    n = g.shape[0]
    up = np.broadcast_to(np.array([1.0, 0.0, 0.0]), (n, 3))
    status = np.full(n, CalibrationStatus.OK, dtype=np.uint8)
    upright = np.ones(n, dtype=np.bool_)
    edges = [0, n] if sizes is None else [0, *np.cumsum(sizes).tolist(), n]
    parts = [
        cal.frames(g[a:b], up[a:b], status[a:b], upright[a:b]) for a, b in itertools.pairwise(edges)
    ]
    return np.concatenate(parts), cal


def test_deep_bends_outweigh_diagonal_reaches() -> None:
    t, g = reaches_then_bends()
    config = ProcessingConfig(sample_rate_hz=FS)
    # The reaches alone point 17° off the sagittal axis (nothing can tell them apart) ...
    _, early = learn(g[t < 40.0], config)
    assert abs(early.yaw_deg - MOUNT_YAW_DEG) > 10.0
    # ... but weighted by sin(tilt)^6 the bends, 2° off at most and to both sides, decide.
    _, cal = learn(g, config)
    assert cal.yaw_deg == pytest.approx(MOUNT_YAW_DEG, abs=1.0)
    # Without the tilt weighting the reaches still pull the axis several degrees off.
    _, plain = learn(g, ProcessingConfig(sample_rate_hz=FS, axis_learn_tilt_power=0.0))
    assert abs(plain.yaw_deg - MOUNT_YAW_DEG) > 3.0


def test_the_learned_axis_does_not_depend_on_block_size() -> None:
    _, g = reaches_then_bends()
    config = ProcessingConfig(sample_rate_hz=FS)
    whole, cal = learn(g, config)
    for sizes in ([1, 7, 333, 1000, 4096], [2500] * 4):
        parts, streamed = learn(g, config, sizes)
        assert np.array_equal(parts, whole)
        assert streamed.get_state() == cal.get_state()


def test_learning_stops_short_of_the_horizontal() -> None:
    with pytest.raises(ValueError, match="axis_learn_max_deg"):
        ProcessingConfig(axis_learn_max_deg=90.0)


def test_lying_down_onto_a_side_does_not_turn_the_axis() -> None:
    # Bends teach the axis; then the wearer lies down onto the right side from a seat leaning
    # 6° forward: 85° aside, 6° off the lateral axis, and "upright" for the first seconds.
    t = np.arange(0.0, 120.0, 1.0 / FS)
    bends = [(10, 80, 8, 2.5), (30, 80, -8, 2.5), (50, 80, 8, 2.5)]
    g = up_in_sensor(t, [*bends, (70, 6, 0, 40.0), (80, 0, -85, 8.0)])
    config = ProcessingConfig(sample_rate_hz=FS)
    _, before = learn(g[t < 70.0], config)
    _, after = learn(g, config)
    assert before.yaw_deg == pytest.approx(MOUNT_YAW_DEG, abs=1.0)
    assert after.yaw_deg == pytest.approx(before.yaw_deg, abs=0.05)


def test_shallow_tilts_move_the_axis_from_the_case_only_part_way() -> None:
    # A seated wearer who only stretches back (15°, 2–5° aside) and never bends: the
    # stretches point 8–18° off the sagittal axis (10° on average), so the case's axis keeps
    # a good share of the weight.
    t = np.arange(0.0, 120.0, 1.0 / FS)
    stretches = [(10, -15, 5, 3.0), (40, -15, -2, 3.0), (70, -15, 4, 3.0)]
    g = up_in_sensor(t, stretches)
    _, shrunk = learn(g, ProcessingConfig(sample_rate_hz=FS))
    _, raw = learn(g, ProcessingConfig(sample_rate_hz=FS, axis_prior_weight_s=0.0))
    assert 0.0 < shrunk.yaw_deg < 0.8 * raw.yaw_deg
    # One deep bend, and the data decide.
    g = up_in_sensor(t, [*stretches, (100, 70, 3, 2.0)])
    _, bent = learn(g, ProcessingConfig(sample_rate_hz=FS))
    assert bent.yaw_deg == pytest.approx(MOUNT_YAW_DEG, abs=1.5)
