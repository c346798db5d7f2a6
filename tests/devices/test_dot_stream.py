"""DotStream: device-clock timing, wrap, duplicates, losses, corrupt payloads, axes, 1 g."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.devices import DotStream, movella_dot
from sensor_hub.devices.movella_dot import PayloadMode
from sensor_hub.samples import SampleBlock
from tests.devices.frames import G, dot_custom5

PERIOD_US = 16_667  # 60 Hz


def _run(stream: DotStream, t0_us: int, n: int, latency_s: float = 0.02) -> SampleBlock:
    blocks = []
    for i in range(n):
        t_us = t0_us + i * PERIOD_US
        block = stream.feed(dot_custom5(t_us), 50.0 + i * PERIOD_US * 1e-6 + latency_s)
        if block is not None:
            blocks.append(block)
    return SampleBlock.concat(blocks)


def test_samples_follow_the_device_clock() -> None:
    stream = DotStream()
    block = _run(stream, 1_000_000, 120)
    assert len(block) == 120
    np.testing.assert_allclose(np.diff(block.timestamp_s), PERIOD_US * 1e-6, atol=2e-6)
    assert stream.stats.lost_samples == 0
    np.testing.assert_allclose(np.linalg.norm(block.acc_mps2, axis=1), G, rtol=0.02)
    assert stream.last_quat_wxyz == (1.0, 0.0, 0.0, 0.0)


def test_timestamp_wrap_is_continuous() -> None:
    stream = DotStream()
    block = _run(stream, 2**32 - 5 * PERIOD_US, 10)
    assert len(block) == 10
    assert np.all(np.diff(block.timestamp_s) > 0.016)
    assert stream.stats.lost_samples == 0


def test_duplicates_stale_and_lost_samples_are_counted() -> None:
    stream = DotStream()
    assert stream.feed(dot_custom5(1_000_000), 1.0) is not None
    assert stream.feed(dot_custom5(1_000_000), 1.001) is None
    assert stream.feed(dot_custom5(1_000_000 - PERIOD_US), 1.002) is None
    block = stream.feed(dot_custom5(1_000_000 + 4 * PERIOD_US), 1.07)  # three missing
    assert block is not None
    assert stream.stats.errors["duplicate"] == 1
    assert stream.stats.errors["out_of_order"] == 1
    assert stream.stats.lost_samples == 3
    assert stream.stats.samples == 2


def test_corrupt_payloads_are_counted_and_dropped() -> None:
    stream = DotStream()
    assert stream.feed(dot_custom5(0)[:30], 1.0) is None
    assert stream.feed(dot_custom5(0, acc=(float("nan"), 0.0, G)), 1.0) is None
    assert stream.feed(dot_custom5(0, quat=(0.0, 0.0, 0.0, 0.0)), 1.0) is None
    assert stream.stats.errors == {"truncated": 1, "invalid_field": 2}
    assert stream.stats.dropped_frames == 3
    assert stream.feed(dot_custom5(0), 1.1) is not None


def test_axis_mapping_strap_across_the_back() -> None:
    # Strap horizontal, logo out: device x to the wearer's left, device -y up the spine.
    stream = DotStream(axes="-y,+x,+z")
    block = stream.feed(dot_custom5(0, acc=(0.0, -G, 0.0), gyr_dps=(10.0, 0.0, 0.0)), 1.0)
    assert block is not None
    np.testing.assert_allclose(block.acc_mps2[0], [G, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(block.gyr_rads[0], [0.0, np.radians(10.0), 0.0], atol=1e-7)


def test_modes_without_rates_cannot_make_sample_blocks() -> None:
    with pytest.raises(ValueError, match="carries no acceleration"):
        DotStream(PayloadMode.ORIENTATION_QUATERNION)
    assert DotStream(PayloadMode.RATE_QUANTITIES).characteristic == movella_dot.Uuids.MEDIUM_PAYLOAD
    assert DotStream().characteristic == movella_dot.Uuids.LONG_PAYLOAD


def test_commands() -> None:
    assert movella_dot.start_streaming_command(PayloadMode.RATE_QUANTITIES) == b"\x01\x01\x15"
    assert movella_dot.stop_streaming_command(26) == b"\x01\x00\x1a"
    with pytest.raises(ValueError, match="not supported"):
        movella_dot.set_output_rate_command(bytes(32), 100)
    assert movella_dot.decode_device_control(bytes(32)).output_rate_hz == 0
