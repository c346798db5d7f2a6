"""WitMotionStream: reassembly, resynchronisation, corrupt frames, axes, timing, 1 g at rest."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.devices import WitMotionStream, witmotion
from sensor_hub.samples import SampleBlock
from tests.devices.frames import G, wit_imu, wit_reply

REST = wit_imu((12, -30, 2046), (1, -2, 0))  # lying flat, still: 1 g on z


def _frames(n: int) -> list[bytes]:
    return [wit_imu((i, -i, 2048), (i, 0, -i)) for i in range(n)]


def _feed_all(stream: WitMotionStream, chunks: list[bytes], t0: float = 100.0) -> SampleBlock:
    blocks = [stream.feed(c, t0 + 0.01 * i) for i, c in enumerate(chunks)]
    return SampleBlock.concat([b for b in blocks if b is not None])


def test_several_frames_in_one_notification() -> None:
    stream = WitMotionStream(rate_hz=100)
    block = stream.feed(b"".join(_frames(5)), 10.0)
    assert block is not None
    assert len(block) == 5
    np.testing.assert_allclose(block.timestamp_s, 10.0 - 0.01 * np.arange(4, -1, -1))
    np.testing.assert_allclose(block.acc_mps2[:, 0], np.arange(5) * 16 * G / 32768)
    assert stream.stats.samples == 5
    assert stream.stats.dropped_frames == 0


@pytest.mark.parametrize("chunk", [1, 3, 7, 19, 20, 21, 33])
def test_frames_split_across_notifications(chunk: int) -> None:
    data = b"".join(_frames(8))
    whole = WitMotionStream().feed(data, 0.0)
    stream = WitMotionStream()
    block = _feed_all(stream, [data[i : i + chunk] for i in range(0, len(data), chunk)])
    assert whole is not None
    np.testing.assert_array_equal(block.acc_mps2, whole.acc_mps2)
    np.testing.assert_array_equal(block.gyr_rads, whole.gyr_rads)
    assert np.all(np.diff(block.timestamp_s) > 0)
    assert stream.stats.dropped_frames == 0


def test_joining_mid_frame_skips_to_the_next_header() -> None:
    stream = WitMotionStream()
    tail = REST[7:]  # the end of a frame sent before we subscribed (no 0x55 in it)
    assert 0x55 not in tail
    block = stream.feed(tail + REST, 1.0)
    assert block is not None
    assert len(block) == 1
    assert stream.stats.errors["bad_header"] == 1
    assert stream.stats.discarded_bytes == len(tail)


def test_frame_cut_short_by_a_lost_notification_is_dropped() -> None:
    stream = WitMotionStream()
    first = wit_imu((1, 2, 3))
    assert stream.feed(first[:10], 1.0) is None  # the rest of it never arrives
    block = stream.feed(REST + REST, 1.1)
    assert block is not None
    assert len(block) == 2
    np.testing.assert_allclose(np.linalg.norm(block.acc_mps2, axis=1), G, rtol=0.02)
    assert stream.stats.errors["truncated"] == 1
    assert stream.stats.dropped_frames == 1
    assert stream.stats.discarded_bytes == 10


def test_unknown_frame_type_is_counted_and_skipped() -> None:
    stream = WitMotionStream()
    odd = b"\x55\x62" + bytes(18)
    block = stream.feed(odd + REST, 1.0)
    assert block is not None
    assert len(block) == 1
    assert stream.stats.errors["unknown_type"] == 1


def test_register_replies_are_kept_not_sampled() -> None:
    stream = WitMotionStream()
    half = round(0.5**0.5 * 32767)
    block = stream.feed(wit_reply(0x51, (half, 0, 0, half, 0, 0, 0, 0)) + REST, 1.0)
    assert block is not None
    assert len(block) == 1
    (reply,) = stream.register_replies
    assert reply.quat_wxyz == pytest.approx((0.7071, 0.0, 0.0, 0.7071), abs=1e-3)
    assert reply.temperature_c is None


def test_bad_register_reply_is_counted() -> None:
    stream = WitMotionStream()
    assert stream.feed(wit_reply(0x51, (5, 0, 0, 0, 0, 0, 0, 0)), 1.0) is None
    assert stream.stats.errors["invalid_field"] == 1
    assert not stream.register_replies


def test_axis_mapping_worn_on_the_lower_back() -> None:
    # Worn as docs/devices.md says: device y up the spine, device z out of the back.
    upright = wit_imu((0, 2048, 0), (0, 0, 164))  # 1 g on device y, 10 deg/s about device z
    block = WitMotionStream("+y,-x,+z").feed(upright, 1.0)
    assert block is not None
    np.testing.assert_allclose(block.acc_mps2[0], [G, 0.0, 0.0], atol=1e-9)
    assert block.gyr_rads[0, 2] == pytest.approx(np.radians(164 * 2000 / 32768))
    # Device x points to the wearer's right: body y (left) = -device x.
    block = WitMotionStream("+y,-x,+z").feed(wit_imu((100, 0, 0)), 1.0)
    assert block is not None
    assert block.acc_mps2[0, 1] == pytest.approx(-100 * 16 * G / 32768)


def test_still_sensor_reads_one_g() -> None:
    block = WitMotionStream().feed(REST * 3, 1.0)
    assert block is not None
    np.testing.assert_allclose(np.linalg.norm(block.acc_mps2, axis=1), G, rtol=0.02)
    assert np.abs(block.gyr_rads).max() < 0.01


def test_burst_of_notifications_keeps_time_increasing_and_bounded() -> None:
    stream = WitMotionStream(rate_hz=50, max_lead_s=0.1)
    times = []
    for i in range(40):  # 40 frames delivered at (almost) the same host time
        block = stream.feed(REST, 5.0 + i * 1e-4)
        assert block is not None
        times.append(block.timestamp_s[0])
    assert np.all(np.diff(times) > 0)
    assert times[-1] <= 5.0 + 40e-4 + 0.1
    assert stream.stats.clock_compressions > 0


def test_commands() -> None:
    assert witmotion.set_rate_commands(50) == (
        bytes.fromhex("ffaa6988b5"),
        bytes.fromhex("ffaa030800"),
    )
    with pytest.raises(ValueError, match="not supported"):
        witmotion.set_rate_commands(30)
    assert witmotion.write_register_command(0x03, -1) == bytes.fromhex("ffaa03ffff")
