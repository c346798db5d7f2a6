"""Walking turns: the centripetal acceleration is removed and the wearer's left is learned."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.processing import PostureProcessor, ProcessingConfig
from sensor_hub.processing.turns import TurnCompensator
from sensor_hub.samples import FloatArray
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate import simulate
from tests.processing.synth import G, rot_x, smooth_step

RATE_HZ = 100.0
SPEED_MPS = 1.3


def walk_with_turns(mount_yaw_deg: float) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """An upright walker (body axes: x up, y left, z backward) at 1.3 m/s with gait
    oscillations, turning left and right; returns t, acc, gyr (sensor frame) and the
    centripetal acceleration alone (sensor frame)."""
    t = np.arange(0.0, 120.0, 1.0 / RATE_HZ)
    heading = np.zeros_like(t)
    for start, angle in ((15.0, 90.0), (40.0, -180.0), (65.0, 90.0), (90.0, 135.0)):
        heading += np.radians(angle) * smooth_step(t, start, start + 2.0)
    w_z = np.gradient(heading, t)
    step = 2 * np.pi * 1.9 * t
    centripetal = np.stack((0 * t, w_z * SPEED_MPS, 0 * t), axis=1)
    gait = np.stack(
        (2.0 * np.sin(step), 0.4 * np.sin(0.5 * step + 1.0), 1.3 * np.sin(step + 0.5)), axis=1
    )
    acc_body = np.stack((np.full_like(t, G), 0 * t, 0 * t), axis=1) + centripetal + gait
    gyr_body = np.stack((w_z + 0.2 * np.sin(0.5 * step), 0.05 * np.sin(step), 0 * t), axis=1)
    mount = rot_x(np.radians(mount_yaw_deg))
    return t, acc_body @ mount, gyr_body @ mount, centripetal @ mount


@pytest.mark.parametrize("mount_yaw_deg", [-20.0, 0.0, 15.0])
def test_left_is_learned_from_turns_and_the_centripetal_part_removed(mount_yaw_deg: float) -> None:
    t, acc, gyr, centripetal = walk_with_turns(mount_yaw_deg)
    comp = TurnCompensator(ProcessingConfig(sample_rate_hz=RATE_HZ))
    out = comp.update(acc, gyr, np.ones(t.shape, dtype=bool))

    true_left = np.array([0.0, 1.0, 0.0]) @ rot_x(np.radians(mount_yaw_deg))
    assert np.isnan(out.left[: int(15 * RATE_HZ)]).all()  # nothing known before a turn
    angle = np.degrees(np.arccos(np.clip(out.left[-1] @ true_left, -1.0, 1.0)))
    assert angle < 2.0

    # In the later turns (the slope is known by then) the centripetal acceleration is
    # removed, at every instant (the measured turn rate, not a delayed low-pass): what is
    # left is a few percent of it, and nothing of its integral over the turn.
    removed = acc - out.acc_mps2
    for start in (65.0, 90.0):
        turn = (t >= start) & (t < start + 6.0)
        left_over = np.linalg.norm((removed - centripetal)[turn].sum(axis=0))
        assert left_over < 0.05 * np.linalg.norm(centripetal[turn].sum(axis=0))
        # at any instant: the gait's own yaw ripple (0.2 rad/s x speed) and little more
        peak = np.abs(removed - centripetal)[turn].max()
        assert peak < 0.2 * SPEED_MPS + 0.05 * np.abs(centripetal[turn]).max()
    # The first turn, before anything is learned: the prior walking speed along the case's
    # left removes most of it (all of it but the mounting error's share).
    first = (t >= 15.0) & (t < 21.0)
    left_over = np.linalg.norm((removed - centripetal)[first].sum(axis=0))
    share = max(0.1, 2 * np.sin(np.radians(abs(mount_yaw_deg)) / 2))
    assert left_over < share * np.linalg.norm(centripetal[first].sum(axis=0))


def test_nothing_changes_without_walking() -> None:
    t, acc, gyr, _ = walk_with_turns(10.0)
    comp = TurnCompensator(ProcessingConfig(sample_rate_hz=RATE_HZ))
    out = comp.update(acc, gyr, np.zeros(t.shape, dtype=bool))
    assert np.array_equal(out.acc_mps2, acc)
    assert np.isnan(out.left).all()


def test_blocks_of_any_size_give_the_batch_result() -> None:
    t, acc, gyr, _ = walk_with_turns(-12.0)
    walking = np.ones(t.shape, dtype=bool)
    config = ProcessingConfig(sample_rate_hz=RATE_HZ)
    batch = TurnCompensator(config).update(acc, gyr, walking)
    comp = TurnCompensator(config)
    parts = [
        comp.update(acc[a : a + 37], gyr[a : a + 37], walking[a : a + 37])
        for a in range(0, len(t), 37)
    ]
    assert np.array_equal(np.concatenate([p.acc_mps2 for p in parts]), batch.acc_mps2)
    assert np.array_equal(np.concatenate([p.left for p in parts]), batch.left, equal_nan=True)


def test_a_walker_who_never_bends_gets_the_forward_axis_from_turns() -> None:
    sim = simulate("walking", seed=1, mount_error_deg=20.0)
    truth = sim.truth
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=truth.sample_rate_hz))
    proc.process(sim.block)
    # The true yaw of the wearer's backward axis from the case's, about the neutral up.
    mount = np.asarray(truth.parameters.mounting_quat_wxyz)
    up = quat.rotate(quat.conjugate(mount), np.asarray(truth.parameters.neutral_up_body)[None])[0]
    back = quat.rotate(quat.conjugate(mount), np.array([[0.0, 0.0, 1.0]]))[0]
    b_case = np.array([0.0, 0.0, 1.0]) - up[2] * up
    b_case /= np.linalg.norm(b_case)
    l_case = np.cross(b_case, up)
    true_yaw_deg = float(np.degrees(np.arctan2(back @ l_case, back @ b_case)))
    assert abs(true_yaw_deg) > 8.0  # a mounting error worth learning
    assert proc.mount_yaw_deg == pytest.approx(true_yaw_deg, abs=3.0)
