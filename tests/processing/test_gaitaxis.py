"""The wearer's left from the stride's sideways sway (sensor_hub.processing.gaitaxis)."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.processing import PostureProcessor, ProcessingConfig
from sensor_hub.processing.gaitaxis import GaitAxis
from sensor_hub.simulate import simulate
from tests.processing.synth import rot_x
from tests.processing.test_turns import RATE_HZ, walk_with_turns


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(
        np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))
    )


@pytest.mark.parametrize("mount_yaw_deg", [-20.0, 0.0, 15.0])
def test_the_left_is_the_axis_of_the_stride_frequency_sway(mount_yaw_deg: float) -> None:
    # An upright walker: vertical and forward-backward motion at the step frequency, sideways
    # sway at half of it (the stride), turning now and then; the sensor turned by the mount yaw.
    t, acc, _, _ = walk_with_turns(mount_yaw_deg)
    axis = GaitAxis(ProcessingConfig(sample_rate_hz=RATE_HZ))
    left = axis.update(acc, np.ones(t.shape, dtype=bool))
    assert np.isnan(left[: int(9 * RATE_HZ)]).all()  # nothing before 10 s of steady gait
    true_left = np.array([0.0, 1.0, 0.0]) @ rot_x(np.radians(mount_yaw_deg))
    assert _angle_deg(left[-1], true_left) < 1.0


def test_blocks_of_any_size_and_a_restored_state_give_the_batch_result() -> None:
    t, acc, _, _ = walk_with_turns(12.0)
    walking = (t > 3.0) & (t < 100.0)
    batch = GaitAxis(ProcessingConfig(sample_rate_hz=RATE_HZ)).update(acc, walking)
    for block in (1, 37, 1000):
        axis = GaitAxis(ProcessingConfig(sample_rate_hz=RATE_HZ))
        parts = [
            axis.update(acc[i : i + block], walking[i : i + block]) for i in range(0, len(t), block)
        ]
        assert np.array_equal(np.concatenate(parts), batch, equal_nan=True), block
    first = GaitAxis(ProcessingConfig(sample_rate_hz=RATE_HZ))
    head = first.update(acc[:5000], walking[:5000])
    second = GaitAxis(ProcessingConfig(sample_rate_hz=RATE_HZ))
    second.set_state(first.get_state())
    tail = second.update(acc[5000:], walking[5000:])
    assert np.array_equal(np.concatenate((head, tail)), batch, equal_nan=True)


def test_a_walker_gets_the_mounting_yaw_from_the_stride_not_the_biased_turns() -> None:
    # Seed 102: the sensor sits 8 cm behind the axis the walker turns about and most turns go
    # one way, which tilts the turns' estimate of the left by 6-7 degrees.
    sim = simulate("walking", seed=102, imu_errors=False)
    proc = PostureProcessor(ProcessingConfig())
    out = proc.process(sim.block)
    err = out.flexion_deg - sim.truth.samples.flexion_deg
    assert float(np.sqrt(np.mean(err**2))) < 0.45  # 0.50 with the turns' axis
