"""The processing core end to end on known-angle data; streaming == batch; state round-trip."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.calibration import CalibrationStatus, ForwardAxis
from sensor_hub.processing.config import ProcessingConfig, Role
from sensor_hub.processing.detector import Phase
from sensor_hub.processing.pipeline import PostureBlock, PostureProcessor
from sensor_hub.samples import SampleBlock
from sensor_hub.simulate import simulate
from tests.processing.synth import lean_block, smooth_step

FS = 100.0


def office_minutes() -> tuple[np.ndarray, np.ndarray]:
    """Neutral 10 s, slouch to 30° for 70 s, back, a 3 s reach to 45°, a 25° lean for 60 s."""
    t = np.arange(0.0, 240.0, 1.0 / FS)
    flex = (
        30.0 * (smooth_step(t, 10, 12) - smooth_step(t, 80, 82))
        + 45.0 * (smooth_step(t, 100, 101) - smooth_step(t, 103, 104))
        + 25.0 * (smooth_step(t, 130, 131.5) - smooth_step(t, 190, 191.5))
    )
    return t, flex


def process(
    block: SampleBlock, sizes: list[int] | None = None, config: ProcessingConfig | None = None
) -> tuple[PostureBlock, PostureProcessor]:
    proc = PostureProcessor(config or ProcessingConfig(sample_rate_hz=FS))
    if sizes is None:
        out = [proc.process(block)]
    else:
        edges = [0, *np.cumsum(sizes).tolist()]
        edges = [e for e in edges if e < len(block)] + [len(block)]
        out = [proc.process(block.slice(a, b)) for a, b in itertools.pairwise(edges)]
    return concat(out, proc.finish()), proc


def concat(blocks: list[PostureBlock], tail: tuple = ()) -> PostureBlock:
    return PostureBlock(
        timestamp_s=np.concatenate([b.timestamp_s for b in blocks]),
        quat_wxyz=np.concatenate([b.quat_wxyz for b in blocks]),
        flexion_deg=np.concatenate([b.flexion_deg for b in blocks]),
        lateral_deg=np.concatenate([b.lateral_deg for b in blocks]),
        activity=np.concatenate([b.activity for b in blocks]),
        band=np.concatenate([b.band for b in blocks]),
        calibration=np.concatenate([b.calibration for b in blocks]),
        events=tuple(e for b in blocks for e in b.events) + tuple(tail),
        stance=np.concatenate([b.stance for b in blocks]),
    )


def assert_same(a: PostureBlock, b: PostureBlock) -> None:
    for name in ("timestamp_s", "quat_wxyz", "flexion_deg", "lateral_deg", "activity", "band"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.calibration, b.calibration)
    assert np.array_equal(a.stance, b.stance)
    assert a.events == b.events


@pytest.mark.parametrize("mount_yaw_deg", [-20.0, 0.0, 20.0])
def test_known_leans_are_measured_within_half_a_degree(mount_yaw_deg: float) -> None:
    t, flex = office_minutes()
    block = lean_block(
        t,
        flex,
        mount_yaw_deg=mount_yaw_deg,
        acc_noise=0.02,
        gyr_noise=0.002,
        gyr_bias=(0.004, -0.006, 0.003),
    )
    out, proc = process(block)
    err = out.flexion_deg - flex
    assert np.sqrt(np.mean(err**2)) < 0.5
    assert np.abs(err[t > 13]).max() < 1.0
    assert np.abs(out.lateral_deg[t > 13]).max() < 1.0
    assert proc.mount_yaw_deg == pytest.approx(mount_yaw_deg, abs=2.0)
    assert np.all(out.activity == Activity.UPRIGHT)
    assert np.all(out.calibration[t <= 5.0] == CalibrationStatus.PROVISIONAL)
    assert np.all(out.calibration[t > 5.0] == CalibrationStatus.OK)
    ended = [e.episode for e in out.events if e.phase is Phase.ENDED]
    assert len(ended) == 2  # the slouch and the lean; the reach is not an episode
    assert [e.alert_s is not None for e in ended] == [True, True]
    assert ended[0].start_s == pytest.approx(11.0, abs=0.3)
    assert ended[0].alert_s == pytest.approx(41.0, abs=0.3)
    assert ended[1].peak_deg == pytest.approx(25.0, abs=0.7)


def test_lateral_bend_to_the_right_is_positive() -> None:
    # A pure right bend: Earth's up moves toward the sensor's +y (left) in sensor coordinates.
    t = np.arange(0.0, 40.0, 1.0 / FS)
    phi = np.radians(15.0) * smooth_step(t, 10, 12)
    up = np.stack((np.cos(phi), np.sin(phi), np.zeros_like(phi)), axis=1)
    rate = np.gradient(phi, t)
    gyr = np.stack((np.zeros_like(t), np.zeros_like(t), -rate), axis=1)
    out, _ = process(SampleBlock(t, 9.80665 * up, gyr))
    assert out.lateral_deg[-1] == pytest.approx(15.0, abs=0.3)
    assert abs(out.flexion_deg[-1]) < 0.3


def test_lying_down_is_lying_and_never_an_episode() -> None:
    t = np.arange(0.0, 120.0, 1.0 / FS)
    flex = 90.0 * (smooth_step(t, 10, 13) - smooth_step(t, 100, 103))  # face down
    out, _ = process(lean_block(t, flex))
    lying = out.activity == Activity.LYING
    assert lying[(t > 25) & (t < 100)].all()
    assert not lying[t < 12].any()
    assert not [e for e in out.events if e.phase is Phase.ENDED]


def test_neutral_window_is_taken_where_asked() -> None:
    t = np.arange(0.0, 60.0, 1.0 / FS)
    flex = 10.0 * smooth_step(t, 2, 3)  # the wearer settles into the chair after 3 s
    cfg = ProcessingConfig(sample_rate_hz=FS, neutral_start_s=10.0, neutral_end_s=15.0)
    out, _ = process(lean_block(t, flex), config=cfg)
    assert np.abs(out.flexion_deg[t > 15]).max() < 0.2
    assert np.all(out.calibration[t <= 15] == CalibrationStatus.PROVISIONAL)


def test_a_long_gap_makes_calibration_stale_and_stops_episodes() -> None:
    t, flex = office_minutes()
    block = lean_block(t, flex)
    keep = (t < 50) | (t > 120)
    out, _ = process(SampleBlock(t[keep], block.acc_mps2[keep], block.gyr_rads[keep]))
    tk = t[keep]
    assert np.all(out.calibration[tk > 120] == CalibrationStatus.STALE)
    ended = [e.episode for e in out.events if e.phase is Phase.ENDED]
    assert len(ended) == 1
    assert ended[0].end_s == pytest.approx(50.0, abs=0.02)


def test_pelvis_role_reports_pelvic_tilt() -> None:
    t, flex = office_minutes()
    cfg = ProcessingConfig(sample_rate_hz=FS, role=Role.PELVIS)
    out, _ = process(lean_block(t, flex), config=cfg)
    kinds = {e.episode.kind for e in out.events}
    assert kinds == {"pelvic_tilt"}


@pytest.mark.parametrize("seed", range(3))
def test_streaming_in_any_block_size_equals_batch(seed: int) -> None:
    t, flex = office_minutes()
    rng = np.random.default_rng(seed)
    keep = rng.random(t.shape) > 0.01  # dropped samples
    keep[(t > 150) & (t < 151.5)] = False  # a 1.5 s burst
    block = lean_block(t, flex, mount_yaw_deg=15.0, acc_noise=0.02, gyr_noise=0.002, seed=seed)
    block = SampleBlock(t[keep], block.acc_mps2[keep], block.gyr_rads[keep])
    whole, _ = process(block)
    sizes = rng.integers(1, 700, size=400).tolist()
    assert_same(process(block, sizes)[0], whole)
    assert_same(process(block, [20] * (len(block) // 20 + 1))[0], whole)


def test_state_saved_mid_stream_and_restored_changes_nothing() -> None:
    t, flex = office_minutes()
    block = lean_block(t, flex, mount_yaw_deg=-12.0, acc_noise=0.02, gyr_noise=0.002)
    whole, _ = process(block)
    for cut in (350, 4321, 11000, 15500):  # in the neutral window, mid-lean, mid-dip...
        first = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
        a = first.process(block.slice(0, cut))
        saved = pickle.loads(pickle.dumps(first.get_state()))
        first.process(block.slice(cut, cut + 500))  # the old one goes on: no shared state
        second = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
        second.set_state(saved)
        b = second.process(block.slice(cut, len(block)))
        assert_same(concat([a, b], second.finish()), whole)


def test_a_data_gap_during_a_movement_does_not_corrupt_the_angle() -> None:
    # The link drops 2 s in the middle of leaning forward: the motion across the gap is
    # unknown, so the inclination restarts from the accelerometer (bias estimate kept).
    t, flex = office_minutes()
    block = lean_block(t, flex, acc_noise=0.02, gyr_noise=0.002, gyr_bias=(0.01, -0.01, 0.01))
    keep = (t < 10.8) | (t > 12.8)
    out, _ = process(SampleBlock(t[keep], block.acc_mps2[keep], block.gyr_rads[keep]))
    err = out.flexion_deg - flex[keep]
    assert np.abs(err[t[keep] > 13.0]).max() < 0.5  # bridging the gap instead: 0.68°
    assert out.calibration[-1] == CalibrationStatus.OK


@pytest.mark.parametrize(("seed", "gap_s"), [(6, (139.4, 140.8)), (8, (150.7, 151.3))])
def test_a_gap_in_mid_stride_restarts_the_inclination_near_the_last_one(
    seed: int, gap_s: tuple[float, float]
) -> None:
    """The simulator's own bursts of lost samples while walking on: the restart from the
    accelerometer alone began from the first samples of a stride, 2–6° off for a second."""
    sim = simulate("walking", seed=seed)
    assert any(abs(a - gap_s[0]) < 0.1 for a, _ in sim.truth.parameters.drop_bursts_s)
    t = sim.block.timestamp_s - sim.block.timestamp_s[0]
    after = (t > gap_s[1]) & (t < gap_s[1] + 4.0)
    errors = []
    for prior_s in (0.5, 0.0):
        out, _ = process(sim.block, config=ProcessingConfig(gap_prior_s=prior_s))
        err = out.flexion_deg - np.asarray(sim.truth.samples.flexion_deg)
        errors.append(float(np.sqrt(np.mean(err[after] ** 2))))
    with_prior, without = errors
    assert with_prior < 0.75 * without
    assert with_prior < 1.6


def test_a_sensor_reattached_askew_is_noticed_while_walking() -> None:
    sim = simulate("walking", seed=4)
    block = sim.block
    t = block.timestamp_s
    moved = t > 60.0  # taken off, stuck back 10 s later turned 50° and tipped 60°
    c, s = np.cos(np.radians(50.0)), np.sin(np.radians(50.0))
    turn = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]) @ np.array(
        [[np.cos(1.05), 0.0, np.sin(1.05)], [0.0, 1.0, 0.0], [-np.sin(1.05), 0.0, np.cos(1.05)]]
    )
    keep = (t < 50.0) | moved
    acc = np.where(moved[:, None], block.acc_mps2 @ turn, block.acc_mps2)[keep]
    gyr = np.where(moved[:, None], block.gyr_rads @ turn, block.gyr_rads)[keep]
    out, _ = process(SampleBlock(t[keep], acc, gyr))
    tk = t[keep]
    assert not (out.calibration[tk < 50.0] == CalibrationStatus.STALE).any()
    stale = tk[out.calibration == CalibrationStatus.STALE]
    assert stale.size
    assert stale[0] < 100.0
    # ... and the untouched recording never goes stale.
    clean, _ = process(block)
    assert not (clean.calibration == CalibrationStatus.STALE).any()


def test_recalibrating_a_stale_sensor_learns_its_forward_axis_again() -> None:
    """Worn turned 15°, taken off for 2 minutes, stuck back on turned -10°: after the
    recalibration the next bends teach the new axis; the old one would mix a 25° share of
    every sideways lean into flexion."""
    t = np.arange(0.0, 100.0, 1.0 / FS)
    bends = 60.0 * (smooth_step(t, 20, 21.5) - smooth_step(t, 24, 25.5))
    bends += 60.0 * (smooth_step(t, 60, 61.5) - smooth_step(t, 64, 65.5))
    before = lean_block(t, bends, mount_yaw_deg=15.0)
    after = lean_block(t, bends, mount_yaw_deg=-10.0)
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
    proc.process(before)
    assert proc.mount_yaw_deg == pytest.approx(15.0, abs=1.0)
    t2 = t + 220.0
    proc.process(SampleBlock(t2[:1], after.acc_mps2[:1], after.gyr_rads[:1]))  # stale now
    proc.calibrate(float(t2[1]), float(t2[1]) + 5.0)
    assert proc.mount_yaw_deg == 0.0  # forgotten: the case's axis until a bend
    proc.process(SampleBlock(t2[1:], after.acc_mps2[1:], after.gyr_rads[1:]))
    assert proc.mount_yaw_deg == pytest.approx(-10.0, abs=1.0)


def test_each_block_says_where_its_forward_axis_comes_from() -> None:
    t = np.arange(0.0, 40.0, 1.0 / FS)
    flex = 60.0 * (smooth_step(t, 20, 21.5) - smooth_step(t, 24, 25.5))
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
    block = lean_block(t, flex, mount_yaw_deg=15.0)
    first = proc.process(block.slice(0, 1900))
    assert (first.forward_axis, first.mount_yaw_deg) == (ForwardAxis.CASE, 0.0)
    second = proc.process(block.slice(1900, len(block)))
    assert second.forward_axis is ForwardAxis.BENDS
    assert second.mount_yaw_deg == pytest.approx(15.0, abs=1.0)


def test_recalibrating_a_sensor_that_stayed_on_keeps_its_forward_axis() -> None:
    t = np.arange(0.0, 100.0, 1.0 / FS)
    bends = 60.0 * (smooth_step(t, 20, 21.5) - smooth_step(t, 24, 25.5))
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
    proc.process(lean_block(t, bends, mount_yaw_deg=15.0))
    proc.calibrate(95.0, 99.0)
    assert proc.mount_yaw_deg == pytest.approx(15.0, abs=1.0)


def test_live_recalibration_takes_the_new_posture_as_neutral() -> None:
    # The wearer settles 10° further forward for good; a live calibration at 40-45 s adopts it.
    t = np.arange(0.0, 90.0, 1.0 / FS)
    flex = 10.0 * smooth_step(t, 20, 22)
    block = lean_block(t, flex, acc_noise=0.02, gyr_noise=0.002)
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=FS))
    before = proc.process(block.slice(0, 3500))  # up to 35 s
    proc.calibrate(40.0, 45.0)
    after = proc.process(block.slice(3500, len(block)))
    assert before.flexion_deg[-1] == pytest.approx(10.0, abs=0.3)
    ta = after.timestamp_s
    assert np.abs(after.flexion_deg[ta < 40] - 10.0).max() < 0.5  # old neutral until the window
    assert np.abs(after.flexion_deg[ta > 45]).max() < 0.3
    assert np.all(after.calibration[ta <= 45] == CalibrationStatus.PROVISIONAL)
    assert np.all(after.calibration[ta > 45] == CalibrationStatus.OK)
