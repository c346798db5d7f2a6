"""A wearer doing exactly what a test asks: the simulator's actions on a hand-made timeline.

The body, the sensor's kinematics and the IMU errors are the simulator's (physically correct:
the hip really rises 0.35–0.45 m when standing up); only the list of actions is the test's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sensor_hub.samples import SampleBlock
from sensor_hub.simulate import LEVER_ARM_M, imu
from sensor_hub.simulate import actions as act
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.body import BodyMotion, GaitParameters, SwayParameters
from sensor_hub.simulate.kinematics import ideal_signals
from sensor_hub.simulate.trajectory import Segment, TimelineBuilder, Wearer

Steps = Callable[[TimelineBuilder, np.random.Generator], None]


def play(
    steps: Steps,
    *,
    seed: int = 0,
    rate_hz: float = 100.0,
    mount_deg: tuple[float, float, float] = (8.0, -10.0, 15.0),
    t0_s: float = 0.0,
) -> tuple[SampleBlock, tuple[Segment, ...]]:
    """Calibrate sitting, then ``steps``; samples (with IMU errors, no dropped samples)
    starting at ``t0_s`` and the timeline's segments (on the same time scale)."""
    rng = np.random.default_rng(seed)
    wearer = Wearer(
        sitting_deg=float(rng.uniform(0.0, 5.0)),
        standing_deg=float(rng.uniform(-6.0, -1.0)),
        neutral_posture="sitting",
        walking_speed_mps=1.3,
    )
    b = TimelineBuilder(wearer)
    act.calibrate(b)
    steps(b, rng)
    timeline = b.build()
    motion = BodyMotion(timeline, GaitParameters.draw(rng, "lumbar", 1.3), SwayParameters.draw(rng))
    n = math.floor(timeline.duration_s * rate_hz + 1e-9) + 1
    mount = quat.from_mounting_angles(np.radians(np.array(mount_deg)))
    ideal = ideal_signals(motion, mount, np.array(LEVER_ARM_M["lumbar"]), rate_hz, n)
    errors = imu.ImuErrors.draw(rng, rate_hz)
    acc, gyr, _ = imu.apply_errors(ideal.acc_mps2, ideal.gyr_rads, errors, rng, rate_hz)
    segments = tuple(
        Segment(s.label, s.start_s + t0_s, s.end_s + t0_s, s.activity, s.posture)
        for s in timeline.segments
    )
    return SampleBlock(ideal.time_s + t0_s, acc, gyr), segments


def end_of(segments: tuple[Segment, ...], label: str, k: int = 0) -> float:
    """The end of the ``k``-th segment called ``label``."""
    return [s for s in segments if s.label == label][k].end_s


def start_of(segments: tuple[Segment, ...], label: str, k: int = 0) -> float:
    return [s for s in segments if s.label == label][k].start_s
